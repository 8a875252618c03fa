#include "tokenizer/sentencepiece_model.h"

#include <cfloat>
#include <cstdio>

#include "error.h"
#include "io/mapped_file.h"

namespace albert::tok {

namespace {
std::string byte_piece(unsigned char b) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "<0x%02X>", b);
  return buffer;
}

// "<0xAB>" -> 0xAB; -1 when not exactly a byte piece (upper-case hex, as SentencePiece writes them).
int piece_to_byte(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}
}  // namespace

std::shared_ptr<const SentencePieceModel> SentencePieceModel::from_bytes(std::string_view bytes, const std::string& source) {
  auto model = std::make_shared<SentencePieceModel>(Key());
  model->source_ = source;
  model->proto_ = parse_spm_model_proto(bytes, source);
  model->initialize();
  return model;
}

std::shared_ptr<const SentencePieceModel> SentencePieceModel::from_file(const std::string& path) {
  MappedFile file(path);
  return from_bytes(std::string_view(reinterpret_cast<const char*>(file.data()), file.size()), path);
}

void SentencePieceModel::initialize() {
  const std::string& src = source_;
  if (proto_.trainer.model_type != 1) {
    static const char* names[] = {"?", "UNIGRAM", "BPE", "WORD", "CHAR"};
    int t = proto_.trainer.model_type;
    fail(code::kUnsupported, src + ": only unigram SentencePiece models are supported (model_type is " +
                                 (t >= 1 && t <= 4 ? names[t] : std::to_string(t)) + ")");
  }
  if (pieces_.empty()) fail(code::kInvalidTokenizer, src + ": the piece table is empty");
  if (pieces_.size() > size_t(INT32_MAX / 2)) fail(code::kInvalidTokenizer, src + ": too many pieces");
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  std::vector<std::pair<std::string, int32_t>> trie_keys, user_keys;
  scores_.resize(pieces_.size());
  kinds_.resize(pieces_.size());
  min_score_ = FLT_MAX;
  max_score_ = FLT_MIN;  // as SentencePiece: the user-defined bonus uses max(FLT_MIN, best score)
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const SpmPiece& p = pieces_[i];
    const std::string where = src + ": pieces[" + std::to_string(i) + "]";
    if (p.piece.empty()) fail(code::kInvalidTokenizer, where + " is empty");
    bool normal = p.type == PieceType::kNormal || p.type == PieceType::kUserDefined || p.type == PieceType::kUnused;
    auto& map = normal ? normal_ids_ : reserved_ids_;
    if (!map.emplace(std::string_view(p.piece), int32_t(i)).second) {
      fail(code::kInvalidTokenizer, where + " '" + p.piece + "' is already defined");
    }
    scores_[i] = p.score;
    kinds_[i] = p.type == PieceType::kUserDefined ? 1 : p.type == PieceType::kUnused ? 2 : 0;
    if (normal) trie_keys.emplace_back(p.piece, int32_t(i));
    if (p.type == PieceType::kUserDefined) user_keys.emplace_back(p.piece, int32_t(i));
    if (p.type == PieceType::kNormal) {
      min_score_ = std::min(min_score_, p.score);
      max_score_ = std::max(max_score_, p.score);
    }
    if (p.type == PieceType::kUnknown) {
      if (unk_id_ >= 0) fail(code::kInvalidTokenizer, where + ": a second unknown piece (the first is pieces[" + std::to_string(unk_id_) + "])");
      unk_id_ = int32_t(i);
    }
    if (p.type == PieceType::kByte) {
      if (!proto_.trainer.byte_fallback) fail(code::kInvalidTokenizer, where + ": byte piece '" + p.piece + "' but byte_fallback is false");
      int b = piece_to_byte(p.piece);
      if (b < 0) fail(code::kInvalidTokenizer, where + ": invalid byte piece '" + p.piece + "'");
      byte_ids_[b] = int32_t(i);
    }
  }
  if (unk_id_ < 0) fail(code::kInvalidTokenizer, src + ": no piece has type UNKNOWN");
  if (proto_.trainer.byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      if (byte_ids_[b] < 0) fail(code::kInvalidTokenizer, src + ": byte_fallback is true but byte piece " + byte_piece(uint8_t(b)) + " is missing");
    }
  }
  for (const auto& [piece, id] : reserved_ids_) shadowed_ = shadowed_ || normal_ids_.count(piece) != 0;
  trie_.build(std::move(trie_keys));
  std::vector<std::pair<std::string, int32_t>> reserved_keys;
  for (const auto& [piece, id] : reserved_ids_) reserved_keys.emplace_back(std::string(piece), id);
  reserved_trie_.build(std::move(reserved_keys));
  user_defined_.build(std::move(user_keys));
  normalizer_ = SpmNormalizer(proto_.normalizer, proto_.trainer.treat_whitespace_as_suffix, src + ": normalizer_spec");
  normalizer_.set_user_defined_symbols(&user_defined_);
  if (proto_.has_denormalizer && !proto_.denormalizer.precompiled_charsmap.empty()) {
    denormalizer_ = std::make_unique<SpmNormalizer>(proto_.denormalizer, false, src + ": denormalizer_spec");
  }
}

