#include "layers/softmax.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

// exp(x_i) / Σ exp(x_j) over dimension 0, in double, shifted by the column
// maximum only to stay finite (the shift cancels).
Tensor direct_softmax(const Tensor& x) {
  const Index n = x.dim(0), m = x.numel() / n;
  Tensor y(x.shape());
  for (Index j = 0; j < m; ++j) {
    double max = -INFINITY, sum = 0;
    for (Index i = 0; i < n; ++i) max = std::max(max, double(x[i * m + j]));
    for (Index i = 0; i < n; ++i) sum += std::exp(double(x[i * m + j]) - max);
    for (Index i = 0; i < n; ++i) y[i * m + j] = static_cast<float>(std::exp(double(x[i * m + j]) - max) / sum);
  }
  return y;
}

TEST(Softmax, MatchesTheDefinitionOverClasses) {
  Softmax softmax("prob");
  const Tensor x = testing::random_tensor({11}, 1, -5, 5);
  const Tensor y = softmax.forward(x);
  EXPECT_LT(max_relative_error(y, direct_softmax(x)), 1e-6);
  EXPECT_NEAR(y.flat().sum(), 1.0f, 1e-6);
}

TEST(Softmax, NormalisesDimensionZeroOfAnyRank) {
  Softmax softmax("prob");
  const Tensor x = testing::random_tensor({5, 3, 2}, 2, -5, 5);
  EXPECT_LT(max_relative_error(softmax.forward(x), direct_softmax(x)), 1e-6);
}

TEST(Softmax, StaysFiniteOnLargeScores) {
  Softmax softmax("prob");
  const Tensor y = softmax.forward(Tensor({3}, {1000, 1001, -1000}));
  EXPECT_NEAR(y[0], 1 / (1 + std::exp(1.0)), 1e-6);
  EXPECT_NEAR(y[1], 1 / (1 + std::exp(-1.0)), 1e-6);
  EXPECT_EQ(y[2], 0.0f);
}

TEST(Softmax, RefusesAScalarAndRoundTripsItsSpec) {
  Softmax softmax("prob");
  testing::expect_error([&] { softmax.forward(Tensor(Shape{})); }, "layer 'prob' (softmax): expects an input");
  testing::expect_error([&] { softmax.forward(Tensor({0})); }, "layer 'prob' (softmax): expects an input");
  testing::expect_spec_round_trip(softmax, testing::random_tensor({6}, 1));
}

}  // namespace
}  // namespace cdcnn
