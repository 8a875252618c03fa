#include "tokenizer_wrap.h"

#include <functional>
#include <string>
#include <vector>

#include "error.h"
#include "errors.h"
#include "js_values.h"
#include "promise_worker.h"
#include "tokenizer/batch_encoder.h"
#include "tokenizer/encoder.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/tokenizer_config.h"
#include "tokenizer/tokenizer_loader.h"
#include "tokenizer/wordpiece.h"

namespace albert_addon {

namespace tok = albert::tok;

namespace {

// A whole method body: JS errors pass through; anything else (std::bad_alloc while copying a huge input,
// say) becomes a coded JS error instead of escaping into Node-API.
template <typename F>
Napi::Value guarded(Napi::Env env, F&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const albert::Error& e) {
    throw make_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(env, albert::code::kOutOfMemory, "out of memory");
  } catch (const std::exception& e) {
    throw make_error(env, albert::code::kInternal, std::string("internal error: ") + e.what());
  }
}

std::u16string js_string(const Napi::Value& value, const std::string& name) {
  if (!value.IsString()) throw_error(value.Env(), albert::code::kInvalidInput, name + " must be a string", true);
  return value.As<Napi::String>().Utf16Value();
}

std::vector<std::u16string> js_strings(const Napi::Value& value, const std::string& name) {
  if (!value.IsArray()) throw_error(value.Env(), albert::code::kInvalidInput, name + " must be an array of strings", true);
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::u16string> out;
  out.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) js_string(item, name + "[" + std::to_string(i) + "]");  // throws, naming the index
    out.push_back(item.As<Napi::String>().Utf16Value());
  }
  return out;
}

tok::Truncation read_truncation(const Napi::Object& options) {
  std::string t = read_string(options, "truncation", "none");
  if (t == "none") return tok::Truncation::kNone;
  if (t == "longest_first") return tok::Truncation::kLongestFirst;
  if (t == "only_first") return tok::Truncation::kOnlyFirst;
  if (t == "only_second") return tok::Truncation::kOnlySecond;
  throw_error(options.Env(), albert::code::kInvalidInput,
              "truncation must be 'longest_first', 'only_first', 'only_second' or 'none' (got '" + t + "')");
}

tok::EncodeOptions read_encode_options(const Napi::Value& value) {
  tok::EncodeOptions o;
  if (!value.IsObject()) return o;
  Napi::Object options = value.As<Napi::Object>();
  Napi::Value add = options.Get("addSpecialTokens");
  if (!add.IsUndefined()) o.add_special_tokens = add.ToBoolean();
  o.max_length = read_int(options, "maxLength", 0, INT32_MAX, -1);
  o.truncation = read_truncation(options);
  return o;
}

tok::BatchOptions read_batch_options(const Napi::Value& value) {
  tok::BatchOptions o;
  o.encode = read_encode_options(value);
  if (!value.IsObject()) return o;
  Napi::Object options = value.As<Napi::Object>();
  std::string padding = read_string(options, "padding", "longest");
  if (padding == "longest") {
    o.padding = tok::Padding::kLongest;
  } else if (padding == "max_length") {
    o.padding = tok::Padding::kMaxLength;
  } else if (padding == "none") {
    o.padding = tok::Padding::kNone;
  } else {
    throw_error(value.Env(), albert::code::kInvalidInput, "padding must be 'longest', 'max_length' or 'none' (got '" + padding + "')");
  }
  o.threads = read_int(options, "threads", 0, 4096, 0);
  return o;
}

Napi::Int32Array int32_array(Napi::Env env, size_t n) { return Napi::Int32Array::New(env, n); }

// Token strings travel as one JS string plus their UTF-16 lengths: creating one V8 string per token
// costs more than the tokenization itself.
Napi::String joined_tokens(Napi::Env env, const tok::TokenList& tokens, int32_t* lengths) {
  std::u16string all;
  for (size_t i = 0; i < tokens.size(); ++i) {
    size_t before = all.size();
    tok::append_utf16(all, tokens.text(i));
    lengths[i] = int32_t(all.size() - before);
  }
  return Napi::String::New(env, all);
}

