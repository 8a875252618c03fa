#include "tokenizer/tokenizer_config.h"

#include <cmath>
#include <cstdlib>

#include "error.h"
#include "io/json.h"
#include "io/mapped_file.h"

namespace albert::tok {

namespace {

[[noreturn]] void bad_field(const std::string& source, const std::string& field, const std::string& what) {
  fail(code::kInvalidTokenizer, source + ": '" + field + "' " + what);
}

std::optional<bool> read_bool(const JsonValue& root, const char* key, const std::string& source) {
  const JsonValue* v = root.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) bad_field(source, key, std::string("must be true or false, not ") + JsonValue::type_name(v->type()));
  return v->as_bool();
}

// A token written as a string, or as {"content": ..., "lstrip": ..., ...} (transformers' AddedToken).
AddedToken read_token(const JsonValue& v, const std::string& source, const std::string& field, bool default_normalized) {
  AddedToken t;
  t.normalized = default_normalized;
  if (v.is_string()) {
    t.content = v.as_string();
  } else if (v.is_object()) {
    const JsonValue* content = v.find("content");
    if (!content || !content->is_string()) bad_field(source, field + ".content", "must be a string");
    t.content = content->as_string();
    t.from_object = true;
    auto flag = [&](const char* key, bool& out) {
      const JsonValue* f = v.find(key);
      if (!f || f->is_null()) return;
      if (!f->is_bool()) bad_field(source, field + "." + key, "must be true or false");
      out = f->as_bool();
    };
    flag("lstrip", t.lstrip);
    flag("rstrip", t.rstrip);
    flag("single_word", t.single_word);
    flag("normalized", t.normalized);
    flag("special", t.special);
  } else {
    bad_field(source, field, std::string("must be a string or an AddedToken object, not ") + JsonValue::type_name(v.type()));
  }
  if (t.content.empty()) bad_field(source, field, "is an empty token");
  return t;
}

void read_named_tokens(const JsonValue& root, const std::string& source, TokenizerConfig& config) {
  struct Slot {
    const char* key;
    std::optional<AddedToken>* out;
  };
  const Slot slots[] = {{"bos_token", &config.bos}, {"eos_token", &config.eos}, {"unk_token", &config.unk},
                        {"sep_token", &config.sep}, {"pad_token", &config.pad}, {"cls_token", &config.cls},
                        {"mask_token", &config.mask}};
  for (const Slot& slot : slots) {
    const JsonValue* v = root.find(slot.key);
    if (!v) continue;
    if (v->is_null()) {
      slot.out->reset();
      continue;
    }
    // Special tokens given as plain strings are not normalized (transformers' default for special tokens).
    *slot.out = read_token(*v, source, slot.key, false);
  }
  if (const JsonValue* extra = root.find("additional_special_tokens")) {
    if (!extra->is_null()) {
      if (!extra->is_array()) bad_field(source, "additional_special_tokens", "must be an array");
      config.additional_special_tokens.clear();
      for (size_t i = 0; i < extra->items().size(); ++i) {
        config.additional_special_tokens.push_back(
            read_token(extra->items()[i], source, "additional_special_tokens[" + std::to_string(i) + "]", false));
      }
    }
  }
}

void read_config(const JsonValue& root, const std::string& source, TokenizerConfig& config) {
  if (!root.is_object()) fail(code::kInvalidTokenizer, source + ": must hold a JSON object");
  if (const JsonValue* v = root.find("tokenizer_class")) {
    if (!v->is_null() && !v->is_string()) bad_field(source, "tokenizer_class", "must be a string");
    if (v->is_string()) config.tokenizer_class = v->as_string();
  }
  config.do_lower_case = read_bool(root, "do_lower_case", source);
  config.remove_space = read_bool(root, "remove_space", source);
  config.keep_accents = read_bool(root, "keep_accents", source);
  config.tokenize_chinese_chars = read_bool(root, "tokenize_chinese_chars", source);
  config.do_basic_tokenize = read_bool(root, "do_basic_tokenize", source);
  config.strip_accents = read_bool(root, "strip_accents", source);
  config.clean_up_tokenization_spaces = read_bool(root, "clean_up_tokenization_spaces", source);
  if (const JsonValue* v = root.find("never_split")) {
    if (!v->is_null()) {
      if (!v->is_array()) bad_field(source, "never_split", "must be an array of strings or null");
      for (size_t i = 0; i < v->items().size(); ++i) {
        if (!v->items()[i].is_string()) bad_field(source, "never_split[" + std::to_string(i) + "]", "must be a string");
        config.never_split.push_back(v->items()[i].as_string());
      }
    }
  }
  if (const JsonValue* v = root.find("model_max_length")) {
    if (!v->is_null()) {
      if (!v->is_number() || !(v->as_double() >= 1)) bad_field(source, "model_max_length", "must be a positive number");
      // transformers writes 1e30 for "no limit".
      config.model_max_length = v->as_double() >= 1e15 ? -1 : int64_t(std::floor(v->as_double()));
    }
  }
  read_named_tokens(root, source, config);
  if (const JsonValue* v = root.find("added_tokens_decoder")) {
    if (!v->is_null()) {
      if (!v->is_object()) bad_field(source, "added_tokens_decoder", "must be an object of id -> token");
      for (const auto& [key, value] : v->members()) {
        const std::string field = "added_tokens_decoder[" + key + "]";
        char* end = nullptr;
        long long id = std::strtoll(key.c_str(), &end, 10);
        if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX) bad_field(source, field, "has a key that is not a token id");
        AddedToken t = read_token(value, source, field, true);
        t.id = int32_t(id);
        config.added_tokens.push_back(std::move(t));
      }
    }
  }
}

}  // namespace

TokenizerConfig parse_tokenizer_config(const std::string& text, const std::string& source) {
  TokenizerConfig config;
  read_config(parse_json(text, source), source, config);
  return config;
}

TokenizerConfig load_tokenizer_config(const std::string& folder) {
  TokenizerConfig config;
  const std::string path = join_path(folder, "tokenizer_config.json");
  if (file_exists(path)) read_config(parse_json(read_text_file(path, size_t(64) << 20), path), path, config);
  const std::string map_path = join_path(folder, "special_tokens_map.json");
  if (file_exists(map_path)) {
    JsonValue map = parse_json(read_text_file(map_path, size_t(16) << 20), map_path);
    if (!map.is_object()) fail(code::kInvalidTokenizer, map_path + ": must hold a JSON object");
    read_named_tokens(map, map_path, config);
  }
  return config;
}

}  // namespace albert::tok
