#include "layers/lrn.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;

// torch.nn.functional.local_response_norm, written out: the squares of
// channels c − size/2 … c + (size−1)/2 that exist, summed, times alpha/size.
Tensor direct_lrn(const Tensor& x, Index size, double alpha, double beta, double k) {
  const Index C = x.dim(0), P = x.numel() / C;
  Tensor y(x.shape());
  for (Index c = 0; c < C; ++c)
    for (Index p = 0; p < P; ++p) {
      double sum = 0;
      for (Index j = c - size / 2; j <= c + (size - 1) / 2; ++j)
        if (j >= 0 && j < C) sum += double(x[j * P + p]) * x[j * P + p];
      y[c * P + p] = static_cast<float>(x[c * P + p] / std::pow(k + alpha / double(size) * sum, beta));
    }
  return y;
}

LayerSpec lrn_spec(Index size) {
  LayerSpec s{.kind = "lrn", .name = "norm"};
  s.ints["size"] = {size};
  return s;
}

TEST(Lrn, MatchesPyTorchsFormulaWithAlexNetsSettings) {
  LayerSpec s = lrn_spec(5);
  s.reals["alpha"] = 1e-4;
  s.reals["beta"] = 0.75;
  s.reals["k"] = 2.0;
  const Tensor x = testing::random_tensor({9, 5, 3}, 1, -20, 20);
  EXPECT_LT(max_relative_error(layer_registry().make(s)->forward(x), direct_lrn(x, 5, 1e-4, 0.75, 2.0)), 1e-5);
}

TEST(Lrn, UsesAnAsymmetricWindowForAnEvenSize) {
  LayerSpec s = lrn_spec(4);
  s.reals["alpha"] = 0.5;  // large, so a wrong window shows
  s.reals["beta"] = 0.6;
  s.reals["k"] = 1.5;
  const Tensor x = testing::random_tensor({7, 4}, 2, -3, 3);
  EXPECT_LT(max_relative_error(layer_registry().make(s)->forward(x), direct_lrn(x, 4, 0.5, 0.6, 1.5)), 1e-5);
  // One channel, size 2: y = x / (k + alpha/2 · x²)^beta.
  const Tensor one({1, 1}, {2.0f});
  s.ints["size"] = {2};
  EXPECT_NEAR(layer_registry().make(s)->forward(one)[0], 2.0 / std::pow(1.5 + 0.25 * 4.0, 0.6), 1e-6);
}

TEST(Lrn, TakesPyTorchsDefaults) {
  const Tensor x = testing::random_tensor({6, 3, 3}, 3, -50, 50);
  std::unique_ptr<Layer> lrn = layer_registry().make(lrn_spec(3));
  EXPECT_LT(max_relative_error(lrn->forward(x), direct_lrn(x, 3, 1e-4, 0.75, 1.0)), 1e-5);
  const LayerSpec back = lrn->spec();
  EXPECT_EQ(back.reals.at("alpha"), 1e-4);
  EXPECT_EQ(back.reals.at("beta"), 0.75);
  EXPECT_EQ(back.reals.at("k"), 1.0);
  testing::expect_spec_round_trip(*lrn, x);
}

TEST(Lrn, RefusesABadSizeAndAVectorInput) {
  expect_error([] { layer_registry().make(LayerSpec{.kind = "lrn", .name = "norm"}); },
               "layer 'norm' (lrn): missing attribute 'size'");
  expect_error([] { layer_registry().make(lrn_spec(0)); }, "layer 'norm' (lrn): attribute 'size' must be positive");
  LayerSpec s = lrn_spec(5);
  s.reals["beta"] = NAN;
  expect_error([&] { layer_registry().make(s); }, "layer 'norm' (lrn): ", "finite");
  std::unique_ptr<Layer> lrn = layer_registry().make(lrn_spec(5));
  expect_error([&] { lrn->forward(Tensor({8})); }, "layer 'norm' (lrn): expects a CxHxW");
}

// Found by fuzz_model_layers: a size near 2^62 overflowed the int64 in
// flops() (2 * size + 4), undefined behaviour.
TEST(Lrn, RefusesASizeBeyond2To31AndCountsFlopsWithoutOverflow) {
  expect_error([] { layer_registry().make(lrn_spec(Index{1} << 62)); },
               "layer 'norm' (lrn): attribute 'size' must be positive and at most 2^31");
  expect_error([] { Lrn("norm", (Index{1} << 31) + 1, 1e-4, 0.75, 1.0); }, "layer 'norm' (lrn): attribute 'size'");
  const auto widest = layer_registry().make(lrn_spec(Index{1} << 31));
  EXPECT_EQ(widest->flops({2, 3}), 6 * ((Index{2} << 31) + 4));
}

}  // namespace
}  // namespace cdcnn
