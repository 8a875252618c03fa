// The JS-visible handle of a loaded tokenizer. It owns a shared_ptr to the core tokenizer; batch encodes in
// flight hold their own reference, so dispose() during an encode is safe.
#pragma once

#include <napi.h>

#include <memory>

#include "tokenizer/tokenizer.h"

namespace albert_addon {

class TokenizerWrap : public Napi::ObjectWrap<TokenizerWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit TokenizerWrap(const Napi::CallbackInfo& info);
  // Gives a freshly constructed wrapper its tokenizer.
  static void set(Napi::Object object, std::shared_ptr<const albert::tok::Tokenizer> tokenizer);

 private:
  // NativeTokenizer.load(folder, source): Promise<NativeTokenizer>; loadFile(path, rawSentencePiece).
  static Napi::Value load(const Napi::CallbackInfo& info);
  static Napi::Value load_file(const Napi::CallbackInfo& info);

  Napi::Value info(const Napi::CallbackInfo& info);
  // tokenize(text, flags, scratch?) and encode(text, pair | undefined, flags, maxLength, scratch?): the packed
  // result, written into `scratch` when it fits (see packed_result in tokenizer_wrap.cpp).
  Napi::Value tokenize(const Napi::CallbackInfo& info);
  Napi::Value encode(const Napi::CallbackInfo& info);
  // encodeBatch(texts, pairs | undefined, options): Promise of int32 matrices; encodeBatchSync likewise.
  Napi::Value encode_batch(const Napi::CallbackInfo& info);
  Napi::Value encode_batch_sync(const Napi::CallbackInfo& info);
  Napi::Value decode(const Napi::CallbackInfo& info);
  Napi::Value id_to_token(const Napi::CallbackInfo& info);
  Napi::Value token_to_id(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<const albert::tok::Tokenizer> require(Napi::Env env) const;

  std::shared_ptr<const albert::tok::Tokenizer> tokenizer_;
};

// Adds NativeTokenizer to `exports`, and the tokenizer parsers to `exports.testing` when it exists.
void register_tokenizer(Napi::Env env, Napi::Object exports);

}  // namespace albert_addon
