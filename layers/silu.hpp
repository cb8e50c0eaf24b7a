#pragma once
// SiLU or swish (PyTorch's nn.SiLU): kind "silu", x · sigmoid(x) elementwise on
// any shape, computed as PyTorch does, x / (1 + e^-x). NaN stays NaN.

#include <cmath>

#include "layers/activation.hpp"

namespace cdcnn {

class Silu final : public Activation<Silu> {
 public:
  using Activation::Activation;
  std::string_view kind() const override { return "silu"; }
  static float apply(float x) { return x / (1.0f + std::exp(-x)); }
};

}  // namespace cdcnn