// The packed result: data = [n, ids(n), typeIds(n)?, special(n)?, tokenLengths(n), offsets(2n)?] and the
// token strings joined. When the caller's scratch Int32Array (`scratch`, may be empty) is large enough, data
// goes there and only the string is returned (a fresh typed array per call costs more than a short encode);
// otherwise [data, tokens].
Napi::Value packed_result(Napi::Env env, const tok::TokenList& tokens, const std::vector<int32_t>* type_ids,
                          const std::vector<uint8_t>* special, bool with_offsets, Napi::Value scratch) {
  const size_t n = tokens.size();
  const size_t size = 1 + n * (2 + (type_ids ? 1 : 0) + (special ? 1 : 0) + (with_offsets ? 2 : 0));
  Napi::Int32Array data;
  bool in_scratch = scratch.IsTypedArray() && scratch.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array &&
                    scratch.As<Napi::Int32Array>().ElementLength() >= size;
  data = in_scratch ? scratch.As<Napi::Int32Array>() : int32_array(env, size);
  int32_t* p = data.Data();
  *p++ = int32_t(n);
  p = std::copy(tokens.ids.begin(), tokens.ids.end(), p);
  if (type_ids) p = std::copy(type_ids->begin(), type_ids->end(), p);
  if (special) p = std::copy(special->begin(), special->end(), p);
  Napi::String text = joined_tokens(env, tokens, p);
  p += n;
  if (with_offsets) {
    for (size_t i = 0; i < n; ++i) {
      *p++ = int32_t(tokens.spans[i].begin);
      *p++ = int32_t(tokens.spans[i].end);
    }
  }
  if (in_scratch) return text;
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(uint32_t(0), static_cast<Napi::Value>(data));
  out.Set(uint32_t(1), static_cast<Napi::Value>(text));
  return out;
}

// encode()'s options travel as one integer (property reads cost more than short encodes):
// bit 0 addSpecialTokens, bits 1-2 truncation (none, longest_first, only_first, only_second), bit 3 offsets.
tok::EncodeOptions encode_flags(const Napi::CallbackInfo& info, size_t at, bool* with_offsets) {
  const uint32_t flags = info.Length() > at && info[at].IsNumber() ? info[at].As<Napi::Number>().Uint32Value() : 1;
  tok::EncodeOptions o;
  o.add_special_tokens = (flags & 1) != 0;
  static const tok::Truncation kTruncations[] = {tok::Truncation::kNone, tok::Truncation::kLongestFirst,
                                                 tok::Truncation::kOnlyFirst, tok::Truncation::kOnlySecond};
  o.truncation = kTruncations[(flags >> 1) & 3];
  *with_offsets = (flags & 8) != 0;
  if (info.Length() > at + 1 && info[at + 1].IsNumber()) {
    double max = info[at + 1].As<Napi::Number>().DoubleValue();
    if (max >= 0 && max <= INT32_MAX) o.max_length = int64_t(max);
  }
  return o;
}

Napi::Int32Array ids_array(Napi::Env env, const std::vector<int32_t>& ids) {
  Napi::Int32Array out = int32_array(env, ids.size());
  std::copy(ids.begin(), ids.end(), out.Data());
  return out;
}

// Lays encoded rows out as JS-owned int32 matrices.
Napi::Value batch_result(Napi::Env env, const tok::Tokenizer& tokenizer, const std::vector<tok::Encoding>& rows,
                         const tok::BatchOptions& options) {
  size_t seq_len = 0;
  run_or_throw(env, [&] { seq_len = tok::batch_seq_len(tokenizer, rows, options); });
  const size_t cells = rows.size() * seq_len;
  Napi::Int32Array ids = int32_array(env, cells), mask = int32_array(env, cells), types = int32_array(env, cells);
  Napi::Int32Array lengths = int32_array(env, rows.size());
  int32_t pad = tokenizer.special_tokens().pad.id;
  tok::fill_batch(rows, seq_len, pad < 0 ? 0 : pad, ids.Data(), mask.Data(), types.Data(), lengths.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("batch", Napi::Number::New(env, double(rows.size())));
  out.Set("seqLen", Napi::Number::New(env, double(seq_len)));
  out.Set("inputIds", ids);
  out.Set("attentionMask", mask);
  out.Set("tokenTypeIds", types);
  out.Set("lengths", lengths);
  return out;
}

tok::TokenizerSource read_source(Napi::Env env, const std::string& s) {
  if (s == "auto") return tok::TokenizerSource::kAuto;
  if (s == "spiece.model") return tok::TokenizerSource::kSpieceModel;
  if (s == "vocab.txt") return tok::TokenizerSource::kVocabTxt;
  if (s == "tokenizer.json") return tok::TokenizerSource::kTokenizerJson;
  throw_error(env, albert::code::kInvalidInput, "source must be 'auto', 'spiece.model', 'vocab.txt' or 'tokenizer.json'");
}

Napi::Object named_token(Napi::Env env, const tok::SpecialTokens::Named& named) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("token", Napi::String::New(env, named.token));
  o.Set("id", Napi::Number::New(env, named.id));
  return o;
}

