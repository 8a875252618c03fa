// The decoders of Hugging Face's tokenizer.json: token strings back to text.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/json.h"

namespace albert::tok {

class HfDecoder {
 public:
  virtual ~HfDecoder() = default;
  // decode_chain: transforms the token strings (the final text is their concatenation).
  virtual void apply(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<HfDecoder> parse_hf_decoder(const JsonValue& json, const std::string& where);

}  // namespace albert::tok
