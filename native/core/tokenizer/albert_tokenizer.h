// SentencePiece tokenizers: transformers' slow AlbertTokenizer (Python preprocessing, added tokens,
// the digit+comma split) on top of SentencePieceModel, or the raw SentencePiece library behaviour.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "tokenizer/added_token.h"
#include "tokenizer/albert_preprocess.h"
#include "tokenizer/double_array.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"

namespace albert::tok {

class AlbertTokenizer : public Tokenizer {
 public:
  // Built by the factory functions below only (the key is private).
  struct Key {
   private:
    Key() = default;
    friend class AlbertTokenizer;
  };
  explicit AlbertTokenizer(Key) {}

  // ALBERT semantics, options and special tokens from `config` (transformers' defaults where absent).
  static std::shared_ptr<const AlbertTokenizer> create(std::shared_ptr<const SentencePieceModel> model,
                                                       const TokenizerConfig& config);
  // The SentencePiece library's own behaviour: no preprocessing, no special tokens.
  static std::shared_ptr<const AlbertTokenizer> create_raw(std::shared_ptr<const SentencePieceModel> model);

  Kind kind() const override { return raw_ ? Kind::kSentencePiece : Kind::kAlbert; }
  void tokenize(const AlignedText& text, TokenList& out) const override;
  int32_t vocab_size() const override;
  bool id_to_token(int32_t id, std::string* token) const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;

  const SentencePieceModel& model() const { return *model_; }
  const AlbertOptions& options() const { return options_; }

 private:
  // AlbertTokenizer._tokenize on one segment between added tokens.
  void tokenize_segment(const AlignedText& segment, TokenList& out) const;
  // transformers' _convert_token_to_id_with_added_voc.
  int32_t piece_id(std::string_view piece) const;
  void push_piece(const SpmToken& token, TokenList& out) const;

  std::shared_ptr<const SentencePieceModel> model_;
  AlbertOptions options_;
  bool raw_ = false;
  bool clean_up_spaces_ = false;
  SlowAddedTokenSplitter splitter_;
  std::unordered_map<std::string, int32_t> added_ids_;      // added token content -> id
  DoubleArrayTrie added_trie_;                              // the same, for fast lookups per piece
  std::unordered_map<int32_t, std::string> added_tokens_;   // ids beyond the model's pieces
  bool ids_need_lookup_ = false;  // an added token shadows a piece: map every piece by its string
};

}  // namespace albert::tok
