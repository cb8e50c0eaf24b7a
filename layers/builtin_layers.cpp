#include "layers/conv.hpp"
#include "layers/dense.hpp"
#include "layers/registry.hpp"

namespace cdcnn {

void register_builtin_layers(LayerRegistry& registry) {
  registry.add("dense", &Dense::from_spec);
  registry.add("conv2d", &Conv::from_spec);
  registry.add("conv3d", &Conv::from_spec);
}

}  // namespace cdcnn
