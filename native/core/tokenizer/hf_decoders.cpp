#include "tokenizer/hf_decoders.h"

#include "error.h"
#include "tokenizer/hf_pre_tokenizers.h"
#include "tokenizer/text.h"

namespace albert::tok {

namespace {

std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += to;
    pos = hit + from.size();
  }
  out.append(s, pos, std::string::npos);
  return out;
}

class SequenceDecoder : public HfDecoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<HfDecoder>> steps) : steps_(std::move(steps)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->apply(tokens);
  }

 private:
  std::vector<std::unique_ptr<HfDecoder>> steps_;
};

class MetaspaceDecoder : public HfDecoder {
 public:
  explicit MetaspaceDecoder(MetaspaceOptions o) : o_(o) {
    append_utf8(replacement_, o.replacement);
  }
  void apply(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      bool drop = i == 0 && o_.prepend != MetaspaceOptions::Prepend::kNever;
      tokens[i] = replace_all(tokens[i], replacement_, drop ? "" : " ");
    }
  }

 private:
  MetaspaceOptions o_;
  std::string replacement_;
};

class WordPieceDecoder : public HfDecoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t.insert(0, " ");
        }
      }
      if (cleanup_) {
        static const std::pair<const char*, const char*> rules[] = {
            {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
            {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
        for (const auto& [from, to] : rules) t = replace_all(t, from, to);
      }
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// Runs of <0xXX> tokens become the text their bytes spell (invalid UTF-8: one U+FFFD per byte).
class ByteFallbackDecoder : public HfDecoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t run = 0;
    auto flush = [&] {
      if (run == 0) return;
      if (is_valid_utf8(bytes)) {
        out.push_back(bytes);
      } else {
        for (size_t i = 0; i < run; ++i) out.push_back("\xEF\xBF\xBD");
      }
      bytes.clear();
      run = 0;
    };
    for (const std::string& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') byte = int(std::strtol(t.substr(3, 2).c_str(), nullptr, 16));
      if (byte >= 0) {
        bytes.push_back(char(byte));
        ++run;
      } else {
        flush();
        out.push_back(t);
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder : public HfDecoder {
 public:
  void apply(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    tokens = {all};
  }
};

class StripDecoder : public HfDecoder {
 public:
  StripDecoder(std::u32string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) {
      std::u32string chars = decode_utf8(t);
      size_t b = 0, e = chars.size();
      for (size_t k = 0; k < start_ && b < e && chars.compare(b, content_.size(), content_) == 0; ++k) b += content_.size();
      for (size_t k = 0; k < stop_ && e >= b + content_.size() && chars.compare(e - content_.size(), content_.size(), content_) == 0; ++k) {
        e -= content_.size();
      }
      t = to_utf8(chars.substr(b, e - b));
    }
  }

 private:
  std::u32string content_;
  size_t start_, stop_;
};

class ReplaceDecoder : public HfDecoder {
 public:
  ReplaceDecoder(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void apply(std::vector<std::string>& tokens) const override {
    for (std::string& t : tokens) t = replace_all(t, from_, to_);
  }

 private:
  std::string from_, to_;
};

}  // namespace

std::unique_ptr<HfDecoder> parse_hf_decoder(const JsonValue& json, const std::string& where) {
  if (json.is_null()) return nullptr;
  const JsonValue* type_value = json.is_object() ? json.find("type") : nullptr;
  if (!type_value || !type_value->is_string()) fail(code::kInvalidTokenizer, where + ".type must be a string");
  const std::string& type = type_value->as_string();
  if (type == "Sequence") {
    const JsonValue* list = json.find("decoders");
    if (!list || !list->is_array()) fail(code::kInvalidTokenizer, where + ".decoders must be an array");
    std::vector<std::unique_ptr<HfDecoder>> steps;
    for (size_t i = 0; i < list->items().size(); ++i) {
      auto step = parse_hf_decoder(list->items()[i], where + ".decoders[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  if (type == "Metaspace") return std::make_unique<MetaspaceDecoder>(parse_metaspace_options(json, where));
  if (type == "WordPiece") {
    const JsonValue* p = json.find("prefix");
    const JsonValue* c = json.find("cleanup");
    return std::make_unique<WordPieceDecoder>(p && p->is_string() ? p->as_string() : "##", !c || !c->is_bool() || c->as_bool());
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    const JsonValue* content = json.find("content");
    const JsonValue* start = json.find("start");
    const JsonValue* stop = json.find("stop");
    std::u32string c;
    if (content && content->is_string()) c = decode_utf8(content->as_string());
    if (c.empty()) c.push_back(U' ');
    return std::make_unique<StripDecoder>(c, start && start->is_integer() ? size_t(std::max<int64_t>(0, start->as_int64())) : 0,
                                          stop && stop->is_integer() ? size_t(std::max<int64_t>(0, stop->as_int64())) : 0);
  }
  if (type == "Replace") {
    const JsonValue* pattern = json.find("pattern");
    const JsonValue* literal = pattern && pattern->is_object() ? pattern->find("String") : nullptr;
    const JsonValue* content = json.find("content");
    if (!literal || !literal->is_string() || !content || !content->is_string()) {
      fail(code::kUnsupported, where + ": only string patterns are supported in Replace decoders");
    }
    return std::make_unique<ReplaceDecoder>(literal->as_string(), content->as_string());
  }
  fail(code::kUnsupported, where + ": decoder type '" + type + "' is not supported");
}

}  // namespace albert::tok
