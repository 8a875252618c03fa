#include "tokenizer/text.h"

namespace albert::tok {

namespace {
constexpr char32_t kReplacement = 0xFFFD;

// One code point from UTF-8 at `p` (n bytes available); sets `length`. Malformed input yields U+FFFD
// with length 1.
char32_t decode_one(const unsigned char* p, size_t n, size_t& length) {
  unsigned char b = p[0];
  length = 1;
  if (b < 0x80) return b;
  auto trail = [&](size_t i) { return i < n && (p[i] & 0xC0) == 0x80; };
  if (b >= 0xC2 && b < 0xE0 && trail(1)) {
    length = 2;
    return char32_t(b & 0x1F) << 6 | (p[1] & 0x3F);
  }
  if (b >= 0xE0 && b < 0xF0 && trail(1) && trail(2)) {
    char32_t c = char32_t(b & 0x0F) << 12 | char32_t(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    if (c >= 0x800 && (c < 0xD800 || c > 0xDFFF)) {
      length = 3;
      return c;
    }
  }
  if (b >= 0xF0 && b < 0xF5 && trail(1) && trail(2) && trail(3)) {
    char32_t c = char32_t(b & 0x07) << 18 | char32_t(p[1] & 0x3F) << 12 | char32_t(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    if (c >= 0x10000 && c <= 0x10FFFF) {
      length = 4;
      return c;
    }
  }
  return kReplacement;
}
}  // namespace

Span AlignedText::span_of(size_t begin, size_t end) const {
  return span_of_range(spans, begin, end);
}

Span AlignedUtf8::span_of(size_t begin, size_t end) const {
  return span_of_range(spans, begin, end);
}

AlignedText from_utf16(std::u16string_view text) {
  AlignedText out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t u = text[i];
    uint32_t start = uint32_t(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < text.size() && text[i + 1] >= 0xDC00 && text[i + 1] <= 0xDFFF) {
      u = 0x10000 + ((u - 0xD800) << 10) + (char32_t(text[i + 1]) - 0xDC00);
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      u = kReplacement;
    }
    out.push(u, {start, uint32_t(i + 1)});
  }
  return out;
}

AlignedText from_utf8(std::string_view text) {
  AlignedText out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  uint32_t unit = 0;
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    char32_t c = decode_one(p + i, text.size() - i, length);
    uint32_t width = c >= 0x10000 ? 2 : 1;
    out.push(c, {unit, unit + width});
    unit += width;
    i += length;
  }
  return out;
}

std::u16string utf8_to_utf16(std::string_view text) {
  std::u16string out;
  append_utf16(out, text);
  return out;
}

void append_utf16(std::u16string& out, std::string_view text) {
  out.reserve(out.size() + text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    char32_t c = decode_one(p + i, text.size() - i, length);
    if (c >= 0x10000) {
      out.push_back(char16_t(0xD800 + ((c - 0x10000) >> 10)));
      out.push_back(char16_t(0xDC00 + ((c - 0x10000) & 0x3FF)));
    } else {
      out.push_back(char16_t(c));
    }
    i += length;
  }
}

size_t encode_utf8(char32_t c, char* out) {
  if (c < 0x80) {
    out[0] = char(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = char(0xC0 | (c >> 6));
    out[1] = char(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = char(0xE0 | (c >> 12));
    out[1] = char(0x80 | ((c >> 6) & 0x3F));
    out[2] = char(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = char(0xF0 | (c >> 18));
  out[1] = char(0x80 | ((c >> 12) & 0x3F));
  out[2] = char(0x80 | ((c >> 6) & 0x3F));
  out[3] = char(0x80 | (c & 0x3F));
  return 4;
}

void append_utf8(std::string& out, char32_t c) {
  char buffer[4];
  out.append(buffer, encode_utf8(c, buffer));
}

std::string to_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

AlignedUtf8 to_aligned_utf8(const AlignedText& text) {
  AlignedUtf8 out;
  to_aligned_utf8(text, out);
  return out;
}

void to_aligned_utf8(const AlignedText& text, AlignedUtf8& out) {
  out.clear();
  out.reserve(text.size() + text.size() / 2 + 8);
  char buffer[4];
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text.chars[i];
    if (c < 0x80) {
      out.push_byte(char(c), text.spans[i]);
      continue;
    }
    size_t n = encode_utf8(c, buffer);
    for (size_t k = 0; k < n; ++k) out.push_byte(buffer[k], text.spans[i]);
  }
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    out.push_back(decode_one(p + i, text.size() - i, length));
    i += length;
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    size_t length = 1;
    char32_t c = decode_one(p + i, text.size() - i, length);
    if (c == kReplacement && !(length == 3 && p[i] == 0xEF && p[i + 1] == 0xBF && p[i + 2] == 0xBD)) return false;
    i += length;
  }
  return true;
}

}  // namespace albert::tok
