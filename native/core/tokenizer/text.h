// Text as the tokenizer stages pass it along: code points (or UTF-8 bytes) that each remember the range
// of the caller's original text they came from, so every token can report offsets into the JS string.
// Offsets are UTF-16 code units, the unit of JS string indices.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace albert::tok {

struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
};

inline Span join(Span a, Span b) { return {std::min(a.begin, b.begin), std::max(a.end, b.end)}; }
inline Span empty_at(uint32_t pos) { return {pos, pos}; }

// The span covering spans [begin, end) (an empty span where an empty range sits).
template <class Spans>
Span span_of_range(const Spans& spans, size_t begin, size_t end) {
  if (begin >= end) {
    if (begin < spans.size()) return empty_at(spans[begin].begin);
    return spans.empty() ? Span{} : empty_at(spans.back().end);
  }
  Span s = spans[begin];
  for (size_t i = begin + 1; i < end; ++i) s = join(s, spans[i]);
  return s;
}

// Code points with their origins (one Span per code point).
struct AlignedText {
  std::u32string chars;
  std::vector<Span> spans;

  size_t size() const { return chars.size(); }
  bool empty() const { return chars.empty(); }
  void clear() {
    chars.clear();
    spans.clear();
  }
  void reserve(size_t n) {
    chars.reserve(n);
    spans.reserve(n);
  }
  void push(char32_t c, Span s) {
    chars.push_back(c);
    spans.push_back(s);
  }
  void append(const AlignedText& other, size_t begin, size_t end) {
    chars.append(other.chars, begin, end - begin);
    spans.insert(spans.end(), other.spans.begin() + begin, other.spans.begin() + end);
  }
  AlignedText slice(size_t begin, size_t end) const {
    AlignedText out;
    out.append(*this, begin, end);
    return out;
  }
  // The union of the spans of [begin, end), or an empty span at the origin of `begin` when empty.
  Span span_of(size_t begin, size_t end) const;
};

// UTF-8 bytes with their origins (one Span per byte; the bytes of one character share it).
struct AlignedUtf8 {
  std::string bytes;
  std::vector<Span> spans;

  size_t size() const { return bytes.size(); }
  void clear() {
    bytes.clear();
    spans.clear();
  }
  void reserve(size_t n) {
    bytes.reserve(n);
    spans.reserve(n);
  }
  void push_byte(char b, Span s) {
    bytes.push_back(b);
    spans.push_back(s);
  }
  void push_bytes(std::string_view b, Span s) {
    for (char c : b) push_byte(c, s);
  }
  Span span_of(size_t begin, size_t end) const;
};

// UTF-16 (a JS string) -> code points; each lone surrogate becomes U+FFFD, as String.prototype.toWellFormed does.
AlignedText from_utf16(std::u16string_view text);
// UTF-8 -> code points with UTF-16 offsets (malformed bytes become U+FFFD); for callers outside JS.
AlignedText from_utf8(std::string_view text);
std::u16string utf8_to_utf16(std::string_view text);
void append_utf16(std::u16string& out, std::string_view utf8);

// Writes the UTF-8 of `c` (up to 4 bytes) and returns its length.
size_t encode_utf8(char32_t c, char* out);
void append_utf8(std::string& out, char32_t c);
std::string to_utf8(std::u32string_view text);
AlignedUtf8 to_aligned_utf8(const AlignedText& text);
void to_aligned_utf8(const AlignedText& text, AlignedUtf8& out);
// Decodes UTF-8 strictly (overlongs, surrogates and truncated sequences are errors); the lead byte of a
// bad sequence becomes U+FFFD. Used for file contents that must be valid text.
std::u32string decode_utf8(std::string_view text);
bool is_valid_utf8(std::string_view text);
// Length in bytes of the UTF-8 sequence a lead byte announces (SentencePiece's rule: 1 for any byte below
// 0xC0, so continuation bytes count as one).
inline size_t utf8_lead_length(unsigned char b) { return b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4; }

}  // namespace albert::tok
