#include "tokenizer/hf_models.h"

#include <cstdio>

#include "error.h"
#include "tokenizer/unigram_viterbi.h"

namespace albert::tok {

namespace {

struct UnigramWorkspace {
  AlignedUtf8 utf8;
  ViterbiScratch viterbi;
  std::vector<LatticePiece> lattice;
};
thread_local UnigramWorkspace tls_unigram;

class UnigramModel : public HfModel {
 public:
  UnigramModel(const JsonValue& json, const std::string& where) {
    const JsonValue* vocab = json.find("vocab");
    if (!vocab || !vocab->is_array()) fail(code::kInvalidTokenizer, where + ".vocab must be an array of [piece, score]");
    if (vocab->items().empty()) fail(code::kInvalidTokenizer, where + ".vocab is empty");
    min_score_ = 1e300;
    std::vector<std::pair<std::string, int32_t>> keys;
    for (size_t i = 0; i < vocab->items().size(); ++i) {
      const JsonValue& e = vocab->items()[i];
      if (!e.is_array() || e.items().size() != 2 || !e.items()[0].is_string() || !e.items()[1].is_number()) {
        fail(code::kInvalidTokenizer, where + ".vocab[" + std::to_string(i) + "] must be [piece, score]");
      }
      pieces_.push_back(e.items()[0].as_string());
      scores_.push_back(e.items()[1].as_double());
      min_score_ = std::min(min_score_, scores_.back());
      ids_[pieces_.back()] = int32_t(i);  // a repeated piece maps to its last id, as in the library
    }
    for (const auto& [piece, id] : ids_) {
      if (!piece.empty()) keys.emplace_back(piece, id);
    }
    trie_.build(std::move(keys));
    const JsonValue* unk = json.find("unk_id");
    if (unk && !unk->is_null()) {
      if (!unk->is_integer() || unk->as_int64() < 0 || unk->as_int64() >= int64_t(pieces_.size())) {
        fail(code::kInvalidTokenizer, where + ".unk_id is not a valid id");
      }
      unk_id_ = int32_t(unk->as_int64());
    }
    if (const JsonValue* b = json.find("byte_fallback")) byte_fallback_ = b->is_bool() && b->as_bool();
  }

  void tokenize(const AlignedText& piece, TokenList& out) const override {
    UnigramWorkspace& ws = tls_unigram;
    ws.utf8 = to_aligned_utf8(piece);
    ws.lattice.clear();
    if (unk_id_ < 0) {
      // Without an unknown token the library fails on uncovered characters; check coverage first.
      HfViterbiVocab probe{&trie_, scores_.data(), min_score_, -2};
      hf_viterbi(ws.utf8.bytes, probe, ws.viterbi, ws.lattice);
      for (const LatticePiece& p : ws.lattice) {
        if (p.id == -2) fail(code::kInvalidInput, "the tokenizer.json Unigram model has no unknown token for '" +
                                                      ws.utf8.bytes.substr(p.begin, p.end - p.begin) + "'");
      }
    } else {
      HfViterbiVocab vocab{&trie_, scores_.data(), min_score_, unk_id_};
      hf_viterbi(ws.utf8.bytes, vocab, ws.viterbi, ws.lattice);
    }
    for (const LatticePiece& p : ws.lattice) {
      std::string_view text(ws.utf8.bytes.data() + p.begin, p.end - p.begin);
      Span span = ws.utf8.span_of(p.begin, p.end);
      if (p.id != unk_id_) {
        out.push(p.id, span, text);
        continue;
      }
      if (byte_fallback_ && push_bytes(text, span, out)) continue;
      out.push(unk_id_, span, text);
    }
    if (ws.utf8.bytes.capacity() > (size_t(1) << 20) || ws.viterbi.capacity() > (size_t(1) << 20)) ws = UnigramWorkspace();
  }

  int32_t size() const override { return int32_t(pieces_.size()); }
  int32_t token_to_id(std::string_view token) const override {
    auto it = ids_.find(std::string(token));
    return it == ids_.end() ? -1 : it->second;
  }
  bool id_to_token(int32_t id, std::string* token) const override {
    if (id < 0 || id >= size()) return false;
    *token = pieces_[size_t(id)];
    return true;
  }
  int32_t unk_id() const override { return unk_id_; }

