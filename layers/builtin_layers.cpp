#include "layers/adaptive_avg_pool.hpp"
#include "layers/add.hpp"
#include "layers/avg_pool.hpp"
#include "layers/batch_norm.hpp"
#include "layers/concat.hpp"
#include "layers/conv.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/flatten.hpp"
#include "layers/hardsigmoid.hpp"
#include "layers/hardswish.hpp"
#include "layers/lrn.hpp"
#include "layers/max_pool.hpp"
#include "layers/mul.hpp"
#include "layers/registry.hpp"
#include "layers/relu.hpp"
#include "layers/relu6.hpp"
#include "layers/sigmoid.hpp"
#include "layers/silu.hpp"
#include "layers/softmax.hpp"

namespace cdcnn {

void register_builtin_layers(LayerRegistry& registry) {
  registry.add("dense", &Dense::from_spec, true);
  registry.add("conv2d", &Conv::from_spec, true);
  registry.add("conv3d", &Conv::from_spec, true);
  registry.add("maxpool2d", &MaxPool::from_spec);
  registry.add("maxpool3d", &MaxPool::from_spec);
  registry.add("avgpool2d", &AvgPool::from_spec);
  registry.add("adaptiveavgpool2d", &AdaptiveAvgPool::from_spec);
  registry.add("relu", &Relu::from_spec);
  registry.add("lrn", &Lrn::from_spec);
  registry.add("batchnorm", &BatchNorm::from_spec);
  registry.add("softmax", &Softmax::from_spec);
  registry.add("flatten", &Flatten::from_spec);
  registry.add("dropout", &Dropout::from_spec);
  registry.add("sigmoid", &Sigmoid::from_spec);
  registry.add("relu6", &Relu6::from_spec);
  registry.add("hardsigmoid", &Hardsigmoid::from_spec);
  registry.add("hardswish", &Hardswish::from_spec);
  registry.add("silu", &Silu::from_spec);
  registry.add("add", &Add::from_spec);
  registry.add("mul", &Mul::from_spec);
  registry.add("concat", &Concat::from_spec);
}

}  // namespace cdcnn
