// The normalizers of Hugging Face's tokenizer.json (the `tokenizers` library), on aligned text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/json.h"
#include "tokenizer/double_array.h"
#include "tokenizer/text.h"

namespace albert::tok {

class HfNormalizer {
 public:
  virtual ~HfNormalizer() = default;
  virtual void apply(AlignedText& text) const = 0;
};

// Builds the normalizer described by tokenizer.json's "normalizer" (null -> nullptr). `where` names it in
// errors; unknown types are ERR_ALBERT_UNSUPPORTED.
std::unique_ptr<HfNormalizer> parse_hf_normalizer(const JsonValue& json, const std::string& where);

// The `tokenizers` Precompiled normalizer: SentencePiece's charsmap applied per grapheme cluster.
class PrecompiledNormalizer : public HfNormalizer {
 public:
  PrecompiledNormalizer(std::string charsmap, const std::string& where);
  void apply(AlignedText& text) const override;

 private:
  // Replacement of the shortest rule matching a prefix of `utf8`.
  bool transform(std::string_view utf8, std::string_view* replacement) const;
  std::string charsmap_;
  DartsView trie_;
  std::string_view replacements_;
};

std::string base64_decode(const std::string& text, const std::string& where);

}  // namespace albert::tok
