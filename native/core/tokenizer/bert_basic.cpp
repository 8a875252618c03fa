#include "tokenizer/bert_basic.h"

#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

bool is_bert_whitespace(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || unicode::is_category_zs(c);
}

// No lowercase mapping, no decomposition, not a nonspacing mark, not the context-dependent capital sigma.
bool is_case_and_accent_free(char32_t c) {
  const unicode_data::CharRecord& r = unicode::record(c);
  return r.lower == 0 && (r.flags & (unicode_data::kNfkdUnstable | unicode_data::kCatMn)) == 0 && c != 0x3A3;
}

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return unicode::is_category_other(c);
}

}  // namespace

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_bert_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return c >= 0x80 && unicode::is_category_punctuation(c);
}

void bert_basic_tokenize(const AlignedText& text, const BertBasicOptions& options, const NeverSplit& never_split,
                         BertBasicScratch& scratch, AlignedText& out_text, std::vector<std::pair<size_t, size_t>>& words) {
  words.clear();
  out_text.clear();
  // _clean_text and _tokenize_chinese_chars. The spaces added around ideographs come from nowhere: they
  // get an empty span and are never part of a token.
  AlignedText& cleaned = scratch.cleaned;
  cleaned.clear();
  cleaned.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    char32_t c = text.chars[i];
    if (c < 0x80) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        cleaned.push(U' ', text.spans[i]);
      } else if (c != 0 && c >= 0x20 && c != 0x7F) {
        cleaned.push(c, text.spans[i]);
      }
      continue;
    }
    if (c == 0xFFFD || is_bert_control(c)) continue;
    if (is_bert_whitespace(c)) {
      cleaned.push(U' ', text.spans[i]);
    } else if (options.tokenize_chinese_chars && is_cjk_ideograph(c)) {
      cleaned.push(U' ', empty_at(text.spans[i].begin));
      cleaned.push(c, text.spans[i]);
      cleaned.push(U' ', empty_at(text.spans[i].end));
    } else {
      cleaned.push(c, text.spans[i]);
    }
  }
  const AlignedText* normalized = &cleaned;
  if (!unicode::nfc_is_identity(cleaned.chars)) {
    unicode::nfc(cleaned, scratch.nfc);
    normalized = &scratch.nfc;
  }
  const AlignedText& nfc = *normalized;
  const bool do_strip = options.do_lower_case ? options.strip_accents != 0 : options.strip_accents == 1;
  AlignedText& word = scratch.word;
  out_text.reserve(nfc.size());
  for (size_t i = 0; i < nfc.size();) {
    while (i < nfc.size() && unicode::is_python_space(nfc.chars[i])) ++i;
    size_t start = i;
    while (i < nfc.size() && !unicode::is_python_space(nfc.chars[i])) ++i;
    if (start == i) break;
    const bool protected_word = !never_split.empty() && never_split.contains(nfc.chars.data() + start, i - start);
    const size_t base = out_text.size();
    bool ascii = true;
    for (size_t k = start; k < i && ascii; ++k) ascii = nfc.chars[k] < 0x80;
    // Characters that lowercasing and accent stripping leave alone (most CJK text) are copied as they are.
    bool unchanged = !ascii;
    for (size_t k = start; k < i && unchanged; ++k) unchanged = is_case_and_accent_free(nfc.chars[k]);
    if (protected_word || unchanged || (ascii && !options.do_lower_case)) {
      out_text.append(nfc, start, i);
    } else if (ascii) {
      // Lowercasing ASCII needs no tables, and ASCII has no accents to strip.
      for (size_t k = start; k < i; ++k) {
        char32_t c = nfc.chars[k];
        out_text.push(c >= 'A' && c <= 'Z' ? c + 32 : c, nfc.spans[k]);
      }
    } else {
      word.clear();
      word.append(nfc, start, i);
      if (options.do_lower_case) {
        unicode::python_lower(word, scratch.lowered, true);
        std::swap(word, scratch.lowered);
      }
      if (do_strip) {
        const AlignedText* source = &word;
        if (!unicode::nfkd_is_identity(word.chars)) {
          unicode::decompose(word, false, scratch.decomposed);
          source = &scratch.decomposed;
        }
        for (size_t k = 0; k < source->size(); ++k) {
          if (!unicode::is_nonspacing_mark(source->chars[k])) out_text.push(source->chars[k], source->spans[k]);
        }
      } else {
        out_text.append(word, 0, word.size());
      }
    }
    const size_t end = out_text.size();
    // _run_split_on_punc, then the final whitespace_tokenize (which drops empty pieces).
    if (!options.split_on_punctuation || protected_word ||
        (!never_split.empty() && never_split.contains(out_text.chars.data() + base, end - base))) {
      if (end > base) words.push_back({base, end});
      continue;
    }
    size_t piece = base;
    for (size_t k = base; k < end; ++k) {
      if (is_bert_punctuation(out_text.chars[k])) {
        if (piece < k) words.push_back({piece, k});
        words.push_back({k, k + 1});
        piece = k + 1;
      }
    }
    if (piece < end) words.push_back({piece, end});
  }
  // A word may still hold whitespace produced by lowercasing or decomposition: split it again.
  bool needs = false;
  for (const auto& w : words) {
    for (size_t k = w.first; k < w.second && !needs; ++k) {
      needs = out_text.chars[k] >= 0x80 && unicode::is_python_space(out_text.chars[k]);
    }
  }
  if (!needs) return;
  std::vector<std::pair<size_t, size_t>> resplit;
  for (const auto& w : words) {
    size_t k = w.first;
    while (k < w.second) {
      while (k < w.second && unicode::is_python_space(out_text.chars[k])) ++k;
      size_t s = k;
      while (k < w.second && !unicode::is_python_space(out_text.chars[k])) ++k;
      if (s < k) resplit.push_back({s, k});
    }
  }
  words.swap(resplit);
}

}  // namespace albert::tok
