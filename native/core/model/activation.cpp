#include "model/activation.h"

#include <algorithm>
#include <cmath>

#include "error.h"

namespace albert {

Activation parse_activation(const std::string& name, const std::string& source) {
  static const std::pair<const char*, Activation> kNames[] = {
      {"linear", Activation::Identity},        {"gelu", Activation::GeluErf},
      {"gelu_python", Activation::GeluErf},    {"gelu_new", Activation::GeluTanh},
      {"gelu_pytorch_tanh", Activation::GeluTanh}, {"gelu_fast", Activation::GeluTanh},
      {"gelu_accurate", Activation::GeluTanh}, {"gelu_10", Activation::Gelu10},
      {"quick_gelu", Activation::QuickGelu},   {"relu", Activation::Relu},
      {"relu2", Activation::Relu2},            {"relu6", Activation::Relu6},
      {"leaky_relu", Activation::LeakyRelu},   {"silu", Activation::Silu},
      {"swish", Activation::Silu},             {"sigmoid", Activation::Sigmoid},
      {"tanh", Activation::Tanh},              {"mish", Activation::Mish},
  };
  for (const auto& entry : kNames) {
    if (name == entry.first) return entry.second;
  }
  fail(code::kUnsupported, source + ": hidden_act '" + name +
                               "' is not supported (supported: gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, "
                               "gelu_accurate, gelu_python, gelu_10, quick_gelu, relu, relu2, relu6, leaky_relu, "
                               "silu, swish, sigmoid, tanh, mish, linear)");
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::Identity: return "linear";
    case Activation::GeluErf: return "gelu";
    case Activation::GeluTanh: return "gelu_new";
    case Activation::Gelu10: return "gelu_10";
    case Activation::QuickGelu: return "quick_gelu";
    case Activation::Relu: return "relu";
    case Activation::Relu2: return "relu2";
    case Activation::Relu6: return "relu6";
    case Activation::LeakyRelu: return "leaky_relu";
    case Activation::Silu: return "silu";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::Mish: return "mish";
  }
  return "?";
}

float apply_activation(Activation activation, float x) {
  switch (activation) {
    case Activation::Identity: return x;
    case Activation::GeluErf: return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case Activation::GeluTanh: {
      float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.0f + std::tanh(inner));
    }
    case Activation::Gelu10: {
      float g = 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
      return std::min(std::max(g, -10.0f), 10.0f);
    }
    case Activation::QuickGelu: return x / (1.0f + std::exp(-1.702f * x));
    case Activation::Relu: return x > 0 ? x : 0.0f;
    case Activation::Relu2: return x > 0 ? x * x : 0.0f;
    case Activation::Relu6: return std::min(std::max(x, 0.0f), 6.0f);
    case Activation::LeakyRelu: return x >= 0 ? x : 0.01f * x;
    case Activation::Silu: return x / (1.0f + std::exp(-x));
    case Activation::Sigmoid: return 1.0f / (1.0f + std::exp(-x));
    case Activation::Tanh: return std::tanh(x);
    case Activation::Mish: {
      float softplus = x > 20.0f ? x : std::log1p(std::exp(x));
      return x * std::tanh(softplus);
    }
  }
  return x;
}

}  // namespace albert
