// Double-array tries (Aoe 1989): one array lookup per input byte, which is what makes the Viterbi loop
// and the normalizer fast. `DoubleArrayTrie` is built here from a key list; `DartsView` reads the
// darts-clone arrays that SentencePiece embeds in its precompiled normalization charsmap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace albert::tok {

class DoubleArrayTrie {
 public:
  // Builds from byte-string keys with values >= 0. Keys must be unique and non-empty.
  void build(std::vector<std::pair<std::string, int32_t>> keys);

  bool empty() const { return units_.empty(); }

  // Calls fn(length, value) for every key that is a prefix of text[0, n), shortest first.
  template <typename F>
  void for_each_prefix(const char* text, size_t n, F&& fn) const {
    if (units_.empty()) return;
    uint32_t node = 0;
    for (size_t i = 0; i < n; ++i) {
      uint32_t next = uint32_t(units_[node].base) + uint8_t(text[i]);
      if (next >= units_.size() || units_[next].check != int32_t(node)) return;
      node = next;
      if (units_[node].value >= 0) fn(i + 1, units_[node].value);
    }
  }

  // The value of exactly `key`, or -1.
  int32_t find(std::string_view key) const;
  // Length of the longest key that is a prefix of text[0, n) (0 when none); its value goes to `value`.
  size_t longest_prefix(const char* text, size_t n, int32_t* value) const;

 private:
  struct Unit {
    int32_t base = 0;
    int32_t check = -1;  // parent index; -1 = free
    int32_t value = -1;  // value of the key ending here; -1 = none
  };
  std::vector<Unit> units_;
};

// Read-only view of a darts-clone double array (as in SentencePiece's precompiled_charsmap), with bounds
// checks so a corrupt array can only fail to match.
class DartsView {
 public:
  DartsView() = default;
  explicit DartsView(std::vector<uint32_t> units) : units_(std::move(units)) {}
  bool empty() const { return units_.empty(); }

  struct Result {
    size_t length;
    uint32_t value;
  };
  // darts-clone commonPrefixSearch over text[0, n): writes up to `max` results (shortest first) and returns
  // how many matched in all. Stops at a NUL byte, as the darts key encoding cannot contain one.
  size_t common_prefix_search(const char* text, size_t n, Result* results, size_t max) const;

 private:
  std::vector<uint32_t> units_;
};

}  // namespace albert::tok
