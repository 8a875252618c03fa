#include "tokenizer/unicode.h"

#include <algorithm>
#include <vector>

namespace albert::tok::unicode {

namespace {
using namespace unicode_data;

// Hangul syllables are decomposed and composed arithmetically (Unicode chapter 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

bool is_hangul_syllable(char32_t c) { return c >= kSBase && c < kSBase + kSCount; }

void append_mapping(uint16_t index, std::u32string& out) {
  const char32_t* p = &kMappingPool[index];
  out.append(p + 1, p[0]);
}

// Stable sort of each run of non-starters by combining class, moving spans along. Short runs (the normal
// case) use insertion sort; long ones a stable sort, so a storm of marks cannot go quadratic.
void canonical_order(AlignedText& text, size_t from) {
  const size_t n = text.size();
  struct Mark {
    uint8_t ccc;
    char32_t c;
    Span span;
  };
  std::vector<Mark> run;
  for (size_t i = from; i < n;) {
    if (combining_class(text.chars[i]) == 0) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < n && combining_class(text.chars[end]) != 0) ++end;
    if (end - i > 32) {
      run.clear();
      for (size_t k = i; k < end; ++k) run.push_back({combining_class(text.chars[k]), text.chars[k], text.spans[k]});
      std::stable_sort(run.begin(), run.end(), [](const Mark& a, const Mark& b) { return a.ccc < b.ccc; });
      for (size_t k = i; k < end; ++k) {
        text.chars[k] = run[k - i].c;
        text.spans[k] = run[k - i].span;
      }
    } else {
      for (size_t k = i + 1; k < end; ++k) {
        uint8_t cc = combining_class(text.chars[k]);
        for (size_t j = k; j > i && combining_class(text.chars[j - 1]) > cc; --j) {
          std::swap(text.chars[j], text.chars[j - 1]);
          std::swap(text.spans[j], text.spans[j - 1]);
        }
      }
    }
    i = end;
  }
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount) {
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  }
  if (is_hangul_syllable(a) && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount) {
    return a + (b - kTBase);
  }
  const Composition* begin = kCompositions;
  const Composition* end = kCompositions + kCompositionCount;
  const Composition* it = std::lower_bound(begin, end, std::make_pair(a, b), [](const Composition& c, const auto& key) {
    return c.first < key.first || (c.first == key.first && c.second < key.second);
  });
  if (it != end && it->first == a && it->second == b) return it->composite;
  return 0;
}

bool is_cased(char32_t c) { return has(c, kCased); }
bool is_case_ignorable(char32_t c) { return has(c, kCaseIgnorable); }

// CPython's rule for U+03A3 at index i: final form when a cased letter precedes it and none follows,
// skipping case-ignorable characters on both sides.
bool final_sigma_at(const std::u32string& s, size_t i) {
  size_t j = i;
  char32_t c = 0;
  bool found = false;
  while (j > 0) {
    c = s[--j];
    if (!is_case_ignorable(c)) {
      found = true;
      break;
    }
  }
  if (!found || !is_cased(c)) return false;
  for (size_t k = i + 1; k < s.size(); ++k) {
    if (!is_case_ignorable(s[k])) return !is_cased(s[k]);
  }
  return true;
}

Gcb gcb(char32_t c) { return Gcb(record(c).gcb); }
}  // namespace

bool nfc_is_identity(const std::u32string& text) {
  for (char32_t c : text) {
    if (c >= 0x300 && has(c, kNfcUnstable)) return false;
  }
  return true;
}

bool nfkd_is_identity(const std::u32string& text) {
  for (char32_t c : text) {
    if (c >= 0xA0 && has(c, kNfkdUnstable)) return false;
  }
  return true;
}

