// A minimal reader for the protobuf wire format (enough for SentencePiece's ModelProto). Every read is
// bounds-checked; malformed input throws a coded error (ERR_ALBERT_INVALID_TOKENIZER unless told otherwise) naming the file
// and field path. Also reads TensorFlow's checkpoint protos.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "error.h"

namespace albert::tok {

class ProtoReader {
 public:
  enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

  struct Field {
    uint32_t number = 0;
    WireType wire_type = kVarint;
    uint64_t varint = 0;      // kVarint, kFixed64, kFixed32
    std::string_view bytes;   // kLengthDelimited
  };

  // `where` names the message in errors, e.g. "spiece.model: pieces[12]"; errors carry `error_code`.
  ProtoReader(std::string_view data, std::string where, const char* error_code = code::kInvalidTokenizer)
      : data_(data), where_(std::move(where)), error_code_(error_code) {}

  bool done() const { return pos_ >= data_.size(); }
  // Reads the next field; returns false at the end of the message.
  bool next(Field& field);

  // Typed accessors that check the wire type of `field` (named `name` in errors).
  uint64_t as_uint64(const Field& field, const char* name) const;
  int32_t as_int32(const Field& field, const char* name) const;
  bool as_bool(const Field& field, const char* name) const;
  float as_float(const Field& field, const char* name) const;
  std::string_view as_bytes(const Field& field, const char* name) const;

  const std::string& where() const { return where_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  uint64_t read_varint();

  std::string_view data_;
  std::string where_;
  const char* error_code_;
  size_t pos_ = 0;
};

}  // namespace albert::tok