int32_t SentencePieceModel::piece_to_id(std::string_view piece) const {
  int32_t id = reserved_trie_.find(piece);
  if (id >= 0) return id;
  id = trie_.find(piece);
  return id >= 0 ? id : unk_id_;
}

bool SentencePieceModel::has_piece(std::string_view piece) const {
  return reserved_ids_.count(piece) != 0 || normal_ids_.count(piece) != 0;
}

void SentencePieceModel::encode(const AlignedText& input, SpmScratch& scratch, std::vector<SpmToken>& out) const {
  encode(to_aligned_utf8(input), scratch, out);
}

void SentencePieceModel::encode(const AlignedUtf8& input, SpmScratch& scratch, std::vector<SpmToken>& out) const {
  normalizer_.normalize(input, scratch.normalized);
  const AlignedUtf8& norm = scratch.normalized;
  scratch.lattice.clear();
  SpmViterbiVocab vocab{&trie_, scores_.data(), kinds_.data(), min_score_, max_score_, unk_id_};
  spm_viterbi(norm.bytes, vocab, scratch.viterbi, scratch.lattice);
  bool prev_unk = false;
  for (const LatticePiece& p : scratch.lattice) {
    const bool is_unk = p.id == unk_id_;
    std::string_view text(norm.bytes.data() + p.begin, p.end - p.begin);
    Span span = norm.span_of(p.begin, p.end);
    if (is_unk && byte_fallback()) {
      // Each byte of the unknown character becomes a byte piece; the last one carries its surface.
      for (size_t i = 0; i < text.size(); ++i) {
        int32_t id = byte_ids_[uint8_t(text[i])];
        out.push_back({id_to_piece(id), id, i + 1 == text.size() ? span : empty_at(span.begin)});
      }
    } else if (is_unk && prev_unk) {
      SpmToken& last = out.back();
      last.piece = std::string_view(last.piece.data(), last.piece.size() + text.size());
      last.span = join(last.span, span);
    } else {
      out.push_back({text, p.id, span});
    }
    prev_unk = is_unk;
  }
}

std::string SentencePieceModel::decode_pieces(const std::vector<std::string_view>& pieces) const {
  const SpmNormalizerSpec& ns = proto_.normalizer;
  std::string text;
  std::string bytes;  // a run of byte pieces, decoded together
  auto flush_bytes = [&] {
    // Each invalid UTF-8 byte becomes U+FFFD; valid sequences are copied.
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    for (size_t i = 0; i < bytes.size();) {
      size_t n = bytes.size() - i;
      size_t len = 0;
      unsigned char b = p[i];
      auto trail = [&](size_t k) { return k < n && (p[i + k] & 0xC0) == 0x80; };
      auto valid = [](char32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); };
      if (b < 0x80) {
        len = 1;
      } else if ((b & 0xE0) == 0xC0 && trail(1)) {
        char32_t c = char32_t(b & 0x1F) << 6 | (p[i + 1] & 0x3F);
        len = c >= 0x80 ? 2 : 0;
      } else if ((b & 0xF0) == 0xE0 && trail(1) && trail(2)) {
        char32_t c = char32_t(b & 0x0F) << 12 | char32_t(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
        len = c >= 0x800 && valid(c) ? 3 : 0;
      } else if ((b & 0xF8) == 0xF0 && trail(1) && trail(2) && trail(3)) {
        char32_t c = char32_t(b & 0x07) << 18 | char32_t(p[i + 1] & 0x3F) << 12 | char32_t(p[i + 2] & 0x3F) << 6 |
                     (p[i + 3] & 0x3F);
        len = c >= 0x10000 && valid(c) ? 4 : 0;
      }
      if (len == 0) {
        text += "\xEF\xBF\xBD";
        i += 1;
      } else {
        text.append(bytes, i, len);
        i += len;
      }
    }
    bytes.clear();
  };
  bool is_bos_ws = true;
  bool bos_ws_seen = false;
  for (std::string_view piece : pieces) {
    int32_t id = piece_to_id(piece);
    if (type(id) == PieceType::kByte) {
      bytes.push_back(char(piece_to_byte(piece)));
      continue;
    }
    flush_bytes();
    if (bos_ws_seen || !text.empty()) is_bos_ws = false;
    bos_ws_seen = false;
    if (type(id) == PieceType::kControl) continue;
    if (id == unk_id_) {
      text += id_to_piece(id) == piece ? proto_.trainer.unk_surface : std::string(piece);
      continue;
    }
    if (is_bos_ws && (ns.add_dummy_prefix || ns.remove_extra_whitespaces) && piece.substr(0, 3) == kSpaceSymbol) {
      piece.remove_prefix(3);
      bos_ws_seen = !ns.remove_extra_whitespaces;
    }
    for (size_t i = 0; i < piece.size();) {
      if (piece.substr(i, 3) == kSpaceSymbol) {
        text.push_back(' ');
        i += 3;
      } else {
        text.push_back(piece[i++]);
      }
    }
  }
  flush_bytes();
  if (denormalizer_) {
    AlignedUtf8 in, out;
    in.push_bytes(text, {});
    denormalizer_->normalize(in, out);
    return out.bytes;
  }
  return text;
}

}  // namespace albert::tok
