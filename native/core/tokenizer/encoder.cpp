#include "tokenizer/encoder.h"

#include <algorithm>

#include "error.h"

namespace albert::tok {

void truncate_pair(TokenList& a, TokenList* b, size_t special_count, const EncodeOptions& options) {
  if (options.truncation == Truncation::kNone || options.max_length < 0) return;
  const size_t len_a = a.size(), len_b = b ? b->size() : 0;
  const size_t total = len_a + len_b + special_count;
  if (total <= size_t(options.max_length)) return;
  const size_t remove = total - size_t(options.max_length);
  auto too_short = [&](const char* which, size_t length) {
    fail(code::kInvalidInput, std::string("cannot truncate to maxLength ") + std::to_string(options.max_length) + ": the " +
                                  which + " sequence has " + std::to_string(length) + " tokens but " +
                                  std::to_string(remove) + " must go (try truncation 'longest_first')");
  };
  switch (options.truncation) {
    case Truncation::kOnlyFirst:
      if (len_a <= remove) too_short("first", len_a);
      a.resize(len_a - remove);
      return;
    case Truncation::kOnlySecond:
      if (!b) fail(code::kInvalidInput, "truncation 'only_second' needs a text pair");
      if (len_b <= remove) too_short("second", len_b);
      b->resize(len_b - remove);
      return;
    case Truncation::kLongestFirst: {
      if (!b) {
        if (len_a <= remove) too_short("first", len_a);
        a.resize(len_a - remove);
        return;
      }
      // transformers: first even out the lengths, then take the rest alternately (the pair loses the odd one).
      const size_t first_remove = std::min(len_a > len_b ? len_a - len_b : len_b - len_a, remove);
      const size_t second_remove = remove - first_remove;
      size_t from_a, from_b;
      if (len_a > len_b) {
        from_a = first_remove + second_remove / 2;
        from_b = second_remove - second_remove / 2;
      } else {
        from_a = second_remove / 2;
        from_b = first_remove + second_remove - second_remove / 2;
      }
      a.resize(len_a - std::min(from_a, len_a));
      b->resize(len_b - std::min(from_b, len_b));
      return;
    }
    case Truncation::kNone: return;
  }
}

void encode(const Tokenizer& tokenizer, const AlignedText& a, const AlignedText* b, const EncodeOptions& options,
            Encoding& out) {
  // Per-thread token lists keep their capacity from call to call.
  thread_local TokenList kept_a(true), kept_b(true), bare_a(false), bare_b(false);
  TokenList& ta = options.keep_text ? kept_a : bare_a;
  TokenList& tb = options.keep_text ? kept_b : bare_b;
  ta.clear();
  tb.clear();
  tokenizer.tokenize(a, ta);
  if (b) tokenizer.tokenize(*b, tb);
  const PostTemplate& tmpl = tokenizer.post_template();
  const bool pair = b != nullptr;
  truncate_pair(ta, pair ? &tb : nullptr, options.add_special_tokens ? tmpl.added_tokens(pair) : 0, options);

  out = Encoding(options.keep_text);
  const size_t total = ta.size() + tb.size() + tmpl.added_tokens(pair);
  out.tokens.reserve(total);
  out.type_ids.reserve(total);
  out.special_mask.reserve(total);
  auto append = [&](const TokenList& list, int32_t type_id) {
    for (size_t i = 0; i < list.size(); ++i) {
      out.tokens.push(list.ids[i], list.spans[i], list.text(i));
      out.type_ids.push_back(type_id);
      out.special_mask.push_back(0);
    }
  };
  if (!options.add_special_tokens) {
    // transformers' slow tokenizers give the second text type 0 when no special tokens are added; the
    // `tokenizers` library (and a template-less raw SentencePiece) keeps 1.
    const bool slow = tokenizer.kind() == Tokenizer::Kind::kAlbert || tokenizer.kind() == Tokenizer::Kind::kBert;
    append(ta, 0);
    if (pair) append(tb, slow ? 0 : 1);
    return;
  }
  for (const TemplatePiece& piece : pair ? tmpl.pair : tmpl.single) {
    if (piece.sequence < 0) {
      out.tokens.push(piece.id, Span{}, piece.token);
      out.type_ids.push_back(piece.type_id);
      out.special_mask.push_back(1);
    } else {
      append(piece.sequence == 0 ? ta : tb, piece.type_id);
    }
  }
  // Huge inputs should not pin their buffers to the thread.
  if (ta.ids.capacity() > (size_t(1) << 20) || tb.ids.capacity() > (size_t(1) << 20)) {
    ta = TokenList(ta.keeps_text());
    tb = TokenList(tb.keeps_text());
  }
}

}  // namespace albert::tok
