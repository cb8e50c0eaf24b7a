#pragma once
// Hard sigmoid (PyTorch's nn.Hardsigmoid): kind "hardsigmoid",
// relu6(x + 3) / 6 elementwise on any shape. NaN stays NaN, as in PyTorch.
// (ONNX's HardSigmoid has alpha and beta; PyTorch's is alpha = 1/6, beta = 1/2.)

#include "layers/relu6.hpp"

namespace cdcnn {

class Hardsigmoid final : public Activation<Hardsigmoid> {
 public:
  using Activation::Activation;
  std::string_view kind() const override { return "hardsigmoid"; }
  static float apply(float x) { return Relu6::apply(x + 3.0f) / 6.0f; }
};

}  // namespace cdcnn
