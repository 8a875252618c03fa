// Added tokens (special tokens and user additions) as Hugging Face describes them, and the text splitting
// that the slow (Python) tokenizers do around them before the model sees any text.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/text.h"

namespace albert::tok {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = true;
  bool lstrip = false;       // swallows the whitespace on its left
  bool rstrip = false;       // swallows the whitespace on its right
  bool single_word = false;  // only matches as a whole word
  bool normalized = false;   // matched after normalization (tokenizer.json) / lowercased with the text (slow)
  bool from_object = false;  // read from an AddedToken object rather than a plain string
};

// One piece of text between added tokens, or an added token (token >= 0 indexes the splitter's list).
struct TextSegment {
  AlignedText text;
  int32_t token = -1;
};

// transformers' PreTrainedTokenizer.tokenize() up to the model: optional lowercasing of everything that is
// not a special token, the leftmost-longest split on added tokens, then lstrip/rstrip/single_word.
class SlowAddedTokenSplitter {
 public:
  SlowAddedTokenSplitter() = default;
  // `protected_from_lowercase` lists the contents the lowercasing pass leaves alone (all special tokens and
  // the non-special normalized added tokens), in the order transformers tries them.
  SlowAddedTokenSplitter(std::vector<AddedToken> tokens, std::vector<std::string> protected_from_lowercase);

  void split(const AlignedText& text, bool lowercase, std::vector<TextSegment>& out) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  // Index of the longest token starting at text[pos], or -1.
  int32_t match_at(const std::u32string& text, size_t pos, const std::vector<std::u32string>& candidates,
                   const std::unordered_map<char32_t, std::vector<int32_t>>& by_first, bool first_wins) const;

  // First characters of the candidates, as a quick filter for the common ASCII case.
  struct FirstChars {
    uint64_t ascii[2] = {0, 0};
    bool non_ascii = false;
    void add(char32_t c) {
      if (c < 128) ascii[c >> 6] |= uint64_t(1) << (c & 63);
      else non_ascii = true;
    }
    bool may_start(char32_t c) const { return c < 128 ? ((ascii[c >> 6] >> (c & 63)) & 1) != 0 : non_ascii; }
  };

  std::vector<AddedToken> tokens_;
  std::vector<std::u32string> contents_;
  FirstChars first_, protected_first_;
  std::unordered_map<char32_t, std::vector<int32_t>> by_first_;
  std::vector<std::u32string> protected_;
  std::unordered_map<char32_t, std::vector<int32_t>> protected_by_first_;
};

}  // namespace albert::tok
