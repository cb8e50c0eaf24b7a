#include "layers/model.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include "core/error.hpp"

namespace cdcnn {

void Model::check_size(const Shape& shape, const std::string& what) const {
  // kMaxElements (2^31): no device we target holds a larger tensor.
  const bool positive = std::all_of(shape.begin(), shape.end(), [](Index d) { return d > 0; });
  require(positive && checked_numel(shape).has_value(), "model '", name_, "': ", what, " would have shape ",
          to_string(shape), ", more than 2^31 elements (or an empty dimension)");
}

Model::Model(std::string name, Shape input_shape, std::vector<std::unique_ptr<Layer>> layers,
             InputNormalisation normalisation)
    : name_(std::move(name)), layers_(std::move(layers)), normalisation_(std::move(normalisation)) {
  require(!layers_.empty(), "model '", name_, "' has no layers");
  if (!normalisation_.empty()) {
    require(normalisation_.mean.size() == normalisation_.std.size() && !input_shape.empty() &&
                static_cast<Index>(normalisation_.mean.size()) == input_shape[0],
            "model '", name_, "': input_mean and input_std need one value per input channel (",
            input_shape.empty() ? 0 : input_shape[0], ")");
    for (double s : normalisation_.std) require(s > 0, "model '", name_, "': input_std must be positive");
  }
  check_size(input_shape, "the input");
  shapes_.push_back(std::move(input_shape));
  std::set<std::string> names;
  for (const auto& layer : layers_) {
    require(names.insert(layer->name()).second, "model '", name_, "': two layers are named '", layer->name(), "'");
    shapes_.push_back(layer->output_shape(shapes_.back()));
    check_size(shapes_.back(), layer->where() + "'s output");
  }
}

std::size_t Model::index_of(const std::string& layer_name) const {
  std::string known;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i]->name() == layer_name) return i;
    known += (i ? ", " : "") + layers_[i]->name();
  }
  throw Error(cat("model '", name_, "' has no layer '", layer_name, "' (layers: ", known, ")"));
}

Tensor Model::forward(const Tensor& x) const {
  require(x.shape() == input_shape(), "model '", name_, "' expects input of shape ", to_string(input_shape()),
          ", got ", to_string(x.shape()));
  return forward_range(x, 0, layers_.size());
}

Tensor Model::forward_range(const Tensor& x, std::size_t first, std::size_t last) const {
  require(first <= last && last <= layers_.size(), "model '", name_, "': bad layer range");
  if (first == last) return x;
  Tensor y = layers_[first]->forward(x);
  for (std::size_t i = first + 1; i < last; ++i) y = layers_[i]->forward(y);
  return y;
}

std::int64_t Model::flops() const {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const std::int64_t f = layers_[i]->flops(shapes_[i]);
    require(f <= std::numeric_limits<std::int64_t>::max() - total, "model '", name_,
            "': more than 2^63 floating-point operations");
    total += f;
  }
  return total;
}

std::int64_t Model::parameter_count() const {
  std::int64_t total = 0;
  for (const auto& l : layers_) total += l->parameter_count();
  return total;
}

}  // namespace cdcnn
