#include "layers/dense.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

TEST(Dense, ComputesWxPlusB) {
  Matrix w(2, 3);
  w << 1, 2, 3, 4, 5, 6;
  Vector b(2);
  b << 0.5f, -1.0f;
  Dense d("fc", w, b);
  Tensor y = d.forward(Tensor({3}, {1, 0, -1}));
  EXPECT_FLOAT_EQ(y[0], 1 - 3 + 0.5f);
  EXPECT_FLOAT_EQ(y[1], 4 - 6 - 1.0f);
}

TEST(Dense, GemmViewReproducesForward) {
  Matrix w = Matrix::Random(5, 4);
  Vector b = Vector::Random(5);
  Dense d("fc", w, b);
  Tensor x({4}, {0.1f, 0.2f, -0.3f, 0.4f});
  Matrix y = d.weight() * d.lower(x);
  y.colwise() += d.bias();
  EXPECT_LT(max_relative_error(d.raise(y, x.shape()), d.forward(x)), 1e-6);
}

// Rows are cut into blocks for the compute threads: bit for bit the same on
// 1, 2 and 3 threads, and W·x + b computed in double.
TEST(Dense, ResultDoesNotDependOnTheThreadCount) {
  for (const Index out : {5, 300, 1001}) {
    const Index in = 700;
    const Tensor w = testing::random_tensor({out, in}, 1), b = testing::random_tensor({out}, 2),
                 x = testing::random_tensor({in}, 3);
    const Dense d("fc", w.matrix(out, in), b.flat());
    const Tensor y = testing::same_for_any_thread_count([&] { return d.forward(x); });
    Tensor expected({out});
    for (Index o = 0; o < out; ++o) {
      double acc = b[o];
      for (Index i = 0; i < in; ++i) acc += static_cast<double>(w.data()[o * in + i]) * x[i];
      expected[o] = static_cast<float>(acc);
    }
    EXPECT_LT(max_relative_error(y, expected), 1e-5);
    const Tensor shard = testing::same_for_any_thread_count([&] {
      const Matrix m = d.multiply(x, d.weight().bottomRows(out - 1), d.bias().tail(out - 1));
      return Tensor::from_matrix(m, {out - 1});
    });
    for (Index o = 1; o < out; ++o) EXPECT_NEAR(shard[o - 1], expected[o], 1e-5 * std::abs(expected[o]) + 1e-5) << "row " << o;
  }
}

TEST(Dense, MultipliesAnyBlockOfWeightRows) {
  Matrix w = Matrix::Random(5, 4);
  Dense d("fc", w, Vector::Random(5));
  Tensor x({4}, {0.1f, 0.2f, -0.3f, 0.4f});
  const Matrix rows = w.middleRows(1, 3);
  const Vector bias = Vector::Constant(3, 0.5f);
  Matrix expected = rows * x.matrix(4, 1);
  expected.colwise() += bias;
  EXPECT_TRUE(d.multiply(x, rows, bias).isApprox(expected));
  EXPECT_THROW(d.multiply(x, Matrix::Zero(3, 5), bias), Error);
}

TEST(Dense, RefusesAnInputOfTheWrongShape) {
  Dense d("fc", Matrix::Zero(2, 3), Vector::Zero(2));
  EXPECT_THROW(d.forward(Tensor({4})), Error);
  EXPECT_THROW(d.forward(Tensor({1, 3})), Error);
}

TEST(Dense, SpecRoundTripsThroughTheRegistry) {
  Dense d("fc6", Matrix::Random(3, 4), Vector::Random(3));
  testing::expect_spec_round_trip(d, testing::random_tensor({4}, 1));
  EXPECT_EQ(d.parameter_count(), 15);
  EXPECT_EQ(d.flops({4}), 24);
}

TEST(Dense, RefusesABadWeightOrBias) {
  const std::string where = "layer 'fc' (dense): ";
  LayerSpec s{.kind = "dense", .name = "fc"};
  testing::expect_error([&] { layer_registry().make(s); }, where + "missing dataset 'weight'");
  s.params.emplace("weight", Tensor({6}));
  testing::expect_error([&] { layer_registry().make(s); }, where + "dataset 'weight' must be 2-D");
  s.params["weight"] = Tensor({2, 3});
  s.params.emplace("bias", Tensor({3}));
  testing::expect_error([&] { layer_registry().make(s); }, where + "dataset 'bias' has shape 3, expected 2");
}

}  // namespace
}  // namespace cdcnn
