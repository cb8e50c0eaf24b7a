#pragma once
// The Layer interface. A layer maps one batch-1 tensor to another (merge
// layers, layers/merge.hpp, several to one). Layers
// know nothing of codes or MPI; the runtime only needs the GEMM view that
// linear layers (Dense, ConvNd) expose through LinearLayer.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/tensor.hpp"
#include "layers/layer_spec.hpp"

namespace cdcnn {

class LinearLayer;
class MergeLayer;

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  /// The registry key ("dense", "conv2d", ...).
  virtual std::string_view kind() const = 0;

  /// Shape of the output for an input of shape `in`. Throws Error naming the
  /// layer if `in` is not acceptable (wrong rank, channels, too small...).
  virtual Shape output_shape(const Shape& in) const = 0;

  /// Runs the layer. Not virtual: it checks the input once, here, and every
  /// layer gets the check for free (Ginkgo's apply / apply_impl).
  Tensor forward(const Tensor& x) const;
  /// The same, with storage the caller no longer needs (a model pass
  /// recycles its dead values this way: at batch 1, fresh storage for every
  /// output costs page faults and zero-filling that weigh as much as the
  /// cheaper layers themselves; docs/architecture.md §2, "Storage"):
  ///  - `spare` (any shape, or empty): a layer whose output has spare's
  ///    element count may take its storage, leaving `spare` empty (a
  ///    convolution does);
  ///  - given x as an rvalue, a layer whose output can overwrite its input
  ///    element by element (ReLU and the other activations, batch norm,
  ///    flatten) computes it there; x is left empty or untouched.
  /// The result is the same as forward(x), bit for bit.
  Tensor forward(const Tensor& x, Tensor& spare) const;
  Tensor forward(Tensor&& x, Tensor& spare) const;

  /// Floating-point operations (a multiply-add counts 2) for input `in`.
  virtual std::int64_t flops(const Shape& in) const { return 0; }
  /// Number of stored parameters (weights, biases, statistics).
  virtual std::int64_t parameter_count() const { return 0; }

  /// The layer as a model file stores it (kind, name, attributes, params).
  virtual LayerSpec spec() const = 0;

  /// Non-null for layers that are Y = W·X + b (the ones the runtime splits).
  virtual const LinearLayer* as_linear() const { return nullptr; }
  /// Non-null for layers that take several inputs (add, mul, concat: the
  /// joins of a graph model); every other layer takes one.
  virtual const MergeLayer* as_merge() const { return nullptr; }

  /// "layer 'conv1' (conv2d)" for messages.
  std::string where() const;

 protected:
  /// `out_shape` is output_shape(x.shape()), already computed by forward().
  virtual Tensor forward_impl(const Tensor& x, const Shape& out_shape) const = 0;
  /// forward(x, spare): by default forward_impl, leaving `spare` alone.
  virtual Tensor forward_reusing_impl(const Tensor& x, const Shape& out_shape, Tensor& /*spare*/) const {
    return forward_impl(x, out_shape);
  }
  /// forward(Tensor&&, spare): by default forward_reusing_impl, leaving x alone.
  virtual Tensor forward_in_place_impl(Tensor&& x, const Shape& out_shape, Tensor& spare) const {
    return forward_reusing_impl(x, out_shape, spare);
  }
  /// The product of `factors` for flops(); throws Error naming the layer if it
  /// does not fit an int64 (an absurd window or size in a model file).
  std::int64_t flop_product(std::initializer_list<Index> factors) const;

 private:
  /// output_shape(x.shape()); Error first if the layer is weightless.
  Shape checked_output_shape(const Tensor& x) const;
  /// y, after checking that its shape is `out`.
  Tensor checked(Tensor y, const Shape& out) const;

  std::string name_;
};

/// A layer that is Y = W·X + b on its GEMM view (docs/architecture.md §1):
///  - W is m×q (m output features or channels; for a grouped conv, W is
///    block diagonal over the groups so the view stays a single GEMM);
///  - lower(x) gives X, q×P (P = 1 for Dense, the output positions for ConvNd);
///  - Y = W·X + b·1ᵀ is m×P, and raise() turns it into the output tensor.
/// The runtime splits the rows of W (output splitting): a row block of W times
/// X is a row block of Y, computed on another device.
///
/// A layer may be *weightless*: it knows W's shape but holds no W or b (a
/// rank that computes only coded shards of it, or none: docs/architecture.md
/// §3, memory per device). Its shapes, FLOPs, lower() and multiply() with a
/// shard's weights work; forward(), weight() and bias() are an Error.
class LinearLayer : public Layer {
 public:
  LinearLayer(std::string name, Matrix weight, Vector bias);
  /// A weightless layer whose W is rows×cols.
  LinearLayer(std::string name, Index rows, Index cols);

  /// Error naming the layer if it is weightless.
  const Matrix& weight() const;
  const Vector& bias() const;
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  bool has_weights() const { return has_weights_; }
  /// Frees W and b: the layer becomes weightless (the master, once the
  /// shards of a layer it does not run are sent).
  void drop_weights();
  /// Gives a layer its W (the GEMM view, rows×cols: block diagonal for a
  /// grouped conv) and b, taking their storage: a builder that draws or
  /// reads W in place holds it once, not twice. Error if a shape differs.
  void set_weights(Matrix weight, Vector bias);
  /// Bytes of W and b this process holds (0 when weightless).
  std::int64_t weight_bytes() const {
    return static_cast<std::int64_t>(sizeof(float)) * (weight_.size() + bias_.size());
  }
  /// Scratch memory forward() and multiply() take beyond their input and
  /// output, per compute thread, for an input of shape `in` (ConvNd's band
  /// of unrolled input; none by default).
  virtual std::int64_t workspace_bytes(const Shape& in) const { return 0; }
  /// forward()'s own memory, which multiply() (a shard) does not take: what
  /// it keeps after its first call (Conv: W packed in panels), and its
  /// per-thread scratch (Conv: a padded copy of the input) when larger than
  /// workspace_bytes. For the memory estimate (plan/memory.hpp).
  virtual std::int64_t forward_retained_bytes() const { return 0; }
  virtual std::int64_t forward_workspace_bytes(const Shape& in) const { return workspace_bytes(in); }

  /// X (q×P) for input x (whose shape output_shape() accepts).
  virtual Matrix lower(const Tensor& x) const = 0;
  /// w·lower(x) + b·1ᵀ (r×P) for any r×q block of weight rows `w` with its
  /// bias `b`: a shard's W'_j and b'_j, coded or not. Layers that can avoid
  /// materialising lower(x) do (ConvNd unrolls it a cache-sized band at a
  /// time). Throws Error if w has not q columns or b not r entries.
  virtual Matrix multiply(const Tensor& x, const Eigen::Ref<const Matrix>& w,
                          const Eigen::Ref<const Vector>& b) const;
  /// The output tensor for Y (m×P, bias included) of an input of shape `in`.
  /// Row-major storage makes this a reshape: Y's rows are output channels.
  Tensor raise(Matrix y, const Shape& in) const;

  /// W's and b's entries, held or not.
  std::int64_t parameter_count() const override { return rows_ * cols_ + rows_; }
  const LinearLayer* as_linear() const override { return this; }

 protected:
  /// Default: raise(W·lower(x) + b). Grouped convs override it to skip the
  /// zero blocks of W.
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const override;

 private:
  Matrix weight_;
  Vector bias_;
  Index rows_, cols_;
  bool has_weights_ = true;
};

}  // namespace cdcnn
