#include "tokenizer/double_array.h"

#include <algorithm>

#include "error.h"

namespace albert::tok {

void DoubleArrayTrie::build(std::vector<std::pair<std::string, int32_t>> keys) {
  units_.clear();
  std::sort(keys.begin(), keys.end());
  // Free cells form a doubly linked list so the base search only visits free cells.
  std::vector<int32_t> next_free, prev_free;
  auto grow = [&](size_t size) {
    size_t old = units_.size();
    if (size <= old) return;
    if (size >= size_t(INT32_MAX) - 512) fail(code::kInvalidTokenizer, "vocabulary too large for the trie");
    units_.resize(size);
    next_free.resize(size);
    prev_free.resize(size);
    // Append [old, size) to the end of the list (the list head is cell 0's links; cell 0 is the root).
    for (size_t i = std::max<size_t>(old, 1); i < size; ++i) {
      int32_t last = prev_free[0];
      next_free[size_t(last)] = int32_t(i);
      prev_free[i] = last;
      next_free[i] = 0;
      prev_free[0] = int32_t(i);
    }
  };
  auto take = [&](size_t i) {
    next_free[size_t(prev_free[i])] = next_free[i];
    prev_free[size_t(next_free[i])] = prev_free[i];
  };
  units_.resize(1);
  next_free.assign(1, 0);
  prev_free.assign(1, 0);
  units_[0].check = 0;  // the root is never free
  grow(1024);

  struct Work {
    uint32_t node;
    size_t lo, hi, depth;
  };
  std::vector<Work> stack;
  if (!keys.empty()) stack.push_back({0, 0, keys.size(), 0});
  std::vector<std::pair<uint8_t, std::pair<size_t, size_t>>> children;
  while (!stack.empty()) {
    Work w = stack.back();
    stack.pop_back();
    size_t lo = w.lo;
    if (keys[lo].first.size() == w.depth) {
      units_[w.node].value = keys[lo].second;
      ++lo;
    }
    children.clear();
    for (size_t i = lo; i < w.hi;) {
      uint8_t label = uint8_t(keys[i].first[w.depth]);
      size_t j = i + 1;
      while (j < w.hi && uint8_t(keys[j].first[w.depth]) == label) ++j;
      children.push_back({label, {i, j}});
      i = j;
    }
    if (children.empty()) continue;
    const size_t first_label = children[0].first;
    size_t base = 0;
    for (int32_t cell = next_free[0];; cell = next_free[size_t(cell)]) {
      if (cell == 0) {  // no free cell fits: place the children past the end
        base = std::max(units_.size(), first_label + 1) - first_label;
        break;
      }
      if (size_t(cell) <= first_label) continue;
      size_t b = size_t(cell) - first_label;
      bool fits = true;
      for (const auto& child : children) {
        size_t pos = b + child.first;
        if (pos < units_.size() && units_[pos].check != -1) {
          fits = false;
          break;
        }
      }
      if (fits) {
        base = b;
        break;
      }
    }
    grow(base + 256 + 1);
    units_[w.node].base = int32_t(base);
    for (const auto& child : children) {
      size_t pos = base + child.first;
      units_[pos].check = int32_t(w.node);
      take(pos);
    }
    for (const auto& child : children) {
      stack.push_back({uint32_t(base + child.first), child.second.first, child.second.second, w.depth + 1});
    }
  }
  while (units_.size() > 1 && units_.back().check == -1) units_.pop_back();
  units_.shrink_to_fit();
}

int32_t DoubleArrayTrie::find(std::string_view key) const {
  if (units_.empty() || key.empty()) return -1;
  uint32_t node = 0;
  for (char c : key) {
    uint32_t next = uint32_t(units_[node].base) + uint8_t(c);
    if (next >= units_.size() || units_[next].check != int32_t(node)) return -1;
    node = next;
  }
  return units_[node].value;
}

size_t DoubleArrayTrie::longest_prefix(const char* text, size_t n, int32_t* value) const {
  size_t best = 0;
  for_each_prefix(text, n, [&](size_t length, int32_t v) {
    best = length;
    *value = v;
  });
  return best;
}

size_t DartsView::common_prefix_search(const char* text, size_t n, Result* results, size_t max) const {
  auto offset = [](uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
  auto label = [](uint32_t unit) { return unit & ((1u << 31) | 0xFF); };
  auto has_leaf = [](uint32_t unit) { return ((unit >> 8) & 1) == 1; };
  size_t found = 0;
  if (units_.empty()) return 0;
  size_t node = offset(units_[0]);
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = uint8_t(text[i]);
    if (c == 0) break;
    node ^= c;
    if (node >= units_.size()) break;
    uint32_t unit = units_[node];
    if (label(unit) != c) break;
    node ^= offset(unit);
    if (has_leaf(unit)) {
      if (node >= units_.size()) break;
      if (found < max) results[found] = {i + 1, units_[node] & ((1u << 31) - 1)};
      ++found;
    }
  }
  return found;
}

}  // namespace albert::tok
