// The JS-visible handle of a loaded AlbertModel. It owns a shared_ptr to the core model; in-flight
// forwards hold their own reference, so dispose() during a forward is safe.
#pragma once

#include <napi.h>

#include <memory>

#include "model/albert_model.h"

namespace albert_addon {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function define(Napi::Env env);
  // loadModel(folder: string, options: { threads?, kernel? }): Promise<ModelWrap>
  static Napi::Value load(const Napi::CallbackInfo& info);

  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  // forward(inputs: { batch, seqLen, inputIds, attentionMask?, tokenTypeIds?, positionIds? },
  //         outputs: { lastHiddenState, poolerOutput?, hiddenStates? }): Promise<void>
  Napi::Value forward(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value config(const Napi::CallbackInfo& info);
  Napi::Value info(const Napi::CallbackInfo& info);
  // saveWeights(path): Promise<void>, the checkpoint's tensors as one safetensors file.
  Napi::Value save_weights(const Napi::CallbackInfo& info);

  std::shared_ptr<const albert::AlbertModel> require_model(Napi::Env env) const;

  std::shared_ptr<const albert::AlbertModel> model_;
};

}  // namespace albert_addon
