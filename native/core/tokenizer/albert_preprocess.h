// transformers' AlbertTokenizer.preprocess_text: what the Python tokenizer does to text before SentencePiece.
#pragma once

#include "tokenizer/text.h"

namespace albert::tok {

struct AlbertOptions {
  bool do_lower_case = true;
  bool remove_space = true;   // strip, and collapse whitespace runs to one space
  bool keep_accents = false;  // false: NFKD, then drop combining marks
};

// remove_space, `` and '' to ", keep_accents, do_lower_case; `out` is overwritten, `scratch` is a buffer.
void albert_preprocess(const AlignedText& in, const AlbertOptions& options, AlignedText& out, AlignedText& scratch);

}  // namespace albert::tok
