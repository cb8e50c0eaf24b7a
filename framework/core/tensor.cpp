#include "core/tensor.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace cdcnn {

namespace {

template <class It>
std::optional<Index> product_of(It first, It last, Index limit) {
  if (limit < 0 || std::any_of(first, last, [](Index d) { return d < 0; })) return std::nullopt;
  if (std::any_of(first, last, [](Index d) { return d == 0; })) return 0;
  Index n = 1;
  for (; first != last; ++first) {
    if (n > limit / *first) return std::nullopt;  // n·d > limit, tested without forming n·d
    n *= *first;
  }
  if (n > limit) return std::nullopt;  // only for an empty product over a limit below 1
  return n;
}

}  // namespace

std::optional<Index> checked_product(std::initializer_list<Index> factors, Index limit) {
  return product_of(factors.begin(), factors.end(), limit);
}

std::optional<Index> checked_numel(const Shape& shape, Index limit) {
  return product_of(shape.begin(), shape.end(), limit);
}

Index numel(const Shape& shape) {
  const auto n = checked_numel(shape, std::numeric_limits<Index>::max());
  require(n.has_value(), "shape ", to_string(shape), " has a negative dimension or too many elements to count");
  return *n;
}

std::string to_string(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

namespace {
void check_dims(const Shape& shape) {
  for (Index d : shape) require(d >= 0, "tensor shape ", to_string(shape), " has a negative dimension");
  require(checked_numel(shape).has_value(), "tensor shape ", to_string(shape), " has more than 2^31 elements");
}
}  // namespace

Tensor::Tensor(Shape shape) : shape_(std::move(shape)) {
  check_dims(shape_);
  values_.assign(static_cast<std::size_t>(cdcnn::numel(shape_)), 0.0f);
}

Tensor::Tensor(Shape shape, std::vector<float> values) : shape_(std::move(shape)), values_(std::move(values)) {
  check_dims(shape_);
  require(static_cast<Index>(values_.size()) == cdcnn::numel(shape_), "tensor of shape ", to_string(shape_),
          " needs ", cdcnn::numel(shape_), " values, got ", values_.size());
}

MatrixMap Tensor::matrix(Index rows, Index cols) {
  require(checked_product({rows, cols}) == numel(), "cannot view a tensor of shape ", to_string(shape_), " as a ",
          rows, "x", cols, " matrix");
  return MatrixMap(values_.data(), rows, cols);
}

ConstMatrixMap Tensor::matrix(Index rows, Index cols) const {
  require(checked_product({rows, cols}) == numel(), "cannot view a tensor of shape ", to_string(shape_), " as a ",
          rows, "x", cols, " matrix");
  return ConstMatrixMap(values_.data(), rows, cols);
}

Eigen::Map<const Vector> Tensor::flat() const { return {values_.data(), numel()}; }
Eigen::Map<Vector> Tensor::flat() { return {values_.data(), numel()}; }

Tensor Tensor::reshaped(Shape shape) const& { return Tensor(*this).reshaped(std::move(shape)); }

Tensor Tensor::reshaped(Shape shape) && {
  require(cdcnn::numel(shape) == numel(), "cannot reshape a tensor of shape ", to_string(shape_), " to ",
          to_string(shape));
  Tensor t;
  t.shape_ = std::move(shape);
  t.values_ = std::move(values_);
  return t;
}

Tensor Tensor::from_matrix(const Eigen::Ref<const Matrix>& m, Shape shape) {
  Tensor t(std::move(shape));
  t.matrix(m.rows(), m.cols()) = m;
  return t;
}

double max_relative_error(const Tensor& actual, const Tensor& expected) {
  require(actual.shape() == expected.shape(), "cannot compare tensors of shapes ", to_string(actual.shape()),
          " and ", to_string(expected.shape()));
  double diff = 0.0, scale = 0.0;
  for (Index i = 0; i < actual.numel(); ++i) {
    const double a = actual[i], e = expected[i];
    if (std::isnan(a) != std::isnan(e)) return INFINITY;
    diff = std::max(diff, std::abs(a - e));
    scale = std::max(scale, std::abs(e));
  }
  if (scale == 0.0) return diff == 0.0 ? 0.0 : INFINITY;
  return diff / scale;
}

}  // namespace cdcnn
