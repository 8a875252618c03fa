// Turning tokens into model inputs: truncation (longest_first / only_first / only_second, as transformers
// computes it), the special-token template with token type ids, and padding of batches.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenizer/text.h"
#include "tokenizer/token_list.h"
#include "tokenizer/tokenizer.h"

namespace albert::tok {

enum class Truncation { kNone, kLongestFirst, kOnlyFirst, kOnlySecond };

struct EncodeOptions {
  bool add_special_tokens = true;
  int64_t max_length = -1;  // -1: no limit
  Truncation truncation = Truncation::kNone;
  bool keep_text = true;    // also return token strings
};

struct Encoding {
  TokenList tokens;                  // ids, offsets (empty spans for template tokens) and strings
  std::vector<int32_t> type_ids;
  std::vector<uint8_t> special_mask; // 1 for tokens the template added
  explicit Encoding(bool keep_text = true) : tokens(keep_text) {}
};

// Removes tokens from the ends of `a` and `b` (b may be null) so the template output fits max_length.
// Throws ERR_ALBERT_INVALID_INPUT when the strategy cannot reach max_length.
void truncate_pair(TokenList& a, TokenList* b, size_t special_count, const EncodeOptions& options);

// Tokenizes `a` (and `b`), truncates, and applies the template.
void encode(const Tokenizer& tokenizer, const AlignedText& a, const AlignedText* b, const EncodeOptions& options,
            Encoding& out);

}  // namespace albert::tok
