// A small, strict JSON reader (RFC 8259) for config.json, safetensors headers and tokenizer files.
// Bounds-checked everywhere, with a nesting limit, so hostile files can only produce an Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albert {

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  // True for numbers written without fraction or exponent that fit in int64.
  bool is_integer() const { return type_ == Type::Number && is_integer_; }

  bool as_bool() const { return bool_; }
  double as_double() const { return number_; }
  int64_t as_int64() const { return integer_; }
  const std::string& as_string() const { return string_; }
  const std::vector<JsonValue>& items() const { return array_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return object_; }

  // First member with this key, or nullptr (also when this is not an object).
  const JsonValue* find(std::string_view key) const;

  static const char* type_name(Type type);

 private:
  friend class JsonParser;
  Type type_ = Type::Null;
  bool bool_ = false;
  bool is_integer_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<JsonValue> array_;
  std::vector<std::pair<std::string, JsonValue>> object_;
};

// `s` as a JSON string literal (quotes and escapes added).
std::string json_quote(const std::string& s);
// Compact JSON text of `value` (numbers keep their integer form; others print with 17 significant digits).
std::string to_json_text(const JsonValue& value);

// Parses a whole document. `source` names the file in error messages (code ERR_ALBERT_INVALID_JSON).
JsonValue parse_json(std::string_view text, const std::string& source);

}  // namespace albert
