// The activation functions Hugging Face's ACT2FN offers, by config name.
#pragma once

#include <string>

namespace albert {

enum class Activation {
  Identity,   // "linear"
  GeluErf,    // "gelu", "gelu_python": exact erf form
  GeluTanh,   // "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate": the tanh approximation
  Gelu10,     // "gelu_10": erf GELU clipped to [-10, 10]
  QuickGelu,  // "quick_gelu": x * sigmoid(1.702 x)
  Relu,
  Relu2,      // "relu2": relu(x)^2
  Relu6,
  LeakyRelu,  // "leaky_relu": slope 0.01 (torch's default)
  Silu,       // "silu", "swish"
  Sigmoid,
  Tanh,
  Mish,
};

// Throws ERR_ALBERT_UNSUPPORTED naming `name` when it is not one of the names above.
Activation parse_activation(const std::string& name, const std::string& source);
const char* activation_name(Activation activation);

// Scalar reference implementations (the portable kernel path uses these directly).
float apply_activation(Activation activation, float x);

}  // namespace albert
