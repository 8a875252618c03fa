// Golden check without Node (development tool, not shipped): runs the encoder of fixture model folders on
// every kernel set this CPU supports, with 1 and 4 threads, and compares last_hidden_state (real tokens)
// and pooler_output with each folder's goldens.safetensors (Hugging Face's outputs). It exists for CPUs the
// test machine lacks: the AVX-512 kernels can be checked on any machine that has them, Node or not.
//   check_goldens [--tolerance 1e-4] [--dtype float32|float16|bfloat16] [--kernel generic|avx2|avx512]... <folder>...
// Exit status 1 when any difference exceeds the tolerance (or a folder cannot be checked).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "error.h"
#include "io/safetensors.h"
#include "model/albert_model.h"
#include "runtime/cpu_features.h"

namespace {

using namespace albert;

const TensorRef& need(const SafetensorsFile& file, const std::string& name, DType dtype) {
  const TensorRef* ref = file.find(name);
  if (!ref || ref->dtype != dtype) fail(code::kInvalidInput, file.path() + ": missing or mistyped tensor " + name);
  return *ref;
}

const float* floats(const TensorRef& ref) { return reinterpret_cast<const float*>(ref.data); }
const int64_t* int64s(const TensorRef& ref) { return reinterpret_cast<const int64_t*>(ref.data); }

// Checks one golden case on one model; returns the largest difference seen.
double check_case(const AlbertModel& model, const SafetensorsFile& goldens, const std::string& name) {
  const TensorRef& ids = need(goldens, name + ".input_ids", DType::I64);
  if (ids.shape.size() != 2) fail(code::kInvalidInput, name + ".input_ids is not [batch][seq]");
  const int batch = int(ids.shape[0]);
  const int seq = int(ids.shape[1]);
  const int h = model.config().hidden_size;
  const TensorRef* mask = goldens.find(name + ".attention_mask");
  const TensorRef* types = goldens.find(name + ".token_type_ids");

  ForwardInputs in;
  in.batch = batch;
  in.seq_len = seq;
  in.input_ids = {ids.data, true};
  if (mask) in.attention_mask = {mask->data, true};
  if (types) in.token_type_ids = {types->data, true};
  std::vector<float> states(size_t(batch) * seq * h), pooled(size_t(batch) * h);
  ForwardOutputs out;
  out.last_hidden_state = states.data();
  if (model.has_pooler()) out.pooler_output = pooled.data();
  model.forward(in, out);

  double worst = 0;
  const TensorRef& expected_states = need(goldens, name + ".last_hidden_state", DType::F32);
  for (size_t cell = 0; cell < size_t(batch) * seq; ++cell) {
    if (mask && int64s(*mask)[cell] == 0) continue;  // padding: the engine writes zeros, transformers does not
    for (int j = 0; j < h; ++j) {
      const double d = std::fabs(double(states[cell * h + j]) - floats(expected_states)[cell * h + j]);
      if (!(d <= worst)) worst = d;  // NaN propagates
    }
  }
  const TensorRef* expected_pooled = goldens.find(name + ".pooler_output");
  if (expected_pooled && model.has_pooler()) {
    for (size_t i = 0; i < pooled.size(); ++i) {
      const double d = std::fabs(double(pooled[i]) - floats(*expected_pooled)[i]);
      if (!(d <= worst)) worst = d;
    }
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  double tolerance = 1e-4;
  std::vector<std::string> folders;
  std::vector<Isa> kernels;
  std::string dtype = "float32";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--tolerance") == 0 && i + 1 < argc) {
      tolerance = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
      dtype = argv[++i];
    } else if (std::strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
      try {
        kernels.push_back(parse_isa(argv[++i]));  // refuses a kernel set this CPU lacks
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
      }
    } else {
      folders.emplace_back(argv[i]);
    }
  }
  if (folders.empty()) {
    std::fprintf(stderr, "usage: check_goldens [--tolerance 1e-4] [--dtype float32|float16|bfloat16] [--kernel generic|avx2|avx512]... <folder>...\n");
    return 2;
  }
  if (kernels.empty()) kernels = {Isa::Generic, Isa::Avx2, Isa::Avx512};
  bool ok = true;
  for (const std::string& folder : folders) {
    try {
      const SafetensorsFile goldens(folder + "/goldens.safetensors");
      std::vector<std::string> cases;
      const std::string suffix = ".input_ids";
      for (const auto& entry : goldens.tensors()) {
        const std::string& key = entry.first;
        if (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            goldens.find(key.substr(0, key.size() - suffix.size()) + ".last_hidden_state")) {
          cases.push_back(key.substr(0, key.size() - suffix.size()));
        }
      }
      for (Isa isa : kernels) {
        if (!isa_supported(isa)) continue;
        for (int threads : {1, 4}) {
          LoadOptions options;
          options.kernel = isa_name(isa);
          options.threads = threads;
          options.dtype = dtype;
          const auto model = AlbertModel::load_folder(folder, options);
          for (const std::string& name : cases) {
            const double worst = check_case(*model, goldens, name);
            const bool pass = worst <= tolerance;
            ok = ok && pass;
            std::printf("%s %s %s threads=%d (%d used): max diff %.3g %s %s\n", pass ? "ok  " : "FAIL", folder.c_str(),
                        name.c_str(), threads, model->threads(), worst, isa_name(isa), dtype.c_str());
          }
        }
      }
    } catch (const std::exception& e) {
      ok = false;
      std::printf("FAIL %s: %s\n", folder.c_str(), e.what());
    }
  }
  return ok ? 0 : 1;
}
