#include "tokenizer/hf_normalizers.h"

#include "error.h"
#include "tokenizer/bert_basic.h"
#include "tokenizer/simple_regex.h"
#include "tokenizer/spm_normalizer.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

const std::string& string_field(const JsonValue& json, const char* key, const std::string& where) {
  const JsonValue* v = json.find(key);
  if (!v || !v->is_string()) fail(code::kInvalidTokenizer, where + "." + key + " must be a string");
  return v->as_string();
}

bool bool_field(const JsonValue& json, const char* key, bool fallback, const std::string& where) {
  const JsonValue* v = json.find(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) fail(code::kInvalidTokenizer, where + "." + key + " must be true or false");
  return v->as_bool();
}

class SequenceNormalizer : public HfNormalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<HfNormalizer>> steps) : steps_(std::move(steps)) {}
  void apply(AlignedText& text) const override {
    for (const auto& step : steps_) step->apply(text);
  }

 private:
  std::vector<std::unique_ptr<HfNormalizer>> steps_;
};

class UnicodeFormNormalizer : public HfNormalizer {
 public:
  UnicodeFormNormalizer(bool compat, bool compose) : compat_(compat), compose_(compose) {}
  void apply(AlignedText& text) const override {
    if (unicode::nfkd_is_identity(text.chars) && (!compose_ || unicode::nfc_is_identity(text.chars))) return;
    AlignedText out;
    unicode::decompose(text, compat_, out);
    if (compose_) unicode::compose(out);
    text = std::move(out);
  }

 private:
  bool compat_, compose_;
};

// Rust's char::to_lowercase, character by character (no final-sigma context).
void lowercase(AlignedText& text) {
  AlignedText out;
  out.reserve(text.size());
  std::u32string scratch;
  for (size_t i = 0; i < text.size(); ++i) {
    scratch.clear();
    unicode::append_lower(text.chars[i], scratch);
    for (char32_t c : scratch) out.push(c, text.spans[i]);
  }
  text = std::move(out);
}

class LowercaseNormalizer : public HfNormalizer {
 public:
  void apply(AlignedText& text) const override { lowercase(text); }
};

// Drops combining marks (general category M*).
class StripAccentsNormalizer : public HfNormalizer {
 public:
  void apply(AlignedText& text) const override {
    size_t w = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (unicode::is_mark(text.chars[i])) continue;
      text.chars[w] = text.chars[i];
      text.spans[w++] = text.spans[i];
    }
    text.chars.resize(w);
    text.spans.resize(w);
  }
};

class ReplaceNormalizer : public HfNormalizer {
 public:
  ReplaceNormalizer(std::u32string pattern, std::u32string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void apply(AlignedText& text) const override {
    if (pattern_.empty() || text.chars.find(pattern_) == std::u32string::npos) return;
    AlignedText out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
      if (text.chars.compare(i, pattern_.size(), pattern_) == 0) {
        Span s = text.span_of(i, i + pattern_.size());
        for (char32_t c : content_) out.push(c, s);
        i += pattern_.size();
      } else {
        out.push(text.chars[i], text.spans[i]);
        ++i;
      }
    }
    text = std::move(out);
  }

 private:
  std::u32string pattern_, content_;
};

// Replace with a regex pattern; empty matches replace nothing.
class RegexReplaceNormalizer : public HfNormalizer {
 public:
  RegexReplaceNormalizer(const std::string& pattern, std::u32string content, const std::string& where)
      : regex_(pattern, where), content_(std::move(content)) {}
  void apply(AlignedText& text) const override {
    AlignedText out;
    size_t pos = 0, begin = 0, end = 0;
    bool changed = false;
    while (pos <= text.size() && regex_.find(text.chars, pos, &begin, &end)) {
      if (end == begin) {
        if (begin >= text.size()) break;
        out.append(text, pos, begin + 1);
        pos = begin + 1;
        continue;
      }
      changed = true;
      out.append(text, pos, begin);
      Span s = text.span_of(begin, end);
      for (char32_t c : content_) out.push(c, s);
      pos = end;
    }
    if (!changed) return;
    if (pos < text.size()) out.append(text, pos, text.size());
    text = std::move(out);
  }

