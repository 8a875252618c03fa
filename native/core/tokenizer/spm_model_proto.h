// The parts of SentencePiece's ModelProto (sentencepiece_model.proto) that change how text is encoded or
// decoded, read straight from the serialized protobuf. Field defaults are the proto's defaults.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace albert::tok {

enum class PieceType : uint8_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct SpmPiece {
  std::string piece;
  float score = 0;
  PieceType type = PieceType::kNormal;
};

struct SpmNormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpmTrainerSpec {
  int32_t model_type = 1;  // 1 unigram, 2 bpe, 3 word, 4 char
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  std::string unk_piece = "<unk>";
  std::string bos_piece = "<s>";
  std::string eos_piece = "</s>";
  std::string pad_piece = "<pad>";
  std::string unk_surface = " \xE2\x81\x87 ";
};

struct SpmModelProto {
  std::vector<SpmPiece> pieces;
  SpmTrainerSpec trainer;
  SpmNormalizerSpec normalizer;
  bool has_denormalizer = false;
  SpmNormalizerSpec denormalizer;
};

// Parses a serialized ModelProto. `source` names the file in errors (code ERR_ALBERT_INVALID_TOKENIZER).
// Only checks the wire format; SentencePieceModel checks the piece table.
SpmModelProto parse_spm_model_proto(std::string_view bytes, const std::string& source);

}  // namespace albert::tok
