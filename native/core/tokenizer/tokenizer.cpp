#include "tokenizer/tokenizer.h"

#include <algorithm>

namespace albert::tok {

size_t PostTemplate::added_tokens(bool is_pair) const {
  const auto& pieces = is_pair ? pair : single;
  return size_t(std::count_if(pieces.begin(), pieces.end(), [](const TemplatePiece& p) { return p.sequence < 0; }));
}

bool Tokenizer::is_special_id(int32_t id) const {
  return std::find(special_.all_ids.begin(), special_.all_ids.end(), id) != special_.all_ids.end();
}

void Tokenizer::finish_specials(bool with_template) {
  for (SpecialTokens::Named* n : {&special_.cls, &special_.sep, &special_.pad, &special_.unk, &special_.mask,
                                  &special_.bos, &special_.eos}) {
    n->id = n->token.empty() ? -1 : token_to_id(n->token);
    if (n->id >= 0 && !is_special_id(n->id)) special_.all_ids.push_back(n->id);
  }
  if (!with_template) {
    template_.single = {{0, -1, "", 0}};
    template_.pair = {{0, -1, "", 0}, {1, -1, "", 1}};
    return;
  }
  const TemplatePiece cls{-1, special_.cls.id, special_.cls.token, 0};
  const TemplatePiece sep0{-1, special_.sep.id, special_.sep.token, 0};
  const TemplatePiece sep1{-1, special_.sep.id, special_.sep.token, 1};
  template_.single = {cls, {0, -1, "", 0}, sep0};
  template_.pair = {cls, {0, -1, "", 0}, sep0, {1, -1, "", 1}, sep1};
}

const char* kind_name(Tokenizer::Kind kind) {
  switch (kind) {
    case Tokenizer::Kind::kAlbert: return "albert";
    case Tokenizer::Kind::kBert: return "bert";
    case Tokenizer::Kind::kSentencePiece: return "sentencepiece";
    case Tokenizer::Kind::kTokenizerJson: return "tokenizer.json";
  }
  return "unknown";
}

}  // namespace albert::tok
