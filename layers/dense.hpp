#pragma once
// Dense (fully connected, PyTorch's nn.Linear): y = W·x + b with W of shape
// {out_features, in_features}. Its GEMM view is the layer itself: X is the
// input as a q×1 column.
//
// At batch 1 it is a matrix-vector product, bound by reading W: blocks of
// W's rows (a number that depends only on W's shape) are the tasks the
// compute threads share (core/parallel.hpp).

#include "layers/layer.hpp"

namespace cdcnn {

class Dense final : public LinearLayer {
 public:
  /// `weight` is out×in, `bias` has `out` entries (zeros for a layer without bias).
  Dense(std::string name, Matrix weight, Vector bias);
  /// A weightless layer (LinearLayer): the shapes of an out×in weight.
  Dense(std::string name, Index out_features, Index in_features);
  /// A spec whose 'weight' is unread (LayerSpec::unread) gives a weightless layer.
  static std::unique_ptr<Layer> from_spec(const LayerSpec& spec);

  std::string_view kind() const override { return "dense"; }
  Shape output_shape(const Shape& in) const override;
  std::int64_t flops(const Shape& in) const override { return 2 * rows() * cols(); }
  LayerSpec spec() const override;
  Matrix lower(const Tensor& x) const override;
  /// w·x + b (r×1) for a block of weight rows, without copying x.
  Matrix multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w,
                  const Eigen::Ref<const Vector>& b) const override;

 protected:
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;
};

}  // namespace cdcnn