// Test hooks over in-memory bytes: the fuzz tests call these thousands of times.
Napi::Value parse_spiece_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = uint8_argument(info, 0);
  int32_t pieces = 0;
  run_or_throw(env, [&] {
    auto model = tok::SentencePieceModel::from_bytes(
        std::string_view(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength()), "<spiece.model>");
    // Exercise the normalizer and Viterbi on the parsed model too.
    tok::SpmScratch scratch;
    std::vector<tok::SpmToken> out;
    model->encode(tok::from_utf16(u" Hello, wörld! 9,000 \u00e9\u0301 "), scratch, out);
    pieces = model->size();
  });
  return Napi::Number::New(env, pieces);
}

Napi::Value parse_vocab_txt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_error(env, albert::code::kInvalidInput, "expected a string", true);
  std::string text = info[0].As<Napi::String>().Utf8Value();
  int32_t size = 0;
  run_or_throw(env, [&] { size = tok::WordPieceVocab::from_vocab_txt(text, "<vocab.txt>").size(); });
  return Napi::Number::New(env, size);
}

Napi::Value parse_tokenizer_config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_error(env, albert::code::kInvalidInput, "expected a string", true);
  std::string text = info[0].As<Napi::String>().Utf8Value();
  std::string cls;
  run_or_throw(env, [&] { cls = tok::parse_tokenizer_config(text, "<tokenizer_config.json>").tokenizer_class; });
  return Napi::String::New(env, cls);
}

}  // namespace

Napi::Function TokenizerWrap::define(Napi::Env env) {
  return DefineClass(env, "NativeTokenizer",
                     {
                         StaticMethod<&TokenizerWrap::load>("load"),
                         StaticMethod<&TokenizerWrap::load_file>("loadFile"),
                         InstanceMethod<&TokenizerWrap::info>("info"),
                         InstanceMethod<&TokenizerWrap::tokenize>("tokenize"),
                         InstanceMethod<&TokenizerWrap::encode>("encode"),
                         InstanceMethod<&TokenizerWrap::encode_batch>("encodeBatch"),
                         InstanceMethod<&TokenizerWrap::encode_batch_sync>("encodeBatchSync"),
                         InstanceMethod<&TokenizerWrap::decode>("decode"),
                         InstanceMethod<&TokenizerWrap::id_to_token>("idToToken"),
                         InstanceMethod<&TokenizerWrap::token_to_id>("tokenToId"),
                         InstanceMethod<&TokenizerWrap::dispose>("dispose"),
                     });
}

TokenizerWrap::TokenizerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TokenizerWrap>(info) {}

std::shared_ptr<const tok::Tokenizer> TokenizerWrap::require(Napi::Env env) const {
  if (!tokenizer_) throw_error(env, albert::code::kDisposed, "the tokenizer has been disposed");
  return tokenizer_;
}

namespace {
// Settles a load: the class constructor (this of the static call) builds the wrapper on the JS thread.
Napi::Value start_load(const Napi::CallbackInfo& info, std::function<std::shared_ptr<const tok::Tokenizer>()> loader) {
  Napi::Env env = info.Env();
  if (!info.This().IsFunction()) {
    throw_error(env, albert::code::kInvalidInput, "call load() on the NativeTokenizer class", true);
  }
  auto constructor = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info.This().As<Napi::Function>()));
  auto loaded = std::make_shared<std::shared_ptr<const tok::Tokenizer>>();
  return PromiseWorker::start(
      env, "albert-node:loadTokenizer", [loader, loaded] { *loaded = loader(); },
      [constructor, loaded](Napi::Env env) -> Napi::Value {
        Napi::Object object = constructor->New({});
        TokenizerWrap::set(object, std::move(*loaded));
        (void)env;
        return object;
      });
}
}  // namespace

