#include "layers/dense.hpp"
#include "layers/registry.hpp"

namespace cdcnn {

void register_builtin_layers(LayerRegistry& registry) {
  registry.add("dense", &Dense::from_spec);
}

}  // namespace cdcnn
