#include "layers/avg_pool.hpp"

#include <gtest/gtest.h>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;
using testing::with_int;

LayerSpec avg_spec(std::vector<Index> kernel, std::vector<Index> stride, std::vector<Index> padding, Index ceil_mode,
                   Index count_include_pad) {
  LayerSpec s{.kind = "avgpool2d", .name = "avg"};
  s.ints["kernel_size"] = std::move(kernel);
  if (!stride.empty()) s.ints["stride"] = std::move(stride);
  s.ints["padding"] = std::move(padding);
  s.ints["ceil_mode"] = {ceil_mode};
  s.ints["count_include_pad"] = {count_include_pad};
  return s;
}

// PyTorch's average, tap by tap: a tap inside the input adds its value and
// counts; a tap in the zero padding counts only with count_include_pad; a tap
// beyond the padding (a ceil_mode window running off the end) never counts.
// The padding after the input is padding_end where given.
Tensor direct_avg_pool(const Tensor& x, const Shape& out_shape, const LayerSpec& s) {
  const auto k = s.ints.at("kernel_size"), p = s.ints.at("padding");
  const auto pe = s.ints.count("padding_end") ? s.ints.at("padding_end") : p;
  const auto st = s.ints.count("stride") ? s.ints.at("stride") : k;
  const bool include_pad = s.ints.at("count_include_pad")[0] == 1;
  const Index H = x.dim(1), W = x.dim(2);
  Tensor y(out_shape);
  Index n = 0;
  for (Index c = 0; c < x.dim(0); ++c)
    for (Index i = 0; i < out_shape[1]; ++i)
      for (Index j = 0; j < out_shape[2]; ++j) {
        double sum = 0;
        Index count = 0;
        for (Index ki = 0; ki < k[0]; ++ki)
          for (Index kj = 0; kj < k[1]; ++kj) {
            const Index ii = i * st[0] - p[0] + ki, jj = j * st[1] - p[1] + kj;
            if (ii >= H + pe[0] || jj >= W + pe[1]) continue;
            const bool inside = ii >= 0 && ii < H && jj >= 0 && jj < W;
            if (inside) sum += x[(c * H + ii) * W + jj];
            if (inside || include_pad) ++count;
          }
        y[n++] = static_cast<float>(sum / static_cast<double>(count));
      }
  return y;
}

void expect_matches_direct_loops(const LayerSpec& s, const Shape& in) {
  std::unique_ptr<Layer> pool = layer_registry().make(s);
  const Tensor x = random_tensor(in, 5);
  const Tensor y = pool->forward(x);
  EXPECT_LT(max_relative_error(y, direct_avg_pool(x, y.shape(), s)), 1e-6);
}

// Blocks of channels are the compute threads' tasks: the same on 1, 2 and
// 3 threads, and the direct loops' average.
TEST(AvgPool2d, ResultDoesNotDependOnTheThreadCount) {
  const LayerSpec s = avg_spec({3, 3}, {2, 2}, {1, 1}, 1, 0);
  const std::unique_ptr<Layer> pool = layer_registry().make(s);
  const Tensor x = random_tensor({64, 57, 56}, 5);
  const Tensor y = testing::same_for_any_thread_count([&] { return pool->forward(x); });
  EXPECT_LT(max_relative_error(y, direct_avg_pool(x, y.shape(), s)), 1e-6);
}

TEST(AvgPool2d, MatchesDirectLoopsWithPaddingCountedOrNot) {
  expect_matches_direct_loops(avg_spec({3, 2}, {2, 1}, {1, 1}, 0, 1), {3, 9, 8});
  expect_matches_direct_loops(avg_spec({3, 2}, {2, 1}, {1, 1}, 0, 0), {3, 9, 8});
}

TEST(AvgPool2d, MatchesDirectLoopsInCeilMode) {
  expect_matches_direct_loops(avg_spec({3, 3}, {2, 2}, {1, 1}, 1, 1), {2, 10, 7});
  expect_matches_direct_loops(avg_spec({3, 3}, {2, 2}, {1, 1}, 1, 0), {2, 10, 7});
  expect_matches_direct_loops(avg_spec({2, 3}, {}, {0, 1}, 1, 1), {2, 7, 8});
}

