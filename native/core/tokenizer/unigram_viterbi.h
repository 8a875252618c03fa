// Best segmentation of a normalized UTF-8 string under a unigram language model, computed on the fly
// over byte positions (SentencePiece's "optimized" encoder). Two arithmetic flavours, because the two
// reference implementations break near-ties differently:
//   - SentencePiece: path scores stored as float, piece candidates compared in double (spm_viterbi);
//   - Hugging Face `tokenizers` (tokenizer.json): double throughout, no user-defined bonus (hf_viterbi).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/double_array.h"

namespace albert::tok {

struct LatticePiece {
  uint32_t begin;  // byte range in the normalized text
  uint32_t end;
  int32_t id;      // vocabulary id (the unknown id for characters no piece covers)
};

struct SpmViterbiVocab {
  const DoubleArrayTrie* trie;   // every NORMAL, USER_DEFINED and UNUSED piece
  const float* scores;           // per id
  const uint8_t* kinds;          // per id: 0 scored, 1 user-defined, 2 unused
  float min_score;               // over NORMAL pieces
  float max_score;               // over NORMAL pieces, starting from FLT_MIN as SentencePiece does
  int32_t unk_id;
};

struct HfViterbiVocab {
  const DoubleArrayTrie* trie;
  const double* scores;
  double min_score;
  int32_t unk_id;
};

// Reusable buffers for one thread: the best path ending at each byte position.
struct ViterbiScratch {
  struct SpmNode {
    int32_t id;
    int32_t starts_at;
    float score;
  };
  struct HfNode {
    double score;
    int32_t id;
    int32_t starts_at;
  };
  std::vector<SpmNode> spm_nodes;
  std::vector<HfNode> hf_nodes;
  size_t capacity() const { return spm_nodes.capacity() + hf_nodes.capacity(); }
};

void spm_viterbi(std::string_view text, const SpmViterbiVocab& vocab, ViterbiScratch& scratch,
                 std::vector<LatticePiece>& out);
// Consecutive unknown characters come back as one piece (tokenizers' fuse_unk, on for Unigram).
void hf_viterbi(std::string_view text, const HfViterbiVocab& vocab, ViterbiScratch& scratch,
                std::vector<LatticePiece>& out);

}  // namespace albert::tok
