#include "tokenizer/json_tokenizer.h"

#include <algorithm>

#include "error.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

bool is_word_char(char32_t c) { return c == U'_' || unicode::is_alphanumeric(c); }

const JsonValue& member(const JsonValue& root, const char* key) {
  static const JsonValue null_value;
  const JsonValue* v = root.find(key);
  return v ? *v : null_value;
}

}  // namespace

std::shared_ptr<const JsonTokenizer> JsonTokenizer::from_file(const std::string& path, const TokenizerConfig* config) {
  return from_text(read_text_file(path, size_t(512) << 20), path, config);
}

std::shared_ptr<const JsonTokenizer> JsonTokenizer::from_text(const std::string& text, const std::string& source,
                                                              const TokenizerConfig* config) {
  JsonValue root = parse_json(text, source);
  if (!root.is_object()) fail(code::kInvalidTokenizer, source + ": must hold a JSON object");
  auto t = std::make_shared<JsonTokenizer>(Key());
  t->source_ = source;
  const JsonValue* model = root.find("model");
  if (!model || !model->is_object()) fail(code::kInvalidTokenizer, source + ": 'model' must be an object");
  t->model_ = parse_hf_model(*model, source + ": model");
  t->normalizer_ = parse_hf_normalizer(member(root, "normalizer"), source + ": normalizer");
  t->pre_tokenizer_ = parse_hf_pre_tokenizer(member(root, "pre_tokenizer"), source + ": pre_tokenizer");
  t->decoder_ = parse_hf_decoder(member(root, "decoder"), source + ": decoder");

  const JsonValue& added = member(root, "added_tokens");
  if (!added.is_null() && !added.is_array()) fail(code::kInvalidTokenizer, source + ": 'added_tokens' must be an array");
  if (added.is_array()) {
    for (size_t i = 0; i < added.items().size(); ++i) {
      const JsonValue& e = added.items()[i];
      const std::string where = source + ": added_tokens[" + std::to_string(i) + "]";
      const JsonValue* id = e.find("id");
      const JsonValue* content = e.find("content");
      if (!id || !id->is_integer() || id->as_int64() < 0 || id->as_int64() > INT32_MAX) fail(code::kInvalidTokenizer, where + ".id must be a token id");
      if (!content || !content->is_string() || content->as_string().empty()) fail(code::kInvalidTokenizer, where + ".content must be a non-empty string");
      AddedToken a;
      a.id = int32_t(id->as_int64());
      a.content = content->as_string();
      auto flag = [&](const char* key, bool fallback) {
        const JsonValue* f = e.find(key);
        if (!f || f->is_null()) return fallback;
        if (!f->is_bool()) fail(code::kInvalidTokenizer, where + "." + key + " must be true or false");
        return f->as_bool();
      };
      a.special = flag("special", false);
      a.lstrip = flag("lstrip", false);
      a.rstrip = flag("rstrip", false);
      a.single_word = flag("single_word", false);
      a.normalized = flag("normalized", !a.special);
      int32_t index = int32_t(t->added_.size());
      t->added_ids_[a.content] = a.id;
      t->added_by_id_[a.id] = index;
      t->added_chars_.push_back(decode_utf8(a.content));
      (a.normalized ? t->normalized_by_first_ : t->raw_by_first_)[t->added_chars_.back()[0]].push_back(index);
      t->added_.push_back(std::move(a));
    }
  }
  t->parse_post_processor(member(root, "post_processor"), source + ": post_processor");
  t->name_special_tokens(root, config);
  if (config) t->model_max_length_ = config->model_max_length;
  return t;
}

