#pragma once
// ReLU6 (PyTorch's nn.ReLU6): kind "relu6", min(max(x, 0), 6) elementwise on
// any shape. NaN stays NaN, as in PyTorch.

#include "layers/activation.hpp"

namespace cdcnn {

class Relu6 final : public Activation<Relu6> {
 public:
  using Activation::Activation;
  std::string_view kind() const override { return "relu6"; }
  static float apply(float x) { return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x); }  // keeps NaN
};

}  // namespace cdcnn
