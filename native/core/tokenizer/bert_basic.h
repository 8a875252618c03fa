// transformers' BasicTokenizer (BERT's pre-tokenization): clean the text, space out CJK characters, NFC,
// split on whitespace, lowercase and strip accents, split off punctuation.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tokenizer/text.h"

namespace albert::tok {

struct BertBasicOptions {
  bool do_lower_case = true;
  bool tokenize_chinese_chars = true;
  int strip_accents = -1;  // -1: follow do_lower_case; 0: never; 1: always
  bool split_on_punctuation = true;
};

// BERT's _is_chinese_char: the CJK Unified Ideograph blocks (not all CJK text: no kana, no hangul).
bool is_cjk_ideograph(char32_t c);
bool is_bert_punctuation(char32_t c);

// Reusable buffers for one thread.
struct BertBasicScratch {
  AlignedText cleaned, nfc, word, lowered, decomposed;
};

// Strings BasicTokenizer must not lowercase or split (never_split and the special tokens).
class NeverSplit {
 public:
  void add(std::u32string s) { if (!s.empty()) entries_.push_back(std::move(s)); }
  bool empty() const { return entries_.empty(); }
  bool contains(const char32_t* s, size_t n) const {
    for (const auto& e : entries_) {
      if (e.size() == n && e.compare(0, n, s, n) == 0) return true;
    }
    return false;
  }

 private:
  std::vector<std::u32string> entries_;  // few: a scan beats hashing every word
};

// Words as [begin, end) ranges of `out_text` (which keeps every character's origin span).
void bert_basic_tokenize(const AlignedText& text, const BertBasicOptions& options, const NeverSplit& never_split,
                         BertBasicScratch& scratch, AlignedText& out_text, std::vector<std::pair<size_t, size_t>>& words);

}  // namespace albert::tok
