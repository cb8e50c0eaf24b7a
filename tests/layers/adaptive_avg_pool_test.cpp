#include "layers/adaptive_avg_pool.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "layer_test_util.hpp"

namespace cdcnn {
namespace {

using testing::expect_error;
using testing::random_tensor;

LayerSpec adaptive_spec(std::vector<Index> size) {
  LayerSpec s{.kind = "adaptiveavgpool2d", .name = "avgpool"};
  s.ints["output_size"] = std::move(size);
  return s;
}

// PyTorch's cells: [floor(i·in/out), ceil((i+1)·in/out)), in floating point.
Tensor direct_adaptive(const Tensor& x, Index oh, Index ow) {
  const Index H = x.dim(1), W = x.dim(2);
  Tensor y({x.dim(0), oh, ow});
  Index n = 0;
  for (Index c = 0; c < x.dim(0); ++c)
    for (Index i = 0; i < oh; ++i)
      for (Index j = 0; j < ow; ++j) {
        const auto h0 = static_cast<Index>(std::floor(double(i * H) / oh)),
                   h1 = static_cast<Index>(std::ceil(double((i + 1) * H) / oh));
        const auto w0 = static_cast<Index>(std::floor(double(j * W) / ow)),
                   w1 = static_cast<Index>(std::ceil(double((j + 1) * W) / ow));
        double sum = 0;
        for (Index a = h0; a < h1; ++a)
          for (Index b = w0; b < w1; ++b) sum += x[(c * H + a) * W + b];
        y[n++] = static_cast<float>(sum / double((h1 - h0) * (w1 - w0)));
      }
  return y;
}

TEST(AdaptiveAvgPool2d, MatchesPyTorchCellsWhenShrinking) {
  const Tensor x = random_tensor({3, 13, 11}, 2);
  EXPECT_LT(max_relative_error(layer_registry().make(adaptive_spec({6, 4}))->forward(x), direct_adaptive(x, 6, 4)),
            1e-6);
}

TEST(AdaptiveAvgPool2d, MatchesPyTorchCellsWhenGrowing) {
  const Tensor x = random_tensor({2, 5, 3}, 2);
  EXPECT_LT(max_relative_error(layer_registry().make(adaptive_spec({7, 8}))->forward(x), direct_adaptive(x, 7, 8)),
            1e-6);
}

TEST(AdaptiveAvgPool2d, IsTheIdentityOnItsOwnSize) {
  const Tensor x = random_tensor({4, 6, 6}, 2);
  EXPECT_LT(max_relative_error(layer_registry().make(adaptive_spec({6}))->forward(x), x), 1e-7);
}

TEST(AdaptiveAvgPool2d, SpecRoundTripsThroughTheRegistry) {
  std::unique_ptr<Layer> pool = layer_registry().make(adaptive_spec({7}));
  EXPECT_EQ(pool->spec().ints.at("output_size"), (std::vector<Index>{7, 7}));
  testing::expect_spec_round_trip(*pool, random_tensor({2, 9, 10}, 1));
}

TEST(AdaptiveAvgPool2d, CountsFlopsCellByCell) {
  // Each cell adds its window and divides once; windows overlap when the
  // sizes do not divide. Checked against the cell-by-cell sum.
  for (auto [in_h, in_w, out_h, out_w] :
       {std::array<Index, 4>{13, 11, 6, 4}, {5, 3, 7, 8}, {6, 6, 6, 6}, {1, 9, 4, 2}}) {
    Index expected = 0;
    for (Index i = 0; i < out_h; ++i)
      for (Index j = 0; j < out_w; ++j) {
        const Index h = (((i + 1) * in_h + out_h - 1) / out_h) - (i * in_h) / out_h;
        const Index w = (((j + 1) * in_w + out_w - 1) / out_w) - (j * in_w) / out_w;
        expected += h * w + 1;
      }
    EXPECT_EQ(AdaptiveAvgPool("a", out_h, out_w).flops({3, in_h, in_w}), 3 * expected)
        << in_h << "x" << in_w << " -> " << out_h << "x" << out_w;
  }
}

TEST(AdaptiveAvgPool2d, CountsFlopsOfAHugeOutputWithoutALoopPerCell) {
  // 2^61 cells of one input each: the cell-by-cell loop never finished.
  EXPECT_EQ(AdaptiveAvgPool("a", Index{1} << 31, Index{1} << 30).flops({1, 1, 1}), Index{1} << 62);
  expect_error([] { AdaptiveAvgPool("a", Index{1} << 31, Index{1} << 31).flops({1, 1, 1}); },
               "layer 'a' (adaptiveavgpool2d): more than 2^63 floating-point operations");
}

TEST(AdaptiveAvgPool2d, RefusesBadOutputSizesAndInputs) {
  const std::string where = "layer 'avgpool' (adaptiveavgpool2d): ";
  expect_error([] { layer_registry().make(adaptive_spec({0, 3})); }, where, "'output_size' must be positive");
  expect_error([] { layer_registry().make(adaptive_spec({Index{1} << 40})); }, where,
               "'output_size' must be positive and at most 2^31, got 1099511627776x1099511627776");
  expect_error([] { AdaptiveAvgPool("avgpool", 3, (Index{1} << 31) + 1); }, where, "at most 2^31");
  expect_error([] { layer_registry().make(adaptive_spec({1, 2, 3})); }, where, "'output_size' must hold 2");
  expect_error([] { layer_registry().make(LayerSpec{.kind = "adaptiveavgpool2d", .name = "avgpool"}); }, where,
               "missing attribute 'output_size'");
  std::unique_ptr<Layer> pool = layer_registry().make(adaptive_spec({2, 2}));
  expect_error([&] { pool->forward(Tensor({3, 4})); }, where + "expects a CxHxW input");
  expect_error([&] { pool->forward(Tensor({3, 0, 4})); }, where, "empty spatial axis");
}

}  // namespace
}  // namespace cdcnn
