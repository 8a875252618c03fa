// transformers' slow BertTokenizer (BasicTokenizer + WordpieceTokenizer) on a vocab.txt, as the Chinese
// ALBERT models use it.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "tokenizer/added_token.h"
#include "tokenizer/bert_basic.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"
#include "tokenizer/wordpiece.h"

namespace albert::tok {

class BertTokenizer : public Tokenizer {
 public:
  // Built by the factory functions below only (the key is private).
  struct Key {
   private:
    Key() = default;
    friend class BertTokenizer;
  };
  explicit BertTokenizer(Key) {}

  static std::shared_ptr<const BertTokenizer> create(WordPieceVocab vocab, const TokenizerConfig& config,
                                                     const std::string& source);

  Kind kind() const override { return Kind::kBert; }
  void tokenize(const AlignedText& text, TokenList& out) const override;
  int32_t vocab_size() const override;
  bool id_to_token(int32_t id, std::string* token) const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;

 private:
  void tokenize_segment(const AlignedText& segment, TokenList& out) const;
  int32_t lookup(const std::string& token) const;  // added tokens, then the vocabulary, else [UNK]

  WordPieceVocab vocab_;
  BertBasicOptions basic_;
  bool do_basic_tokenize_ = true;
  bool clean_up_spaces_ = true;
  size_t max_input_chars_per_word_ = 100;
  NeverSplit never_split_;               // config never_split
  NeverSplit never_split_and_specials_;
  SlowAddedTokenSplitter splitter_;
  std::unordered_map<std::string, int32_t> added_ids_;
  std::unordered_map<int32_t, std::string> added_tokens_;
  int32_t unk_id_ = -1;
  std::string unk_token_;
};

}  // namespace albert::tok
