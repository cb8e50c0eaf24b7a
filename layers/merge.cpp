#include "layers/merge.hpp"

#include "core/error.hpp"

namespace cdcnn {

std::string MergeLayer::count_rule() const {
  if (min_inputs() == max_inputs()) return cat("exactly ", min_inputs());
  return cat(min_inputs(), " or more");
}

Shape MergeLayer::merged_shape(const std::vector<Shape>& in) const {
  require(in.size() >= min_inputs() && in.size() <= max_inputs(), where(), " takes ", count_rule(), " inputs, got ",
          in.size(), " (list them in its 'inputs' attribute)");
  return merged_shape_impl(in);
}

Tensor MergeLayer::merge(const std::vector<const Tensor*>& xs) const {
  std::vector<Shape> shapes;
  for (const Tensor* x : xs) shapes.push_back(x->shape());
  Shape out = merged_shape(shapes);
  Tensor y = merge_impl(xs, out);
  require(y.shape() == out, where(), ": produced shape ", to_string(y.shape()), ", expected ", to_string(out));
  return y;
}

Shape MergeLayer::output_shape(const Shape& in) const { return merged_shape({in}); }

Tensor MergeLayer::forward_impl(const Tensor& x, const Shape& /*out_shape*/) const { return merge({&x}); }

}  // namespace cdcnn
