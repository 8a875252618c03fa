#include "tokenizer/albert_preprocess.h"

#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

// " ".join(text.strip().split()): each whitespace run becomes one space spanning the run.
void remove_space(const AlignedText& in, AlignedText& out) {
  out.clear();
  out.reserve(in.size());
  size_t i = 0;
  const size_t n = in.size();
  while (i < n && unicode::is_python_space(in.chars[i])) ++i;
  while (i < n) {
    if (unicode::is_python_space(in.chars[i])) {
      size_t run = i;
      while (i < n && unicode::is_python_space(in.chars[i])) ++i;
      if (i < n) out.push(U' ', in.span_of(run, i));
    } else {
      out.push(in.chars[i], in.spans[i]);
      ++i;
    }
  }
}

// str.replace(pair, '"') left to right, non-overlapping; false when nothing was replaced.
bool replace_pair(const AlignedText& in, char32_t quote, AlignedText& out) {
  bool found = false;
  for (size_t i = 0; i + 1 < in.size(); ++i) {
    if (in.chars[i] == quote && in.chars[i + 1] == quote) {
      found = true;
      break;
    }
  }
  if (!found) return false;
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size();) {
    if (i + 1 < in.size() && in.chars[i] == quote && in.chars[i + 1] == quote) {
      out.push(U'"', join(in.spans[i], in.spans[i + 1]));
      i += 2;
    } else {
      out.push(in.chars[i], in.spans[i]);
      ++i;
    }
  }
  return true;
}

bool all_ascii(const AlignedText& t) {
  for (char32_t c : t.chars) {
    if (c >= 0x80) return false;
  }
  return true;
}

}  // namespace

void albert_preprocess(const AlignedText& in, const AlbertOptions& options, AlignedText& out, AlignedText& scratch) {
  if (options.remove_space) {
    remove_space(in, out);
  } else {
    out = in;
  }
  if (replace_pair(out, U'`', scratch)) std::swap(out, scratch);
  if (replace_pair(out, U'\'', scratch)) std::swap(out, scratch);
  const bool ascii = all_ascii(out);
  if (!options.keep_accents && !ascii && !unicode::nfkd_is_identity(out.chars)) {
    unicode::decompose(out, true, scratch);
    out.clear();
    for (size_t i = 0; i < scratch.size(); ++i) {
      if (unicode::combining_class(scratch.chars[i]) == 0) out.push(scratch.chars[i], scratch.spans[i]);
    }
  }
  if (options.do_lower_case) {
    if (ascii) {
      for (char32_t& c : out.chars) {
        if (c >= 'A' && c <= 'Z') c += 32;
      }
    } else {
      unicode::python_lower(out, scratch, true);
      std::swap(out, scratch);
    }
  }
}

}  // namespace albert::tok
