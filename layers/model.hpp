#pragma once
// A sequential network: an input shape and layers in order, with every
// intermediate shape inferred and checked when the model is assembled, so a
// model that exists can run. Single-process inference is Model::forward; the
// distributed runtime runs the same layers, splitting the linear ones.

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace cdcnn {

/// Optional input normalisation a model carries (torchvision's mean/std):
/// images are scaled to [0,1], then (x − mean[c]) / std[c] per channel.
struct InputNormalisation {
  std::vector<double> mean;
  std::vector<double> std;
  bool empty() const { return mean.empty(); }
};

class Model {
 public:
  /// Checks that every layer accepts the previous one's output and that names
  /// are unique; throws Error naming the first layer that does not fit.
  Model(std::string name, Shape input_shape, std::vector<std::unique_ptr<Layer>> layers,
        InputNormalisation normalisation = {});

  const std::string& name() const { return name_; }
  const Shape& input_shape() const { return shapes_.front(); }
  const Shape& output_shape() const { return shapes_.back(); }
  /// Input shape of layer i (shapes()[i]) and its output (shapes()[i+1]).
  const std::vector<Shape>& shapes() const { return shapes_; }
  std::size_t size() const { return layers_.size(); }
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }
  /// Index of the layer called `name`; Error listing the names if none is.
  std::size_t index_of(const std::string& layer_name) const;
  const InputNormalisation& normalisation() const { return normalisation_; }

  /// Runs all layers; Error if x's shape is not input_shape().
  Tensor forward(const Tensor& x) const;
  /// Runs layers [first, last) on x, the input of layer `first`.
  Tensor forward_range(const Tensor& x, std::size_t first, std::size_t last) const;

  std::int64_t flops() const;
  std::int64_t parameter_count() const;

 private:
  /// Error unless every dimension is positive and the element count is sane.
  void check_size(const Shape& shape, const std::string& what) const;

  std::string name_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> shapes_;
  InputNormalisation normalisation_;
};

}  // namespace cdcnn
