#include "layers/lrn.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace cdcnn {

Lrn::Lrn(std::string name, Index size, double alpha, double beta, double k)
    : Layer(std::move(name)), size_(size), alpha_(alpha), beta_(beta), k_(k) {
  // A window wider than 2^31 channels means nothing, and bounds flops().
  require(size_ >= 1 && size_ <= kMaxElements, where(), ": attribute 'size' must be positive and at most 2^31, got ",
          size_);
}

std::int64_t Lrn::flops(const Shape& in) const { return flop_product({numel(in), 2 * size_ + 4}); }

std::unique_ptr<Layer> Lrn::from_spec(const LayerSpec& spec) {
  const Index size = spec.int_value("size");
  require(size >= 1 && size <= kMaxElements, spec.where(), ": attribute 'size' must be positive and at most 2^31, got ",
          size);
  const double alpha = spec.real_value("alpha", 1e-4), beta = spec.real_value("beta", 0.75),
               k = spec.real_value("k", 1.0);
  require(std::isfinite(alpha) && std::isfinite(beta) && std::isfinite(k), spec.where(),
          ": attributes 'alpha', 'beta' and 'k' must be finite");
  return std::make_unique<Lrn>(spec.name, size, alpha, beta, k);
}

Shape Lrn::output_shape(const Shape& in) const {
  require(in.size() >= 2, where(), ": expects a CxHxW (or CxL, CxDxHxW) input, got shape ", to_string(in));
  return in;
}

LayerSpec Lrn::spec() const {
  LayerSpec s{.kind = "lrn", .name = name()};
  s.ints["size"] = {size_};
  s.reals["alpha"] = alpha_;
  s.reals["beta"] = beta_;
  s.reals["k"] = k_;
  return s;
}

Tensor Lrn::forward_impl(const Tensor& x, const Shape& out_shape) const {
  const Index C = x.dim(0), P = x.numel() / C;
  ConstMatrixMap xm = x.matrix(C, P);
  const Matrix squares = xm.cwiseAbs2();
  Tensor y(out_shape);
  MatrixMap ym = y.matrix(C, P);
  const float scale = static_cast<float>(alpha_ / static_cast<double>(size_));
  const float k = static_cast<float>(k_), beta = static_cast<float>(beta_);
  Eigen::RowVectorXf sum(P);
  for (Index c = 0; c < C; ++c) {
    const Index lo = std::max<Index>(0, c - size_ / 2), hi = std::min(C - 1, c + (size_ - 1) / 2);
    sum = squares.middleRows(lo, hi - lo + 1).colwise().sum();
    ym.row(c).array() = xm.row(c).array() / (k + scale * sum.array()).pow(beta);
  }
  return y;
}

}  // namespace cdcnn
