#include "tokenizer/wordpiece.h"

#include "error.h"

namespace albert::tok {

WordPieceVocab WordPieceVocab::from_vocab_txt(std::string_view text, const std::string& source) {
  if (text.empty()) fail(code::kInvalidTokenizer, source + ": the vocabulary is empty");
  if (!is_valid_utf8(text)) fail(code::kInvalidTokenizer, source + ": not valid UTF-8");
  WordPieceVocab v;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = text.find_first_of("\r\n", i);
    if (end == std::string_view::npos) {
      v.tokens_.emplace_back(text.substr(i));
      break;
    }
    v.tokens_.emplace_back(text.substr(i, end - i));
    i = end + ((text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ? 2 : 1);
  }
  if (v.tokens_.size() > size_t(INT32_MAX / 2)) fail(code::kInvalidTokenizer, source + ": too many tokens");
  v.present_.assign(v.tokens_.size(), true);
  v.index(source);
  return v;
}

WordPieceVocab WordPieceVocab::from_pairs(std::vector<std::pair<std::string, int32_t>> pairs, const std::string& source,
                                          const std::string& continuing_prefix) {
  WordPieceVocab v;
  v.prefix_ = continuing_prefix;
  int32_t max_id = -1;
  for (const auto& p : pairs) max_id = std::max(max_id, p.second);
  if (pairs.empty()) fail(code::kInvalidTokenizer, source + ": the vocabulary is empty");
  if (max_id >= int32_t(pairs.size()) * 4 + 1024) fail(code::kInvalidTokenizer, source + ": token ids are too sparse");
  v.tokens_.resize(size_t(max_id) + 1);
  v.present_.assign(v.tokens_.size(), false);
  for (auto& [token, id] : pairs) {
    if (id < 0) fail(code::kInvalidTokenizer, source + ": token '" + token + "' has a negative id");
    if (v.present_[size_t(id)]) fail(code::kInvalidTokenizer, source + ": id " + std::to_string(id) + " is used twice");
    v.tokens_[size_t(id)] = std::move(token);
    v.present_[size_t(id)] = true;
  }
  v.index(source);
  return v;
}

void WordPieceVocab::index(const std::string& source) {
  std::vector<std::pair<std::string, int32_t>> starts, continuations;
  ids_.reserve(tokens_.size());
  for (size_t id = 0; id < tokens_.size(); ++id) {
    if (!present_[id]) continue;
    const std::string& t = tokens_[id];
    auto [it, inserted] = ids_.emplace(std::string_view(t), int32_t(id));
    if (!inserted) {
      fail(code::kInvalidTokenizer, source + ": token '" + t + "' appears twice (ids " + std::to_string(it->second) + " and " +
                                        std::to_string(id) + ")");
    }
    if (t.empty()) continue;
    starts.emplace_back(t, int32_t(id));
    if (!prefix_.empty() && t.size() > prefix_.size() && t.compare(0, prefix_.size(), prefix_) == 0) {
      continuations.emplace_back(t.substr(prefix_.size()), int32_t(id));
    }
  }
  starts_.build(std::move(starts));
  continuations_.build(std::move(continuations));
}

int32_t WordPieceVocab::find(std::string_view token) const {
  auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

void WordPieceVocab::tokenize_word(const AlignedText& word, size_t begin, size_t end, int32_t unk_id,
                                   const std::string& unk_token, size_t max_chars, WordPieceScratch& scratch,
                                   TokenList& out) const {
  if (end <= begin) return;
  if (end - begin > max_chars) {
    out.push(unk_id, word.span_of(begin, end), unk_token);
    return;
  }
  char buffer[4];
  if (end - begin == 1) {  // one character (every CJK ideograph): a single exact lookup
    size_t n = encode_utf8(word.chars[begin], buffer);
    int32_t id = starts_.find(std::string_view(buffer, n));
    if (id >= 0) {
      out.push(id, word.spans[begin], tokens_[size_t(id)]);
    } else {
      out.push(unk_id, word.spans[begin], unk_token);
    }
    return;
  }
  // UTF-8 of the word, with the byte offset of every character (and back).
  std::string& utf8 = scratch.utf8;
  utf8.clear();
  auto& byte_of = scratch.byte_of;
  byte_of.resize(end - begin + 1);
  for (size_t i = begin; i < end; ++i) {
    byte_of[i - begin] = uint32_t(utf8.size());
    utf8.append(buffer, encode_utf8(word.chars[i], buffer));
  }
  byte_of[end - begin] = uint32_t(utf8.size());
  auto& char_at = scratch.char_at;
  char_at.assign(utf8.size() + 1, 0);
  for (size_t i = 0; i <= end - begin; ++i) char_at[byte_of[i]] = uint32_t(i);

  const size_t mark = out.size();
  size_t pos = 0;  // byte offset
  while (pos < utf8.size()) {
    const DoubleArrayTrie& trie = pos == 0 ? starts_ : continuations_;
    int32_t id = -1;
    size_t length = trie.longest_prefix(utf8.data() + pos, utf8.size() - pos, &id);
    if (length == 0) {
      out.resize(mark);
      out.push(unk_id, word.span_of(begin, end), unk_token);
      return;
    }
    size_t c0 = begin + char_at[pos], c1 = begin + char_at[pos + length];
    out.push(id, word.span_of(c0, c1), tokens_[size_t(id)]);
    pos += length;
  }
}

}  // namespace albert::tok
