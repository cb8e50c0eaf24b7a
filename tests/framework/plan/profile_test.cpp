#include "plan/profile.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "layers/zoo.hpp"

namespace cdcnn {
namespace {

// The byte counts from the model's shapes, worked out here: header + floats.
TEST(Profile, CountsEveryLayerAndTheBytesOfItsMessages) {
  const Model model = zoo_model("fmnist-resnet", 3);
  const Profile p = profile_compute(model, {.ks = {2, 3, 16, 64}, .repeats = 1});
  ASSERT_EQ(p.layers.size(), model.size());
  const std::size_t add = model.index_of("block1.add");
  EXPECT_EQ(p.layers[add].name, "block1.add");
  EXPECT_EQ(p.layers[add].input_bytes, 64 + 2 * 16 * 28 * 28 * 4);  // the header, two inputs of 16x28x28
  EXPECT_EQ(p.layers[add].output_bytes, 16 * 28 * 28 * 4);
  EXPECT_FALSE(p.layers[add].linear);
  EXPECT_TRUE(p.layers[add].shards.empty());

  const LayerProfile& conv = p.layers[model.index_of("block2.conv1")];  // 16 -> 32 channels, 14x14 out
  EXPECT_TRUE(conv.linear);
  EXPECT_EQ(conv.rows, 32);
  EXPECT_EQ(conv.cols, 16 * 9);
  EXPECT_EQ(conv.positions, 14 * 14);
  EXPECT_EQ(conv.parameter_bytes, (32 * 16 * 9 + 32) * 4);
  ASSERT_EQ(conv.shards.size(), 3u);  // k = 64 > 32 rows is skipped
  EXPECT_EQ(conv.shards[1].k, 3);
  EXPECT_EQ(conv.shards[1].rows_per_block, 11);  // ceil(32 / 3)
  EXPECT_EQ(conv.shards[1].result_bytes, 64 + 11 * 14 * 14 * 4);
  EXPECT_EQ(conv.shards[1].weight_bytes, 11 * (16 * 9 + 1) * 4);
  for (const LayerProfile& l : p.layers) {
    EXPECT_GT(l.ms, 0.0) << l.name;
    for (const ShardProfile& s : l.shards) EXPECT_GT(s.ms, 0.0) << l.name << " k=" << s.k;
  }
}

TEST(LayerProfile, FindsTheShardOfASplitWidthAndNamesOneNotProfiled) {
  LayerProfile l{.name = "fc6", .shards = {{.k = 2, .ms = 4}, {.k = 4, .ms = 2}, {.k = 8, .ms = 1}}};
  EXPECT_EQ(&l.shard(4), &l.shards[1]);
  EXPECT_EQ(&l.shard(8), &l.shards[2]);
  auto message = [&](const std::string& where) {
    try {
      l.shard(3, where);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(""), "layer 'fc6': the profile has no shard time for k=3 (profile it with --k 3)");
  EXPECT_EQ(message("a.plan:2"), "a.plan:2: the profile has no shard time for k=3 (profile it with --k 3)");
}

TEST(Profile, RefusesNoSplitWidthsAndNoRepeats) {
  const Model model = zoo_model("mlp", 3);
  EXPECT_THROW(profile_compute(model, {.ks = {}, .repeats = 1}), Error);
  EXPECT_THROW(profile_compute(model, {.ks = {2}, .repeats = 0}), Error);
  EXPECT_THROW(profile_compute(model, {.ks = {0}, .repeats = 1}), Error);
}

}  // namespace
}  // namespace cdcnn
