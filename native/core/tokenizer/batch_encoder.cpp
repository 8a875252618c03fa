#include "tokenizer/batch_encoder.h"

#include <algorithm>

#include "error.h"
#include "runtime/thread_pool.h"

namespace albert::tok {

namespace {
// Below this many characters per thread, starting threads costs more than it saves.
constexpr size_t kCharsPerThread = 16 * 1024;
}  // namespace

void encode_rows(const Tokenizer& tokenizer, const std::vector<std::u16string>& texts,
                 const std::vector<std::u16string>* pairs, const BatchOptions& options, std::vector<Encoding>& rows) {
  const size_t n = texts.size();
  rows.assign(n, Encoding(false));
  EncodeOptions encode_options = options.encode;
  encode_options.keep_text = false;
  size_t chars = 0;
  for (size_t i = 0; i < n; ++i) chars += texts[i].size() + (pairs ? (*pairs)[i].size() : 0);
  int threads = options.threads > 0 ? options.threads : ThreadPool::global().max_threads();
  threads = int(std::min<size_t>(size_t(threads), std::max<size_t>(1, std::min(n, chars / kCharsPerThread + 1))));
  auto encode_range = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        AlignedText a = from_utf16(texts[size_t(i)]);
        if (pairs) {
          AlignedText b = from_utf16((*pairs)[size_t(i)]);
          encode(tokenizer, a, &b, encode_options, rows[size_t(i)]);
        } else {
          encode(tokenizer, a, nullptr, encode_options, rows[size_t(i)]);
        }
      } catch (const Error& e) {
        throw Error(e.code(), "texts[" + std::to_string(i) + "]: " + e.what());
      }
    }
  };
  if (threads <= 1) {
    encode_range(0, int64_t(n), 0);
    return;
  }
  std::unique_ptr<Team> team = ThreadPool::global().acquire(threads);
  team->parallel_for(int64_t(n), encode_range);
}

size_t batch_seq_len(const Tokenizer& tokenizer, const std::vector<Encoding>& rows, const BatchOptions& options) {
  size_t longest = 0, shortest = SIZE_MAX;
  for (const Encoding& row : rows) {
    longest = std::max(longest, row.tokens.size());
    shortest = std::min(shortest, row.tokens.size());
  }
  if (rows.empty()) shortest = 0;
  size_t seq_len = longest;
  if (options.padding == Padding::kMaxLength) {
    int64_t max_length = options.encode.max_length >= 0 ? options.encode.max_length : tokenizer.model_max_length();
    if (max_length < 0) fail(code::kInvalidInput, "padding 'max_length' needs maxLength (the tokenizer sets no model_max_length)");
    seq_len = std::max(longest, size_t(max_length));
  }
  if (options.padding == Padding::kNone && shortest != longest) {
    fail(code::kInvalidInput, "rows have different lengths (" + std::to_string(shortest) + " to " + std::to_string(longest) +
                                  " tokens): use padding 'longest' or 'max_length'");
  }
  if (seq_len > shortest && tokenizer.special_tokens().pad.id < 0) {
    fail(code::kInvalidInput, "padding needs a pad token, and this tokenizer has none");
  }
  return seq_len;
}

void fill_batch(const std::vector<Encoding>& rows, size_t seq_len, int32_t pad_id, int32_t* input_ids,
                int32_t* attention_mask, int32_t* token_type_ids, int32_t* lengths) {
  for (size_t r = 0; r < rows.size(); ++r) {
    const Encoding& row = rows[r];
    const size_t n = row.tokens.size();
    int32_t* ids = input_ids + r * seq_len;
    int32_t* mask = attention_mask + r * seq_len;
    int32_t* types = token_type_ids + r * seq_len;
    std::copy(row.tokens.ids.begin(), row.tokens.ids.end(), ids);
    std::copy(row.type_ids.begin(), row.type_ids.end(), types);
    std::fill(mask, mask + n, 1);
    std::fill(ids + n, ids + seq_len, pad_id);
    std::fill(mask + n, mask + seq_len, 0);
    std::fill(types + n, types + seq_len, 0);
    lengths[r] = int32_t(n);
  }
}

}  // namespace albert::tok
