// The per-rank memory estimate (plan/memory.hpp) against numbers worked out
// by hand for a model small enough to count every byte of.

#include "plan/memory.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "layers/conv.hpp"
#include "layers/dense.hpp"
#include "layers/registry.hpp"

namespace cdcnn {
namespace {

constexpr std::int64_t kBase = kProcessBaseBytes;
constexpr std::int64_t kHeader = 64;  // the runtime's message header (profile.hpp's kMessageHeaderBytes)

// input {4} -> fc1 (dense 6x4) -> relu -> fc2 (dense 2x6), weightless: the
// estimate reads shapes only.
Model small_model() {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Dense>("fc1", 6, 4));
  layers.push_back(layer_registry().make(LayerSpec{.kind = "relu", .name = "relu"}));
  layers.push_back(std::make_unique<Dense>("fc2", 2, 6));
  return Model("small", {4}, std::move(layers));
}

// fc1 split k = 2 with `sum` (n = 3) over ranks 1, 2, 3:
//   rows_per_block 3, P 1: a shard 3·(4+1) floats = 60 B, a result 3 floats = 12 B;
//   fc1's input 16 B, output 24 B; fc1 holds 30 parameters (120 B), fc2 14 (56 B).
//   One pass through the model: at most fc1's and relu's outputs, 48 B, alive at once.
const char* kPlan = "fc1 2 sum 1 2 3\n";

TEST(MemoryEstimate, CountsEveryRanksBytesByHand) {
  const auto m = estimate_memory(small_model(), parse_plan(kPlan, "t.plan"), 4);
  ASSERT_EQ(m.size(), 4u);
  // The master: fc2's weights; one pass (48) + at fc1 the input message
  // (16 + header) + n + k blocks (5·12) + the assembled output (24), + a
  // receive buffer per worker (3·(12 + header)), + fc1's output kept as a
  // spare between frames (24); at start-up fc1's weights and one shard
  // message (60 + header).
  EXPECT_EQ(m[0].weights, 56);
  EXPECT_EQ(m[0].shards, 0);
  EXPECT_EQ(m[0].activations, 48 + (16 + kHeader + 60 + 24) + 3 * (12 + kHeader) + 24);
  EXPECT_EQ(m[0].workspace, 0);
  EXPECT_EQ(m[0].startup, 120 + 60 + kHeader);
  EXPECT_EQ(m[0].total(), kBase + 56 + 48 + (16 + kHeader + 60 + 24) + 3 * (12 + kHeader) + 24);
  for (int r = 1; r <= 3; ++r) {
    // A worker: its shard; the receive buffer (16 + header) and, at fc1,
    // the input tensor (16) and its result with its send's copy (2·(12 + header)).
    EXPECT_EQ(m[r].weights, 0);
    EXPECT_EQ(m[r].shards, 60);
    EXPECT_EQ(m[r].activations, (16 + kHeader) + 16 + 2 * (12 + kHeader));
    EXPECT_EQ(m[r].startup, 3 * 4 + kHeader);  // the shard's bias message: W'_j is received in place
    EXPECT_EQ(m[r].total(), kBase + 60 + (16 + kHeader) + 16 + 2 * (12 + kHeader));
  }
}

TEST(MemoryEstimate, VerifyingKeepsTheSplitWeightsAndReadingFilesSendsNone) {
  const Plan plan = parse_plan(kPlan, "t.plan");
  const auto verify = estimate_memory(small_model(), plan, 4, MemoryOptions{.master_verifies = true});
  EXPECT_EQ(verify[0].weights, 56 + 120);
  EXPECT_EQ(verify[0].startup, 60 + kHeader);
  const auto file = estimate_memory(small_model(), plan, 4, MemoryOptions{.master_sends_weights = false});
  EXPECT_EQ(file[0].weights, 56);
  EXPECT_EQ(file[0].startup, 0);
}

TEST(MemoryEstimate, SendingWeightsHoldsOneSplitLayerAtATime) {
  // fc1 and fc2 both split: the master loads, encodes and drops one layer
  // after the other, so at start-up it holds the larger (fc1, 120 B) and
  // the largest shard message (fc1's, 60 + header), not both layers.
  const auto m = estimate_memory(small_model(), parse_plan("fc1 2 sum 1 2 3\nfc2 2 sum 1 2 3\n", "t.plan"), 4);
  EXPECT_EQ(m[0].weights, 0);
  EXPECT_EQ(m[0].startup, 120 + 60 + kHeader);
}

TEST(MemoryEstimate, CountsTwoShardsOnOneRankTheInputAndTheConvBands) {
  // Two shards of fc1 on rank 1, the input placed on rank 2.
  const auto m = estimate_memory(small_model(), parse_plan("input 2\nfc1 2 sum 1 1 2\n", "t.plan"), 3);
  EXPECT_EQ(m[1].shards, 120);
  EXPECT_EQ(m[1].activations, (16 + kHeader) + 16 + 2 * 2 * (12 + kHeader));
  EXPECT_EQ(m[2].activations, (16 + kHeader) + 16 + 2 * (12 + kHeader) + 16);

  // A 3x3 conv of 2 -> 4 channels on a 2x6x6 input: a band of unrolled
  // input per thread, q = 18 rows by all 16 output positions (a band holds
  // up to 2^19 bytes, more than this whole layer).
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Conv>("conv", Shape{4, 2, 3, 3},
                                          Window{.kernel = {3, 3}, .stride = {1, 1}, .padding = {0, 0},
                                                 .dilation = {1, 1}},
                                          1));
  const Model conv("conv", {2, 6, 6}, std::move(layers));
  const auto c = estimate_memory(conv, parse_plan("conv 2 uncoded 1 2\n", "t.plan"), 3, MemoryOptions{.threads = 3});
  EXPECT_EQ(c[1].workspace, 3 * 18 * 16 * 4);
  EXPECT_EQ(c[0].workspace, 0);  // the master runs no conv
  // Unsplit, the master runs the conv's forward(): it keeps W packed in
  // panels of 8 rows (4 rows padded to 8, by q = 18: 576 B beside W's and
  // b's 304 B) and per thread a padded copy of the input (2·6·6 floats,
  // no padding here: 288 B), the band (1152 B) being larger.
  const auto whole = estimate_memory(conv, parse_plan("# nothing split\n", "t.plan"), 3, MemoryOptions{.threads = 3});
  EXPECT_EQ(whole[0].weights, 304 + 8 * 18 * 4);
  EXPECT_EQ(whole[0].workspace, 3 * 18 * 16 * 4);
}

TEST(MemoryEstimate, RefusesALimitOneRankExceedsNamingTheRankAndTheFigure) {
  const auto m = estimate_memory(small_model(), parse_plan(kPlan, "t.plan"), 4);
  EXPECT_NO_THROW(check_memory(m, 0));  // no limit
  static_assert(kBase == 32'000'000, "the figures below assume a base of 32 MB");
  EXPECT_NO_THROW(check_memory(m, 33));
  try {
    check_memory(m, 32.0004);  // the master needs 32.000456 MB, a worker 32.00026
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "--memory-mb: rank 0 needs an estimated 32 MB, more than --memory-mb 32.0004 (add ranks, split "
                 "more, or raise --memory-mb)");
  }
}

TEST(MemoryEstimate, NeedsEveryShardsRank) {
  EXPECT_THROW(estimate_memory(small_model(), parse_plan("fc1 2 sum\n", "t.plan"), 4), Error);
  EXPECT_THROW(estimate_memory(small_model(), parse_plan("fc1 2 sum 1 2 5\n", "t.plan"), 4), Error);
  EXPECT_EQ(plan_world_size(parse_plan("input 6\nfc1 2 sum 1 2 3\n", "t.plan")), 7);
}

}  // namespace
}  // namespace cdcnn
