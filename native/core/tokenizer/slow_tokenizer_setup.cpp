#include "tokenizer/slow_tokenizer_setup.h"

#include <algorithm>

#include "error.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

SlowTokenizerSetup setup_slow_tokenizer(const TokenizerConfig& config, const SlowTokenizerDefaults& defaults,
                                        int32_t vocab_size, const std::function<int32_t(const std::string&)>& vocab_lookup,
                                        const std::string& source, bool do_lower_case) {
  SlowTokenizerSetup s;
  auto resolve = [&](const std::optional<AddedToken>& given, const std::string& fallback, bool lstrip_default) {
    AddedToken t;
    if (given) {
      t = *given;
      if (!t.from_object) t.lstrip = lstrip_default;
    } else {
      t.content = fallback;
      t.lstrip = lstrip_default;
    }
    t.special = true;
    return t;
  };
  struct Named {
    SpecialTokens::Named* slot;
    AddedToken token;
  };
  std::vector<Named> named = {
      {&s.special.bos, resolve(config.bos, defaults.bos, false)}, {&s.special.eos, resolve(config.eos, defaults.eos, false)},
      {&s.special.unk, resolve(config.unk, defaults.unk, false)}, {&s.special.sep, resolve(config.sep, defaults.sep, false)},
      {&s.special.pad, resolve(config.pad, defaults.pad, false)}, {&s.special.cls, resolve(config.cls, defaults.cls, false)},
      {&s.special.mask, resolve(config.mask, defaults.mask, defaults.mask_lstrip)}};
  std::vector<AddedToken> specials;
  for (Named& n : named) {
    n.slot->token = n.token.content;
    if (!n.token.content.empty()) specials.push_back(n.token);
  }
  for (AddedToken t : config.additional_special_tokens) {
    t.special = true;
    specials.push_back(t);
  }
  for (const AddedToken& t : specials) {
    if (std::find(s.all_special_tokens.begin(), s.all_special_tokens.end(), t.content) == s.all_special_tokens.end()) {
      s.all_special_tokens.push_back(t.content);
    }
  }

  // added_tokens_decoder first (they keep their ids), then the special tokens not registered yet.
  int32_t next_id = vocab_size;
  auto add = [&](AddedToken t, bool keep_id) {
    if (s.added_ids.count(t.content)) return;
    if (!t.special && t.normalized && do_lower_case) {
      std::u32string lowered;
      for (char32_t c : decode_utf8(t.content)) unicode::append_lower(c, lowered);
      t.content = to_utf8(lowered);
    }
    if (!keep_id || t.id < 0) {
      int32_t in_vocab = vocab_lookup(t.content);
      t.id = in_vocab >= 0 ? in_vocab : next_id++;
    }
    if (t.id >= vocab_size) {
      s.added_beyond_vocab[t.id] = t.content;
      next_id = std::max(next_id, t.id + 1);
    }
    s.added_ids[t.content] = t.id;
    s.added.push_back(std::move(t));
  };
  for (const AddedToken& t : config.added_tokens) add(t, true);
  for (const AddedToken& t : specials) add(t, false);
  // Named tokens resolve through the added vocabulary.
  for (const Named& n : named) {
    if (!n.token.content.empty() && !s.added_ids.count(n.token.content)) {
      fail(code::kInvalidTokenizer, source + ": special token '" + n.token.content + "' has no id");
    }
  }
  s.protected_from_lowercase = s.all_special_tokens;
  for (const AddedToken& t : s.added) {
    if (!t.special && t.normalized) s.protected_from_lowercase.push_back(t.content);
  }
  for (const std::string& t : s.all_special_tokens) s.special.all_ids.push_back(s.added_ids[t]);
  return s;
}

std::string clean_up_tokenization(const std::string& text) {
  static const std::pair<const char*, const char*> rules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string out = text;
  for (const auto& [from, to] : rules) {
    std::string next;
    const std::string f = from;
    size_t pos = 0;
    while (true) {
      size_t hit = out.find(f, pos);
      if (hit == std::string::npos) break;
      next.append(out, pos, hit - pos);
      next += to;
      pos = hit + f.size();
    }
    next.append(out, pos, std::string::npos);
    out = std::move(next);
  }
  return out;
}

}  // namespace albert::tok