void JsonTokenizer::parse_post_processor(const JsonValue& json, const std::string& where) {
  template_.single = {{0, -1, "", 0}};
  template_.pair = {{0, -1, "", 0}, {1, -1, "", 1}};
  if (json.is_null()) return;
  const JsonValue* type_value = json.find("type");
  std::string type = type_value && type_value->is_string() ? type_value->as_string() : "";
  auto pair_of = [&](const char* key) {
    const JsonValue* v = json.find(key);
    if (!v || !v->is_array() || v->items().size() != 2 || !v->items()[0].is_string() || !v->items()[1].is_integer()) {
      fail(code::kInvalidTokenizer, where + "." + key + " must be [token, id]");
    }
    return TemplatePiece{-1, int32_t(v->items()[1].as_int64()), v->items()[0].as_string(), 0};
  };
  if (type == "BertProcessing") {
    TemplatePiece cls = pair_of("cls"), sep = pair_of("sep"), sep1 = sep;
    sep1.type_id = 1;
    template_.single = {cls, {0, -1, "", 0}, sep};
    template_.pair = {cls, {0, -1, "", 0}, sep, {1, -1, "", 1}, sep1};
    return;
  }
  if (type == "RobertaProcessing") {
    TemplatePiece cls = pair_of("cls"), sep = pair_of("sep");
    template_.single = {cls, {0, -1, "", 0}, sep};
    template_.pair = {cls, {0, -1, "", 0}, sep, sep, {1, -1, "", 0}, sep};
    return;
  }
  if (type != "TemplateProcessing") fail(code::kUnsupported, where + ": post-processor type '" + type + "' is not supported");
  const JsonValue* specials = json.find("special_tokens");
  auto parse_template = [&](const char* key) {
    std::vector<TemplatePiece> pieces;
    const JsonValue* list = json.find(key);
    if (!list || !list->is_array()) fail(code::kInvalidTokenizer, where + "." + key + " must be an array");
    for (size_t i = 0; i < list->items().size(); ++i) {
      const JsonValue& item = list->items()[i];
      const std::string at = where + "." + key + "[" + std::to_string(i) + "]";
      const JsonValue* seq = item.find("Sequence");
      const JsonValue* special = item.find("SpecialToken");
      const JsonValue* body = seq ? seq : special;
      if (!body || !body->is_object()) fail(code::kInvalidTokenizer, at + " must be a Sequence or a SpecialToken");
      const JsonValue* id = body->find("id");
      const JsonValue* type_id = body->find("type_id");
      if (!id || !id->is_string()) fail(code::kInvalidTokenizer, at + ".id must be a string");
      int32_t tid = type_id && type_id->is_integer() ? int32_t(type_id->as_int64()) : 0;
      if (seq) {
        if (id->as_string() != "A" && id->as_string() != "B") fail(code::kInvalidTokenizer, at + ".id must be 'A' or 'B'");
        pieces.push_back({id->as_string() == "A" ? 0 : 1, -1, "", tid});
        continue;
      }
      const JsonValue* entry = specials && specials->is_object() ? specials->find(id->as_string()) : nullptr;
      const JsonValue* ids = entry ? entry->find("ids") : nullptr;
      const JsonValue* tokens = entry ? entry->find("tokens") : nullptr;
      if (!ids || !ids->is_array() || !tokens || !tokens->is_array() || ids->items().size() != tokens->items().size()) {
        fail(code::kInvalidTokenizer, at + ": special token '" + id->as_string() + "' is not described in special_tokens");
      }
      for (size_t k = 0; k < ids->items().size(); ++k) {
        if (!ids->items()[k].is_integer() || !tokens->items()[k].is_string()) {
          fail(code::kInvalidTokenizer, at + ": special token '" + id->as_string() + "' has a bad id or token");
        }
        pieces.push_back({-1, int32_t(ids->items()[k].as_int64()), tokens->items()[k].as_string(), tid});
      }
    }
    return pieces;
  };
  template_.single = parse_template("single");
  template_.pair = json.find("pair") ? parse_template("pair") : template_.single;
}

void JsonTokenizer::name_special_tokens(const JsonValue& root, const TokenizerConfig* config) {
  auto set = [&](SpecialTokens::Named& slot, const std::optional<AddedToken>& given, std::initializer_list<const char*> guesses) {
    if (given) {
      slot.token = given->content;
    } else {
      for (const char* g : guesses) {
        if (token_to_id(g) >= 0) {
          slot.token = g;
          break;
        }
      }
    }
    slot.id = slot.token.empty() ? -1 : token_to_id(slot.token);
  };
  std::optional<AddedToken> none;
  const TemplatePiece* first = nullptr;
  const TemplatePiece* last = nullptr;
  for (const TemplatePiece& p : template_.single) {
    if (p.sequence < 0 && !first) first = &p;
    if (p.sequence < 0) last = &p;
  }
  std::optional<AddedToken> cls_guess, sep_guess, unk_guess, pad_guess;
  if (first && first != last) cls_guess = AddedToken{first->token};
  if (last) sep_guess = AddedToken{last->token};
  std::string unk_token;
  if (model_->unk_id() >= 0 && model_->id_to_token(model_->unk_id(), &unk_token)) unk_guess = AddedToken{unk_token};
  const JsonValue* padding = root.find("padding");
  const JsonValue* pad_token = padding && padding->is_object() ? padding->find("pad_token") : nullptr;
  if (pad_token && pad_token->is_string()) pad_guess = AddedToken{pad_token->as_string()};
  set(special_.cls, config && config->cls ? config->cls : cls_guess, {"[CLS]", "<s>"});
  set(special_.sep, config && config->sep ? config->sep : sep_guess, {"[SEP]", "</s>"});
  set(special_.unk, config && config->unk ? config->unk : unk_guess, {"<unk>", "[UNK]"});
  set(special_.pad, config && config->pad ? config->pad : pad_guess, {"<pad>", "[PAD]"});
  set(special_.mask, config && config->mask ? config->mask : none, {"[MASK]", "<mask>"});
  set(special_.bos, config ? config->bos : none, {});
  set(special_.eos, config ? config->eos : none, {});
  for (const AddedToken& a : added_) {
    if (a.special) special_.all_ids.push_back(a.id);
  }
}

