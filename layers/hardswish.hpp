#pragma once
// Hard swish (PyTorch's nn.Hardswish, MobileNetV3): kind "hardswish",
// x · relu6(x + 3) / 6 elementwise on any shape. NaN stays NaN.

#include "layers/relu6.hpp"

namespace cdcnn {

class Hardswish final : public Activation<Hardswish> {
 public:
  using Activation::Activation;
  std::string_view kind() const override { return "hardswish"; }
  static float apply(float x) { return x * Relu6::apply(x + 3.0f) / 6.0f; }  // PyTorch's order of operations
};

}  // namespace cdcnn