// ONNX's pads with begin ≠ end, in ceil mode or not, padding counted or not.
TEST(AvgPool2d, MatchesDirectLoopsWithAsymmetricPadding) {
  for (Index ceil_mode : {0, 1})
    for (Index count_include_pad : {0, 1}) {
      const LayerSpec s = with_int(avg_spec({3, 3}, {2, 2}, {1, 0}, ceil_mode, count_include_pad), "padding_end", {0, 1});
      EXPECT_EQ(layer_registry().make(s)->output_shape({2, 7, 8}), (Shape{2, ceil_mode ? 4 : 3, 4}));
      expect_matches_direct_loops(s, {2, 7, 8});
      expect_matches_direct_loops(with_int(avg_spec({2, 3}, {1, 2}, {0, 1}, ceil_mode, count_include_pad),
                                           "padding_end", {1, 0}), {3, 6, 9});
    }
  // The last ceil-mode window must start inside the input or the left padding,
  // never in the end padding (ONNX's rule too): over 4 inputs and 1 of end
  // padding, kernel 2, stride 2, the third window would start in the padding.
  const LayerSpec last = with_int(avg_spec({2, 2}, {2, 2}, {0, 0}, 1, 1), "padding_end", {1, 1});
  EXPECT_EQ(layer_registry().make(last)->output_shape({1, 4, 4}), (Shape{1, 2, 2}));
  EXPECT_EQ(layer_registry().make(with_int(last, "padding_end", {1, 0}))->output_shape({1, 5, 4}), (Shape{1, 3, 2}));
}

TEST(AvgPool2d, DividesCornerWindowsAsPyTorch) {
  // Ones, kernel 2, stride 2, padding 1: each corner window holds one input.
  const Tensor ones({1, 2, 2}, {1, 1, 1, 1});
  EXPECT_FLOAT_EQ(layer_registry().make(avg_spec({2, 2}, {}, {1, 1}, 0, 1))->forward(ones)[0], 0.25f);
  EXPECT_FLOAT_EQ(layer_registry().make(avg_spec({2, 2}, {}, {1, 1}, 0, 0))->forward(ones)[0], 1.0f);
}

TEST(AvgPool2d, DividesAWindowFarWiderThanTheInputByItsPaddedSize) {
  // Kernel 2^15 with padding 2^14 over one input: one window of 2^15 x 2^15
  // padded taps (2^30, counted with count_include_pad), one of them the input.
  constexpr Index k = Index{1} << 15;
  const Tensor x({1, 1, 1}, {3.0f});
  EXPECT_FLOAT_EQ(layer_registry().make(avg_spec({k, k}, {}, {k / 2, k / 2}, 0, 1))->forward(x)[0],
                  3.0f / static_cast<float>(Index{1} << 30));
  EXPECT_FLOAT_EQ(layer_registry().make(avg_spec({k, k}, {}, {k / 2, k / 2}, 0, 0))->forward(x)[0], 3.0f);
}

TEST(AvgPool2d, SpecRoundTripsThroughTheRegistry) {
  LayerSpec s{.kind = "avgpool2d", .name = "avg"};
  s.ints["kernel_size"] = {2};
  std::unique_ptr<Layer> pool = layer_registry().make(s);
  const LayerSpec back = pool->spec();
  EXPECT_EQ(back.ints.at("stride"), (std::vector<Index>{2, 2}));
  EXPECT_EQ(back.ints.at("count_include_pad"), std::vector<Index>{1});
  EXPECT_EQ(back.ints.count("dilation"), 0u);
  testing::expect_spec_round_trip(*pool, random_tensor({2, 7, 8}, 1));
  testing::expect_spec_round_trip(*layer_registry().make(avg_spec({3, 2}, {2, 1}, {1, 1}, 1, 0)),
                                  random_tensor({2, 7, 8}, 1));
}

TEST(AvgPool2d, RefusesBadAttributesAndInputs) {
  const std::string where = "layer 'avg' (avgpool2d): ";
  const LayerSpec good = avg_spec({3, 3}, {2, 2}, {1, 1}, 0, 1);
  auto make = [](const LayerSpec& s) { return [s] { layer_registry().make(s); }; };
  expect_error(make(with_int(good, "kernel_size", {-3})), where, "'kernel_size' must be positive");
  expect_error(make(with_int(good, "padding", {2})), where, "at most half of 'kernel_size'");
  expect_error(make(with_int(good, "padding_end", {1, 2})), where, "'padding_end' 1x2 must be at most half of");
  expect_error(make(with_int(good, "count_include_pad", {3})), where, "'count_include_pad' must be 0 or 1");
  expect_error(make(with_int(good, "ceil_mode", {-1})), where, "'ceil_mode' must be 0 or 1");
  expect_error(make(with_int(good, "dilation", {2})), where, "has no attribute 'dilation'");
  // Kernel 2^40: the padded count overflowed and the output was inf.
  constexpr Index kHuge = Index{1} << 40;
  expect_error(make(with_int(with_int(good, "kernel_size", {kHuge}), "padding", {kHuge / 2})), where,
               "'kernel_size' must be positive and at most 2^31");
  expect_error(make(with_int(good, "padding", {-1, kHuge})), where, "'padding' must be non-negative and at most 2^31");
  std::unique_ptr<Layer> pool = layer_registry().make(good);
  expect_error([&] { pool->forward(Tensor({2, 3, 3, 3})); }, where + "expects a CxHxW input");
  expect_error([&] { pool->forward(Tensor({2, 0, 3})); }, where + "window");
}

}  // namespace
}  // namespace cdcnn
