#include "layers/softmax.hpp"

#include <cmath>

#include "core/error.hpp"

namespace cdcnn {

std::unique_ptr<Layer> Softmax::from_spec(const LayerSpec& spec) { return std::make_unique<Softmax>(spec.name); }

Shape Softmax::output_shape(const Shape& in) const {
  require(!in.empty() && in[0] >= 1, where(), ": expects an input with a non-empty dimension 0, got shape ",
          to_string(in));
  return in;
}

Tensor Softmax::forward_impl(const Tensor& x, const Shape& out_shape) const {
  const Index n = x.dim(0), stride = x.numel() / n;  // dimension 0 has stride `stride`
  ConstMatrixMap xm = x.matrix(n, stride);
  Tensor y(out_shape);
  MatrixMap ym = y.matrix(n, stride);
  const Eigen::RowVectorXf max = xm.colwise().maxCoeff();
  ym = (xm.rowwise() - max).array().exp().matrix();
  const Eigen::RowVectorXf inverse_sum = ym.colwise().sum().cwiseInverse();
  ym = ym * inverse_sum.asDiagonal();
  return y;
}

}  // namespace cdcnn
