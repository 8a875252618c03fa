// SentencePiece's normalizer: the precompiled character map (longest rule wins), user-defined symbols
// passed through untouched, whitespace collapsing, the U+2581 whitespace escape and the dummy prefix.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "tokenizer/double_array.h"
#include "tokenizer/spm_model_proto.h"
#include "tokenizer/text.h"

namespace albert::tok {

inline constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space

class SpmNormalizer {
 public:
  SpmNormalizer() = default;
  // `where` names the spec in errors (e.g. "spiece.model: normalizer_spec").
  SpmNormalizer(const SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix, const std::string& where);

  // User-defined symbols are matched first and never normalized (not owned; must outlive this).
  void set_user_defined_symbols(const DoubleArrayTrie* symbols) { user_defined_ = symbols; }

  // Normalizer::Normalize: `out` gets the normalized bytes, each with the span of the input it came from.
  void normalize(const AlignedUtf8& in, AlignedUtf8& out) const;

  // The replacement of the shortest charsmap rule that is a prefix of `chunk` (how the `tokenizers`
  // library's Precompiled normalizer reads the same map). False when no rule matches.
  bool shortest_rule(std::string_view chunk, std::string_view* replacement) const;
  bool has_charsmap() const { return !trie_.empty(); }

  const SpmNormalizerSpec& spec() const { return spec_; }

 private:
  // One normalization step at text[0, n): the replacement and how many input bytes it consumes.
  std::pair<std::string_view, size_t> normalize_prefix(const char* text, size_t n) const;
  std::string_view replacement_at(uint32_t offset) const;

  SpmNormalizerSpec spec_;
  bool treat_whitespace_as_suffix_ = false;
  DartsView trie_;
  std::string_view replacements_;  // into spec_.precompiled_charsmap
  const DoubleArrayTrie* user_defined_ = nullptr;
};

// Loads the rules of a precompiled charsmap blob: <uint32 trie bytes><darts units><NUL-separated strings>.
// Throws ERR_ALBERT_INVALID_TOKENIZER (naming `where`) when the blob is broken.
void decode_precompiled_charsmap(std::string_view blob, const std::string& where, DartsView* trie,
                                 std::string_view* replacements);

}  // namespace albert::tok
