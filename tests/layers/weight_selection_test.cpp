// Weightless layers and skeleton models (layers/weight_selection.hpp): a
// skeleton has the full model's every shape, FLOP count and parameter count
// but holds no weight, refuses to run, and still multiplies a shard's
// weights exactly as the full layer does.

#include "layers/weight_selection.hpp"

#include <gtest/gtest.h>

#include "layers/conv.hpp"
#include "layers/dense.hpp"
#include "layers/zoo.hpp"
#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;

void expect_same_shapes(const Model& full, const Model& other) {
  ASSERT_EQ(full.size(), other.size());
  EXPECT_EQ(full.input_shape(), other.input_shape());
  EXPECT_EQ(full.flops(), other.flops());
  EXPECT_EQ(full.parameter_count(), other.parameter_count());
  EXPECT_EQ(full.peak_activation_bytes(), other.peak_activation_bytes());
  for (std::size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(full.layer(i).name(), other.layer(i).name());
    EXPECT_EQ(full.layer(i).kind(), other.layer(i).kind());
    EXPECT_EQ(full.input_names(i), other.input_names(i));
    EXPECT_EQ(full.output_shape_of(i), other.output_shape_of(i));
    EXPECT_EQ(full.layer(i).flops(full.input_shape_of(i)), other.layer(i).flops(other.input_shape_of(i)));
    EXPECT_EQ(full.layer(i).parameter_count(), other.layer(i).parameter_count());
    if (const LinearLayer* l = full.layer(i).as_linear()) {
      ASSERT_NE(other.layer(i).as_linear(), nullptr);
      EXPECT_EQ(l->rows(), other.layer(i).as_linear()->rows());
      EXPECT_EQ(l->cols(), other.layer(i).as_linear()->cols());
    }
  }
}

class ZooSkeleton : public ::testing::TestWithParam<const char*> {};

TEST_P(ZooSkeleton, HasEveryShapeOfTheFullModelAndNoWeight) {
  const Model full = zoo_model(GetParam(), 3);
  const Model skeleton = zoo_model(GetParam(), 3, WeightSelection::none());
  expect_same_shapes(full, skeleton);
  EXPECT_GT(full.weight_bytes(), 0);
  EXPECT_EQ(skeleton.weight_bytes(), 0);
  for (std::size_t i = 0; i < skeleton.size(); ++i)
    if (const LinearLayer* l = skeleton.layer(i).as_linear()) {
      EXPECT_FALSE(l->has_weights());
      expect_error([&] { l->weight(); }, cat("layer '", l->name(), "'"), "has no weights on this rank");
    }
  expect_error([&] { skeleton.forward(Tensor(skeleton.input_shape())); }, "layer '", "has no weights on this rank");
}

TEST_P(ZooSkeleton, LeavesOnlyTheNamedLayersWeightlessAndTheOthersAsInTheFullModel) {
  const Model full = zoo_model(GetParam(), 3);
  std::string first;  // the first linear layer: every later one's draws come after its
  for (std::size_t i = 0; i < full.size() && first.empty(); ++i)
    if (full.layer(i).as_linear()) first = full.layer(i).name();
  const Model partial = zoo_model(GetParam(), 3, WeightSelection::all_but({first}));
  expect_same_shapes(full, partial);
  for (std::size_t i = 0; i < full.size(); ++i) {
    const LinearLayer* l = full.layer(i).as_linear();
    if (!l) continue;
    const LinearLayer& p = *partial.layer(i).as_linear();
    if (l->name() == first) {
      EXPECT_FALSE(p.has_weights());
      continue;
    }
    ASSERT_TRUE(p.has_weights()) << l->name();
    EXPECT_EQ(l->weight(), p.weight()) << l->name();
    EXPECT_EQ(l->bias(), p.bias()) << l->name();
  }
  EXPECT_EQ(partial.weight_bytes(), full.weight_bytes() - full.layer(full.index_of(first)).as_linear()->weight_bytes());
}

TEST_P(ZooSkeleton, HoldsOnlyTheNamedLayersAsInTheFullModel) {
  // A rank computing a stage whole: the last linear layer's weights, drawn
  // as in the full model (every earlier draw made and dropped), no others.
  const Model full = zoo_model(GetParam(), 3);
  std::string last;
  for (std::size_t i = 0; i < full.size(); ++i)
    if (full.layer(i).as_linear()) last = full.layer(i).name();
  const Model stage = zoo_model(GetParam(), 3, WeightSelection::only({last}));
  expect_same_shapes(full, stage);
  for (std::size_t i = 0; i < full.size(); ++i) {
    const LinearLayer* l = full.layer(i).as_linear();
    if (!l) continue;
    const LinearLayer& s = *stage.layer(i).as_linear();
    ASSERT_EQ(s.has_weights(), l->name() == last) << l->name();
    if (s.has_weights()) EXPECT_EQ(l->weight(), s.weight()) << l->name();
  }
  EXPECT_TRUE(WeightSelection::only({}).is_none());
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooSkeleton, ::testing::Values("mlp", "fmnist-cnn", "fmnist-resnet", "mobilenet-mini"));

// The worker's computation: a weightless layer multiplies a block of the
// full layer's rows exactly as the full layer does.
TEST(WeightlessLayer, MultipliesAShardsWeightsAsTheFullLayer) {
  const Tensor w = random_tensor({6, 2, 3, 3}, 1), b = random_tensor({6}, 2), x = random_tensor({4, 7, 5}, 3);
  Window window{.kernel = {3, 3}, .stride = {1, 2}, .padding = {1, 1}, .dilation = {1, 1}};
  const Conv conv("c", w, b.flat(), window, 2);
  const Conv skeleton("c", w.shape(), window, 2);
  EXPECT_FALSE(skeleton.has_weights());
  EXPECT_EQ(skeleton.weight_bytes(), 0);
  EXPECT_EQ(skeleton.output_shape(x.shape()), conv.output_shape(x.shape()));
  EXPECT_EQ(skeleton.workspace_bytes(x.shape()), conv.workspace_bytes(x.shape()));
  const Matrix rows = conv.weight().middleRows(2, 3);
  const Vector bias = conv.bias().segment(2, 3);
  EXPECT_EQ(skeleton.multiply(x, rows, bias), conv.multiply(x, rows, bias));
  expect_error([&] { skeleton.forward(x); }, "layer 'c' (conv2d)", "has no weights on this rank");

  const Dense dense("d", random_tensor({5, 8}, 4).matrix(5, 8), random_tensor({5}, 5).flat());
  const Dense weightless("d", 5, 8);
  const Tensor v = random_tensor({8}, 6);
  EXPECT_EQ(weightless.multiply(v, dense.weight().topRows(2), dense.bias().head(2)),
            dense.multiply(v, dense.weight().topRows(2), dense.bias().head(2)));
  expect_error([&] { weightless.forward(v); }, "layer 'd' (dense)", "has no weights on this rank");
}

TEST(WeightlessLayer, DroppingWeightsMakesALayerWeightless) {
  Model model = zoo_model("mlp", 1);
  const std::int64_t before = model.weight_bytes();
  const std::size_t fc1 = model.index_of("fc1");
  const std::int64_t fc1_bytes = model.layer(fc1).as_linear()->weight_bytes();
  model.drop_weights(fc1);
  EXPECT_EQ(model.weight_bytes(), before - fc1_bytes);
  EXPECT_FALSE(model.layer(fc1).as_linear()->has_weights());
  expect_error([&] { model.drop_weights(model.index_of("relu1")); }, "layer 'relu1'", "not a linear layer");
}

}  // namespace
}  // namespace cdcnn
