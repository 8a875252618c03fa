// Picks and loads a tokenizer the way a downloaded Hugging Face model folder is laid out.
#pragma once

#include <memory>
#include <string>

#include "tokenizer/tokenizer.h"

namespace albert::tok {

enum class TokenizerSource { kAuto, kSpieceModel, kVocabTxt, kTokenizerJson };

// kAuto: tokenizer_config.json's tokenizer_class when it names ALBERT/BERT (or a fast tokenizer), else the
// files present: spiece.model, then vocab.txt, then tokenizer.json. The slow tokenizers' files win over
// tokenizer.json because they are the reference the fast format only approximates.
std::shared_ptr<const Tokenizer> load_tokenizer_folder(const std::string& folder, TokenizerSource source);

// One file: *.model (ALBERT semantics, or the raw SentencePiece library's with `raw_sentencepiece`),
// vocab *.txt (BERT semantics) or *.json (tokenizer.json). A tokenizer_config.json beside it is used.
std::shared_ptr<const Tokenizer> load_tokenizer_file(const std::string& path, bool raw_sentencepiece);

}  // namespace albert::tok
