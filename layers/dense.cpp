#include "layers/dense.hpp"

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace cdcnn {

namespace {

// y = w·x + b, rows cut into up to 8 blocks of at least 16 rows and 2^16
// weights each (smaller ones cost more to hand out than they take).
void multiply_add(const Eigen::Ref<const Matrix>& w, const float* x, const Eigen::Ref<const Vector>& b, float* y) {
  const Index q = w.cols();
  const EvenSplit blocks(w.rows(), 8, std::max<Index>(16, (Index{1} << 16) / std::max<Index>(q, 1)));
  const Eigen::Map<const Eigen::VectorXf> xv(x, q);
  parallel_for(blocks.parts(), [&](Index block) {
    const Index r0 = blocks.begin(block), n = blocks.end(block) - r0;
    Eigen::Map<Eigen::VectorXf> yv(y + r0, n);
    yv.noalias() = w.middleRows(r0, n) * xv;
    yv += b.segment(r0, n);
  });
}

}  // namespace

Dense::Dense(std::string name, Matrix weight, Vector bias)
    : LinearLayer(std::move(name), std::move(weight), std::move(bias)) {}

Dense::Dense(std::string name, Index out_features, Index in_features)
    : LinearLayer(std::move(name), out_features, in_features) {}

std::unique_ptr<Layer> Dense::from_spec(const LayerSpec& spec) {
  const Shape& w = spec.param_shape("weight");
  require(w.size() == 2, spec.where(), ": dataset 'weight' must be 2-D {out_features, in_features}, has shape ",
          to_string(w));
  const Index out = w[0], in = w[1];
  require(out > 0 && in > 0, spec.where(), ": dataset 'weight' has an empty dimension");
  spec.check_param_shape("bias", {out});
  if (spec.is_unread("weight")) return std::make_unique<Dense>(spec.name, out, in);
  Vector bias = Vector::Zero(out);
  if (spec.has_param("bias")) bias = spec.param("bias", {out}).flat();
  return std::make_unique<Dense>(spec.name, spec.params.at("weight").matrix(out, in), std::move(bias));
}

Shape Dense::output_shape(const Shape& in) const {
  require(in.size() == 1 && in[0] == cols(), where(), ": expects input of shape ", cols(), ", got ", to_string(in),
          " (add a flatten layer before it?)");
  return {rows()};
}

LayerSpec Dense::spec() const {
  LayerSpec s{.kind = "dense", .name = name()};
  s.params.emplace("weight", Tensor::from_matrix(weight(), {rows(), cols()}));
  s.params.emplace("bias", Tensor::from_matrix(bias().transpose(), {rows()}));
  return s;
}

Matrix Dense::lower(const Tensor& x) const { return x.matrix(cols(), 1); }

Matrix Dense::multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w, const Eigen::Ref<const Vector>& b) const {
  require(w.cols() == cols() && b.size() == w.rows() && x.numel() == cols(), where(), ": cannot multiply a ", w.rows(),
          "x", w.cols(), " weight block with ", b.size(), " biases by an input of ", x.numel(), " values");
  Matrix y(w.rows(), 1);
  multiply_add(w, x.data(), b, y.data());
  return y;
}

Tensor Dense::forward_impl(const Tensor& x, const Shape& out_shape) const {
  // Batch 1 is a matrix-vector product: memory bound on W, so no copy of x.
  Tensor y(out_shape);
  multiply_add(weight(), x.data(), bias(), y.data());
  return y;
}

}  // namespace cdcnn
