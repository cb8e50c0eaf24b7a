#pragma once
// The layer table: kind name → factory from a LayerSpec. Built-in layers are
// added by one explicit call, register_builtin_layers(), never by static
// self-registering globals (a statically linked binary silently loses those).

#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "layers/layer.hpp"

namespace cdcnn {

class LayerRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Layer>(const LayerSpec&)>;

  /// Adds a kind; throws Error if the kind is already registered. `linear`:
  /// the kind is a LinearLayer whose factory builds it weightless from a spec
  /// whose 'weight' and 'bias' are unread (LayerSpec::unread), so a model
  /// loader may leave them unread (layers/weight_selection.hpp).
  void add(const std::string& kind, Factory factory, bool linear = false);
  bool contains(const std::string& kind) const { return factories_.count(kind) != 0; }
  bool is_linear(const std::string& kind) const { return linear_.count(kind) != 0; }
  /// Builds a layer; an unknown kind is an Error that lists the valid kinds.
  std::unique_ptr<Layer> make(const LayerSpec& spec) const;
  std::vector<std::string> kinds() const;

 private:
  std::map<std::string, Factory> factories_;
  std::set<std::string> linear_;
};

/// Adds every built-in layer kind to `registry`.
void register_builtin_layers(LayerRegistry& registry);

/// The process-wide registry, holding the built-ins from first use on.
LayerRegistry& layer_registry();

}  // namespace cdcnn
