#include "layers/dropout.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Dropout, IsTheIdentityAtInference) {
  Dropout dropout("drop", 0.5);
  const Tensor x = testing::random_tensor({7}, 1);
  EXPECT_EQ(max_relative_error(dropout.forward(x), x), 0.0);
  EXPECT_EQ(dropout.flops(x.shape()), 0);
}

TEST(Dropout, KeepsPForTheSpecAndDefaultsToOneHalf) {
  std::unique_ptr<Layer> dropout = layer_registry().make(LayerSpec{.kind = "dropout", .name = "drop"});
  EXPECT_EQ(dropout->spec().reals.at("p"), 0.5);
  LayerSpec s{.kind = "dropout", .name = "drop"};
  s.reals["p"] = 0.25;
  testing::expect_spec_round_trip(*layer_registry().make(s), testing::random_tensor({3, 4}, 1));
  EXPECT_EQ(layer_registry().make(s)->spec().reals.at("p"), 0.25);
}

TEST(Dropout, RefusesAProbabilityOutsideZeroToOne) {
  LayerSpec s{.kind = "dropout", .name = "drop"};
  s.reals["p"] = 1.5;
  testing::expect_error([&] { layer_registry().make(s); }, "layer 'drop' (dropout): attribute 'p' must lie in [0, 1]");
  s.reals["p"] = -0.1;
  testing::expect_error([&] { layer_registry().make(s); }, "layer 'drop' (dropout): attribute 'p'");
}

}  // namespace
}  // namespace cdcnn
