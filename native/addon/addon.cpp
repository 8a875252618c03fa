// Module entry: registers the JS-visible classes and functions. Context-aware (NAPI_MODULE_INIT via
// NODE_API_MODULE), so it loads in worker_threads and Electron renderers.
#include <napi.h>

#include <memory>

#include "addon_data.h"
#include "errors.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/tf_checkpoint.h"
#include "io/torch_checkpoint.h"
#include "kernels/gemm.h"
#include "kernels/gemm_benchmark.h"
#include "js_values.h"
#include "model/albert_config.h"
#include "model_wrap.h"
#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"
#include "tokenizer_wrap.h"

namespace albert_addon {

namespace {

Napi::Value cpu_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const albert::CpuFeatures& f = albert::cpu_features();
  Napi::Object result = Napi::Object::New(env);
  result.Set("avx2", Napi::Boolean::New(env, f.avx2));
  result.Set("f16c", Napi::Boolean::New(env, f.f16c));
  result.Set("avx512", Napi::Boolean::New(env, f.avx512));
  result.Set("defaultKernel", Napi::String::New(env, albert::isa_name(albert::default_isa())));
  Napi::Array kernels = Napi::Array::New(env);
  uint32_t n = 0;
  for (albert::Isa isa : {albert::Isa::Generic, albert::Isa::Avx2, albert::Isa::Avx512}) {
    if (albert::isa_supported(isa)) kernels.Set(n++, Napi::String::New(env, albert::isa_name(isa)));
  }
  result.Set("kernels", kernels);
  result.Set("cores", Napi::Number::New(env, albert::ThreadPool::global().max_threads()));
  return result;
}

// Test hooks: run the untrusted-file parsers on in-memory bytes (the fuzz tests call these thousands of
// times without touching the disk). Each returns a summary or throws the coded error.
Napi::Value parse_safetensors_bytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = uint8_argument(info, 0);
  size_t count = 0;
  run_or_throw(env, [&] { count = albert::parse_safetensors(bytes.Data(), bytes.ElementLength(), "<buffer>").size(); });
  return Napi::Number::New(env, double(count));
}

// The entries of a TensorFlow checkpoint index: { numShards, entries: [{ name, dtype, shape, shard, offset, size }] }.
Napi::Value parse_tf_index_bytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = uint8_argument(info, 0);
  albert::TfIndex index;
  run_or_throw(env, [&] { index = albert::parse_tf_index(bytes.Data(), bytes.ElementLength(), "<buffer>"); });
  Napi::Object result = Napi::Object::New(env);
  result.Set("numShards", Napi::Number::New(env, index.num_shards));
  Napi::Array entries = Napi::Array::New(env, index.entries.size());
  for (size_t i = 0; i < index.entries.size(); ++i) {
    const albert::TfTensorEntry& e = index.entries[i];
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", Napi::String::New(env, e.name));
    entry.Set("dtype", Napi::String::New(env, albert::tf_dtype_name(e.dtype)));
    entry.Set("shape", shape_to_js(env, e.shape));
    entry.Set("shard", Napi::Number::New(env, e.shard));
    entry.Set("offset", Napi::Number::New(env, double(e.offset)));
    entry.Set("size", Napi::Number::New(env, double(e.size)));
    entries.Set(uint32_t(i), entry);
  }
  result.Set("entries", entries);
  return result;
}

// The tensors of a pytorch_model.bin held in memory: { format, skipped, tensors: [{ name, dtype, shape, nbytes }] }.
Napi::Value parse_torch_bin_bytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Uint8Array bytes = uint8_argument(info, 0);
  albert::TorchCheckpoint checkpoint;
  run_or_throw(env, [&] { checkpoint = albert::parse_torch_checkpoint(bytes.Data(), bytes.ElementLength(), "<buffer>"); });
  Napi::Object result = Napi::Object::New(env);
  result.Set("format", Napi::String::New(env, checkpoint.format));
  result.Set("skipped", Napi::Number::New(env, double(checkpoint.skipped)));
  Napi::Array tensors = Napi::Array::New(env, checkpoint.tensors.size());
  for (size_t i = 0; i < checkpoint.tensors.size(); ++i) {
    const albert::TorchTensor& t = checkpoint.tensors[i];
    Napi::Object tensor = Napi::Object::New(env);
    tensor.Set("name", Napi::String::New(env, t.name));
    tensor.Set("dtype", Napi::String::New(env, albert::dtype_name(t.dtype)));
    tensor.Set("shape", shape_to_js(env, t.shape));
    tensor.Set("nbytes", Napi::Number::New(env, double(t.nbytes)));
    tensors.Set(uint32_t(i), tensor);
  }
  result.Set("tensors", tensors);
  return result;
}

Napi::Value parse_config_text(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw_error(env, albert::code::kInvalidInput, "expected a string", true);
  std::string text = info[0].As<Napi::String>().Utf8Value();
  albert::JsonValue json;
  run_or_throw(env, [&] {
    json = albert::parse_json(text, "<config>");
    albert::parse_albert_config(json, "<config>");
  });
  return json_to_js(env, json);
}

