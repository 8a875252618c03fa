// The pre-tokenizers of Hugging Face's tokenizer.json: they cut each normalized split into the pieces the
// model tokenizes separately.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/json.h"
#include "tokenizer/text.h"

namespace albert::tok {

struct PreToken {
  AlignedText text;
  uint32_t origin = 0;  // where the piece starts in the original text (Metaspace "first" needs it)
};

class HfPreTokenizer {
 public:
  virtual ~HfPreTokenizer() = default;
  // Replaces `pieces` with their sub-pieces (empty pieces are dropped, as the library does).
  virtual void apply(std::vector<PreToken>& pieces) const = 0;
};

std::unique_ptr<HfPreTokenizer> parse_hf_pre_tokenizer(const JsonValue& json, const std::string& where);

// Metaspace's replacement character and prepend scheme, which its decoder shares.
struct MetaspaceOptions {
  char32_t replacement = 0x2581;
  enum class Prepend { kAlways, kFirst, kNever } prepend = Prepend::kAlways;
  bool split = true;
};
MetaspaceOptions parse_metaspace_options(const JsonValue& json, const std::string& where);

}  // namespace albert::tok