void JsonTokenizer::find_matches(const AlignedText& text, bool normalized, std::vector<Match>& out) const {
  out.clear();
  const auto& by_first = normalized ? normalized_by_first_ : raw_by_first_;
  if (by_first.empty()) return;
  const std::u32string& s = text.chars;
  size_t start_offset = 0;
  for (size_t i = 0; i < s.size();) {
    auto it = by_first.find(s[i]);
    int32_t best = -1;
    if (it != by_first.end()) {
      for (int32_t index : it->second) {
        const std::u32string& c = added_chars_[size_t(index)];
        if (c.size() <= s.size() - i && s.compare(i, c.size(), c) == 0 &&
            (best < 0 || c.size() > added_chars_[size_t(best)].size())) {
          best = index;
        }
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    const AddedToken& tok = added_[size_t(best)];
    size_t begin = i, end = i + added_chars_[size_t(best)].size();
    i = end;
    if (tok.single_word) {
      bool start_ok = begin == 0 || !is_word_char(s[begin - 1]);
      bool stop_ok = end == s.size() || !is_word_char(s[end]);
      if (!start_ok || !stop_ok) continue;
    }
    if (tok.lstrip) {
      size_t b = begin;
      while (b > 0 && unicode::is_white_space(s[b - 1])) --b;
      begin = std::max(b, start_offset);
    }
    if (tok.rstrip) {
      while (end < s.size() && unicode::is_white_space(s[end])) ++end;
      i = end;
    }
    out.push_back({begin, end, best});
    start_offset = end;
  }
}

void JsonTokenizer::tokenize_text(AlignedText text, uint32_t origin, TokenList& out) const {
  if (normalizer_) normalizer_->apply(text);
  if (text.empty()) return;
  std::vector<Match> matches;
  find_matches(text, true, matches);
  std::vector<PreToken> pieces;
  auto model_pass = [&](size_t b, size_t e) {
    if (b >= e) return;
    pieces.clear();
    pieces.push_back({text.slice(b, e), b == 0 ? origin : text.spans[b].begin});
    if (pre_tokenizer_) pre_tokenizer_->apply(pieces);
    for (const PreToken& p : pieces) {
      if (!p.text.empty()) model_->tokenize(p.text, out);
    }
  };
  size_t pos = 0;
  for (const Match& m : matches) {
    model_pass(pos, m.begin);
    out.push(added_[size_t(m.token)].id, text.span_of(m.begin, m.end), to_utf8(text.chars.substr(m.begin, m.end - m.begin)));
    pos = m.end;
  }
  model_pass(pos, text.size());
}

void JsonTokenizer::tokenize(const AlignedText& text, TokenList& out) const {
  std::vector<Match> matches;
  find_matches(text, false, matches);
  size_t pos = 0;
  auto text_pass = [&](size_t b, size_t e) {
    if (b < e) tokenize_text(text.slice(b, e), text.spans[b].begin, out);
  };
  for (const Match& m : matches) {
    text_pass(pos, m.begin);
    out.push(added_[size_t(m.token)].id, text.span_of(m.begin, m.end), to_utf8(text.chars.substr(m.begin, m.end - m.begin)));
    pos = m.end;
  }
  text_pass(pos, text.size());
}

int32_t JsonTokenizer::vocab_size() const {
  int32_t n = model_->size();
  for (const AddedToken& a : added_) n = std::max(n, a.id + 1);
  return n;
}

bool JsonTokenizer::id_to_token(int32_t id, std::string* token) const {
  auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) {
    *token = added_[size_t(it->second)].content;
    return true;
  }
  return model_->id_to_token(id, token);
}

int32_t JsonTokenizer::token_to_id(std::string_view token) const {
  auto it = added_ids_.find(std::string(token));
  if (it != added_ids_.end()) return it->second;
  return model_->token_to_id(token);
}

std::string JsonTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  std::string token;
  for (int32_t id : ids) {
    if (!id_to_token(id, &token)) continue;
    if (skip_special_tokens) {
      auto it = added_by_id_.find(id);
      if (it != added_by_id_.end() && added_[size_t(it->second)].special) continue;
    }
    tokens.push_back(token);
  }
  std::string text;
  if (decoder_) {
    decoder_->apply(tokens);
    for (const std::string& t : tokens) text += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) text += " ";
      text += tokens[i];
    }
  }
  return text;
}

}  // namespace albert::tok
