#include "tokenizer/spm_model_proto.h"

#include "tokenizer/protobuf_reader.h"

namespace albert::tok {

namespace {

SpmPiece parse_piece(std::string_view bytes, const std::string& where) {
  ProtoReader r(bytes, where);
  SpmPiece piece;
  ProtoReader::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: piece.piece = std::string(r.as_bytes(f, "piece")); break;
      case 2: piece.score = r.as_float(f, "score"); break;
      case 3: {
        // proto2 keeps an unknown enum value out of the field, which then reads as its default (NORMAL).
        int32_t type = r.as_int32(f, "type");
        if (type >= 1 && type <= 6) piece.type = PieceType(type);
        break;
      }
      default: break;
    }
  }
  return piece;
}

void parse_trainer(std::string_view bytes, const std::string& where, SpmTrainerSpec& spec) {
  ProtoReader r(bytes, where);
  ProtoReader::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 3: spec.model_type = r.as_int32(f, "model_type"); break;
      case 24: spec.treat_whitespace_as_suffix = r.as_bool(f, "treat_whitespace_as_suffix"); break;
      case 35: spec.byte_fallback = r.as_bool(f, "byte_fallback"); break;
      case 44: spec.unk_surface = std::string(r.as_bytes(f, "unk_surface")); break;
      case 45: spec.unk_piece = std::string(r.as_bytes(f, "unk_piece")); break;
      case 46: spec.bos_piece = std::string(r.as_bytes(f, "bos_piece")); break;
      case 47: spec.eos_piece = std::string(r.as_bytes(f, "eos_piece")); break;
      case 48: spec.pad_piece = std::string(r.as_bytes(f, "pad_piece")); break;
      default: break;
    }
  }
}

void parse_normalizer(std::string_view bytes, const std::string& where, SpmNormalizerSpec& spec) {
  ProtoReader r(bytes, where);
  ProtoReader::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1: spec.name = std::string(r.as_bytes(f, "name")); break;
      case 2: spec.precompiled_charsmap = std::string(r.as_bytes(f, "precompiled_charsmap")); break;
      case 3: spec.add_dummy_prefix = r.as_bool(f, "add_dummy_prefix"); break;
      case 4: spec.remove_extra_whitespaces = r.as_bool(f, "remove_extra_whitespaces"); break;
      case 5: spec.escape_whitespaces = r.as_bool(f, "escape_whitespaces"); break;
      default: break;
    }
  }
}

}  // namespace

SpmModelProto parse_spm_model_proto(std::string_view bytes, const std::string& source) {
  SpmModelProto model;
  ProtoReader r(bytes, source);
  ProtoReader::Field f;
  while (r.next(f)) {
    switch (f.number) {
      case 1:
        model.pieces.push_back(
            parse_piece(r.as_bytes(f, "pieces"), source + ": pieces[" + std::to_string(model.pieces.size()) + "]"));
        break;
      case 2: parse_trainer(r.as_bytes(f, "trainer_spec"), source + ": trainer_spec", model.trainer); break;
      case 3: parse_normalizer(r.as_bytes(f, "normalizer_spec"), source + ": normalizer_spec", model.normalizer); break;
      case 5:
        model.has_denormalizer = true;
        parse_normalizer(r.as_bytes(f, "denormalizer_spec"), source + ": denormalizer_spec", model.denormalizer);
        break;
      default: break;  // self_test_data and unknown fields
    }
  }
  return model;
}

}  // namespace albert::tok
