// The models of Hugging Face's tokenizer.json: Unigram (Viterbi in double, unknown runs fused, optional
// byte fallback) and WordPiece.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/json.h"
#include "tokenizer/double_array.h"
#include "tokenizer/text.h"
#include "tokenizer/token_list.h"
#include "tokenizer/wordpiece.h"

namespace albert::tok {

class HfModel {
 public:
  virtual ~HfModel() = default;
  // Tokenizes one pre-token, appending to `out`.
  virtual void tokenize(const AlignedText& piece, TokenList& out) const = 0;
  virtual int32_t size() const = 0;
  virtual int32_t token_to_id(std::string_view token) const = 0;  // -1 when absent
  virtual bool id_to_token(int32_t id, std::string* token) const = 0;
  virtual int32_t unk_id() const = 0;  // -1 when none
};

std::unique_ptr<HfModel> parse_hf_model(const JsonValue& json, const std::string& where);

}  // namespace albert::tok
