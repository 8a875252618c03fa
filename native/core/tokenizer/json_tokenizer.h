// A tokenizer described by Hugging Face's tokenizer.json (the fast tokenizers' format): added tokens,
// normalizer, pre-tokenizer, model (Unigram or WordPiece), post-processor and decoder, with the
// `tokenizers` library's semantics.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/hf_decoders.h"
#include "tokenizer/hf_models.h"
#include "tokenizer/hf_normalizers.h"
#include "tokenizer/hf_pre_tokenizers.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"

namespace albert::tok {

class JsonTokenizer : public Tokenizer {
 public:
  // Built by the factory functions below only (the key is private).
  struct Key {
   private:
    Key() = default;
    friend class JsonTokenizer;
  };
  explicit JsonTokenizer(Key) {}

  // `config` (the folder's tokenizer_config.json, may be null) names the special tokens.
  static std::shared_ptr<const JsonTokenizer> from_file(const std::string& path, const TokenizerConfig* config);
  static std::shared_ptr<const JsonTokenizer> from_text(const std::string& text, const std::string& source,
                                                        const TokenizerConfig* config);

  Kind kind() const override { return Kind::kTokenizerJson; }
  void tokenize(const AlignedText& text, TokenList& out) const override;
  int32_t vocab_size() const override;
  bool id_to_token(int32_t id, std::string* token) const override;
  int32_t token_to_id(std::string_view token) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const override;

 private:
  struct Match {
    size_t begin, end;
    int32_t token;  // index into added_
  };
  // The library's AddedVocabulary::find_matches (leftmost-longest, single_word, lstrip/rstrip).
  void find_matches(const AlignedText& text, bool normalized, std::vector<Match>& out) const;
  void tokenize_text(AlignedText text, uint32_t origin, TokenList& out) const;
  void parse_post_processor(const JsonValue& json, const std::string& where);
  void name_special_tokens(const JsonValue& root, const TokenizerConfig* config);

  std::unique_ptr<HfNormalizer> normalizer_;
  std::unique_ptr<HfPreTokenizer> pre_tokenizer_;
  std::unique_ptr<HfModel> model_;
  std::unique_ptr<HfDecoder> decoder_;
  std::vector<AddedToken> added_;
  std::vector<std::u32string> added_chars_;
  std::unordered_map<char32_t, std::vector<int32_t>> raw_by_first_, normalized_by_first_;
  std::unordered_map<std::string, int32_t> added_ids_;
  std::unordered_map<int32_t, int32_t> added_by_id_;  // id -> index into added_
};

}  // namespace albert::tok