 private:
  SimpleRegex regex_;
  std::u32string content_;
};

class StripNormalizer : public HfNormalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void apply(AlignedText& text) const override {
    size_t b = 0, e = text.size();
    if (left_) while (b < e && unicode::is_white_space(text.chars[b])) ++b;
    if (right_) while (e > b && unicode::is_white_space(text.chars[e - 1])) --e;
    if (b != 0 || e != text.size()) text = text.slice(b, e);
  }

 private:
  bool left_, right_;
};

class PrependNormalizer : public HfNormalizer {
 public:
  explicit PrependNormalizer(std::u32string prefix) : prefix_(std::move(prefix)) {}
  void apply(AlignedText& text) const override {
    if (text.empty()) return;
    AlignedText out;
    for (char32_t c : prefix_) out.push(c, empty_at(text.spans[0].begin));
    out.append(text, 0, text.size());
    text = std::move(out);
  }

 private:
  std::u32string prefix_;
};

class BertNormalizer : public HfNormalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase) {}
  void apply(AlignedText& text) const override {
    AlignedText out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      char32_t c = text.chars[i];
      Span s = text.spans[i];
      if (clean_text_) {
        bool control = !(c == '\t' || c == '\n' || c == '\r') && unicode::is_category_other(c);
        if (c == 0 || c == 0xFFFD || control) continue;
        if (c == '\t' || c == '\n' || c == '\r' || unicode::is_white_space(c)) c = U' ';
      }
      if (chinese_ && is_cjk_ideograph(c)) {
        out.push(U' ', empty_at(s.begin));
        out.push(c, s);
        out.push(U' ', empty_at(s.end));
      } else {
        out.push(c, s);
      }
    }
    if (strip_accents_) {
      // NFD (skipped when it would change nothing), then drop nonspacing marks.
      if (!unicode::nfkd_is_identity(out.chars)) {
        AlignedText d;
        unicode::decompose(out, false, d);
        out = std::move(d);
      }
      size_t w = 0;
      for (size_t i = 0; i < out.size(); ++i) {
        if (unicode::is_nonspacing_mark(out.chars[i])) continue;
        out.chars[w] = out.chars[i];
        out.spans[w++] = out.spans[i];
      }
      out.chars.resize(w);
      out.spans.resize(w);
    }
    if (lowercase_) lowercase(out);
    text = std::move(out);
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

}  // namespace

std::string base64_decode(const std::string& text, const std::string& where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] != '='; ++i) {
    int v = value(text[i]);
    if (v < 0) fail(code::kInvalidTokenizer, where + ": invalid base64 character at " + std::to_string(i));
    buffer = (buffer << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((buffer >> bits) & 0xFF));
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] != '=') fail(code::kInvalidTokenizer, where + ": invalid base64 padding");
  }
  return out;
}

PrecompiledNormalizer::PrecompiledNormalizer(std::string charsmap, const std::string& where) : charsmap_(std::move(charsmap)) {
  if (!charsmap_.empty()) decode_precompiled_charsmap(charsmap_, where, &trie_, &replacements_);
}

bool PrecompiledNormalizer::transform(std::string_view utf8, std::string_view* replacement) const {
  if (trie_.empty()) return false;
  DartsView::Result result;
  if (trie_.common_prefix_search(utf8.data(), utf8.size(), &result, 1) == 0) return false;
  if (result.value >= replacements_.size()) {
    *replacement = {};
    return true;
  }
  std::string_view rest = replacements_.substr(result.value);
  size_t nul = rest.find('\0');
  *replacement = nul == std::string_view::npos ? rest : rest.substr(0, nul);
  return true;
}

