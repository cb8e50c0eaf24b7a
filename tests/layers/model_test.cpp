#include "layers/model.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"
#include "layers/max_pool.hpp"
#include "layers/relu.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;

std::vector<std::unique_ptr<Layer>> one_relu() {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Relu>("relu"));
  return layers;
}

TEST(Model, RefusesAnInputOfMoreThan2To31ElementsOrAnEmptyAxis) {
  constexpr Index k2To32 = Index{1} << 32;
  expect_error([] { Model("m", {k2To32, k2To32}, one_relu()); },
               "model 'm': the input would have shape 4294967296x4294967296", "more than 2^31 elements");
  expect_error([] { Model("m", {Index{1} << 31, 2}, one_relu()); }, "model 'm': the input", "more than 2^31 elements");
  expect_error([] { Model("m", {3, 0, k2To32}, one_relu()); }, "model 'm': the input", "empty dimension");
  EXPECT_EQ(Model("m", {Index{1} << 31}, one_relu()).output_shape(), (Shape{Index{1} << 31}));
}

TEST(Model, RefusesAFlopCountBeyondInt64) {
  // Four max pools of 2^31-element windows over ~2^30 positions: ~2^61 FLOPs
  // each, more than 2^63 together. Shapes only: nothing is allocated.
  constexpr Index k = Index{1} << 15;
  std::vector<std::unique_ptr<Layer>> layers;
  for (int i = 0; i < 4; ++i) {
    Window w{.kernel = {k, 2 * k}, .stride = {1, 1}, .padding = {k / 2, k}, .dilation = {1, 1}};
    layers.push_back(std::make_unique<MaxPool>("pool" + std::to_string(i), std::move(w), false));
  }
  const Model model("m", {1, k, k}, std::move(layers));
  EXPECT_GT(model.layer(0).flops(model.shapes()[0]), Index{1} << 61);
  expect_error([&] { model.flops(); }, "model 'm': more than 2^63 floating-point operations");
}

}  // namespace
}  // namespace cdcnn
