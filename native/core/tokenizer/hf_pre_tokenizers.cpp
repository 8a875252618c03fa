#include "tokenizer/hf_pre_tokenizers.h"

#include "error.h"
#include "tokenizer/bert_basic.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

PreToken sub_piece(const PreToken& piece, size_t begin, size_t end) {
  PreToken out;
  out.text = piece.text.slice(begin, end);
  out.origin = begin == 0 ? piece.origin : piece.text.spans[begin].begin;
  return out;
}

class SequencePreTokenizer : public HfPreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<HfPreTokenizer>> steps) : steps_(std::move(steps)) {}
  void apply(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->apply(pieces);
  }

 private:
  std::vector<std::unique_ptr<HfPreTokenizer>> steps_;
};

class MetaspacePreTokenizer : public HfPreTokenizer {
 public:
  explicit MetaspacePreTokenizer(MetaspaceOptions options) : o_(options) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (PreToken& piece : pieces) {
      AlignedText& t = piece.text;
      for (char32_t& c : t.chars) {
        if (c == U' ') c = o_.replacement;
      }
      bool prepend = o_.prepend == MetaspaceOptions::Prepend::kAlways ||
                     (o_.prepend == MetaspaceOptions::Prepend::kFirst && piece.origin == 0);
      if (prepend && !t.empty() && t.chars[0] != o_.replacement) {
        AlignedText with;
        with.push(o_.replacement, empty_at(t.spans[0].begin));
        with.append(t, 0, t.size());
        t = std::move(with);
      }
      if (!o_.split) {
        if (!t.empty()) out.push_back(std::move(piece));
        continue;
      }
      // Split before every replacement character (MergedWithNext).
      size_t start = 0;
      for (size_t i = 1; i <= t.size(); ++i) {
        if (i == t.size() || t.chars[i] == o_.replacement) {
          if (start < i) out.push_back(sub_piece(piece, start, i));
          start = i;
        }
      }
    }
    pieces = std::move(out);
  }

 private:
  MetaspaceOptions o_;
};

// Splits on whitespace (removed) and, optionally, isolates punctuation.
class WhitespacePunctuationPreTokenizer : public HfPreTokenizer {
 public:
  WhitespacePunctuationPreTokenizer(bool split_whitespace, bool isolate_punctuation)
      : whitespace_(split_whitespace), punctuation_(isolate_punctuation) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    for (const PreToken& piece : pieces) {
      const AlignedText& t = piece.text;
      size_t start = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        char32_t c = t.chars[i];
        if (whitespace_ && unicode::is_white_space(c)) {
          if (start < i) out.push_back(sub_piece(piece, start, i));
          start = i + 1;
        } else if (punctuation_ && is_bert_punctuation(c)) {
          if (start < i) out.push_back(sub_piece(piece, start, i));
          out.push_back(sub_piece(piece, i, i + 1));
          start = i + 1;
        }
      }
      if (start < t.size()) out.push_back(sub_piece(piece, start, t.size()));
    }
    pieces = std::move(out);
  }

 private:
  bool whitespace_, punctuation_;
};

class DigitsPreTokenizer : public HfPreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void apply(std::vector<PreToken>& pieces) const override {
    std::vector<PreToken> out;
    auto is_digit = [](char32_t c) { return c >= '0' && c <= '9'; };  // the library splits ASCII digits only
    for (const PreToken& piece : pieces) {
      const AlignedText& t = piece.text;
      size_t start = 0;
      for (size_t i = 0; i < t.size(); ++i) {
        bool digit = is_digit(t.chars[i]);
        bool boundary = i > start && (individual_ ? (digit || is_digit(t.chars[i - 1])) : digit != is_digit(t.chars[i - 1]));
        if (boundary) {
          out.push_back(sub_piece(piece, start, i));
          start = i;
        }
      }
      if (start < t.size()) out.push_back(sub_piece(piece, start, t.size()));
    }
    pieces = std::move(out);
  }

 private:
  bool individual_;
};

}  // namespace

MetaspaceOptions parse_metaspace_options(const JsonValue& json, const std::string& where) {
  MetaspaceOptions o;
  if (const JsonValue* r = json.find("replacement")) {
    std::u32string chars = r->is_string() ? decode_utf8(r->as_string()) : std::u32string();
    if (chars.size() != 1) fail(code::kInvalidTokenizer, where + ".replacement must be one character");
    o.replacement = chars[0];
  }
  if (const JsonValue* p = json.find("prepend_scheme")) {
    std::string s = p->is_string() ? p->as_string() : "";
    if (s == "always") o.prepend = MetaspaceOptions::Prepend::kAlways;
    else if (s == "first") o.prepend = MetaspaceOptions::Prepend::kFirst;
    else if (s == "never") o.prepend = MetaspaceOptions::Prepend::kNever;
    else fail(code::kInvalidTokenizer, where + ".prepend_scheme must be 'always', 'first' or 'never'");
  } else if (const JsonValue* a = json.find("add_prefix_space")) {
    if (!a->is_bool()) fail(code::kInvalidTokenizer, where + ".add_prefix_space must be true or false");
    o.prepend = a->as_bool() ? MetaspaceOptions::Prepend::kAlways : MetaspaceOptions::Prepend::kNever;
  }
  if (const JsonValue* s = json.find("split")) {
    if (!s->is_bool()) fail(code::kInvalidTokenizer, where + ".split must be true or false");
    o.split = s->as_bool();
  }
  return o;
}

std::unique_ptr<HfPreTokenizer> parse_hf_pre_tokenizer(const JsonValue& json, const std::string& where) {
  if (json.is_null()) return nullptr;
  const JsonValue* type_value = json.is_object() ? json.find("type") : nullptr;
  if (!type_value || !type_value->is_string()) fail(code::kInvalidTokenizer, where + ".type must be a string");
  const std::string& type = type_value->as_string();
  if (type == "Sequence") {
    const JsonValue* list = json.find("pretokenizers");
    if (!list || !list->is_array()) fail(code::kInvalidTokenizer, where + ".pretokenizers must be an array");
    std::vector<std::unique_ptr<HfPreTokenizer>> steps;
    for (size_t i = 0; i < list->items().size(); ++i) {
      auto step = parse_hf_pre_tokenizer(list->items()[i], where + ".pretokenizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "Metaspace") return std::make_unique<MetaspacePreTokenizer>(parse_metaspace_options(json, where));
  if (type == "BertPreTokenizer") return std::make_unique<WhitespacePunctuationPreTokenizer>(true, true);
  if (type == "WhitespaceSplit") return std::make_unique<WhitespacePunctuationPreTokenizer>(true, false);
  if (type == "Punctuation") {
    const JsonValue* b = json.find("behavior");
    if (b && !(b->is_string() && b->as_string() == "Isolated")) {
      fail(code::kUnsupported, where + ": only the 'Isolated' Punctuation behavior is supported");
    }
    return std::make_unique<WhitespacePunctuationPreTokenizer>(false, true);
  }
  if (type == "Digits") {
    const JsonValue* i = json.find("individual_digits");
    return std::make_unique<DigitsPreTokenizer>(i && i->is_bool() && i->as_bool());
  }
  fail(code::kUnsupported, where + ": pre-tokenizer type '" + type + "' is not supported");
}

}  // namespace albert::tok
