// The tokenizer interface every format implements (SentencePiece/ALBERT, WordPiece/BERT, tokenizer.json),
// plus what they share: special tokens, the [CLS] A [SEP] B [SEP] template and the vocabulary queries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/added_token.h"
#include "tokenizer/text.h"
#include "tokenizer/token_list.h"

namespace albert::tok {

// One element of a post-processing template: a special token, or sequence A (0) / B (1).
struct TemplatePiece {
  int32_t sequence = -1;  // -1 for a special token
  int32_t id = -1;        // the special token's id
  std::string token;      // the special token's string
  int32_t type_id = 0;
};

struct PostTemplate {
  std::vector<TemplatePiece> single;
  std::vector<TemplatePiece> pair;
  size_t added_tokens(bool is_pair) const;
};

// Named special tokens; an id of -1 means the tokenizer has no such token.
struct SpecialTokens {
  struct Named {
    std::string token;
    int32_t id = -1;
  };
  Named cls, sep, pad, unk, mask, bos, eos;
  std::vector<int32_t> all_ids;  // every special token id (named and additional), for skipSpecialTokens
};

class Tokenizer {
 public:
  enum class Kind { kAlbert, kBert, kSentencePiece, kTokenizerJson };

  virtual ~Tokenizer() = default;
  virtual Kind kind() const = 0;

  // Tokenizes one text without adding special tokens (transformers' tokenize()), appending to `out`.
  // Thread-safe: implementations keep no mutable state.
  virtual void tokenize(const AlignedText& text, TokenList& out) const = 0;

  // Number of ids (the base vocabulary plus added tokens beyond it).
  virtual int32_t vocab_size() const = 0;
  // The token string of `id`; false when the id is out of range.
  virtual bool id_to_token(int32_t id, std::string* token) const = 0;
  // The id of `token`, or -1 when it is not in the vocabulary.
  virtual int32_t token_to_id(std::string_view token) const = 0;
  // Ids back to text (ids must be in range: check with vocab_size()).
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const = 0;

  const SpecialTokens& special_tokens() const { return special_; }
  const PostTemplate& post_template() const { return template_; }
  // tokenizer_config.json's model_max_length, or -1 when unset.
  int64_t model_max_length() const { return model_max_length_; }
  bool is_special_id(int32_t id) const;
  const std::string& source() const { return source_; }

 protected:
  // Fills the ids of the named special tokens from their strings and builds the ALBERT/BERT template.
  void finish_specials(bool with_template);

  SpecialTokens special_;
  PostTemplate template_;
  int64_t model_max_length_ = -1;
  std::string source_;
};

const char* kind_name(Tokenizer::Kind kind);

}  // namespace albert::tok
