// Unicode operations the reference tokenizers use, over the generated tables in unicode_data.cpp:
// Python's unicodedata (NFD/NFKD/NFC, combining classes, categories), str.isspace/isdigit/lower, and the
// grapheme clusters of Rust's unicode-segmentation (for the `tokenizers` Precompiled normalizer).
// Every transformation carries each character's origin Span along.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tokenizer/text.h"
#include "tokenizer/unicode_data.h"

namespace albert::tok::unicode {

inline const unicode_data::CharRecord& record(char32_t c) {
  if (c > 0x10FFFF) c = 0xFFFD;
  using namespace unicode_data;
  size_t block = kStage1[c >> kBlockShift];
  return kRecords[kStage2[(block << kBlockShift) | (c & ((1u << kBlockShift) - 1))]];
}
inline bool has(char32_t c, uint16_t flag) { return (record(c).flags & flag) != 0; }

inline bool is_python_space(char32_t c) {
  return c < 0x80 ? (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) : has(c, unicode_data::kPySpace);
}
inline bool is_python_digit(char32_t c) { return c < 0x80 ? (c >= '0' && c <= '9') : has(c, unicode_data::kPyDigit); }
inline bool is_white_space(char32_t c) { return has(c, unicode_data::kWhiteSpace); }  // Rust char::is_whitespace
inline uint8_t combining_class(char32_t c) { return c < 0x300 ? 0 : record(c).ccc; }
inline bool is_category_other(char32_t c) { return has(c, unicode_data::kCatOther); }       // C*
inline bool is_category_punctuation(char32_t c) { return has(c, unicode_data::kCatPunct); }  // P*
inline bool is_category_zs(char32_t c) { return has(c, unicode_data::kCatZs); }
inline bool is_nonspacing_mark(char32_t c) { return has(c, unicode_data::kCatMn); }  // Mn
inline bool is_mark(char32_t c) { return has(c, unicode_data::kCatMark); }           // M*
// Letters and numbers (L*, N*): close to Rust's char::is_alphanumeric, which the tables do not carry exactly.
inline bool is_alphanumeric(char32_t c) { return has(c, uint16_t(unicode_data::kCatLetter | unicode_data::kCatNumber)); }

// True when NFC, respectively NFD and NFKD, certainly leave `text` unchanged (a quick check that lets
// the common case skip normalization).
bool nfc_is_identity(const std::u32string& text);
bool nfkd_is_identity(const std::u32string& text);

// Appends the full decomposition of `c` (compatibility when `compat`), or `c` itself.
void append_decomposition(char32_t c, bool compat, std::u32string& out);

// NFD / NFKD of `in` into `out` (cleared first), including canonical reordering.
void decompose(const AlignedText& in, bool compat, AlignedText& out);
// Canonical composition of already-decomposed text, in place (NFC = compose(decompose(x, false))).
void compose(AlignedText& text);
// Convenience: NFC / NFKC.
void nfc(const AlignedText& in, AlignedText& out);
void nfkc(const AlignedText& in, AlignedText& out);

// Python's str.lower() of the whole text (full mappings, with the final-sigma rule when `final_sigma`).
void python_lower(const AlignedText& in, AlignedText& out, bool final_sigma);
// Appends the lowercase mapping of one character (no context).
void append_lower(char32_t c, std::u32string& out);

// End of the extended grapheme cluster that starts at `begin` (Unicode UAX #29 rules).
size_t grapheme_end(const std::u32string& text, size_t begin);

const char* version();

}  // namespace albert::tok::unicode
