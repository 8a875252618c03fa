// A SentencePiece unigram model read from spiece.model, encoding and decoding exactly as the
// SentencePiece library (SentencePieceProcessor) does: normalize, Viterbi, merge unknown runs (or fall
// back to byte pieces), and decode pieces back to text.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/double_array.h"
#include "tokenizer/spm_model_proto.h"
#include "tokenizer/spm_normalizer.h"
#include "tokenizer/text.h"
#include "tokenizer/unigram_viterbi.h"

namespace albert::tok {

struct SpmToken {
  std::string_view piece;  // into the scratch's normalized text or the model's piece table
  int32_t id;
  Span span;
};

struct SpmScratch {
  AlignedUtf8 normalized;
  ViterbiScratch viterbi;
  std::vector<LatticePiece> lattice;
};

class SentencePieceModel {
 public:
  // Built by the factory functions below only (the key is private).
  struct Key {
   private:
    Key() = default;
    friend class SentencePieceModel;
  };
  explicit SentencePieceModel(Key) {}
  SentencePieceModel(const SentencePieceModel&) = delete;
  SentencePieceModel& operator=(const SentencePieceModel&) = delete;

  // Parses and validates a serialized ModelProto; `source` names it in errors.
  static std::shared_ptr<const SentencePieceModel> from_bytes(std::string_view bytes, const std::string& source);
  static std::shared_ptr<const SentencePieceModel> from_file(const std::string& path);

  // SentencePieceProcessor::Encode. Token pieces may point into `scratch` until its next use.
  void encode(const AlignedUtf8& input, SpmScratch& scratch, std::vector<SpmToken>& out) const;
  void encode(const AlignedText& input, SpmScratch& scratch, std::vector<SpmToken>& out) const;

  // SentencePieceProcessor::Decode(pieces).
  std::string decode_pieces(const std::vector<std::string_view>& pieces) const;

  int32_t size() const { return int32_t(pieces_.size()); }
  int32_t piece_to_id(std::string_view piece) const;  // the unknown id when absent
  bool has_piece(std::string_view piece) const;
  // A NORMAL, USER_DEFINED or UNUSED piece: one the Viterbi search can output.
  bool is_matchable_piece(std::string_view piece) const { return normal_ids_.count(piece) != 0; }
  // Some matchable piece shares its string with a reserved piece, whose id piece_to_id() then returns.
  bool has_shadowed_pieces() const { return shadowed_; }
  const std::string& id_to_piece(int32_t id) const { return pieces_[size_t(id)].piece; }
  PieceType type(int32_t id) const { return pieces_[size_t(id)].type; }
  float score(int32_t id) const { return pieces_[size_t(id)].score; }
  int32_t unk_id() const { return unk_id_; }
  bool byte_fallback() const { return proto_.trainer.byte_fallback; }
  const SpmModelProto& proto() const { return proto_; }
  const std::string& source() const { return source_; }

 private:
  void initialize();

  std::string source_;
  SpmModelProto proto_;
  std::vector<SpmPiece>& pieces_ = proto_.pieces;
  std::unordered_map<std::string_view, int32_t> normal_ids_;    // NORMAL, USER_DEFINED, UNUSED
  std::unordered_map<std::string_view, int32_t> reserved_ids_;  // UNKNOWN, CONTROL, BYTE
  DoubleArrayTrie trie_;
  DoubleArrayTrie reserved_trie_;  // the reserved pieces, for piece_to_id without hashing
  DoubleArrayTrie user_defined_;
  std::vector<float> scores_;
  std::vector<uint8_t> kinds_;
  int32_t byte_ids_[256];
  float min_score_ = 0;
  float max_score_ = 0;
  int32_t unk_id_ = -1;
  bool shadowed_ = false;
  SpmNormalizer normalizer_;
  std::unique_ptr<SpmNormalizer> denormalizer_;
};

}  // namespace albert::tok
