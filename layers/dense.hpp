#pragma once
// Dense (fully connected, PyTorch's nn.Linear): y = W·x + b with W of shape
// {out_features, in_features}. Its GEMM view is the layer itself: X is the
// input as a q×1 column.

#include "layers/layer.hpp"

namespace cdcnn {

class Dense final : public LinearLayer {
 public:
  /// `weight` is out×in, `bias` has `out` entries (zeros for a layer without bias).
  Dense(std::string name, Matrix weight, Vector bias);
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "dense"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override { return 2 * rows() * cols(); }
  LayerSpec spec() const override;
  Matrix lower(const Tensor& x) const override;

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
};

}  // namespace cdcnn
