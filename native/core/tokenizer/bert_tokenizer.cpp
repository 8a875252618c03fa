#include "tokenizer/bert_tokenizer.h"

#include <algorithm>

#include "error.h"
#include "tokenizer/slow_tokenizer_setup.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {
struct Workspace {
  std::vector<TextSegment> segments;
  AlignedText words_text;
  std::vector<std::pair<size_t, size_t>> words;
  BertBasicScratch basic;
  WordPieceScratch wordpiece;
  void trim() {
    constexpr size_t kKeep = size_t(1) << 20;
    if (words_text.chars.capacity() > kKeep || basic.cleaned.chars.capacity() > kKeep || words.capacity() > kKeep) {
      *this = Workspace();
    }
  }
};
thread_local Workspace tls_workspace;
}  // namespace

std::shared_ptr<const BertTokenizer> BertTokenizer::create(WordPieceVocab vocab, const TokenizerConfig& config,
                                                           const std::string& source) {
  auto t = std::make_shared<BertTokenizer>(Key());
  t->vocab_ = std::move(vocab);
  t->source_ = source;
  t->basic_.do_lower_case = config.do_lower_case.value_or(true);
  t->basic_.tokenize_chinese_chars = config.tokenize_chinese_chars.value_or(true);
  t->basic_.strip_accents = config.strip_accents ? (*config.strip_accents ? 1 : 0) : -1;
  t->do_basic_tokenize_ = config.do_basic_tokenize.value_or(true);
  t->clean_up_spaces_ = config.clean_up_tokenization_spaces.value_or(true);
  t->model_max_length_ = config.model_max_length;
  for (const std::string& s : config.never_split) {
    t->never_split_.add(decode_utf8(s));
    t->never_split_and_specials_.add(decode_utf8(s));
  }

  SlowTokenizerDefaults defaults;
  defaults.unk = "[UNK]";
  defaults.sep = "[SEP]";
  defaults.pad = "[PAD]";
  defaults.cls = "[CLS]";
  defaults.mask = "[MASK]";
  const WordPieceVocab& v = t->vocab_;
  SlowTokenizerSetup setup = setup_slow_tokenizer(
      config, defaults, v.size(), [&](const std::string& s) { return v.find(s); }, source, t->basic_.do_lower_case);
  t->special_ = setup.special;
  t->added_ids_ = setup.added_ids;
  t->added_tokens_ = setup.added_beyond_vocab;
  t->splitter_ = SlowAddedTokenSplitter(setup.added, setup.protected_from_lowercase);
  for (const std::string& s : setup.all_special_tokens) t->never_split_and_specials_.add(decode_utf8(s));
  t->unk_token_ = t->special_.unk.token;
  t->unk_id_ = t->unk_token_.empty() ? -1 : v.find(t->unk_token_);
  if (t->unk_id_ < 0) {
    fail(code::kInvalidTokenizer, source + ": the unknown token '" + t->unk_token_ + "' is not in the vocabulary");
  }
  t->finish_specials(true);
  if (t->special_.cls.id < 0 || t->special_.sep.id < 0) {
    fail(code::kInvalidTokenizer, source + ": the [CLS] and [SEP] tokens ('" + t->special_.cls.token + "', '" +
                                      t->special_.sep.token + "') must be in the vocabulary");
  }
  return t;
}

int32_t BertTokenizer::vocab_size() const {
  int32_t n = vocab_.size();
  for (const auto& [id, token] : added_tokens_) n = std::max(n, id + 1);
  return n;
}

bool BertTokenizer::id_to_token(int32_t id, std::string* token) const {
  if (vocab_.has_id(id)) {
    *token = vocab_.token(id);
    return true;
  }
  auto it = added_tokens_.find(id);
  if (it == added_tokens_.end()) {
    // transformers maps ids it does not know to the unknown token.
    if (id >= 0 && id < vocab_size()) {
      *token = unk_token_;
      return true;
    }
    return false;
  }
  *token = it->second;
  return true;
}

