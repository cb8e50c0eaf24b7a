#include "layers/layer_spec.hpp"

#include "core/error.hpp"

namespace cdcnn {

std::string LayerSpec::where() const { return cat("layer '", name, "' (", kind, ")"); }

std::vector<Index> LayerSpec::int_list(const std::string& key, std::size_t count) const {
  auto it = ints.find(key);
  require(it != ints.end(), where(), ": missing attribute '", key, "'");
  require(it->second.size() == count, where(), ": attribute '", key, "' must hold ", count, " integers, has ",
          it->second.size());
  return it->second;
}

Index LayerSpec::int_value(const std::string& key) const { return int_list(key, 1)[0]; }

Index LayerSpec::int_value(const std::string& key, Index fallback) const {
  return ints.count(key) ? int_value(key) : fallback;
}

std::vector<Index> LayerSpec::int_list_or(const std::string& key, std::size_t count, Index fallback) const {
  if (!ints.count(key)) return std::vector<Index>(count, fallback);
  return int_list_broadcast(key, count);
}

std::vector<Index> LayerSpec::int_list_broadcast(const std::string& key, std::size_t count) const {
  require(ints.count(key), where(), ": missing attribute '", key, "'");
  const auto& v = ints.at(key);
  // PyTorch lets a scalar stand for all spatial dims (kernel_size=3): accept that too.
  if (v.size() == 1 && count > 1) return std::vector<Index>(count, v[0]);
  return int_list(key, count);
}

double LayerSpec::real_value(const std::string& key) const {
  auto it = reals.find(key);
  require(it != reals.end(), where(), ": missing attribute '", key, "'");
  return it->second;
}

double LayerSpec::real_value(const std::string& key, double fallback) const {
  return reals.count(key) ? real_value(key) : fallback;
}

const Tensor& LayerSpec::param(const std::string& key, const Shape& shape) const {
  auto it = params.find(key);
  require(it != params.end(), where(), ": missing dataset '", key, "'");
  require(it->second.shape() == shape, where(), ": dataset '", key, "' has shape ", to_string(it->second.shape()),
          ", expected ", to_string(shape));
  return it->second;
}

const Shape& LayerSpec::param_shape(const std::string& key) const {
  if (auto it = unread.find(key); it != unread.end()) return it->second;
  auto it = params.find(key);
  require(it != params.end(), where(), ": missing dataset '", key, "'");
  return it->second.shape();
}

void LayerSpec::check_param_shape(const std::string& key, const Shape& shape) const {
  if (!has_param(key) && !is_unread(key)) return;
  const Shape& actual = param_shape(key);
  require(actual == shape, where(), ": dataset '", key, "' has shape ", to_string(actual), ", expected ",
          to_string(shape));
}

}  // namespace cdcnn
