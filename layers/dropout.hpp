#pragma once
// Dropout (PyTorch's nn.Dropout in eval mode): kind "dropout", the identity at
// inference. It keeps p so that spec() writes the layer back unchanged.

#include "layers/layer.hpp"

namespace cdcnn {

class Dropout final : public Layer {
 public:
  /// `p` must lie in [0, 1].
  Dropout(std::string name, double p);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "dropout"; }
  Shape output_shape(const Shape& in) const override { return in; }
  LayerSpec spec() const override;
  double p() const { return p_; }

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override { return x; }

 private:
  double p_;
};

}  // namespace cdcnn
