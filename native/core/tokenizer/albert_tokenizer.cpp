#include "tokenizer/albert_tokenizer.h"

#include <algorithm>

#include "error.h"
#include "tokenizer/slow_tokenizer_setup.h"
#include "tokenizer/unicode.h"

namespace albert::tok {

namespace {

struct Workspace {
  std::vector<TextSegment> segments;
  AlignedText pre, scratch;
  AlignedUtf8 utf8;
  SpmScratch spm, spm_inner;
  std::vector<SpmToken> pieces, inner;
  AlignedUtf8 inner_text;

  // Large inputs should not pin their buffers to the thread forever.
  void trim() {
    constexpr size_t kKeep = size_t(1) << 20;
    if (pre.chars.capacity() > kKeep || utf8.bytes.capacity() > kKeep || spm.normalized.bytes.capacity() > kKeep ||
        spm.viterbi.capacity() > kKeep) {
      *this = Workspace();
    }
  }
};

thread_local Workspace tls_workspace;

bool starts_with_space_symbol(std::string_view s) { return s.substr(0, kSpaceSymbol.size()) == kSpaceSymbol; }

// The code point that ends just before byte `end` of a UTF-8 string.
char32_t code_point_before(std::string_view s, size_t end) {
  size_t start = end;
  while (start > 0 && (uint8_t(s[start - 1]) & 0xC0) == 0x80) --start;
  if (start > 0) --start;
  std::u32string cp = decode_utf8(s.substr(start, end - start));
  return cp.empty() ? 0 : cp.back();
}

size_t code_point_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (uint8_t(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

std::shared_ptr<const AlbertTokenizer> AlbertTokenizer::create_raw(std::shared_ptr<const SentencePieceModel> model) {
  auto t = std::make_shared<AlbertTokenizer>(Key());
  t->model_ = std::move(model);
  t->raw_ = true;
  t->source_ = t->model_->source();
  t->special_.unk.token = t->model_->id_to_piece(t->model_->unk_id());
  const auto& trainer = t->model_->proto().trainer;
  for (auto [named, piece] : {std::pair{&t->special_.pad, &trainer.pad_piece}, std::pair{&t->special_.bos, &trainer.bos_piece},
                               std::pair{&t->special_.eos, &trainer.eos_piece}}) {
    if (t->model_->has_piece(*piece)) named->token = *piece;
  }
  t->finish_specials(false);
  return t;
}

std::shared_ptr<const AlbertTokenizer> AlbertTokenizer::create(std::shared_ptr<const SentencePieceModel> model,
                                                               const TokenizerConfig& config) {
  auto t = std::make_shared<AlbertTokenizer>(Key());
  t->model_ = std::move(model);
  t->source_ = t->model_->source();
  t->options_.do_lower_case = config.do_lower_case.value_or(true);
  t->options_.remove_space = config.remove_space.value_or(true);
  t->options_.keep_accents = config.keep_accents.value_or(false);
  t->clean_up_spaces_ = config.clean_up_tokenization_spaces.value_or(false);
  t->model_max_length_ = config.model_max_length;

  SlowTokenizerDefaults defaults;
  defaults.bos = "[CLS]";
  defaults.eos = "[SEP]";
  defaults.unk = "<unk>";
  defaults.sep = "[SEP]";
  defaults.pad = "<pad>";
  defaults.cls = "[CLS]";
  defaults.mask = "[MASK]";
  defaults.mask_lstrip = true;  // AlbertTokenizer: "[MASK]" behaves like a word and eats the space before it
  const SentencePieceModel& m = *t->model_;
  SlowTokenizerSetup setup = setup_slow_tokenizer(
      config, defaults, m.size(), [&](const std::string& s) { return m.has_piece(s) ? m.piece_to_id(s) : -1; }, t->source_);
  t->special_ = setup.special;
  t->added_ids_ = setup.added_ids;
  t->added_trie_.build(std::vector<std::pair<std::string, int32_t>>(setup.added_ids.begin(), setup.added_ids.end()));
  t->added_tokens_ = setup.added_beyond_vocab;
  t->splitter_ = SlowAddedTokenSplitter(setup.added, setup.protected_from_lowercase);
  t->ids_need_lookup_ = m.has_shadowed_pieces();
  for (const AddedToken& a : setup.added) {
    if (m.is_matchable_piece(a.content)) t->ids_need_lookup_ = true;
  }
  t->finish_specials(true);
  if (t->special_.cls.id < 0 || t->special_.sep.id < 0) {
    fail(code::kInvalidTokenizer, t->source_ + ": the [CLS] and [SEP] tokens ('" + t->special_.cls.token + "', '" +
                                      t->special_.sep.token + "') must be in the vocabulary");
  }
  return t;
}

int32_t AlbertTokenizer::vocab_size() const {
  int32_t n = model_->size();
  for (const auto& [id, token] : added_tokens_) n = std::max(n, id + 1);
  return n;
}

bool AlbertTokenizer::id_to_token(int32_t id, std::string* token) const {
  if (id >= 0 && id < model_->size()) {
    *token = model_->id_to_piece(id);
    return true;
  }
  auto it = added_tokens_.find(id);
  if (it == added_tokens_.end()) return false;
  *token = it->second;
  return true;
}

int32_t AlbertTokenizer::token_to_id(std::string_view token) const {
  auto it = added_ids_.find(std::string(token));
  if (it != added_ids_.end()) return it->second;
  return model_->has_piece(token) ? model_->piece_to_id(token) : -1;
}

int32_t AlbertTokenizer::piece_id(std::string_view piece) const {
  int32_t id = added_trie_.find(piece);
  return id >= 0 ? id : model_->piece_to_id(piece);
}

void AlbertTokenizer::push_piece(const SpmToken& token, TokenList& out) const {
  bool lookup = ids_need_lookup_ || token.id == model_->unk_id();
  out.push(lookup ? piece_id(token.piece) : token.id, token.span, token.piece);
}

void AlbertTokenizer::tokenize(const AlignedText& text, TokenList& out) const {
  Workspace& ws = tls_workspace;
  if (raw_) {
    ws.pieces.clear();
    model_->encode(to_aligned_utf8(text), ws.spm, ws.pieces);
    for (const SpmToken& p : ws.pieces) out.push(p.id, p.span, p.piece);  // the library returns the lattice ids
    ws.trim();
    return;
  }
  splitter_.split(text, options_.do_lower_case, ws.segments);
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

void AlbertTokenizer::tokenize_segment(const AlignedText& segment, TokenList& out) const {
  Workspace& ws = tls_workspace;
  albert_preprocess(segment, options_, ws.pre, ws.scratch);
  to_aligned_utf8(ws.pre, ws.utf8);
  ws.pieces.clear();
  model_->encode(ws.utf8, ws.spm, ws.pieces);
  const AlignedUtf8& normalized = ws.spm.normalized;
  for (const SpmToken& piece : ws.pieces) {
    std::string_view p = piece.piece;
    const bool digit_comma = p.size() > 1 && p.back() == ',' && code_point_count(p) > 1 &&
                             unicode::is_python_digit(code_point_before(p, p.size() - 1));
    if (!digit_comma) {
      push_piece(piece, out);
      continue;
    }
    // "9," -> ["9", ","]: re-encode the piece without its comma and without U+2581 (as transformers does).
    size_t offset = size_t(p.data() - normalized.bytes.data());
    ws.inner_text.clear();
    for (size_t i = 0; i + 1 < p.size();) {
      if (starts_with_space_symbol(p.substr(i))) {
        i += kSpaceSymbol.size();
        continue;
      }
      ws.inner_text.bytes.push_back(p[i]);
      ws.inner_text.spans.push_back(normalized.spans[offset + i]);
      ++i;
    }
    ws.inner.clear();
    model_->encode(ws.inner_text, ws.spm_inner, ws.inner);
    size_t first = 0;
    std::string stripped;
    if (!starts_with_space_symbol(p) && !ws.inner.empty() && starts_with_space_symbol(ws.inner[0].piece)) {
      if (ws.inner[0].piece.size() == kSpaceSymbol.size()) {
        first = 1;
      } else {
        stripped = std::string(ws.inner[0].piece.substr(kSpaceSymbol.size()));
      }
    }
    for (size_t k = first; k < ws.inner.size(); ++k) {
      if (k == 0 && !stripped.empty()) {
        out.push(piece_id(stripped), ws.inner[0].span, stripped);
      } else {
        out.push(piece_id(ws.inner[k].piece), ws.inner[k].span, ws.inner[k].piece);
      }
    }
    out.push(piece_id(","), normalized.spans[offset + p.size() - 1], ",");
  }
}

std::string AlbertTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::string token;
  if (raw_) {
    std::vector<std::string> pieces;
    for (int32_t id : ids) {
      if (skip_special_tokens && model_->type(id) == PieceType::kControl) continue;
      pieces.push_back(model_->id_to_piece(id));
    }
    std::vector<std::string_view> views(pieces.begin(), pieces.end());
    return model_->decode_pieces(views);
  }
  // transformers: PreTrainedTokenizer._decode + AlbertTokenizer.convert_tokens_to_string.
  std::vector<std::string> tokens;
  for (int32_t id : ids) {
    if (skip_special_tokens && is_special_id(id)) continue;
    id_to_token(id, &token);
    tokens.push_back(token);
  }
  auto is_special_token = [&](const std::string& t) {
    for (int32_t sid : special_.all_ids) {
      std::string s;
      if (id_to_token(sid, &s) && s == t) return true;
    }
    return false;
  };
  auto is_legacy_added = [&](const std::string& t) {
    auto it = added_ids_.find(t);
    return it != added_ids_.end() && !is_special_token(t);
  };
  std::vector<std::string> sub_texts;
  std::vector<std::string> current;
  auto sp_decode_tokens = [&](const std::vector<std::string>& pieces) {
    std::string out;
    std::vector<std::string_view> sub;
    bool prev_special = false;
    for (const std::string& t : pieces) {
      if (is_special_token(t)) {
        if (!prev_special) out += " ";
        out += model_->decode_pieces(sub) + t;
        prev_special = true;
        sub.clear();
      } else {
        sub.push_back(t);
        prev_special = false;
      }
    }
    out += model_->decode_pieces(sub);
    size_t b = 0, e = out.size();
    while (b < e && (out[b] == ' ' || out[b] == '\t' || out[b] == '\n' || out[b] == '\r')) ++b;
    while (e > b && (out[e - 1] == ' ' || out[e - 1] == '\t' || out[e - 1] == '\n' || out[e - 1] == '\r')) --e;
    return out.substr(b, e - b);
  };
  for (const std::string& t : tokens) {
    if (is_legacy_added(t)) {
      if (!current.empty()) {
        std::string s = sp_decode_tokens(current);
        if (!s.empty()) sub_texts.push_back(s);
        current.clear();
      }
      sub_texts.push_back(t);
    } else {
      current.push_back(t);
    }
  }
  if (!current.empty()) sub_texts.push_back(sp_decode_tokens(current));
  std::string text;
  for (size_t i = 0; i < sub_texts.size(); ++i) {
    if (i) text += " ";
    text += sub_texts[i];
  }
  return clean_up_spaces_ ? clean_up_tokenization(text) : text;
}

}  // namespace albert::tok
