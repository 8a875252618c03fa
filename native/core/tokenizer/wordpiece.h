// WordPiece: a vocab.txt vocabulary and greedy longest-match-first segmentation of one word, with "##"
// marking pieces that continue a word (transformers' WordpieceTokenizer, Hugging Face's WordPiece model).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/double_array.h"
#include "tokenizer/text.h"
#include "tokenizer/token_list.h"

namespace albert::tok {

// Reusable buffers for one thread.
struct WordPieceScratch {
  std::string utf8;
  std::vector<uint32_t> byte_of;  // character index -> byte offset
  std::vector<uint32_t> char_at;  // byte offset -> character index
};

class WordPieceVocab {
 public:
  // vocab.txt: one token per line, the line number is the id (Python's universal newlines: \n, \r\n, \r).
  // Errors (ERR_ALBERT_INVALID_TOKENIZER): empty file, invalid UTF-8, duplicate tokens.
  static WordPieceVocab from_vocab_txt(std::string_view text, const std::string& source);
  // From (token, id) pairs, e.g. tokenizer.json's model.vocab.
  static WordPieceVocab from_pairs(std::vector<std::pair<std::string, int32_t>> pairs, const std::string& source,
                                   const std::string& continuing_prefix = "##");

  int32_t size() const { return int32_t(tokens_.size()); }
  int32_t find(std::string_view token) const;  // -1 when absent
  const std::string& token(int32_t id) const { return tokens_[size_t(id)]; }
  bool has_id(int32_t id) const { return id >= 0 && size_t(id) < tokens_.size() && present_[size_t(id)]; }

  // Greedy longest-match-first over one word (code points with spans). Appends its pieces to `out`, or
  // the unknown token when the word cannot be covered or has more than `max_chars` characters.
  void tokenize_word(const AlignedText& word, size_t begin, size_t end, int32_t unk_id, const std::string& unk_token,
                     size_t max_chars, WordPieceScratch& scratch, TokenList& out) const;
  const std::string& continuing_prefix() const { return prefix_; }

 private:
  void index(const std::string& source);

  std::vector<std::string> tokens_;
  std::vector<bool> present_;
  std::unordered_map<std::string_view, int32_t> ids_;
  DoubleArrayTrie starts_;        // tokens that may start a word
  DoubleArrayTrie continuations_; // "##x" tokens, stored without the prefix
  std::string prefix_ = "##";
};

}  // namespace albert::tok