void TokenizerWrap::set(Napi::Object object, std::shared_ptr<const tok::Tokenizer> tokenizer) {
  Unwrap(object)->tokenizer_ = std::move(tokenizer);
}

Napi::Value TokenizerWrap::load(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::string folder = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (folder.empty()) throw_error(env, albert::code::kInvalidInput, "the tokenizer folder must be a non-empty string", true);
    tok::TokenizerSource source = read_source(env, info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "auto");
    return start_load(info, [folder, source] { return tok::load_tokenizer_folder(folder, source); });
  });
}

Napi::Value TokenizerWrap::load_file(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::string path = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (path.empty()) throw_error(env, albert::code::kInvalidInput, "the tokenizer file must be a non-empty string", true);
    bool raw = info.Length() > 1 && info[1].ToBoolean();
    return start_load(info, [path, raw] { return tok::load_tokenizer_file(path, raw); });
  });
}

Napi::Value TokenizerWrap::info(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    const tok::SpecialTokens& s = t->special_tokens();
    Napi::Object out = Napi::Object::New(env);
    out.Set("kind", Napi::String::New(env, tok::kind_name(t->kind())));
    out.Set("vocabSize", Napi::Number::New(env, t->vocab_size()));
    out.Set("modelMaxLength", Napi::Number::New(env, double(t->model_max_length())));
    out.Set("source", Napi::String::New(env, t->source()));
    Napi::Object specials = Napi::Object::New(env);
    specials.Set("cls", named_token(env, s.cls));
    specials.Set("sep", named_token(env, s.sep));
    specials.Set("pad", named_token(env, s.pad));
    specials.Set("unk", named_token(env, s.unk));
    specials.Set("mask", named_token(env, s.mask));
    specials.Set("bos", named_token(env, s.bos));
    specials.Set("eos", named_token(env, s.eos));
    out.Set("specialTokens", specials);
    out.Set("allSpecialIds", ids_array(env, s.all_ids));
    out.Set("specialTokensPerSequence", Napi::Number::New(env, double(t->post_template().added_tokens(false))));
    out.Set("specialTokensPerPair", Napi::Number::New(env, double(t->post_template().added_tokens(true))));
    return out;
  });
}

Napi::Value TokenizerWrap::tokenize(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    std::u16string text = js_string(info[0], "text");
    bool with_offsets = false;
    encode_flags(info, 1, &with_offsets);
    tok::TokenList tokens(true);
    run_or_throw(env, [&] { t->tokenize(tok::from_utf16(text), tokens); });
    return packed_result(env, tokens, nullptr, nullptr, with_offsets, info.Length() > 2 ? info[2] : env.Undefined());
  });
}

Napi::Value TokenizerWrap::encode(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    std::u16string text = js_string(info[0], "text");
    const bool has_pair = info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull();
    std::u16string pair = has_pair ? js_string(info[1], "textPair") : std::u16string();
    bool with_offsets = false;
    tok::EncodeOptions options = encode_flags(info, 2, &with_offsets);
    tok::Encoding encoding;
    run_or_throw(env, [&] {
      tok::AlignedText a = tok::from_utf16(text);
      if (has_pair) {
        tok::AlignedText b = tok::from_utf16(pair);
        tok::encode(*t, a, &b, options, encoding);
      } else {
        tok::encode(*t, a, nullptr, options, encoding);
      }
    });
    return packed_result(env, encoding.tokens, &encoding.type_ids, &encoding.special_mask, with_offsets,
                         info.Length() > 4 ? info[4] : env.Undefined());
  });
}

Napi::Value TokenizerWrap::encode_batch(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    auto texts = std::make_shared<std::vector<std::u16string>>(js_strings(info[0], "texts"));
    std::shared_ptr<std::vector<std::u16string>> pairs;
    if (info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull()) {
      pairs = std::make_shared<std::vector<std::u16string>>(js_strings(info[1], "pairs"));
      if (pairs->size() != texts->size()) throw_error(env, albert::code::kInvalidInput, "texts and pairs must have the same length");
    }
    tok::BatchOptions options = read_batch_options(info.Length() > 2 ? info[2] : env.Undefined());
    auto rows = std::make_shared<std::vector<tok::Encoding>>();
    return PromiseWorker::start(
        env, "albert-node:encodeBatch", [t, texts, pairs, options, rows] { tok::encode_rows(*t, *texts, pairs.get(), options, *rows); },
        [t, options, rows](Napi::Env env) { return batch_result(env, *t, *rows, options); }, {info.This()});
  });
}