void PrecompiledNormalizer::apply(AlignedText& text) const {
  if (trie_.empty() || text.empty()) return;
  AlignedText out;
  out.reserve(text.size());
  std::string utf8;
  std::string_view replacement;
  auto emit = [&](std::string_view r, Span s) {
    for (char32_t c : decode_utf8(r)) out.push(c, s);
  };
  for (size_t g = 0; g < text.size();) {
    size_t g_end = unicode::grapheme_end(text.chars, g);
    utf8.clear();
    for (size_t i = g; i < g_end; ++i) append_utf8(utf8, text.chars[i]);
    // Short clusters are looked up whole (the shortest matching rule replaces the whole cluster, as the
    // `tokenizers` implementation does); otherwise character by character.
    if (utf8.size() < 6 && transform(utf8, &replacement)) {
      emit(replacement, text.span_of(g, g_end));
    } else {
      for (size_t i = g; i < g_end; ++i) {
        utf8.clear();
        append_utf8(utf8, text.chars[i]);
        if (transform(utf8, &replacement)) {
          emit(replacement, text.spans[i]);
        } else {
          out.push(text.chars[i], text.spans[i]);
        }
      }
    }
    g = g_end;
  }
  text = std::move(out);
}

std::unique_ptr<HfNormalizer> parse_hf_normalizer(const JsonValue& json, const std::string& where) {
  if (json.is_null()) return nullptr;
  if (!json.is_object()) fail(code::kInvalidTokenizer, where + " must be an object or null");
  const std::string& type = string_field(json, "type", where);
  if (type == "Sequence") {
    const JsonValue* list = json.find("normalizers");
    if (!list || !list->is_array()) fail(code::kInvalidTokenizer, where + ".normalizers must be an array");
    std::vector<std::unique_ptr<HfNormalizer>> steps;
    for (size_t i = 0; i < list->items().size(); ++i) {
      auto step = parse_hf_normalizer(list->items()[i], where + ".normalizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  if (type == "NFD") return std::make_unique<UnicodeFormNormalizer>(false, false);
  if (type == "NFKD") return std::make_unique<UnicodeFormNormalizer>(true, false);
  if (type == "NFC") return std::make_unique<UnicodeFormNormalizer>(false, true);
  if (type == "NFKC") return std::make_unique<UnicodeFormNormalizer>(true, true);
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Strip") {
    return std::make_unique<StripNormalizer>(bool_field(json, "strip_left", true, where), bool_field(json, "strip_right", true, where));
  }
  if (type == "Prepend") return std::make_unique<PrependNormalizer>(decode_utf8(string_field(json, "prepend", where)));
  if (type == "Replace") {
    const JsonValue* pattern = json.find("pattern");
    const JsonValue* literal = pattern && pattern->is_object() ? pattern->find("String") : nullptr;
    const JsonValue* regex = pattern && pattern->is_object() ? pattern->find("Regex") : nullptr;
    if (regex && regex->is_string()) {
      return std::make_unique<RegexReplaceNormalizer>(regex->as_string(), decode_utf8(string_field(json, "content", where)), where);
    }
    if (!literal || !literal->is_string()) fail(code::kInvalidTokenizer, where + ".pattern must be {String} or {Regex}");
    return std::make_unique<ReplaceNormalizer>(decode_utf8(literal->as_string()), decode_utf8(string_field(json, "content", where)));
  }
  if (type == "Precompiled") {
    const JsonValue* map = json.find("precompiled_charsmap");
    if (!map || map->is_null()) return std::make_unique<PrecompiledNormalizer>(std::string(), where);
    if (!map->is_string()) fail(code::kInvalidTokenizer, where + ".precompiled_charsmap must be a base64 string");
    return std::make_unique<PrecompiledNormalizer>(base64_decode(map->as_string(), where + ".precompiled_charsmap"), where);
  }
  if (type == "BertNormalizer") {
    bool lower = bool_field(json, "lowercase", true, where);
    const JsonValue* strip = json.find("strip_accents");
    bool strip_accents = strip && strip->is_bool() ? strip->as_bool() : lower;
    return std::make_unique<BertNormalizer>(bool_field(json, "clean_text", true, where),
                                            bool_field(json, "handle_chinese_chars", true, where), strip_accents, lower);
  }
  fail(code::kUnsupported, where + ": normalizer type '" + type + "' is not supported");
}

}  // namespace albert::tok
