#include "layers/relu.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Relu, ZeroesNegativesAndKeepsTheRest) {
  Relu relu("relu");
  const Tensor y = relu.forward(Tensor({2, 3}, {-1, 0, 2, -0.5f, 3, NAN}));
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(y.values().begin(), y.values().begin() + 5), (std::vector<float>{0, 0, 2, 0, 3}));
  EXPECT_TRUE(std::isnan(y[5]));  // as torch.relu
}

TEST(Relu, ResultDoesNotDependOnTheThreadCount) {
  // Large enough to be cut into ranges (core/parallel.hpp, parallel_ranges).
  const Tensor x = testing::random_tensor({3, 100, 100}, 1);
  const Relu relu("relu");
  const Tensor y = testing::same_for_any_thread_count([&] { return relu.forward(x); });
  for (Index i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], x[i] < 0 ? 0.0f : x[i]) << i;
}

TEST(Relu, GivenItsInputWritesOverIt) {
  const Tensor x = testing::random_tensor({3, 10, 10}, 2);
  const Relu relu("relu");
  Tensor given = x, spare;
  const float* storage = given.data();
  const Tensor y = relu.forward(std::move(given), spare);
  EXPECT_EQ(y.data(), storage);
  const Tensor expected = relu.forward(x);
  for (Index i = 0; i < x.numel(); ++i) ASSERT_EQ(y[i], expected[i]) << i;
}

TEST(Relu, SpecRoundTripsThroughTheRegistry) {
  std::unique_ptr<Layer> relu = layer_registry().make(LayerSpec{.kind = "relu", .name = "features.1"});
  EXPECT_EQ(relu->where(), "layer 'features.1' (relu)");
  EXPECT_EQ(relu->flops({3, 4}), 12);
  testing::expect_spec_round_trip(*relu, testing::random_tensor({3, 5, 4}, 1));
}

}  // namespace
}  // namespace cdcnn
