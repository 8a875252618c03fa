// tokenizer_config.json (and special_tokens_map.json) as transformers writes them: the options of the slow
// tokenizer classes and their special / added tokens. Every field is optional; wrong types are errors
// (ERR_ALBERT_INVALID_TOKENIZER naming the file and field).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/added_token.h"

namespace albert::tok {

struct TokenizerConfig {
  std::string tokenizer_class;  // "" when absent
  std::optional<bool> do_lower_case;
  std::optional<bool> remove_space;
  std::optional<bool> keep_accents;
  std::optional<bool> tokenize_chinese_chars;
  std::optional<bool> do_basic_tokenize;
  std::optional<bool> strip_accents;  // null and absent both mean "follow do_lower_case"
  std::optional<bool> clean_up_tokenization_spaces;
  std::vector<std::string> never_split;
  int64_t model_max_length = -1;

  // Named special tokens; `content` empty when not given. lstrip/rstrip/... as the file says.
  std::optional<AddedToken> bos, eos, unk, sep, pad, cls, mask;
  std::vector<AddedToken> additional_special_tokens;
  // added_tokens_decoder: {"id": {content, lstrip, ...}}.
  std::vector<AddedToken> added_tokens;
};

// Reads `folder`/tokenizer_config.json and `folder`/special_tokens_map.json when they exist (the latter's
// tokens override the former's, as in transformers).
TokenizerConfig load_tokenizer_config(const std::string& folder);

// For tests: parses the text of a tokenizer_config.json.
TokenizerConfig parse_tokenizer_config(const std::string& text, const std::string& source);

}  // namespace albert::tok
