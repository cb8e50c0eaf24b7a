#pragma once
// A layer as stored in a model file: its kind, its name, its attributes and
// its parameter tensors. Factories build layers from a LayerSpec; layers give
// one back so a model can be written out again. The getters throw Error
// naming the layer and the field, which is how the model loader's messages
// come to say exactly what is wrong.

#include <map>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace cdcnn {

struct LayerSpec {
  std::string kind;  ///< registry key, e.g. "conv2d"
  std::string name;  ///< unique within a model, e.g. "features.0" or "fc6"
  std::map<std::string, std::vector<Index>> ints;  ///< integer attributes (scalars are 1-element)
  std::map<std::string, double> reals;             ///< real attributes
  std::map<std::string, Tensor> params;            ///< weight, bias, running_mean, ...
  /// Parameters left unread, by their shapes: a linear layer's weight and
  /// bias when it is built weightless (layers/weight_selection.hpp).
  std::map<std::string, Shape> unread;

  /// "layer 'conv1' (conv2d)": the prefix of every message about this layer.
  std::string where() const;

  /// The integer attribute `key`, which must hold exactly `count` values.
  std::vector<Index> int_list(const std::string& key, std::size_t count) const;
  /// A scalar integer attribute; `fallback` if absent (nullopt fallback = required).
  Index int_value(const std::string& key) const;
  Index int_value(const std::string& key, Index fallback) const;
  /// An integer list attribute of `count` values, or `fallback` repeated if absent.
  std::vector<Index> int_list_or(const std::string& key, std::size_t count, Index fallback) const;
  /// A required integer list of `count` values; one scalar stands for all of
  /// them (PyTorch's kernel_size=3).
  std::vector<Index> int_list_broadcast(const std::string& key, std::size_t count) const;
  double real_value(const std::string& key) const;
  double real_value(const std::string& key, double fallback) const;

  /// The parameter `key`, which must have exactly `shape`.
  const Tensor& param(const std::string& key, const Shape& shape) const;
  bool has_param(const std::string& key) const { return params.count(key) != 0; }
  /// True when `key` is in `unread` (its factory builds the layer weightless).
  bool is_unread(const std::string& key) const { return unread.count(key) != 0; }
  /// The shape of parameter `key`, read or unread; Error naming the dataset if it is neither.
  const Shape& param_shape(const std::string& key) const;
  /// Error unless the optional parameter `key`, read or unread, is absent or has exactly `shape`.
  void check_param_shape(const std::string& key, const Shape& shape) const;
};

}  // namespace cdcnn
