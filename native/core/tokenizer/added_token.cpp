#include "tokenizer/added_token.h"

#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {
void index_by_first(const std::vector<std::u32string>& list, std::unordered_map<char32_t, std::vector<int32_t>>& map) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].empty()) map[list[i][0]].push_back(int32_t(i));
  }
}

void rstrip(AlignedText& t) {
  size_t n = t.size();
  while (n > 0 && unicode::is_python_space(t.chars[n - 1])) --n;
  t.chars.resize(n);
  t.spans.resize(n);
}

void lstrip(AlignedText& t) {
  size_t n = 0;
  while (n < t.size() && unicode::is_python_space(t.chars[n])) ++n;
  t.chars.erase(0, n);
  t.spans.erase(t.spans.begin(), t.spans.begin() + long(n));
}
}  // namespace

SlowAddedTokenSplitter::SlowAddedTokenSplitter(std::vector<AddedToken> tokens, std::vector<std::string> protected_from_lowercase)
    : tokens_(std::move(tokens)) {
  for (const AddedToken& t : tokens_) contents_.push_back(decode_utf8(t.content));
  index_by_first(contents_, by_first_);
  for (const std::string& p : protected_from_lowercase) protected_.push_back(decode_utf8(p));
  index_by_first(protected_, protected_by_first_);
  for (const auto& [c, list] : by_first_) first_.add(c);
  for (const auto& [c, list] : protected_by_first_) protected_first_.add(c);
}

int32_t SlowAddedTokenSplitter::match_at(const std::u32string& text, size_t pos, const std::vector<std::u32string>& candidates,
                                         const std::unordered_map<char32_t, std::vector<int32_t>>& by_first,
                                         bool first_wins) const {
  auto it = by_first.find(text[pos]);
  if (it == by_first.end()) return -1;
  int32_t best = -1;
  for (int32_t index : it->second) {
    const std::u32string& c = candidates[size_t(index)];
    if (c.size() <= text.size() - pos && text.compare(pos, c.size(), c) == 0) {
      if (first_wins) return index;  // a regex alternation takes the first alternative that matches
      if (best < 0 || c.size() > candidates[size_t(best)].size()) best = index;
    }
  }
  return best;
}

void SlowAddedTokenSplitter::split(const AlignedText& input, bool lowercase, std::vector<TextSegment>& out) const {
  // Segments are reused from call to call so their buffers keep their capacity.
  size_t used = 0;
  auto emit = [&](const AlignedText& from, size_t begin, size_t end, int32_t token) {
    if (used == out.size()) out.emplace_back();
    TextSegment& seg = out[used++];
    seg.text.chars.assign(from.chars, begin, end - begin);
    seg.text.spans.assign(from.spans.begin() + long(begin), from.spans.begin() + long(end));
    seg.token = token;
  };
  // 1. Lowercase each character outside protected tokens (re.sub with "(tok1|tok2|...)|(.+?)").
  thread_local AlignedText lowered;
  lowered.clear();
  const AlignedText* text = &input;
  if (lowercase) {
    lowered.reserve(input.size());
    std::u32string scratch;
    for (size_t i = 0; i < input.size();) {
      char32_t c = input.chars[i];
      if (c < 0x80 && !protected_first_.may_start(c)) {
        lowered.push(c >= 'A' && c <= 'Z' ? c + 32 : c, input.spans[i]);
        ++i;
        continue;
      }
      int32_t p = !protected_first_.may_start(c) ? -1 : match_at(input.chars, i, protected_, protected_by_first_, true);
      if (p >= 0) {
        size_t n = protected_[size_t(p)].size();
        lowered.append(input, i, i + n);
        i += n;
        continue;
      }
      scratch.clear();
      unicode::append_lower(input.chars[i], scratch);
      for (char32_t c : scratch) lowered.push(c, input.spans[i]);
      ++i;
    }
    text = &lowered;
  }
  // 2. Split on added tokens, leftmost-longest.
  size_t start = 0;
  for (size_t i = 0; i < text->size() && !contents_.empty();) {
    if (!first_.may_start(text->chars[i])) {
      ++i;
      continue;
    }
    int32_t m = match_at(text->chars, i, contents_, by_first_, false);
    if (m < 0) {
      ++i;
      continue;
    }
    if (start < i) emit(*text, start, i, -1);
    size_t n = contents_[size_t(m)].size();
    emit(*text, i, i + n, m);
    i += n;
    start = i;
  }
  if (start < text->size()) emit(*text, start, text->size(), -1);
  out.resize(used);
  if (lowered.chars.capacity() > (size_t(1) << 20)) lowered = AlignedText();
  // 3. Whitespace stripping and single-word rules, as transformers applies them in order.
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].token < 0) continue;
    const AddedToken& tok = tokens_[size_t(out[i].token)];
    TextSegment* left = i > 0 ? &out[i - 1] : nullptr;
    TextSegment* right = i + 1 < out.size() ? &out[i + 1] : nullptr;
    if (tok.rstrip && right && !right->text.empty()) lstrip(right->text);
    if (tok.lstrip && left && !left->text.empty()) rstrip(left->text);
    if (tok.single_word && left && !left->text.empty() && left->text.chars.back() != U' ') {
      left->text.append(out[i].text, 0, out[i].text.size());
      out[i].text.clear();
    } else if (tok.single_word && right && !right->text.empty() && right->text.chars.front() != U' ') {
      AlignedText merged = out[i].text;
      merged.append(right->text, 0, right->text.size());
      right->text = std::move(merged);
      out[i].text.clear();
    }
  }
  // A segment merged into its neighbour by single_word is plain text again.
  size_t write = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i].text.empty()) continue;
    if (out[i].token >= 0 && out[i].text.chars != contents_[size_t(out[i].token)]) out[i].token = -1;
    if (write != i) out[write] = std::move(out[i]);
    ++write;
  }
  out.resize(write);
}

}  // namespace albert::tok
