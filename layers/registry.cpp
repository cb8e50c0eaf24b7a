#include "layers/registry.hpp"

#include "core/error.hpp"

namespace cdcnn {

void LayerRegistry::add(const std::string& kind, Factory factory, bool linear) {
  require(!contains(kind), "layer kind '", kind, "' is registered twice");
  factories_.emplace(kind, std::move(factory));
  if (linear) linear_.insert(kind);
}

std::unique_ptr<Layer> LayerRegistry::make(const LayerSpec& spec) const {
  auto it = factories_.find(spec.kind);
  if (it == factories_.end()) {
    std::string valid;
    for (const auto& k : kinds()) valid += (valid.empty() ? "" : ", ") + k;
    throw Error(cat("layer '", spec.name, "': unknown layer kind '", spec.kind, "' (known kinds: ", valid, ")"));
  }
  return it->second(spec);
}

std::vector<std::string> LayerRegistry::kinds() const {
  std::vector<std::string> out;
  for (const auto& [k, f] : factories_) out.push_back(k);
  return out;
}

LayerRegistry& layer_registry() {
  static LayerRegistry registry = [] {
    LayerRegistry r;
    register_builtin_layers(r);
    return r;
  }();
  return registry;
}

}  // namespace cdcnn