// GEMM test hook: out = LayerNorm?(act(a * w^T + bias + residual)) on any shape, kernel set, weight
// format and thread count, so tests can check every blocking edge (M = 1, tails, deep K) against a reference.
Napi::Value gemm_for_test(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_error(env, albert::code::kInvalidInput, "expected an options object", true);
  Napi::Object opts = info[0].As<Napi::Object>();
  const int m = read_int(opts, "m", 1, 1 << 16, 1);
  const int n = read_int(opts, "n", 1, 1 << 16, 1);
  const int k = read_int(opts, "k", 1, 1 << 16, 1);
  const float* a = float_array(env, opts.Get("a"), "a", size_t(m) * k, true);
  const float* w = float_array(env, opts.Get("w"), "w", size_t(n) * k, true);
  albert::GemmEpilogue epilogue;
  epilogue.bias = float_array(env, opts.Get("bias"), "bias", size_t(n), false);
  epilogue.residual = float_array(env, opts.Get("residual"), "residual", size_t(m) * n, false);
  epilogue.ldr = n;
  epilogue.norm_gamma = float_array(env, opts.Get("normGamma"), "normGamma", size_t(n), false);
  epilogue.norm_beta = float_array(env, opts.Get("normBeta"), "normBeta", size_t(n), false);
  epilogue.norm_eps = 1e-12f;
  Napi::Float32Array out = Napi::Float32Array::New(env, size_t(m) * n);
  CapturedError error;
  if (!capture_errors(
          [&] {
            if ((epilogue.norm_gamma == nullptr) != (epilogue.norm_beta == nullptr)) {
              albert::fail(albert::code::kInvalidInput, "normGamma and normBeta go together");
            }
            epilogue.activation = albert::parse_activation(read_string(opts, "activation", "linear"), "activation");
            const albert::KernelSet& kernels = albert::kernel_set(albert::parse_isa(read_string(opts, "kernel", "auto")));
            const albert::WeightFormat format = albert::parse_weight_format(read_string(opts, "dtype", "float32"));
            albert::PackedWeight packed(kernels, w, n, k, format);
            auto team = albert::ThreadPool::global().acquire(read_int(opts, "threads", 1, 4096, 1));
            albert::gemm(*team, kernels, m, a, k, packed, out.Data(), n, epilogue);
          },
          error)) {
    throw make_error(env, error);
  }
  return out;
}

// Benchmark hooks: the FMA peak of one core and the GEMM's best rate on one shape (blocking; for bench/ only).
Napi::Value benchmark_gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw_error(env, albert::code::kInvalidInput, "expected an options object", true);
  Napi::Object opts = info[0].As<Napi::Object>();
  CapturedError error;
  Napi::Object result = Napi::Object::New(env);
  double peak = 0, gflops = 0;
  if (!capture_errors(
          [&] {
            albert::Isa isa = albert::parse_isa(read_string(opts, "kernel", "auto"));
            peak = albert::fma_peak_gflops(isa);
            gflops = albert::gemm_gflops(isa, read_int(opts, "m", 1, 1 << 16, 4096), read_int(opts, "n", 1, 1 << 16, 768),
                                         read_int(opts, "k", 1, 1 << 16, 768), read_int(opts, "threads", 1, 4096, 1),
                                         opts.Has("seconds") ? opts.Get("seconds").ToNumber().DoubleValue() : 1.0);
          },
          error)) {
    throw make_error(env, error);
  }
  result.Set("fmaPeakPerCore", Napi::Number::New(env, peak));
  result.Set("gflops", Napi::Number::New(env, gflops));
  return result;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  // Owned by the environment from here on: node-addon-api's default finalizer deletes it at env teardown.
  auto owned = std::make_unique<AddonData>();
  AddonData* data = owned.get();
  env.SetInstanceData<AddonData>(owned.release());
  Napi::Function model_class = ModelWrap::define(env);
  data->model_constructor = Napi::Persistent(model_class);
  exports.Set("NativeAlbertModel", model_class);
  exports.Set("loadModel", Napi::Function::New<ModelWrap::load>(env, "loadModel"));
  exports.Set("cpuInfo", Napi::Function::New<cpu_info>(env, "cpuInfo"));
  Napi::Object testing = Napi::Object::New(env);
  testing.Set("parseSafetensors", Napi::Function::New<parse_safetensors_bytes>(env, "parseSafetensors"));
  testing.Set("parseTfIndex", Napi::Function::New<parse_tf_index_bytes>(env, "parseTfIndex"));
  testing.Set("parseTorchBin", Napi::Function::New<parse_torch_bin_bytes>(env, "parseTorchBin"));
  testing.Set("parseConfig", Napi::Function::New<parse_config_text>(env, "parseConfig"));
  testing.Set("gemm", Napi::Function::New<gemm_for_test>(env, "gemm"));
  testing.Set("benchmarkGemm", Napi::Function::New<benchmark_gemm>(env, "benchmarkGemm"));
  exports.Set("testing", testing);
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  register_tokenizer(env, exports);
  return exports;
}

}  // namespace

}  // namespace albert_addon

static Napi::Object InitAlbertNode(Napi::Env env, Napi::Object exports) { return albert_addon::init(env, exports); }

NODE_API_MODULE(albert_node, InitAlbertNode)
