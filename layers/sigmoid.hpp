#pragma once
// Sigmoid (PyTorch's nn.Sigmoid): kind "sigmoid", 1 / (1 + e^-x) elementwise
// on any shape; 0 at -inf, 1 at +inf, NaN stays NaN.

#include <cmath>

#include "layers/activation.hpp"

namespace cdcnn {

class Sigmoid final : public Activation<Sigmoid> {
 public:
  using Activation::Activation;
  std::string_view kind() const override { return "sigmoid"; }
  static float apply(float x) { return 1.0f / (1.0f + std::exp(-x)); }
};

}  // namespace cdcnn
