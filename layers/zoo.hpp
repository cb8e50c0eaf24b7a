#pragma once
// The model zoo: the networks the paper and its predecessors distribute,
// built with seeded random weights (He-uniform, so activations neither vanish
// nor explode through deep ReLU stacks) when no weights file is at hand.
//   alexnet     torchvision layout, input 3x224x224, 1000 classes
//   vgg16       torchvision layout, input 3x224x224, 1000 classes
//   c3d         Tran et al.'s 3-D conv net for clips, input 3x16x112x112, 487 classes
//   fmnist-cnn  small CNN for 1x28x28 Fashion-MNIST (a trained file ships in layers/zoo/)
//   mlp         784-512-256-10 perceptron for 1x28x28 inputs
//   fmnist-resnet   a small residual network (graph) for 1x28x28 Fashion-MNIST (a trained file ships in layers/zoo/)
//   mobilenet-mini  MobileNetV3-style blocks (depthwise, squeeze-excite) for 1x28x28
// Layer names follow torchvision's module paths ("features.0", "classifier.1").

#include <cstdint>
#include <string>
#include <vector>

#include "layers/model.hpp"
#include "layers/registry.hpp"
#include "layers/weight_selection.hpp"

namespace cdcnn {

std::vector<std::string> zoo_names();
bool is_zoo_name(const std::string& name);
/// The zoo network `name` with weights drawn from `seed`; Error listing the
/// zoo if the name is unknown.
Model zoo_model(const std::string& name, std::uint64_t seed = 0,
                const LayerRegistry& registry = layer_registry());
/// The same with only the linear layers' weights `weights` selects (the
/// others weightless); the weights built are those of the full model.
Model zoo_model(const std::string& name, std::uint64_t seed, const WeightSelection& weights,
                const LayerRegistry& registry = layer_registry());

}  // namespace cdcnn
