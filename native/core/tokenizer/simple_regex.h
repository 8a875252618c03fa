// The small regular-expression subset tokenizer.json files use in Replace normalizers (e.g. " {2,}"):
// a sequence of atoms (a literal, '.', a [class], or an escape such as \s \d \w) each with an optional
// greedy quantifier (* + ? {n} {n,} {n,m}). No groups or alternation: other patterns are rejected as
// unsupported. Matching backtracks within a step budget, so a hostile pattern fails instead of hanging.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace albert::tok {

class SimpleRegex {
 public:
  // Throws ERR_ALBERT_UNSUPPORTED (naming `where`) for constructs outside the subset.
  SimpleRegex(const std::string& pattern, const std::string& where);

  // Leftmost match at or after `from`: sets [begin, end) and returns true.
  bool find(const std::u32string& text, size_t from, size_t* begin, size_t* end) const;

 private:
  struct Range {
    char32_t lo, hi;
  };
  struct Atom {
    std::vector<Range> ranges;  // the characters it matches (any char when `any`)
    bool negated = false;
    bool any = false;
    size_t min = 1, max = 1;  // max SIZE_MAX for unbounded
  };
  bool matches(const Atom& atom, char32_t c) const;
  bool match_here(const std::u32string& text, size_t atom, size_t pos, size_t* end, size_t& budget) const;

  std::vector<Atom> atoms_;
  std::string where_;
};

}  // namespace albert::tok
