// Times the SentencePiece library's own C++ encoder (EncodeAsIds) over a file of texts, one per line:
// the reference speed for bench/tokenizers.mjs. Built by that script when libsentencepiece-dev is installed.
//   sentencepiece_encode <model> <lines.txt> <runs>
#include <sentencepiece_processor.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s model lines.txt [runs]\n", argv[0]);
    return 2;
  }
  sentencepiece::SentencePieceProcessor processor;
  if (!processor.Load(argv[1]).ok()) {
    std::fprintf(stderr, "cannot load %s\n", argv[1]);
    return 1;
  }
  std::ifstream in(argv[2]);
  std::vector<std::string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    bytes += line.size();
    lines.push_back(line);
  }
  const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
  double best = 1e30;
  size_t tokens = 0;
  std::vector<int> ids;
  for (int run = 0; run < runs; ++run) {
    tokens = 0;
    auto start = std::chrono::steady_clock::now();
    for (const std::string& line : lines) {
      processor.Encode(line, &ids);
      tokens += ids.size();
    }
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::printf("{\"seconds\": %.6f, \"bytes\": %zu, \"tokens\": %zu, \"texts\": %zu}\n", best, bytes, tokens, lines.size());
  return 0;
}
