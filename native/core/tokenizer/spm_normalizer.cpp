#include "tokenizer/spm_normalizer.h"

#include <cstring>

#include "error.h"

namespace albert::tok {

namespace {
constexpr size_t kMaxRuleResults = 32;  // SentencePiece's kMaxTrieResultsSize
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// SentencePiece's IsValidDecodeUTF8: the length of the UTF-8 character at text, or 0 when malformed
// (a literal U+FFFD counts as valid).
size_t valid_utf8_length(const unsigned char* p, size_t n) {
  unsigned char b = p[0];
  auto trail = [&](size_t i) { return (p[i] & 0xC0) == 0x80; };
  auto valid = [](char32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); };
  if (b < 0x80) return 1;
  if (n >= 2 && (b & 0xE0) == 0xC0) {
    char32_t c = char32_t(b & 0x1F) << 6 | (p[1] & 0x3F);
    return trail(1) && c >= 0x80 && valid(c) ? 2 : 0;
  }
  if (n >= 3 && (b & 0xF0) == 0xE0) {
    char32_t c = char32_t(b & 0x0F) << 12 | char32_t(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
    return trail(1) && trail(2) && c >= 0x800 && valid(c) ? 3 : 0;
  }
  if (n >= 4 && (b & 0xF8) == 0xF0) {
    char32_t c = char32_t(b & 0x07) << 18 | char32_t(p[1] & 0x3F) << 12 | char32_t(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
    return trail(1) && trail(2) && trail(3) && c >= 0x10000 && valid(c) ? 4 : 0;
  }
  return 0;
}
}  // namespace

void decode_precompiled_charsmap(std::string_view blob, const std::string& where, DartsView* trie,
                                 std::string_view* replacements) {
  uint32_t trie_bytes = 0;
  if (blob.size() <= 4) fail(code::kInvalidTokenizer, where + ": precompiled_charsmap is broken (" + std::to_string(blob.size()) + " bytes)");
  std::memcpy(&trie_bytes, blob.data(), 4);  // little-endian on every supported platform
  if (trie_bytes >= blob.size() - 0) {
    fail(code::kInvalidTokenizer, where + ": precompiled_charsmap declares a " + std::to_string(trie_bytes) +
                                      "-byte trie but holds " + std::to_string(blob.size()) + " bytes");
  }
  blob.remove_prefix(4);
  if (trie_bytes > blob.size()) fail(code::kInvalidTokenizer, where + ": precompiled_charsmap trie exceeds the blob");
  std::vector<uint32_t> units(trie_bytes / 4);
  if (!units.empty()) std::memcpy(units.data(), blob.data(), units.size() * 4);
  *trie = DartsView(std::move(units));
  *replacements = blob.substr(trie_bytes);
}

SpmNormalizer::SpmNormalizer(const SpmNormalizerSpec& spec, bool treat_whitespace_as_suffix, const std::string& where)
    : spec_(spec), treat_whitespace_as_suffix_(treat_whitespace_as_suffix) {
  if (!spec_.precompiled_charsmap.empty()) {
    decode_precompiled_charsmap(spec_.precompiled_charsmap, where, &trie_, &replacements_);
  }
}

std::string_view SpmNormalizer::replacement_at(uint32_t offset) const {
  if (offset >= replacements_.size()) return {};
  std::string_view rest = replacements_.substr(offset);
  size_t nul = rest.find('\0');
  return nul == std::string_view::npos ? rest : rest.substr(0, nul);
}

std::pair<std::string_view, size_t> SpmNormalizer::normalize_prefix(const char* text, size_t n) const {
  if (user_defined_ && !user_defined_->empty()) {
    int32_t value = -1;
    size_t length = user_defined_->longest_prefix(text, n, &value);
    if (length > 0) return {std::string_view(text, length), length};
  }
  size_t longest = 0;
  uint32_t value = 0;
  if (!trie_.empty()) {
    DartsView::Result results[kMaxRuleResults];
    size_t count = std::min(trie_.common_prefix_search(text, n, results, kMaxRuleResults), kMaxRuleResults);
    for (size_t k = 0; k < count; ++k) {
      if (longest == 0 || results[k].length > longest) {
        longest = results[k].length;
        value = results[k].value;
      }
    }
  }
  if (longest == 0) {
    size_t length = valid_utf8_length(reinterpret_cast<const unsigned char*>(text), n);
    if (length == 0) return {kReplacementChar, 1};  // a malformed byte becomes U+FFFD, consuming one byte
    return {std::string_view(text, length), length};
  }
  return {replacement_at(value), longest};
}

bool SpmNormalizer::shortest_rule(std::string_view chunk, std::string_view* replacement) const {
  if (trie_.empty()) return false;
  DartsView::Result result;
  if (trie_.common_prefix_search(chunk.data(), chunk.size(), &result, 1) == 0) return false;
  *replacement = replacement_at(result.value);
  return true;
}

void SpmNormalizer::normalize(const AlignedUtf8& in, AlignedUtf8& out) const {
  out.clear();
  const char* text = in.bytes.data();
  const size_t size = in.bytes.size();
  if (size == 0) return;
  size_t consumed = 0;
  if (spec_.remove_extra_whitespaces) {
    while (consumed < size) {
      auto step = normalize_prefix(text + consumed, size - consumed);
      if (step.first != " ") break;
      consumed += step.second;
    }
  }
  if (consumed >= size) return;
  out.reserve((size - consumed) * 3 / 2 + 4);
  const bool escape = spec_.escape_whitespaces;
  const std::string_view space = escape ? kSpaceSymbol : std::string_view(" ");
  auto add_space = [&](Span s) { out.push_bytes(space, s); };

  if (!treat_whitespace_as_suffix_ && spec_.add_dummy_prefix) add_space(empty_at(in.spans[consumed].begin));

  bool prev_space = spec_.remove_extra_whitespaces;
  while (consumed < size) {
    auto step = normalize_prefix(text + consumed, size - consumed);
    std::string_view piece = step.first;
    Span span = in.span_of(consumed, consumed + step.second);
    while (prev_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    if (!piece.empty()) {
      for (char c : piece) {
        if (escape && c == ' ') {
          out.push_bytes(kSpaceSymbol, span);
        } else {
          out.bytes.push_back(c);
          out.spans.push_back(span);
        }
      }
      prev_space = piece.back() == ' ';
    }
    consumed += step.second;
    if (!spec_.remove_extra_whitespaces) prev_space = false;
  }
  if (spec_.remove_extra_whitespaces) {
    while (out.bytes.size() >= space.size() &&
           std::string_view(out.bytes).substr(out.bytes.size() - space.size()) == space) {
      out.bytes.resize(out.bytes.size() - space.size());
      out.spans.resize(out.bytes.size());
    }
  }
  if (treat_whitespace_as_suffix_ && spec_.add_dummy_prefix) {
    add_space(empty_at(out.spans.empty() ? in.spans.back().end : out.spans.back().end));
  }
}

}  // namespace albert::tok