void append_decomposition(char32_t c, bool compat, std::u32string& out) {
  if (c < 0xA0) {
    out.push_back(c);
    return;
  }
  if (is_hangul_syllable(c)) {
    char32_t s = c - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const CharRecord& r = record(c);
  uint16_t index = compat ? r.nfkd : r.nfd;
  if (index) {
    append_mapping(index, out);
  } else {
    out.push_back(c);
  }
}

void decompose(const AlignedText& in, bool compat, AlignedText& out) {
  out.clear();
  out.reserve(in.size() + in.size() / 8);
  std::u32string scratch;
  bool reorder = false;
  for (size_t i = 0; i < in.size(); ++i) {
    char32_t c = in.chars[i];
    if (c < 0xA0) {
      out.push(c, in.spans[i]);
      continue;
    }
    scratch.clear();
    append_decomposition(c, compat, scratch);
    for (char32_t d : scratch) {
      out.push(d, in.spans[i]);
      if (combining_class(d) != 0) reorder = true;
    }
  }
  if (reorder) canonical_order(out, 0);
}

void compose(AlignedText& text) {
  const size_t n = text.size();
  if (n == 0) return;
  size_t write = 0;
  long starter = -1;      // index (in the output) of the last starter
  uint8_t last_cc = 0;    // combining class of the last character written
  for (size_t i = 0; i < n; ++i) {
    char32_t c = text.chars[i];
    Span s = text.spans[i];
    uint8_t cc = combining_class(c);
    if (starter >= 0) {
      bool adjacent = size_t(starter) + 1 == write;
      if (adjacent || (last_cc != 0 && last_cc < cc)) {
        char32_t composite = compose_pair(text.chars[starter], c);
        if (composite) {
          text.chars[starter] = composite;
          text.spans[starter] = join(text.spans[starter], s);
          continue;
        }
      }
    }
    if (cc == 0) starter = long(write);
    last_cc = cc;
    text.chars[write] = c;
    text.spans[write] = s;
    ++write;
  }
  text.chars.resize(write);
  text.spans.resize(write);
}

void nfc(const AlignedText& in, AlignedText& out) {
  if (nfc_is_identity(in.chars)) {
    out = in;
    return;
  }
  decompose(in, false, out);
  compose(out);
}

void nfkc(const AlignedText& in, AlignedText& out) {
  if (nfc_is_identity(in.chars) && nfkd_is_identity(in.chars)) {
    out = in;
    return;
  }
  decompose(in, true, out);
  compose(out);
}

void append_lower(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return;
  }
  uint16_t index = record(c).lower;
  if (index) {
    append_mapping(index, out);
  } else {
    out.push_back(c);
  }
}

void python_lower(const AlignedText& in, AlignedText& out, bool final_sigma) {
  out.clear();
  out.reserve(in.size());
  std::u32string scratch;
  for (size_t i = 0; i < in.size(); ++i) {
    char32_t c = in.chars[i];
    if (c < 0x80) {
      out.push(c >= 'A' && c <= 'Z' ? c + 32 : c, in.spans[i]);
      continue;
    }
    if (c == 0x3A3 && final_sigma) {
      out.push(final_sigma_at(in.chars, i) ? 0x3C2 : 0x3C3, in.spans[i]);
      continue;
    }
    scratch.clear();
    append_lower(c, scratch);
    for (char32_t l : scratch) out.push(l, in.spans[i]);
  }
}

size_t grapheme_end(const std::u32string& text, size_t begin) {
  const size_t n = text.size();
  if (begin >= n) return n;
  size_t i = begin;
  Gcb prev = gcb(text[i]);
  // GB11 state: saw Extended_Pictographic Extend* (and then ZWJ).
  bool pict_seq = has(text[i], kExtPict);
  bool pict_zwj = false;
  size_t ri_count = prev == kRegionalIndicator ? 1 : 0;
  for (++i; i < n; ++i) {
    char32_t c = text[i];
    Gcb cur = gcb(c);
    bool pict = has(c, kExtPict);
    bool join_next = false;
    if (prev == kCR && cur == kLF) {
      join_next = true;  // GB3
    } else if (prev == kCR || prev == kLF || prev == kControl || cur == kCR || cur == kLF || cur == kControl) {
      join_next = false;  // GB4, GB5
    } else if (prev == kL && (cur == kL || cur == kV || cur == kLV || cur == kLVT)) {
      join_next = true;  // GB6
    } else if ((prev == kLV || prev == kV) && (cur == kV || cur == kT)) {
      join_next = true;  // GB7
    } else if ((prev == kLVT || prev == kT) && cur == kT) {
      join_next = true;  // GB8
    } else if (cur == kExtend || cur == kZWJ || cur == kSpacingMark || prev == kPrepend) {
      join_next = true;  // GB9, GB9a, GB9b
    } else if (pict_zwj && pict) {
      join_next = true;  // GB11
    } else if (prev == kRegionalIndicator && cur == kRegionalIndicator && ri_count % 2 == 1) {
      join_next = true;  // GB12, GB13
    }
    if (!join_next) break;
    // Track the GB11 and GB12/13 context for the next character.
    if (pict) {
      pict_seq = true;
      pict_zwj = false;
    } else if (cur == kExtend && pict_seq && !pict_zwj) {
      // Extend keeps the sequence open.
    } else if (cur == kZWJ && pict_seq && !pict_zwj) {
      pict_zwj = true;
    } else {
      pict_seq = false;
      pict_zwj = false;
    }
    ri_count = cur == kRegionalIndicator ? ri_count + 1 : 0;
    prev = cur;
  }
  return i;
}

const char* version() { return kUnicodeVersion; }

}  // namespace albert::tok::unicode
