#include "plan/shard_placement.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "codes/registry.hpp"
#include "plan/cost_model.hpp"

namespace cdcnn {
namespace {

using ::testing::ElementsAre;

TEST(PlaceShards, EqualSpeedsGiveDistinctWorkersRoundRobin) {
  const std::vector<double> speeds(5, 1.0);  // rank 0 and 4 workers
  EXPECT_THAT(place_shards(3, speeds), ElementsAre(1, 2, 3));
  EXPECT_THAT(place_shards(3, speeds, 2), ElementsAre(3, 4, 1));
  EXPECT_THAT(place_shards(4, speeds, 1), ElementsAre(2, 3, 4, 1));
  EXPECT_TRUE(place_shards(5, speeds).empty());  // one shard each at most
}

TEST(PlaceShards, AFasterWorkerHoldsMore) {
  // Worker 1 is twice as fast: it finishes two shards when the others finish one.
  EXPECT_THAT(place_shards(4, {1, 2, 1, 1}), ElementsAre(1, 2, 3, 1));
  EXPECT_THAT(place_shards(2, {1, 2, 1, 1}), ElementsAre(1, 2));  // first the fastest, then the next to finish
  // Capacity: floor(speed / slowest): 3 + 1 + 1 shards fit, 6 do not.
  EXPECT_EQ(place_shards(5, {1, 3.5, 1, 1}).size(), 5u);
  EXPECT_TRUE(place_shards(6, {1, 3.5, 1, 1}).empty());
  // Exactly twice as fast is two shards, whatever the rounding of the ratio.
  const std::vector<int> ranks = place_shards(3, {1, 0.3, 0.6});
  EXPECT_EQ(std::count(ranks.begin(), ranks.end(), 2), 2);
  EXPECT_EQ(std::count(ranks.begin(), ranks.end(), 1), 1);
}

TEST(DeviceTolerance, IsTheCodesOwnForDistinctHolders) {
  for (const char* spec : {"uncoded", "sum", "mds:r=2", "replication:n=2", "grouped-sum:g=2"}) {
    const auto code = code_registry().make(spec, 4);
    std::vector<int> ranks;
    for (int j = 0; j < code->n(); ++j) ranks.push_back(j + 1);
    EXPECT_EQ(device_tolerance(*code, ranks), code->tolerance()) << spec;
  }
}

TEST(DeviceTolerance, CountsADeviceWithAllItsShards) {
  // sum, k = 3: any one shard may be lost, not two.
  const auto sum = code_registry().make("sum", 3);
  EXPECT_EQ(device_tolerance(*sum, {1, 2, 3, 4}), 1);
  EXPECT_EQ(device_tolerance(*sum, {1, 2, 3, 1}), 0);  // device 1 holds a data shard and the parity
  // mds:r=2, k = 3: any two shards; device 1 holds two, so it alone may fail, not with another.
  const auto mds = code_registry().make("mds:r=2", 3);
  EXPECT_EQ(device_tolerance(*mds, {1, 2, 3, 1, 4}), 1);
  EXPECT_EQ(device_tolerance(*mds, {1, 1, 2, 2, 3}), 1);
  EXPECT_EQ(device_tolerance(*mds, {1, 1, 1, 2, 3}), 0);
}

TEST(SimulateSplit, AHolderComputesItsShardsOneAfterAnother) {
  LayerProfile layer{.name = "fc", .kind = "dense", .ms = 20, .linear = true, .rows = 8, .cols = 8, .positions = 1};
  layer.shards.push_back({.k = 2, .rows_per_block = 4, .ms = 10});
  const auto code = code_registry().make("uncoded", 2);
  auto done = [&](const std::vector<int>& ranks, std::vector<double> speeds) {
    const LayerSamples s = simulate_split(layer, *code, {.speeds = std::move(speeds), .samples = 3}, ranks);
    return s.ms.front();
  };
  EXPECT_DOUBLE_EQ(done({1, 2}, {}), 10.0);           // in parallel
  EXPECT_DOUBLE_EQ(done({1, 1}, {}), 20.0);           // one after another
  EXPECT_DOUBLE_EQ(done({1, 1}, {1, 2, 1}), 10.0);    // ... on a device twice as fast
  EXPECT_DOUBLE_EQ(done({1, 2}, {1, 2, 0.5}), 20.0);  // the slow one decides
}

}  // namespace
}  // namespace cdcnn
