// Encoding many texts at once, across the compute pool's threads, and laying the results out as the
// [batch, seq_len] int32 matrices AlbertModel.forward takes (right padding, attention mask, type ids).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/encoder.h"
#include "tokenizer/tokenizer.h"

namespace albert::tok {

enum class Padding { kNone, kLongest, kMaxLength };

struct BatchOptions {
  EncodeOptions encode;  // keep_text is ignored: batches return ids only
  Padding padding = Padding::kLongest;
  int threads = 0;  // 0: as many as the batch can use
};

// Encodes texts[i] (paired with pairs[i] when `pairs` is given) into `rows`. Errors name the row.
void encode_rows(const Tokenizer& tokenizer, const std::vector<std::u16string>& texts,
                 const std::vector<std::u16string>* pairs, const BatchOptions& options, std::vector<Encoding>& rows);

// The padded length for `rows`; throws ERR_ALBERT_INVALID_INPUT when padding is needed but impossible.
size_t batch_seq_len(const Tokenizer& tokenizer, const std::vector<Encoding>& rows, const BatchOptions& options);

// Writes rows into [rows.size(), seq_len] matrices (caller-owned, e.g. JS typed arrays).
void fill_batch(const std::vector<Encoding>& rows, size_t seq_len, int32_t pad_id, int32_t* input_ids,
                int32_t* attention_mask, int32_t* token_type_ids, int32_t* lengths);

}  // namespace albert::tok
