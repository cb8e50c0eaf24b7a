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

Shape MergeLayer::output_shape_for(const std::vector<const Tensor*>& xs) const {
  std::vector<Shape> shapes;
  for (const Tensor* x : xs) shapes.push_back(x->shape());
  return merged_shape(shapes);
}

Tensor MergeLayer::checked(Tensor y, const Shape& out) const {
  require(y.shape() == out, where(), ": produced shape ", to_string(y.shape()), ", expected ", to_string(out));
  return y;
}

Tensor MergeLayer::merge(const std::vector<const Tensor*>& xs) const {
  const Shape out = output_shape_for(xs);
  return checked(merge_impl(xs, out), out);
}

Tensor MergeLayer::merge(const std::vector<const Tensor*>& xs, Tensor&& first) const {
  require(!xs.empty() && xs[0] == &first, where(), ": merge's first input is not the tensor it gives up");
  const Shape out = output_shape_for(xs);
  return checked(merge_in_place_impl(xs, std::move(first), out), out);
}

Shape MergeLayer::output_shape(const Shape& in) const { return merged_shape({in}); }

Tensor MergeLayer::forward_impl(const Tensor& x, const Shape& /*out_shape*/) const { return merge({&x}); }

}  // namespace cdcnn
