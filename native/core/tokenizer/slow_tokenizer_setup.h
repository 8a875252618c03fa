// What transformers' slow tokenizer constructor does with tokenizer_config.json: resolve the special
// tokens (config or class defaults), register them and the config's added tokens with their ids, and
// list the strings its lowercasing pass must leave alone.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_token.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/tokenizer_config.h"

namespace albert::tok {

struct SlowTokenizerDefaults {
  std::string bos, eos, unk, sep, pad, cls, mask;  // "" = the class has no such token
  bool mask_lstrip = false;  // AlbertTokenizer makes a plain-string mask token lstrip
};

struct SlowTokenizerSetup {
  SpecialTokens special;  // token strings only; ids are resolved by Tokenizer::finish_specials
  std::vector<AddedToken> added;
  std::unordered_map<std::string, int32_t> added_ids;
  std::unordered_map<int32_t, std::string> added_beyond_vocab;
  std::vector<std::string> protected_from_lowercase;
  std::vector<std::string> all_special_tokens;
};

// `vocab_lookup` returns a token's id in the base vocabulary or -1.
SlowTokenizerSetup setup_slow_tokenizer(const TokenizerConfig& config, const SlowTokenizerDefaults& defaults,
                                        int32_t vocab_size, const std::function<int32_t(const std::string&)>& vocab_lookup,
                                        const std::string& source, bool do_lower_case = false);

// transformers' clean_up_tokenization: " ." -> "." and friends.
std::string clean_up_tokenization(const std::string& text);

}  // namespace albert::tok
