#include "io/profile_file.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "io/hdf5.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

Profile sample() {
  Profile p{.model = "m", .host = "pi1", .repeats = 5};
  LayerProfile conv{.name = "conv", .kind = "conv2d", .ms = 2.5, .input_bytes = 1040, .output_bytes = 4000,
                    .parameter_bytes = 800, .linear = true, .rows = 10, .cols = 18, .positions = 100};
  conv.shards = {{2, 5, 1.5, 2040, 380}, {4, 3, 1.0, 1240, 228}};
  p.layers = {conv, LayerProfile{.name = "relu", .kind = "relu", .ms = 0.1, .input_bytes = 4040, .output_bytes = 4000}};
  p.links = {{0, 1, "pi0", "pi1", 0.8, 5.5}, {0, 2, "pi0", "pi2", 1.2, 4.0}};
  return p;
}

TEST(ProfileFile, RoundTripsEveryField) {
  const std::string path = test::temp_path("profile.h5");
  const Profile p = sample();
  save_profile(p, path);
  const Profile q = load_profile(path);
  EXPECT_EQ(q.model, "m");
  EXPECT_EQ(q.host, "pi1");
  EXPECT_EQ(q.repeats, 5);
  ASSERT_EQ(q.layers.size(), 2u);
  const LayerProfile& c = q.layers[0];
  EXPECT_EQ(c.name, "conv");
  EXPECT_EQ(c.ms, 2.5);
  EXPECT_EQ(c.positions, 100);
  ASSERT_EQ(c.shards.size(), 2u);
  EXPECT_EQ(c.shards[1].k, 4);
  EXPECT_EQ(c.shards[1].rows_per_block, 3);
  EXPECT_EQ(c.shards[1].ms, 1.0);
  EXPECT_EQ(c.shards[1].result_bytes, 1240);
  EXPECT_EQ(c.shards[1].weight_bytes, 228);
  EXPECT_FALSE(q.layers[1].linear);
  ASSERT_EQ(q.links.size(), 2u);
  EXPECT_EQ(q.links[1].to, 2);
  EXPECT_EQ(q.links[1].to_host, "pi2");
  EXPECT_EQ(q.links[1].bandwidth_MBps, 4.0);
}

TEST(ProfileFile, NamesTheFileAndFieldOfABadProfile) {
  const std::string path = test::temp_path("profile_bad.h5");
  save_profile(sample(), path);
  {
    h5::File f(path, h5::File::Mode::read);  // sanity: written as documented
    EXPECT_EQ(f.read_string("format"), "cdcnn-profile");
  }
  // A model file is not a profile.
  const std::string other = test::temp_path("not_profile.h5");
  {
    h5::File f(other, h5::File::Mode::truncate);
    f.write_string("format", "cdcnn-model");
  }
  try {
    load_profile(other);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a cdcnn profile"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cdcnn
