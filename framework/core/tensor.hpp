#pragma once
// Dense float tensors for single-batch inference. The batch dimension is
// never stored: a conv input is {C, H, W} (or {C, D, H, W}), a dense input
// is {F}. Storage is contiguous and row-major (C order, like PyTorch), so a
// {C, H, W} tensor *is* the C×(H·W) row-major matrix a GEMM produces: the
// GEMM view of a layer (docs/architecture.md §1) costs no copy.

#include <Eigen/Core>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cdcnn {

using Index = std::int64_t;
using Shape = std::vector<Index>;

/// Row-major float matrices: the one storage order of cdcnn. Every GEMM view,
/// shard block and MPI buffer uses it, so rows of W (output elements) are
/// contiguous and a row block of Y is one contiguous slice.
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXf;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
static_assert(Matrix::IsRowMajor, "cdcnn assumes row-major matrices throughout");

/// The most elements cdcnn accepts in one tensor, or in one dataset or array
/// read from a file: 2^31 (8 GiB of floats). No device we target holds more,
/// and sizes derived from dimensions within it (offsets, window arithmetic,
/// FLOPs) stay far from int64 overflow.
inline constexpr Index kMaxElements = Index{1} << 31;

/// The product of `factors` if every factor is non-negative and the product is
/// at most `limit`; nullopt otherwise. Never overflows: the one place sizes
/// that come from files (dimensions, kernels, counts) are multiplied.
std::optional<Index> checked_product(std::initializer_list<Index> factors,
                                     Index limit = std::numeric_limits<Index>::max());
/// checked_product over the dimensions of `shape`, by default capped at kMaxElements.
std::optional<Index> checked_numel(const Shape& shape, Index limit = kMaxElements);

/// Number of elements of a shape (1 for the empty shape). Throws Error if a
/// dimension is negative or the count does not fit in an Index.
Index numel(const Shape& shape);
/// "3x224x224" style rendering for messages.
std::string to_string(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  /// A zero-filled tensor. Throws Error on a negative dimension or more than
  /// kMaxElements elements.
  explicit Tensor(Shape shape);
  /// Takes `values` as the contents; throws Error if the count does not match.
  Tensor(Shape shape, std::vector<float> values);

  const Shape& shape() const { return shape_; }
  Index rank() const { return static_cast<Index>(shape_.size()); }
  Index dim(Index axis) const { return shape_.at(static_cast<std::size_t>(axis)); }
  Index numel() const { return static_cast<Index>(values_.size()); }

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  std::span<float> values() { return values_; }
  std::span<const float> values() const { return values_; }
  float& operator[](Index i) { return values_[static_cast<std::size_t>(i)]; }
  float operator[](Index i) const { return values_[static_cast<std::size_t>(i)]; }

  /// Row-major matrix view of the same storage; rows·cols must equal numel().
  MatrixMap matrix(Index rows, Index cols);
  ConstMatrixMap matrix(Index rows, Index cols) const;
  /// The tensor as a flat column (numel × 1).
  Eigen::Map<const Vector> flat() const;
  Eigen::Map<Vector> flat();

  /// Same values, new shape of equal element count (throws Error otherwise).
  Tensor reshaped(Shape shape) const&;
  Tensor reshaped(Shape shape) &&;

  /// Copies a row-major matrix into a tensor of `shape` (numel must match).
  static Tensor from_matrix(const Eigen::Ref<const Matrix>& m, Shape shape);

 private:
  Shape shape_;
  std::vector<float> values_;
};

/// max|a−b| / max|b| (the ∞-norm relative error used throughout the tests and
/// by `--verify`); 0 when both are all zeros. Throws Error on shape mismatch.
double max_relative_error(const Tensor& actual, const Tensor& expected);

}  // namespace cdcnn