 private:
  // Byte pieces <0xXX> for every byte, when the vocabulary has all of them.
  bool push_bytes(std::string_view text, Span span, TokenList& out) const {
    std::vector<int32_t> ids;
    char name[8];
    for (char c : text) {
      std::snprintf(name, sizeof name, "<0x%02X>", unsigned(uint8_t(c)));
      int32_t id = token_to_id(name);
      if (id < 0) return false;
      ids.push_back(id);
    }
    for (int32_t id : ids) out.push(id, span, pieces_[size_t(id)]);
    return true;
  }

  std::vector<std::string> pieces_;
  std::vector<double> scores_;
  std::unordered_map<std::string, int32_t> ids_;
  DoubleArrayTrie trie_;
  double min_score_ = 0;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
};

class WordPieceModel : public HfModel {
 public:
  WordPieceModel(const JsonValue& json, const std::string& where) {
    const JsonValue* vocab = json.find("vocab");
    if (!vocab || !vocab->is_object()) fail(code::kInvalidTokenizer, where + ".vocab must be an object of token -> id");
    std::vector<std::pair<std::string, int32_t>> pairs;
    for (const auto& [token, id] : vocab->members()) {
      if (!id.is_integer() || id.as_int64() < 0 || id.as_int64() > INT32_MAX) {
        fail(code::kInvalidTokenizer, where + ".vocab['" + token + "'] must be a non-negative integer id");
      }
      pairs.emplace_back(token, int32_t(id.as_int64()));
    }
    std::string prefix = "##";
    if (const JsonValue* p = json.find("continuing_subword_prefix")) {
      if (!p->is_string()) fail(code::kInvalidTokenizer, where + ".continuing_subword_prefix must be a string");
      prefix = p->as_string();
    }
    vocab_ = WordPieceVocab::from_pairs(std::move(pairs), where + ".vocab", prefix);
    unk_token_ = "[UNK]";
    if (const JsonValue* u = json.find("unk_token")) {
      if (!u->is_string()) fail(code::kInvalidTokenizer, where + ".unk_token must be a string");
      unk_token_ = u->as_string();
    }
    unk_id_ = vocab_.find(unk_token_);
    if (unk_id_ < 0) fail(code::kInvalidTokenizer, where + ": the unknown token '" + unk_token_ + "' is not in the vocabulary");
    if (const JsonValue* m = json.find("max_input_chars_per_word")) {
      if (!m->is_integer() || m->as_int64() < 0) fail(code::kInvalidTokenizer, where + ".max_input_chars_per_word must be a count");
      max_chars_ = size_t(m->as_int64());
    }
  }

  void tokenize(const AlignedText& piece, TokenList& out) const override {
    thread_local WordPieceScratch scratch;
    vocab_.tokenize_word(piece, 0, piece.size(), unk_id_, unk_token_, max_chars_, scratch, out);
    if (scratch.utf8.capacity() > (size_t(1) << 20)) scratch = WordPieceScratch();
  }
  int32_t size() const override { return vocab_.size(); }
  int32_t token_to_id(std::string_view token) const override { return vocab_.find(token); }
  bool id_to_token(int32_t id, std::string* token) const override {
    if (!vocab_.has_id(id)) return false;
    *token = vocab_.token(id);
    return true;
  }
  int32_t unk_id() const override { return unk_id_; }

 private:
  WordPieceVocab vocab_;
  std::string unk_token_;
  int32_t unk_id_ = -1;
  size_t max_chars_ = 100;
};

}  // namespace

std::unique_ptr<HfModel> parse_hf_model(const JsonValue& json, const std::string& where) {
  const JsonValue* type = json.is_object() ? json.find("type") : nullptr;
  std::string name = type && type->is_string() ? type->as_string() : "";
  if (name.empty() && json.is_object()) {
    // Older files omit the type; tell the models apart by their vocabularies.
    const JsonValue* vocab = json.find("vocab");
    if (vocab && vocab->is_array()) name = "Unigram";
    if (vocab && vocab->is_object() && !json.find("merges")) name = "WordPiece";
  }
  if (name == "Unigram") return std::make_unique<UnigramModel>(json, where);
  if (name == "WordPiece") return std::make_unique<WordPieceModel>(json, where);
  if (name.empty()) fail(code::kInvalidTokenizer, where + ".type must be a string");
  fail(code::kUnsupported, where + ": model type '" + name + "' is not supported (Unigram and WordPiece are)");
}

}  // namespace albert::tok
