#include "tokenizer/tokenizer_loader.h"

#include "error.h"
#include "io/mapped_file.h"
#include "tokenizer/albert_tokenizer.h"
#include "tokenizer/bert_tokenizer.h"
#include "tokenizer/json_tokenizer.h"
#include "tokenizer/tokenizer_config.h"

namespace albert::tok {

namespace {

std::string parent_folder(const std::string& path) {
  size_t slash = path.find_last_of("/\\");
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

bool ends_with(const std::string& s, const char* suffix) {
  std::string x = suffix;
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

std::shared_ptr<const Tokenizer> load_spiece(const std::string& path, const TokenizerConfig& config) {
  return AlbertTokenizer::create(SentencePieceModel::from_file(path), config);
}

std::shared_ptr<const Tokenizer> load_vocab(const std::string& path, const TokenizerConfig& config) {
  return BertTokenizer::create(WordPieceVocab::from_vocab_txt(read_text_file(path, size_t(256) << 20), path), config, path);
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer_folder(const std::string& folder, TokenizerSource source) {
  if (!directory_exists(folder)) {
    if (file_exists(folder)) fail(code::kFileNotFound, "not a folder: " + folder + " (load a single file with Tokenizer.fromFile)");
    fail(code::kFileNotFound, "tokenizer folder not found: " + folder);
  }
  const std::string spiece = join_path(folder, "spiece.model");
  const std::string vocab = join_path(folder, "vocab.txt");
  const std::string json = join_path(folder, "tokenizer.json");
  TokenizerConfig config = load_tokenizer_config(folder);
  auto require = [&](const std::string& path) {
    if (!file_exists(path)) fail(code::kFileNotFound, "file not found: " + path);
    return path;
  };
  switch (source) {
    case TokenizerSource::kSpieceModel: return load_spiece(require(spiece), config);
    case TokenizerSource::kVocabTxt: return load_vocab(require(vocab), config);
    case TokenizerSource::kTokenizerJson: return JsonTokenizer::from_file(require(json), &config);
    case TokenizerSource::kAuto: break;
  }
  std::string cls = config.tokenizer_class;
  if (ends_with(cls, "Fast")) cls.resize(cls.size() - 4);
  const bool has_spiece = file_exists(spiece), has_vocab = file_exists(vocab), has_json = file_exists(json);
  if (cls == "AlbertTokenizer") {
    if (has_spiece) return load_spiece(spiece, config);
    if (has_json) return JsonTokenizer::from_file(json, &config);
    fail(code::kFileNotFound, folder + ": tokenizer_class is AlbertTokenizer but neither spiece.model nor tokenizer.json exists");
  }
  if (cls == "BertTokenizer") {
    if (has_vocab) return load_vocab(vocab, config);
    if (has_json) return JsonTokenizer::from_file(json, &config);
    fail(code::kFileNotFound, folder + ": tokenizer_class is BertTokenizer but neither vocab.txt nor tokenizer.json exists");
  }
  if (!cls.empty() && cls != "PreTrainedTokenizer") {
    // Another model family's tokenizer: only its tokenizer.json describes it faithfully.
    if (has_json) return JsonTokenizer::from_file(json, &config);
    fail(code::kUnsupported, folder + ": tokenizer_class '" + config.tokenizer_class +
                                 "' is not supported (AlbertTokenizer and BertTokenizer are, and any tokenizer.json)");
  }
  if (cls == "PreTrainedTokenizer" && has_json) return JsonTokenizer::from_file(json, &config);
  if (has_spiece) return load_spiece(spiece, config);
  if (has_vocab) return load_vocab(vocab, config);
  if (has_json) return JsonTokenizer::from_file(json, &config);
  // TensorFlow releases: Google's 30k-clean.model, the Chinese models' vocab_chinese.txt. Their FullTokenizer
  // lower-cases, as the defaults of transformers' AlbertTokenizer / BertTokenizer do.
  const std::string google_spm = join_path(folder, "30k-clean.model");
  if (file_exists(google_spm)) return load_spiece(google_spm, config);
  const std::string chinese_vocab = join_path(folder, "vocab_chinese.txt");
  if (file_exists(chinese_vocab)) return load_vocab(chinese_vocab, config);
  fail(code::kFileNotFound, folder + ": no tokenizer found (looked for spiece.model, vocab.txt, tokenizer.json, and "
                                     "the TensorFlow releases' 30k-clean.model and vocab_chinese.txt)");
}

std::shared_ptr<const Tokenizer> load_tokenizer_file(const std::string& path, bool raw_sentencepiece) {
  if (!file_exists(path)) fail(code::kFileNotFound, "file not found: " + path);
  const std::string folder = parent_folder(path);
  if (ends_with(path, ".json")) {
    TokenizerConfig config = load_tokenizer_config(folder);
    return JsonTokenizer::from_file(path, &config);
  }
  if (ends_with(path, ".txt")) return load_vocab(path, load_tokenizer_config(folder));
  if (raw_sentencepiece) return AlbertTokenizer::create_raw(SentencePieceModel::from_file(path));
  return load_spiece(path, load_tokenizer_config(folder));
}

}  // namespace albert::tok
