#include "tokenizer/protobuf_reader.h"

#include <cstring>

#include "error.h"

namespace albert::tok {

void ProtoReader::fail(const std::string& what) const {
  albert::fail(error_code_, where_ + ": " + what + " (at byte " + std::to_string(pos_) + ")");
}

uint64_t ProtoReader::read_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) fail("truncated varint");
    uint8_t byte = uint8_t(data_[pos_++]);
    value |= uint64_t(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      if (shift == 63 && byte > 1) fail("varint overflows 64 bits");
      return value;
    }
  }
  fail("varint longer than 10 bytes");
}

bool ProtoReader::next(Field& field) {
  if (done()) return false;
  uint64_t key = read_varint();
  uint64_t number = key >> 3;
  if (number == 0 || number > 0x1FFFFFFF) fail("invalid field number " + std::to_string(number));
  field = Field{};
  field.number = uint32_t(number);
  field.wire_type = WireType(key & 7);
  switch (field.wire_type) {
    case kVarint:
      field.varint = read_varint();
      return true;
    case kFixed64:
      if (data_.size() - pos_ < 8) fail("truncated fixed64 field " + std::to_string(number));
      std::memcpy(&field.varint, data_.data() + pos_, 8);
      pos_ += 8;
      return true;
    case kFixed32: {
      if (data_.size() - pos_ < 4) fail("truncated fixed32 field " + std::to_string(number));
      uint32_t v;
      std::memcpy(&v, data_.data() + pos_, 4);
      field.varint = v;
      pos_ += 4;
      return true;
    }
    case kLengthDelimited: {
      uint64_t length = read_varint();
      if (length > data_.size() - pos_) {
        fail("field " + std::to_string(number) + " declares " + std::to_string(length) + " bytes but only " +
             std::to_string(data_.size() - pos_) + " remain");
      }
      field.bytes = data_.substr(pos_, size_t(length));
      pos_ += size_t(length);
      return true;
    }
    default:
      fail("unsupported wire type " + std::to_string(int(field.wire_type)) + " for field " + std::to_string(number));
  }
}

uint64_t ProtoReader::as_uint64(const Field& field, const char* name) const {
  if (field.wire_type != kVarint) fail(std::string("field '") + name + "' must be a varint");
  return field.varint;
}

int32_t ProtoReader::as_int32(const Field& field, const char* name) const {
  // int32 is encoded as a sign-extended 64-bit varint; protobuf truncates to the low 32 bits.
  return int32_t(uint32_t(as_uint64(field, name)));
}

bool ProtoReader::as_bool(const Field& field, const char* name) const { return as_uint64(field, name) != 0; }

float ProtoReader::as_float(const Field& field, const char* name) const {
  if (field.wire_type != kFixed32) fail(std::string("field '") + name + "' must be a 32-bit float");
  uint32_t bits = uint32_t(field.varint);
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

std::string_view ProtoReader::as_bytes(const Field& field, const char* name) const {
  if (field.wire_type != kLengthDelimited) fail(std::string("field '") + name + "' must be length-delimited");
  return field.bytes;
}

}  // namespace albert::tok
