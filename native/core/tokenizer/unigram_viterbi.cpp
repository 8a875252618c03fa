#include "tokenizer/unigram_viterbi.h"

#include <algorithm>

#include "tokenizer/text.h"

namespace albert::tok {

namespace {
constexpr float kUnkPenalty = 10.0f;

template <typename Node>
void backtrack(const std::vector<Node>& nodes, size_t size, std::vector<LatticePiece>& out) {
  size_t first = out.size();
  for (size_t end = size; end > 0;) {
    const auto& node = nodes[end];
    out.push_back({uint32_t(node.starts_at), uint32_t(end), node.id});
    end = size_t(node.starts_at);
  }
  std::reverse(out.begin() + long(first), out.end());
}
}  // namespace

void spm_viterbi(std::string_view text, const SpmViterbiVocab& vocab, ViterbiScratch& scratch,
                 std::vector<LatticePiece>& out) {
  const size_t size = text.size();
  if (size == 0) return;
  auto& nodes = scratch.spm_nodes;
  nodes.assign(size + 1, {-1, -1, 0.0f});
  const float unk_score = vocab.min_score - kUnkPenalty;
  const char* data = text.data();
  for (size_t start = 0; start < size;) {
    const float till_here = nodes[start].score;
    const size_t char_len = std::min(utf8_lead_length(uint8_t(data[start])), size - start);
    bool has_single = false;
    vocab.trie->for_each_prefix(data + start, size - start, [&](size_t length, int32_t id) {
      uint8_t kind = vocab.kinds[id];
      if (kind == 2) return;  // unused pieces never match
      auto& target = nodes[start + length];
      // The 0.1 literal makes this double; SentencePiece compares the double sum with the stored float.
      double score = kind == 1 ? double(float(length) * vocab.max_score) - 0.1 : double(vocab.scores[id]);
      double candidate = score + double(till_here);
      if (target.starts_at == -1 || candidate > double(target.score)) {
        target.score = float(candidate);
        target.starts_at = int32_t(start);
        target.id = id;
      }
      if (length == char_len) has_single = true;
    });
    if (!has_single) {
      auto& target = nodes[start + char_len];
      float candidate = unk_score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = int32_t(start);
        target.id = vocab.unk_id;
      }
    }
    start += char_len;
  }
  backtrack(nodes, size, out);
}

void hf_viterbi(std::string_view text, const HfViterbiVocab& vocab, ViterbiScratch& scratch,
                std::vector<LatticePiece>& out) {
  const size_t size = text.size();
  if (size == 0) return;
  auto& nodes = scratch.hf_nodes;
  nodes.assign(size + 1, {0.0, -1, -1});
  const double unk_score = vocab.min_score - 10.0;
  const char* data = text.data();
  for (size_t start = 0; start < size;) {
    const double till_here = nodes[start].score;
    const size_t char_len = std::min(utf8_lead_length(uint8_t(data[start])), size - start);
    bool has_single = false;
    vocab.trie->for_each_prefix(data + start, size - start, [&](size_t length, int32_t id) {
      auto& target = nodes[start + length];
      double candidate = vocab.scores[id] + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = int32_t(start);
        target.id = id;
      }
      if (length == char_len) has_single = true;
    });
    if (!has_single) {
      auto& target = nodes[start + char_len];
      double candidate = unk_score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = int32_t(start);
        target.id = vocab.unk_id;
      }
    }
    start += char_len;
  }
  size_t first = out.size();
  backtrack(nodes, size, out);
  // Fuse runs of unknown pieces.
  size_t write = first;
  for (size_t i = first; i < out.size(); ++i) {
    if (write > first && out[i].id == vocab.unk_id && out[write - 1].id == vocab.unk_id) {
      out[write - 1].end = out[i].end;
    } else {
      out[write++] = out[i];
    }
  }
  out.resize(write);
}

}  // namespace albert::tok