int32_t BertTokenizer::token_to_id(std::string_view token) const {
  auto it = added_ids_.find(std::string(token));
  if (it != added_ids_.end()) return it->second;
  return vocab_.find(token);
}

int32_t BertTokenizer::lookup(const std::string& token) const {
  int32_t id = token_to_id(token);
  return id >= 0 ? id : unk_id_;
}

void BertTokenizer::tokenize(const AlignedText& text, TokenList& out) const {
  Workspace& ws = tls_workspace;
  splitter_.split(text, basic_.do_lower_case, ws.segments);
  for (const TextSegment& segment : ws.segments) {
    if (segment.token >= 0) {
      const AddedToken& added = splitter_.tokens()[size_t(segment.token)];
      out.push(added.id, segment.text.span_of(0, segment.text.size()), added.content);
    } else {
      tokenize_segment(segment.text, out);
    }
  }
  ws.trim();
}

void BertTokenizer::tokenize_segment(const AlignedText& segment, TokenList& out) const {
  Workspace& ws = tls_workspace;
  if (do_basic_tokenize_) {
    bert_basic_tokenize(segment, basic_, never_split_and_specials_, ws.basic, ws.words_text, ws.words);
  } else {
    // WordpieceTokenizer alone splits on whitespace only (str.split()).
    ws.words_text = segment;
    ws.words.clear();
    for (size_t i = 0; i < segment.size();) {
      while (i < segment.size() && unicode::is_python_space(segment.chars[i])) ++i;
      size_t s = i;
      while (i < segment.size() && !unicode::is_python_space(segment.chars[i])) ++i;
      if (s < i) ws.words.push_back({s, i});
    }
  }
  for (const auto& [begin, end] : ws.words) {
    if (do_basic_tokenize_ && !never_split_.empty() && never_split_.contains(ws.words_text.chars.data() + begin, end - begin)) {
      {
        std::string token = to_utf8(ws.words_text.chars.substr(begin, end - begin));
        out.push(lookup(token), ws.words_text.span_of(begin, end), token);
        continue;
      }
    }
    vocab_.tokenize_word(ws.words_text, begin, end, unk_id_, unk_token_, max_input_chars_per_word_, ws.wordpiece, out);
  }
}

std::string BertTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  // transformers: PreTrainedTokenizer._decode + BertTokenizer.convert_tokens_to_string (" ".join, drop " ##").
  std::vector<std::string> sub_texts;
  std::string current;
  std::string token;
  auto flush = [&] {
    if (current.empty()) return;
    std::string s;
    for (size_t i = 0; i < current.size();) {
      if (current.compare(i, 3, " ##") == 0) {
        i += 3;
      } else {
        s.push_back(current[i++]);
      }
    }
    size_t b = s.find_first_not_of(" \t\n\r"), e = s.find_last_not_of(" \t\n\r");
    sub_texts.push_back(b == std::string::npos ? "" : s.substr(b, e - b + 1));
    current.clear();
  };
  bool have_current = false;
  for (int32_t id : ids) {
    if (skip_special_tokens && is_special_id(id)) continue;
    id_to_token(id, &token);
    auto added = added_ids_.find(token);
    bool legacy_added = added != added_ids_.end() && !is_special_id(added->second);
    if (legacy_added) {
      if (have_current) {
        flush();
        if (!sub_texts.empty() && sub_texts.back().empty()) sub_texts.pop_back();
      }
      have_current = false;
      sub_texts.push_back(token);
    } else {
      if (have_current) current += " ";
      current += token;
      have_current = true;
    }
  }
  if (have_current) flush();
  std::string text;
  for (size_t i = 0; i < sub_texts.size(); ++i) {
    if (i) text += " ";
    text += sub_texts[i];
  }
  return clean_up_spaces_ ? clean_up_tokenization(text) : text;
}

}  // namespace albert::tok
