#include "layers/flatten.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Flatten, KeepsCOrder) {
  Flatten flatten("flatten");
  const Tensor x = testing::random_tensor({2, 3, 4}, 1);
  const Tensor y = flatten.forward(x);
  EXPECT_EQ(y.shape(), (Shape{24}));
  EXPECT_EQ(max_relative_error(y.reshaped({2, 3, 4}), x), 0.0);
  EXPECT_EQ(flatten.forward(Tensor({5})).shape(), (Shape{5}));
}

TEST(Flatten, RefusesAScalar) {
  Flatten flatten("flat");
  testing::expect_error([&] { flatten.forward(Tensor(Shape{})); }, "layer 'flat' (flatten): expects an input of rank");
}

TEST(Flatten, SpecRoundTripsThroughTheRegistry) {
  testing::expect_spec_round_trip(*layer_registry().make(LayerSpec{.kind = "flatten", .name = "flat"}),
                                  testing::random_tensor({3, 2, 2}, 1));
}

}  // namespace
}  // namespace cdcnn
