#include "layers/layer.hpp"

#include "core/error.hpp"

namespace cdcnn {

std::string Layer::where() const { return cat("layer '", name_, "' (", kind(), ")"); }

std::int64_t Layer::flop_product(std::initializer_list<Index> factors) const {
  const auto n = checked_product(factors);
  require(n.has_value(), where(), ": more than 2^63 floating-point operations");
  return *n;
}

Shape Layer::checked_output_shape(const Tensor& x) const {
  const LinearLayer* linear = as_linear();
  require(!linear || linear->has_weights(), where(),
          ": has no weights on this rank (a weightless layer: only its shards are held here)");
  return output_shape(x.shape());
}

Tensor Layer::checked(Tensor y, const Shape& out) const {
  require(y.shape() == out, where(), ": produced shape ", to_string(y.shape()), ", expected ", to_string(out));
  return y;
}

Tensor Layer::forward(const Tensor& x) const {
  const Shape out = checked_output_shape(x);
  return checked(forward_impl(x, out), out);
}

Tensor Layer::forward(const Tensor& x, Tensor& spare) const {
  const Shape out = checked_output_shape(x);
  return checked(forward_reusing_impl(x, out, spare), out);
}

Tensor Layer::forward(Tensor&& x, Tensor& spare) const {
  const Shape out = checked_output_shape(x);
  return checked(forward_in_place_impl(std::move(x), out, spare), out);
}

LinearLayer::LinearLayer(std::string name, Matrix weight, Vector bias)
    : Layer(std::move(name)), weight_(std::move(weight)), bias_(std::move(bias)), rows_(weight_.rows()),
      cols_(weight_.cols()) {
  require(bias_.size() == weight_.rows(), "layer '", this->name(), "': bias has ", bias_.size(), " entries for ",
          weight_.rows(), " output rows");
}

LinearLayer::LinearLayer(std::string name, Index rows, Index cols)
    : Layer(std::move(name)), rows_(rows), cols_(cols), has_weights_(false) {
  require(rows >= 1 && cols >= 1, "layer '", this->name(), "': a weight of ", rows, "x", cols, " has an empty dimension");
}

const Matrix& LinearLayer::weight() const {
  require(has_weights_, where(), ": has no weights on this rank (a weightless layer: only its shards are held here)");
  return weight_;
}

const Vector& LinearLayer::bias() const {
  require(has_weights_, where(), ": has no weights on this rank (a weightless layer: only its shards are held here)");
  return bias_;
}

void LinearLayer::set_weights(Matrix weight, Vector bias) {
  require(weight.rows() == rows_ && weight.cols() == cols_ && bias.size() == rows_, where(), ": weights of ",
          weight.rows(), "x", weight.cols(), " and ", bias.size(), " biases for a ", rows_, "x", cols_, " layer");
  weight_ = std::move(weight);
  bias_ = std::move(bias);
  has_weights_ = true;
}

void LinearLayer::drop_weights() {
  weight_ = Matrix();
  bias_ = Vector();
  has_weights_ = false;
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
  Matrix y = weight() * lower(x);
  y.colwise() += bias();
  return raise(std::move(y), x.shape());
}

}  // namespace cdcnn
