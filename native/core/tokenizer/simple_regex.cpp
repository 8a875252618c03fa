#include "tokenizer/simple_regex.h"

#include <cstdint>

#include "error.h"
#include "tokenizer/text.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {
constexpr size_t kUnbounded = SIZE_MAX;
constexpr size_t kStepBudget = size_t(1) << 24;

// Class escapes as ranges; `word` and `digit` follow Unicode loosely (letters, numbers, marks, '_').
const std::vector<std::pair<char32_t, char32_t>> kSpaceRanges = {{9, 13}, {32, 32}, {0x85, 0x85}, {0xA0, 0xA0},
                                                                {0x1680, 0x1680}, {0x2000, 0x200A}, {0x2028, 0x2029},
                                                                {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}};
}  // namespace

SimpleRegex::SimpleRegex(const std::string& pattern, const std::string& where) : where_(where) {
  std::u32string p = decode_utf8(pattern);
  auto unsupported = [&](const std::string& what) {
    fail(code::kUnsupported, where + ": regex '" + pattern + "' uses " + what + ", which is not supported");
  };
  // Escapes for \s, \d, \w are expanded into marker ranges that `matches` interprets.
  auto escape_atom = [&](char32_t e, Atom& atom) {
    switch (e) {
      case 's': case 'S':
        for (auto [lo, hi] : kSpaceRanges) atom.ranges.push_back({lo, hi});
        atom.negated = e == 'S';
        return;
      case 'd': case 'D':
        atom.ranges.push_back({0x110001, 0x110001});  // marker: Unicode decimal digit
        atom.negated = e == 'D';
        return;
      case 'w': case 'W':
        atom.ranges.push_back({0x110002, 0x110002});  // marker: word character
        atom.negated = e == 'W';
        return;
      case 't': atom.ranges.push_back({9, 9}); return;
      case 'n': atom.ranges.push_back({10, 10}); return;
      case 'r': atom.ranges.push_back({13, 13}); return;
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) unsupported(std::string("\\") + char(e));
        atom.ranges.push_back({e, e});
    }
  };
  for (size_t i = 0; i < p.size();) {
    Atom atom;
    char32_t c = p[i];
    if (c == '(' || c == ')' || c == '|' || c == '^' || c == '$') unsupported("groups, alternation or anchors");
    if (c == '.') {
      atom.any = true;
      ++i;
    } else if (c == '\\') {
      if (i + 1 >= p.size()) unsupported("a trailing backslash");
      escape_atom(p[i + 1], atom);
      i += 2;
    } else if (c == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') {
        atom.negated = true;
        ++i;
      }
      bool first = true;
      while (i < p.size() && (p[i] != ']' || first)) {
        first = false;
        char32_t lo = p[i];
        if (lo == '\\') {
          if (i + 1 >= p.size()) unsupported("a trailing backslash");
          Atom inner;
          escape_atom(p[i + 1], inner);
          if (inner.negated) unsupported("negated escapes inside a class");
          atom.ranges.insert(atom.ranges.end(), inner.ranges.begin(), inner.ranges.end());
          i += 2;
          continue;
        }
        ++i;
        if (i + 1 < p.size() && p[i] == '-' && p[i + 1] != ']') {
          atom.ranges.push_back({lo, p[i + 1]});
          i += 2;
        } else {
          atom.ranges.push_back({lo, lo});
        }
      }
      if (i >= p.size()) unsupported("an unterminated class");
      ++i;
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      unsupported("a quantifier with nothing to repeat");
    } else {
      atom.ranges.push_back({c, c});
      ++i;
    }
    if (i < p.size()) {
      char32_t q = p[i];
      if (q == '*') {
        atom.min = 0, atom.max = kUnbounded, ++i;
      } else if (q == '+') {
        atom.min = 1, atom.max = kUnbounded, ++i;
      } else if (q == '?') {
        atom.min = 0, atom.max = 1, ++i;
      } else if (q == '{') {
        size_t close = p.find('}', i);
        if (close == std::u32string::npos) unsupported("an unterminated {n,m}");
        std::string body = to_utf8(p.substr(i + 1, close - i - 1));
        size_t comma = body.find(',');
        auto number = [&](const std::string& s) {
          if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) unsupported("a bad {n,m}");
          return size_t(std::stoul(s));
        };
        if (comma == std::string::npos) {
          atom.min = atom.max = number(body);
        } else {
          atom.min = number(body.substr(0, comma));
          atom.max = comma + 1 == body.size() ? kUnbounded : number(body.substr(comma + 1));
        }
        if (atom.max < atom.min) unsupported("{n,m} with m < n");
        i = close + 1;
      }
      if (i < p.size() && (p[i] == '?' || p[i] == '+') && (q == '*' || q == '+' || q == '?' || q == '{')) {
        unsupported("lazy or possessive quantifiers");
      }
    }
    atoms_.push_back(std::move(atom));
  }
  if (atoms_.empty()) unsupported("an empty pattern");
}

bool SimpleRegex::matches(const Atom& atom, char32_t c) const {
  if (atom.any) return c != '\n';
  bool hit = false;
  for (const Range& r : atom.ranges) {
    if (r.lo == 0x110001) {
      hit = unicode::has(c, unicode_data::kCatNumber) && unicode::is_python_digit(c);
    } else if (r.lo == 0x110002) {
      hit = c == '_' || unicode::is_alphanumeric(c) || unicode::is_mark(c);
    } else {
      hit = c >= r.lo && c <= r.hi;
    }
    if (hit) break;
  }
  return hit != atom.negated;
}

bool SimpleRegex::match_here(const std::u32string& text, size_t atom, size_t pos, size_t* end, size_t& budget) const {
  if (atom == atoms_.size()) {
    *end = pos;
    return true;
  }
  const Atom& a = atoms_[atom];
  size_t count = 0;
  while (count < a.max && pos + count < text.size() && matches(a, text[pos + count])) ++count;
  if (count < a.min) return false;
  for (size_t n = count + 1; n-- > a.min;) {  // greedy: longest first
    if (budget-- == 0) fail(code::kUnsupported, where_ + ": regex too expensive to match");
    if (match_here(text, atom + 1, pos + n, end, budget)) return true;
  }
  return false;
}

bool SimpleRegex::find(const std::u32string& text, size_t from, size_t* begin, size_t* end) const {
  size_t budget = kStepBudget;
  for (size_t start = from; start <= text.size(); ++start) {
    if (match_here(text, 0, start, end, budget)) {
      *begin = start;
      return true;
    }
  }
  return false;
}

}  // namespace albert::tok
