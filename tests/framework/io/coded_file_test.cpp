#include "io/coded_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "core/error.hpp"
#include "temp_path.hpp"
#include "core/rng.hpp"
#include "io/hdf5.hpp"
#include "io/model_file.hpp"
#include "layers/zoo.hpp"

namespace cdcnn {
namespace {

std::string h5_path(const std::string& name) { return test::temp_path(name + ".h5"); }

Tensor random_input(const Shape& shape, std::uint64_t seed) {
  Tensor x(shape);
  Rng rng(seed);
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  return x;
}

/// Every shard's output from the file, then every single loss decoded and
/// reassembled, must equal the layer's own output (relative error < 1e-4).
void expect_every_single_loss_recovers(const Model& model, const CodedFileLayer& c, const Tensor& layer_input) {
  const LinearLayer& layer = *model.layer(c.layer_index).as_linear();
  const Tensor expected = layer.forward(layer_input);
  std::vector<Matrix> z;
  for (int j = 0; j < c.n; ++j) z.push_back(layer.multiply(layer_input, c.weights.at(j), c.biases.at(j)));
  const auto code = code_registry().make(c.code_spec, c.k);
  for (int lost = -1; lost < c.n; ++lost) {
    std::vector<std::optional<Matrix>> arrived(static_cast<std::size_t>(c.n));
    for (int j = 0; j < c.n; ++j)
      if (j != lost) arrived[static_cast<std::size_t>(j)] = z[static_cast<std::size_t>(j)];
    const std::vector<Matrix> blocks = code->decode(arrived);
    const Tensor actual = layer.raise(assemble_output(blocks, c.rows), layer_input.shape());
    EXPECT_LT(max_relative_error(actual, expected), 1e-4) << c.layer << " " << c.code_spec << " lost " << lost;
  }
}

TEST(CodedFile, EncodedShardsDecodeToTheLayerOutputForEverySingleLoss) {
  const Model model = zoo_model("fmnist-cnn", 4);
  // conv "3" has 64 rows (k = 3 pads to 66), dense "7" 128 rows, dense "10" 10 rows (k = 4 pads to 12).
  const Plan plan = parse_plan("3 3 sum 1 2 3 4\n7 4 mds:r=2\n10 4 pairwise\n", "test.plan");
  const std::string path = h5_path("fmnist");
  write_coded_file(path, model, plan);
  const auto layers = read_coded_layers(path);
  ASSERT_EQ(layers.size(), 3u);
  const Tensor x = random_input(model.input_shape(), 9);
  for (const auto& c : layers) {
    EXPECT_EQ(c.rows_per_block, (c.rows + c.k - 1) / c.k);
    ModelPass pass(model, x);
    pass.run_until(c.layer_index);
    expect_every_single_loss_recovers(model, c, pass.input());
  }
  // The file is also a model file: the master loads it as one.
  EXPECT_EQ(max_relative_error(load_model(path).forward(x), model.forward(x)), 0.0);
}

TEST(CodedFile, AWorkerReadsOnlyItsOwnShards) {
  const Model model = zoo_model("mlp", 1);
  const std::string path = h5_path("mlp");
  write_coded_file(path, model, parse_plan("fc1 4 sum\nfc2 2 replication:n=2\n"));
  const auto layers = read_coded_layers(path, {{"fc1", {4}}, {"fc2", {}}});
  ASSERT_EQ(layers.size(), 2u);
  const auto& fc1 = layers[0].layer == "fc1" ? layers[0] : layers[1];
  const auto& fc2 = layers[0].layer == "fc1" ? layers[1] : layers[0];
  ASSERT_EQ(fc1.weights.size(), 1u);
  EXPECT_EQ(fc1.weights.count(4), 1u);
  EXPECT_EQ(fc1.generator.row(4).sum(), 4.0);  // the sum parity
  EXPECT_TRUE(fc2.weights.empty());
  EXPECT_EQ(fc2.n, 4);
}

std::string write_error(const std::string& plan_text) {
  try {
    write_coded_file(h5_path("bad"), zoo_model("mlp", 1), parse_plan(plan_text, "p.plan"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CodedFile, BadPlansAreRefusedWithTheirLine) {
  EXPECT_NE(write_error("fc1 2 turbo\n").find("p.plan:1: "), std::string::npos);
  EXPECT_NE(write_error("fc1 2 turbo\n").find("unknown code 'turbo'"), std::string::npos);
  EXPECT_NE(write_error("\nfc1 2 sum 1 2\n").find("p.plan:2: sum with k = 2 has 3 shards, but 2 ranks are listed"),
            std::string::npos);
  EXPECT_NE(write_error("relu1 2 sum\n").find("only dense and conv layers can be split"), std::string::npos);
}

TEST(CodedFile, APlainModelFileIsNotACodedFile) {
  const std::string path = h5_path("plain");
  save_model(zoo_model("mlp", 1), path);
  try {
    read_coded_layers(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a coded-weight file"), std::string::npos) << e.what();
  }
}

TEST(CodedFile, ADamagedShardIsNamed) {
  const std::string path = h5_path("damaged");
  write_coded_file(path, zoo_model("mlp", 1), parse_plan("fc3 2 sum\n"));
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "/coded/5/1/bias", H5P_DEFAULT);
    H5Fclose(f);
  }
  try {
    read_coded_layers(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/coded/5/1: missing dataset 'bias'"), std::string::npos) << e.what();
  }
}

// Found by fuzz_coded_file: a shard's weight claiming 3 GB in a 22 KB file was
// allocated before HDF5 found nothing to read.
TEST(CodedFile, AShardLargerThanTheFileIsRefusedBeforeItIsAllocated) {
  const std::string path = h5_path("huge");
  write_coded_file(path, zoo_model("mlp", 1), parse_plan("fc3 2 sum\n"));
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "/coded/5/1/weight", H5P_DEFAULT);
    const hsize_t dims[2] = {5, 150000000};  // 3 GB of float32
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    const hsize_t chunk[2] = {1, 1};
    H5Pset_chunk(plist, 2, chunk);
    H5Dclose(H5Dcreate2(f, "/coded/5/1/weight", H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT));
    H5Pclose(plist);
    H5Sclose(space);
    H5Fclose(f);
  }
  try {
    read_coded_layers(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/coded/5/1: dataset 'weight' of shape 5x150000000 is larger than the whole"),
              std::string::npos)
        << e.what();
  }
}

/// Encodes mlp's fc3 (10 rows, layer 5) with sum k=2, sets integer attribute
/// `attr` of /coded/5 to `value`, and returns what read_coded_layers throws.
std::string read_error_with(const std::string& attr, Index value) {
  const std::string path = h5_path("attr");
  write_coded_file(path, zoo_model("mlp", 1), parse_plan("fc3 2 sum\n"));
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const h5::Location g(h5::Handle(H5Gopen2(f, "/coded/5", H5P_DEFAULT), H5Gclose), path, "/coded/5");
    g.write_ints(attr, {value}, true);
    H5Fclose(f);
  }
  try {
    read_coded_layers(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CodedFile, ChecksKAndNBeforeNarrowingThemToInt) {
  // 2^32 + 2 narrowed to the int 2 and passed every check.
  std::string msg = read_error_with("k", (Index{1} << 32) + 2);
  EXPECT_NE(msg.find("/coded/5: needs 1 <= k <= n <= 64, has k = 4294967298, n = 3"), std::string::npos) << msg;
  msg = read_error_with("n", (Index{1} << 32) + 3);
  EXPECT_NE(msg.find("has k = 2, n = 4294967299"), std::string::npos) << msg;
  EXPECT_EQ(read_error_with("k", 2), "");
}

TEST(CodedFile, RefusesRowsAndColumnsBeyond2To31Elements) {
  std::string msg = read_error_with("cols", Index{1} << 40);
  EXPECT_NE(msg.find("/coded/5: needs k <= rows, 1 <= cols and rows x cols at most 2^31"), std::string::npos) << msg;
  msg = read_error_with("rows", std::numeric_limits<Index>::max());  // rows + k - 1 overflowed
  EXPECT_NE(msg.find("rows x cols at most 2^31"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cdcnn