Napi::Value TokenizerWrap::encode_batch_sync(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    std::vector<std::u16string> texts = js_strings(info[0], "texts");
    std::vector<std::u16string> pairs;
    const bool has_pairs = info.Length() > 1 && !info[1].IsUndefined() && !info[1].IsNull();
    if (has_pairs) {
      pairs = js_strings(info[1], "pairs");
      if (pairs.size() != texts.size()) throw_error(env, albert::code::kInvalidInput, "texts and pairs must have the same length");
    }
    tok::BatchOptions options = read_batch_options(info.Length() > 2 ? info[2] : env.Undefined());
    options.threads = 1;  // the caller's thread only: no hand-off for small inputs
    std::vector<tok::Encoding> rows;
    run_or_throw(env, [&] { tok::encode_rows(*t, texts, has_pairs ? &pairs : nullptr, options, rows); });
    return batch_result(env, *t, rows, options);
  });
}

Napi::Value TokenizerWrap::decode(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    std::vector<int32_t> ids;
    if (info.Length() < 1 || !(info[0].IsArray() || info[0].IsTypedArray())) {
      throw_error(env, albert::code::kInvalidInput, "ids must be an array or an Int32Array", true);
    }
    Napi::Object list = info[0].As<Napi::Object>();
    uint32_t n = info[0].IsArray() ? info[0].As<Napi::Array>().Length() : uint32_t(info[0].As<Napi::TypedArray>().ElementLength());
    const int32_t vocab = t->vocab_size();
    for (uint32_t i = 0; i < n; ++i) {
      Napi::Value v = list.Get(i);
      bool lossless = true;
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : v.IsBigInt() ? double(v.As<Napi::BigInt>().Int64Value(&lossless)) : -1;
      if (!(d >= 0 && d < vocab) || d != double(int64_t(d))) {
        throw_error(env, albert::code::kInputOutOfRange,
                    "ids[" + std::to_string(i) + "] = " + v.ToString().Utf8Value() + " is not a token id (vocabulary size " +
                        std::to_string(vocab) + ")");
      }
      ids.push_back(int32_t(d));
    }
    bool skip = info.Length() > 1 && info[1].ToBoolean();
    std::string text;
    run_or_throw(env, [&] { text = t->decode(ids, skip); });
    return Napi::String::New(env, text);
  });
}

Napi::Value TokenizerWrap::id_to_token(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    if (info.Length() < 1 || !info[0].IsNumber()) throw_error(env, albert::code::kInvalidInput, "id must be a number", true);
    double d = info[0].As<Napi::Number>().DoubleValue();
    std::string token;
    if (!(d >= 0 && d <= INT32_MAX) || d != double(int64_t(d)) || !t->id_to_token(int32_t(d), &token)) return env.Null();
    return Napi::String::New(env, token);
  });
}

Napi::Value TokenizerWrap::token_to_id(const Napi::CallbackInfo& info) {
  return guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto t = require(env);
    if (info.Length() < 1 || !info[0].IsString()) throw_error(env, albert::code::kInvalidInput, "token must be a string", true);
    int32_t id = t->token_to_id(info[0].As<Napi::String>().Utf8Value());
    return id < 0 ? env.Null() : Napi::Number::New(env, id);
  });
}

Napi::Value TokenizerWrap::dispose(const Napi::CallbackInfo& info) {
  tokenizer_.reset();
  return info.Env().Undefined();
}

void register_tokenizer(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeTokenizer", TokenizerWrap::define(env));
  Napi::Value testing = exports.Get("testing");
  if (testing.IsObject()) {
    Napi::Object t = testing.As<Napi::Object>();
    t.Set("parseSpieceModel", Napi::Function::New<parse_spiece_model>(env, "parseSpieceModel"));
    t.Set("parseVocabTxt", Napi::Function::New<parse_vocab_txt>(env, "parseVocabTxt"));
    t.Set("parseTokenizerConfig", Napi::Function::New<parse_tokenizer_config>(env, "parseTokenizerConfig"));
  }
}

}  // namespace albert_addon
