// The output of tokenization: ids with their original-text spans and (optionally) their token strings,
// stored in parallel arrays so batch encoding does not allocate a string per token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/text.h"

namespace albert::tok {

class TokenList {
 public:
  explicit TokenList(bool keep_text = true) : keep_text_(keep_text) {}

  void push(int32_t id, Span span, std::string_view text) {
    ids.push_back(id);
    spans.push_back(span);
    if (keep_text_) {
      texts_.append(text);
      text_ends_.push_back(uint32_t(texts_.size()));
    }
  }
  void append(const TokenList& other) {
    for (size_t i = 0; i < other.size(); ++i) push(other.ids[i], other.spans[i], other.text(i));
  }
  size_t size() const { return ids.size(); }
  bool keeps_text() const { return keep_text_; }
  std::string_view text(size_t i) const {
    if (!keep_text_) return {};
    uint32_t begin = i == 0 ? 0 : text_ends_[i - 1];
    return std::string_view(texts_).substr(begin, text_ends_[i] - begin);
  }
  void resize(size_t n) {
    if (n >= size()) return;
    ids.resize(n);
    spans.resize(n);
    if (keep_text_) {
      texts_.resize(n == 0 ? 0 : text_ends_[n - 1]);
      text_ends_.resize(n);
    }
  }
  void clear() { resize(0); }
  void reserve(size_t n) {
    ids.reserve(n);
    spans.reserve(n);
    if (keep_text_) text_ends_.reserve(n);
  }

  std::vector<int32_t> ids;
  std::vector<Span> spans;

 private:
  bool keep_text_;
  std::string texts_;
  std::vector<uint32_t> text_ends_;
};

}  // namespace albert::tok
