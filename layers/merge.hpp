#pragma once
// MergeLayer: the base of the layers that take several inputs (add, mul,
// concat), the joins of a graph model. As Layer::forward does for one input,
// merge() checks the inputs once, here, then calls merge_impl. A merge layer
// given a single input (a sequential model, or `inputs` naming one layer) is
// refused with a message saying how many it takes.

#include <vector>

#include "layers/layer.hpp"

namespace cdcnn {

class MergeLayer : public Layer {
 public:
  using Layer::Layer;

  /// Fewest and most inputs the layer takes.
  virtual std::size_t min_inputs() const { return 2; }
  virtual std::size_t max_inputs() const { return SIZE_MAX; }

  /// Output shape for these input shapes; Error naming the layer if their
  /// count or shapes do not fit.
  Shape merged_shape(const std::vector<Shape>& in) const;
  Tensor merge(const std::vector<const Tensor*>& xs) const;
  /// The same, the caller giving up its first input: `first` is the tensor
  /// xs[0] points to, and no other entry of xs points to it. A layer whose
  /// output has that input's shape may compute it there (Add does), leaving
  /// `first` empty; the result is the same as merge(xs), bit for bit.
  Tensor merge(const std::vector<const Tensor*>& xs, Tensor&& first) const;

  /// A merge layer needs several inputs: these refuse the single-input path.
  Shape output_shape(const Shape& in) const final;
  const MergeLayer* as_merge() const final { return this; }
  /// One FLOP per output element and extra input (the first input's shape
  /// stands for all: Model counts FLOPs per layer from its first input).
  std::int64_t flops(const Shape& in) const override { return numel(in); }

 protected:
  virtual Shape merged_shape_impl(const std::vector<Shape>& in) const = 0;
  virtual Tensor merge_impl(const std::vector<const Tensor*>& xs, const Shape& out_shape) const = 0;
  /// merge(xs, first): by default merge_impl, leaving `first` alone.
  virtual Tensor merge_in_place_impl(const std::vector<const Tensor*>& xs, Tensor&& /*first*/,
                                     const Shape& out_shape) const {
    return merge_impl(xs, out_shape);
  }
  Tensor forward_impl(const Tensor& x, const Shape& out_shape) const final;

 private:
  std::string count_rule() const;
  /// merged_shape of the inputs' shapes.
  Shape output_shape_for(const std::vector<const Tensor*>& xs) const;
  /// y, after checking that its shape is `out`.
  Tensor checked(Tensor y, const Shape& out) const;
};

}  // namespace cdcnn
