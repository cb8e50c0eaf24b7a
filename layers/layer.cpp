#include "layers/layer.hpp"

#include "core/error.hpp"

namespace cdcnn {

std::string Layer::where() const { return cat("layer '", name_, "' (", kind(), ")"); }

std::int64_t Layer::flop_product(std::initializer_list<Index> factors) const {
  const auto n = checked_product(factors);
  require(n.has_value(), where(), ": more than 2^63 floating-point operations");
  return *n;
}

Tensor Layer::forward(const Tensor& x) const {
  Shape out = output_shape(x.shape());
  Tensor y = forward_impl(x, out);
  require(y.shape() == out, where(), ": produced shape ", to_string(y.shape()), ", expected ", to_string(out));
  return y;
}

LinearLayer::LinearLayer(std::string name, Matrix weight, Vector bias)
    : Layer(std::move(name)), weight_(std::move(weight)), bias_(std::move(bias)) {
  require(bias_.size() == weight_.rows(), "layer '", this->name(), "': bias has ", bias_.size(), " entries for ",
          weight_.rows(), " output rows");
}

Tensor LinearLayer::raise(Matrix y, const Shape& in) const {
  Shape out = output_shape(in);
  require(y.size() == numel(out) && y.rows() == rows(), where(), ": GEMM output is ", y.rows(), "x", y.cols(),
          ", cannot raise to ", to_string(out));
  return Tensor(std::move(out), std::vector<float>(y.data(), y.data() + y.size()));
}

Matrix LinearLayer::multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w,
                             const Eigen::Ref<const Vector>& b) const {
  require(w.cols() == cols() && b.size() == w.rows(), where(), ": cannot multiply a ", w.rows(), "x", w.cols(),
          " weight block with ", b.size(), " biases by inputs of ", cols(), " rows");
  Matrix y = w * lower(x);
  y.colwise() += b;
  return y;
}

Tensor LinearLayer::forward_impl(const Tensor& x, const Shape& out_shape) const {
  Matrix y = weight_ * lower(x);
  y.colwise() += bias_;
  return raise(std::move(y), x.shape());
}

}  // namespace cdcnn
