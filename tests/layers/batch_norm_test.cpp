#include "layers/batch_norm.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;

LayerSpec bn_spec(Index channels) {
  LayerSpec s{.kind = "batchnorm", .name = "bn"};
  s.params.emplace("weight", random_tensor({channels}, 1));
  s.params.emplace("bias", random_tensor({channels}, 2));
  s.params.emplace("running_mean", random_tensor({channels}, 3));
  s.params.emplace("running_var", random_tensor({channels}, 4, 0.1, 2.0));
  s.reals["eps"] = 1e-3;
  return s;
}

Tensor direct_batch_norm(const Tensor& x, const LayerSpec& s, double eps) {
  const Index C = x.dim(0), P = x.numel() / C;
  Tensor y(x.shape());
  for (Index c = 0; c < C; ++c)
    for (Index p = 0; p < P; ++p)
      y[c * P + p] = static_cast<float>((x[c * P + p] - double(s.params.at("running_mean")[c])) /
                                            std::sqrt(double(s.params.at("running_var")[c]) + eps) *
                                            s.params.at("weight")[c] +
                                        s.params.at("bias")[c]);
  return y;
}

TEST(BatchNorm, NormalisesDimensionZeroOfAnyRank) {
  const LayerSpec s = bn_spec(5);
  std::unique_ptr<Layer> bn = layer_registry().make(s);
  for (const Shape& shape : {Shape{5}, Shape{5, 7}, Shape{5, 3, 4}, Shape{5, 2, 3, 3}}) {
    const Tensor x = random_tensor(shape, 9);
    EXPECT_LT(max_relative_error(bn->forward(x), direct_batch_norm(x, s, 1e-3)), 1e-6) << to_string(shape);
  }
  EXPECT_EQ(bn->parameter_count(), 20);
}

TEST(BatchNorm, DefaultsToEpsOneEMinusFiveAndNoAffine) {
  LayerSpec s = bn_spec(3);
  s.reals.erase("eps");
  s.params.erase("weight");
  s.params.erase("bias");
  std::unique_ptr<Layer> bn = layer_registry().make(s);
  const LayerSpec back = bn->spec();
  EXPECT_EQ(back.reals.at("eps"), 1e-5);
  s.params.emplace("weight", Tensor({3}, {1, 1, 1}));
  s.params.emplace("bias", Tensor({3}));
  const Tensor x = random_tensor({3, 4}, 2);
  EXPECT_LT(max_relative_error(bn->forward(x), direct_batch_norm(x, s, 1e-5)), 1e-6);
}

TEST(BatchNorm, SpecRoundTripsThroughTheRegistry) {
  testing::expect_spec_round_trip(*layer_registry().make(bn_spec(4)), random_tensor({4, 3, 3}, 1));
}

TEST(BatchNorm, RefusesBadDatasetsAndInputs) {
  const std::string where = "layer 'bn' (batchnorm): ";
  auto make = [](const LayerSpec& s) { return [s] { layer_registry().make(s); }; };
  LayerSpec no_mean = bn_spec(4);
  no_mean.params.erase("running_mean");
  expect_error(make(no_mean), where, "missing dataset 'running_mean'");
  LayerSpec no_var = bn_spec(4);
  no_var.params.erase("running_var");
  expect_error(make(no_var), where, "missing dataset 'running_var'");
  LayerSpec short_weight = bn_spec(4);
  short_weight.params["weight"] = Tensor({3});
  expect_error(make(short_weight), where, "dataset 'weight' has shape 3, expected 4");
  LayerSpec matrix_mean = bn_spec(4);
  matrix_mean.params["running_mean"] = Tensor({2, 2});
  expect_error(make(matrix_mean), where, "'running_mean' must be 1-D");
  LayerSpec negative_var = bn_spec(4);
  negative_var.params["running_var"] = Tensor({4}, {1, 1, -1, 1});
  expect_error(make(negative_var), where, "not positive for channel 2");
  LayerSpec negative_eps = bn_spec(4);
  negative_eps.reals["eps"] = -1;
  expect_error(make(negative_eps), where, "'eps' must be non-negative");
  std::unique_ptr<Layer> bn = layer_registry().make(bn_spec(4));
  expect_error([&] { bn->forward(Tensor({3, 2, 2})); }, where + "expects 4 channels, got 3");
  expect_error([&] { bn->forward(Tensor(Shape{})); }, where + "expects an input of rank");
}

}  // namespace
}  // namespace cdcnn
