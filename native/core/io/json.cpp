#include "io/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.h"

namespace albert {

namespace {
constexpr int kMaxDepth = 512;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  for (const auto& member : object_) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

const char* JsonValue::type_name(Type type) {
  switch (type) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "unknown";
}

class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  JsonValue parse_document() {
    JsonValue value;
    skip_whitespace();
    parse_value(value, 0);
    skip_whitespace();
    if (pos_ != text_.size()) error("unexpected data after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    fail(code::kInvalidJson, source_ + ": invalid JSON at byte " + std::to_string(pos_) + ": " + what);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }

  void skip_whitespace() {
    while (!at_end()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  void expect_literal(const char* literal) {
    size_t n = std::strlen(literal);
    if (text_.size() - pos_ < n || text_.compare(pos_, n, literal) != 0) error("invalid literal");
    pos_ += n;
  }

  void parse_value(JsonValue& out, int depth) {
    if (depth > kMaxDepth) error("nesting deeper than " + std::to_string(kMaxDepth));
    if (at_end()) error("unexpected end of input");
    char c = text_[pos_];
    switch (c) {
      case '{': parse_object(out, depth); return;
      case '[': parse_array(out, depth); return;
      case '"':
        out.type_ = JsonValue::Type::String;
        parse_string(out.string_);
        return;
      case 't':
        expect_literal("true");
        out.type_ = JsonValue::Type::Bool;
        out.bool_ = true;
        return;
      case 'f':
        expect_literal("false");
        out.type_ = JsonValue::Type::Bool;
        out.bool_ = false;
        return;
      case 'n':
        expect_literal("null");
        out.type_ = JsonValue::Type::Null;
        return;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          parse_number(out);
          return;
        }
        error(std::string("unexpected character '") + (c >= 32 && c < 127 ? std::string(1, c) : "?") + "'");
    }
  }

  void parse_object(JsonValue& out, int depth) {
    out.type_ = JsonValue::Type::Object;
    ++pos_;  // '{'
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    while (true) {
      skip_whitespace();
      if (peek() != '"') error("expected a string key");
      std::string key;
      parse_string(key);
      skip_whitespace();
      if (peek() != ':') error("expected ':'");
      ++pos_;
      skip_whitespace();
      out.object_.emplace_back(std::move(key), JsonValue());
      parse_value(out.object_.back().second, depth + 1);
      skip_whitespace();
      char c = peek();
      if (c == ',') {
        ++pos_;
      } else if (c == '}') {
        ++pos_;
        return;
      } else {
        error("expected ',' or '}'");
      }
    }
  }

  void parse_array(JsonValue& out, int depth) {
    out.type_ = JsonValue::Type::Array;
    ++pos_;  // '['
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    while (true) {
      skip_whitespace();
      out.array_.emplace_back();
      parse_value(out.array_.back(), depth + 1);
      skip_whitespace();
      char c = peek();
      if (c == ',') {
        ++pos_;
      } else if (c == ']') {
        ++pos_;
        return;
      } else {
        error("expected ',' or ']'");
      }
    }
  }

  unsigned parse_hex4() {
    if (text_.size() - pos_ < 4) error("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= unsigned(c - '0');
      else if (c >= 'a' && c <= 'f') value |= unsigned(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= unsigned(c - 'A' + 10);
      else error("invalid \\u escape");
    }
    return value;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(char(cp));
    } else if (cp < 0x800) {
      out.push_back(char(0xC0 | (cp >> 6)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(char(0xE0 | (cp >> 12)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(char(0xF0 | (cp >> 18)));
      out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(char(0x80 | (cp & 0x3F)));
    }
  }

  void parse_string(std::string& out) {
    ++pos_;  // opening quote
    while (true) {
      if (at_end()) error("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return;
      if (static_cast<unsigned char>(c) < 0x20) error("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_end()) error("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          uint32_t cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must pair with a following low one; a lone one becomes U+FFFD.
            if (text_.size() - pos_ >= 6 && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
              size_t save = pos_;
              pos_ += 2;
              uint32_t low = parse_hex4();
              if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              } else {
                pos_ = save;
                cp = 0xFFFD;
              }
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(out, cp);
          break;
        }
        default: error("invalid escape");
      }
    }
  }

  void parse_number(JsonValue& out) {
    size_t start = pos_;
    bool integral = true;
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++pos_;
    } else {
      error("invalid number");
    }
    if (peek() == '.') {
      integral = false;
      ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) error("invalid number");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!(peek() >= '0' && peek() <= '9')) error("invalid number");
      while (peek() >= '0' && peek() <= '9') ++pos_;
    }
    std::string token(text_.substr(start, pos_ - start));
    out.type_ = JsonValue::Type::Number;
    out.number_ = std::strtod(token.c_str(), nullptr);
    if (integral) {
      // Exact int64 parse (safetensors offsets need all 64 bits); overflow leaves it a plain double.
      bool negative = token[0] == '-';
      uint64_t magnitude = 0;
      bool overflow = false;
      for (size_t i = negative ? 1 : 0; i < token.size(); ++i) {
        uint64_t digit = uint64_t(token[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10) {
          overflow = true;
          break;
        }
        magnitude = magnitude * 10 + digit;
      }
      uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
      if (!overflow && magnitude <= limit) {
        out.is_integer_ = true;
        out.integer_ = negative ? int64_t(0 - magnitude) : int64_t(magnitude);
      }
    }
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
};

JsonValue parse_json(std::string_view text, const std::string& source) {
  return JsonParser(text, source).parse_document();
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string to_json_text(const JsonValue& v) {
  switch (v.type()) {
    case JsonValue::Type::Null: return "null";
    case JsonValue::Type::Bool: return v.as_bool() ? "true" : "false";
    case JsonValue::Type::Number: {
      if (v.is_integer()) return std::to_string(v.as_int64());
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", v.as_double());
      return buf;
    }
    case JsonValue::Type::String: return json_quote(v.as_string());
    case JsonValue::Type::Array: {
      std::string out = "[";
      for (size_t i = 0; i < v.items().size(); ++i) out += (i ? "," : "") + to_json_text(v.items()[i]);
      return out + "]";
    }
    case JsonValue::Type::Object: {
      std::string out = "{";
      for (size_t i = 0; i < v.members().size(); ++i) {
        out += (i ? "," : "") + json_quote(v.members()[i].first) + ":" + to_json_text(v.members()[i].second);
      }
      return out + "}";
    }
  }
  return "null";
}

}  // namespace albert
