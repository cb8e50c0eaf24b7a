#include "io/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/error.hpp"
#include "temp_path.hpp"
#include "layers/add.hpp"
#include "layers/dense.hpp"

namespace cdcnn {
namespace {

std::string h5_path(const std::string& name) { return test::temp_path(name + ".h5"); }

namespace fs = std::filesystem;

/// A two-layer dense model (4 -> 3 -> 2) written through the public writer.
Model tiny_model() {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Dense>("fc1", Matrix::Random(3, 4), Vector::Random(3)));
  layers.push_back(std::make_unique<Dense>("fc2", Matrix::Random(2, 3), Vector::Random(2)));
  return Model("tiny", {4}, std::move(layers));
}

/// Writes the tiny model, lets `spoil` damage it through raw HDF5 calls, and
/// returns the message load_model throws (or "" if it loads).
std::string load_error_after(const std::string& name, const std::function<void(hid_t file)>& spoil) {
  const std::string path = h5_path(name);
  save_model(tiny_model(), path);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  spoil(f);
  H5Fclose(f);
  try {
    load_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void write_float_dataset(hid_t file, const char* path, std::vector<hsize_t> dims, std::vector<float> values) {
  H5Ldelete(file, path, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t d = H5Dcreate2(file, path, H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
  H5Dclose(d);
  H5Sclose(space);
}

TEST(ModelFile, RoundTripsAModelExactly) {
  const Model m = tiny_model();
  const std::string path = h5_path("roundtrip");
  save_model(m, path);
  const Model back = load_model(path);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.layer(1).name(), "fc2");
  const Tensor x({4}, {0.5f, -1.0f, 2.0f, 0.25f});
  EXPECT_EQ(max_relative_error(back.forward(x), m.forward(x)), 0.0);
}

// A runtime worker's skeleton (layers/weight_selection.hpp): every shape, no weight read.
TEST(ModelFile, LoadsASkeletonWithoutReadingTheWeights) {
  const Model m = tiny_model();
  const std::string path = h5_path("skeleton");
  save_model(m, path);
  const Model skeleton = load_model(path, WeightSelection::none());
  ASSERT_EQ(skeleton.size(), 2u);
  EXPECT_EQ(skeleton.weight_bytes(), 0);
  EXPECT_EQ(skeleton.parameter_count(), m.parameter_count());
  EXPECT_EQ(skeleton.flops(), m.flops());
  EXPECT_EQ(skeleton.output_shape(), m.output_shape());
  EXPECT_EQ(skeleton.layer(0).as_linear()->cols(), 4);
  EXPECT_FALSE(skeleton.layer(1).as_linear()->has_weights());

  const Model partial = load_model(path, WeightSelection::all_but({"fc1"}));
  EXPECT_FALSE(partial.layer(0).as_linear()->has_weights());
  EXPECT_EQ(partial.layer(1).as_linear()->weight(), m.layer(1).as_linear()->weight());
  EXPECT_EQ(partial.weight_bytes(), m.layer(1).as_linear()->weight_bytes());
}

// A master encoding one split layer at a time (--weights-from master).
TEST(ModelFile, LoadsOnlyTheNamedLayersWeights) {
  const Model m = tiny_model();
  const std::string path = h5_path("only");
  save_model(m, path);
  const Model one = load_model(path, WeightSelection::only({"fc2"}));
  EXPECT_FALSE(one.layer(0).as_linear()->has_weights());
  EXPECT_EQ(one.layer(1).as_linear()->weight(), m.layer(1).as_linear()->weight());
  EXPECT_EQ(one.layer(1).as_linear()->bias(), m.layer(1).as_linear()->bias());
  EXPECT_EQ(one.weight_bytes(), m.layer(1).as_linear()->weight_bytes());
  EXPECT_EQ(load_model(path, WeightSelection::only({})).weight_bytes(), 0);
}

TEST(ModelFile, ASkeletonStillChecksTheShapesOfWhatItLeavesUnread) {
  const std::string path = h5_path("skeleton_bias");
  save_model(tiny_model(), path);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  write_float_dataset(f, "/layers/0/bias", {4}, std::vector<float>(4));
  H5Fclose(f);
  try {
    load_model(path, WeightSelection::none());
    ADD_FAILURE() << "a bias of the wrong length was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dataset 'bias' has shape 4, expected 3"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, NamesAMissingDataset) {
  auto msg = load_error_after("missing", [](hid_t f) { H5Ldelete(f, "/layers/1/weight", H5P_DEFAULT); });
  EXPECT_NE(msg.find("missing dataset 'weight'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
}

TEST(ModelFile, NamesAWrongShape) {
  auto msg = load_error_after("shape", [](hid_t f) { write_float_dataset(f, "/layers/1/weight", {2, 5}, std::vector<float>(10)); });
  EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expects input of shape 5"), std::string::npos) << msg;
}

TEST(ModelFile, NamesAWrongRank) {
  auto msg = load_error_after("rank", [](hid_t f) { write_float_dataset(f, "/layers/0/weight", {12}, std::vector<float>(12)); });
  EXPECT_NE(msg.find("'weight' must be 2-D"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fc1"), std::string::npos) << msg;
}

TEST(ModelFile, NamesABiasOfTheWrongLength) {
  auto msg = load_error_after("bias", [](hid_t f) { write_float_dataset(f, "/layers/0/bias", {4}, std::vector<float>(4)); });
  EXPECT_NE(msg.find("dataset 'bias' has shape 4, expected 3"), std::string::npos) << msg;
}

TEST(ModelFile, RefusesAWrongDtype) {
  auto msg = load_error_after("dtype", [](hid_t f) {
    H5Ldelete(f, "/layers/0/weight", H5P_DEFAULT);
    hsize_t dims[2] = {3, 4};
    std::vector<int> values(12, 1);
    hid_t space = H5Screate_simple(2, dims, nullptr);
    hid_t d = H5Dcreate2(f, "/layers/0/weight", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Dclose(d);
    H5Sclose(space);
  });
  EXPECT_NE(msg.find("dataset 'weight' must hold floating-point numbers"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/layers/0"), std::string::npos) << msg;
}

TEST(ModelFile, RefusesNaNAndInf) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    auto msg = load_error_after("nan", [bad](hid_t f) {
      std::vector<float> v(6, 0.0f);
      v[4] = bad;
      write_float_dataset(f, "/layers/1/weight", {2, 3}, v);
    });
    EXPECT_NE(msg.find("dataset 'weight' holds NaN or Inf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
  }
}

TEST(ModelFile, NamesADatasetOfMoreThan2To31Elements) {
  // Chunked and never written, so the file stays small. 2^32 x 2^32 used to
  // wrap to 0 elements and hang; 2^20 x 2^20 ended in a bare "out of memory".
  for (hsize_t side : {hsize_t{1} << 32, hsize_t{1} << 20}) {
    auto msg = load_error_after("huge", [side](hid_t f) {
      H5Ldelete(f, "/layers/1/weight", H5P_DEFAULT);
      hsize_t dims[2] = {side, side}, chunk[2] = {1, 1};
      hid_t space = H5Screate_simple(2, dims, nullptr);
      hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
      H5Pset_chunk(plist, 2, chunk);
      H5Dclose(H5Dcreate2(f, "/layers/1/weight", H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT));
      H5Pclose(plist);
      H5Sclose(space);
    });
    const std::string shape = std::to_string(side) + "x" + std::to_string(side);
    const std::string expected =
        h5_path("huge") + ":/layers/1: dataset 'weight' has shape " + shape + ", more than 2^31 elements";
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
    EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
  }
}

TEST(ModelFile, OpenModelNamesAPathTooLongToExamine) {
  // std::filesystem::is_regular_file threw filesystem_error for this name.
  const std::string path = h5_path(std::string(5000, 'm'));
  try {
    open_model(path, 0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is neither a model file nor a zoo model"), std::string::npos) << e.what();
  }
  try {
    load_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot access (File name too long)"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, ListsTheKnownKindsForAnUnknownKind) {
  auto msg = load_error_after("kind", [](hid_t f) {
    hid_t g = H5Gopen2(f, "/layers/1", H5P_DEFAULT);
    H5Adelete(g, "kind");
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 7);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(g, "kind", type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, type, "quantum");
    H5Aclose(a);
    H5Sclose(space);
    H5Tclose(type);
    H5Gclose(g);
  });
  EXPECT_NE(msg.find("unknown layer kind 'quantum'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dense"), std::string::npos) << msg;  // the list of valid kinds
}

TEST(ModelFile, NamesAMissingLayerGroupAndAWrongCount) {
  auto msg = load_error_after("group", [](hid_t f) { H5Ldelete(f, "/layers/1", H5P_DEFAULT); });
  EXPECT_NE(msg.find("holds 1 layer groups but 'count' says 2"), std::string::npos) << msg;
  msg = load_error_after("group2", [](hid_t f) { H5Lmove(f, "/layers/1", f, "/layers/7", H5P_DEFAULT, H5P_DEFAULT); });
  EXPECT_NE(msg.find("missing layer group '1'"), std::string::npos) << msg;
}

/// Replaces `path` in `file` with a float32 dataset of `dims` that is chunked
/// and never written: a few hundred bytes on disk claiming any size.
void claim_huge_dataset(hid_t file, const char* path, std::vector<hsize_t> dims) {
  H5Ldelete(file, path, H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
  std::vector<hsize_t> chunk(dims.size(), 1);
  H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
  hid_t d = H5Dcreate2(file, path, H5T_IEEE_F32LE, space, H5P_DEFAULT, plist, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(plist);
  H5Sclose(space);
}

// Found by fuzz_coded_file: a corrupt 22 KB file whose dataset claimed 3 GB
// (under the 2^31-element cap) made the loader allocate all of it first.
TEST(ModelFile, RefusesADatasetLargerThanTheFileBeforeAllocatingIt) {
  auto msg = load_error_after("huge", [](hid_t f) { claim_huge_dataset(f, "/layers/1/weight", {2, 400000000}); });
  EXPECT_NE(msg.find(":/layers/1: dataset 'weight' of shape 2x400000000 is larger than the whole file could hold"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("fc2"), std::string::npos) << msg;
}

TEST(ModelFile, RefusesAFileThatIsNotACdcnnModel) {
  auto msg = load_error_after("format", [](hid_t f) { H5Adelete(f, "format"); });
  EXPECT_NE(msg.find("not a cdcnn model file"), std::string::npos) << msg;
}

TEST(ModelFile, RefusesATruncatedFile) {
  const std::string path = h5_path("truncated");
  save_model(tiny_model(), path);
  fs::resize_file(path, fs::file_size(path) / 2);
  try {
    load_model(path);
    FAIL() << "a truncated file loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesAMissingFileAndANonHdf5File) {
  EXPECT_THROW(load_model(h5_path("does_not_exist")), Error);
  const std::string path = h5_path("text");
  std::ofstream(path) << "not hdf5\n";
  try {
    load_model(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
}

/// A file of relu layers named `names`, with `inputs[i]` as layer i's
/// 'inputs' attribute ("" for none), at format version `version`.
std::string relu_file(const std::string& name, const std::vector<std::string>& names,
                      const std::vector<std::string>& inputs, std::int64_t version = 2) {
  const std::string path = h5_path(name);
  h5::File f(path, h5::File::Mode::truncate);
  f.write_string("format", "cdcnn-model");
  f.write_ints("format_version", {version}, true);
  f.write_ints("input_shape", {3});
  const h5::Location layers = f.create_group("layers");
  layers.write_ints("count", {static_cast<std::int64_t>(names.size())}, true);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const h5::Location g = layers.create_group(std::to_string(i));
    g.write_string("kind", "relu");
    g.write_string("name", names[i]);
    if (!inputs[i].empty()) g.write_string("inputs", inputs[i]);
  }
  return path;
}

std::string load_error(const std::string& path) {
  try {
    load_model(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelFile, RoundTripsAGraphWithItsInputs) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Dense>("fc1", Matrix::Random(4, 4), Vector::Random(4)));
  layers.push_back(std::make_unique<Add>("res"));
  layers.push_back(std::make_unique<Dense>("head", Matrix::Random(2, 4), Vector::Random(2)));
  const Model m("g", {4}, std::move(layers), {}, {{"input"}, {"fc1", "input"}, {"res"}});
  const std::string path = h5_path("graph");
  save_model(m, path);
  {
    h5::File f(path, h5::File::Mode::read);
    EXPECT_EQ(f.read_ints("format_version"), std::vector<std::int64_t>{2});
    EXPECT_EQ(f.group("layers").group("1").read_string("inputs"), "fc1,input");
  }
  const Model back = load_model(path);
  EXPECT_EQ(back.inputs_of(1), (std::vector<int>{0, Model::kModelInput}));
  const Tensor x({4}, {0.5f, -1.0f, 2.0f, 0.25f});
  EXPECT_EQ(max_relative_error(back.forward(x), m.forward(x)), 0.0);
}

TEST(ModelFile, ReadsVersion1AndSequentialFilesWithoutInputs) {
  const Model m = load_model(relu_file("v1", {"a", "b"}, {"", ""}, 1));
  EXPECT_TRUE(m.is_sequential());
  EXPECT_EQ(m.size(), 2u);
  // A sequential model is written without 'inputs', as before.
  const std::string path = h5_path("seq");
  save_model(m, path);
  h5::File f(path, h5::File::Mode::read);
  EXPECT_FALSE(f.group("layers").group("1").has_attribute("inputs"));
}

TEST(ModelFile, NamesTheFileAndLayerOfABadGraph) {
  std::string msg = load_error(relu_file("v3", {"a"}, {""}, 3));
  EXPECT_NE(msg.find("format_version must be 1 or 2"), std::string::npos) << msg;
  msg = load_error(relu_file("empty_input", {"a", "b"}, {"", "a,,input"}));
  EXPECT_NE(msg.find("/layers/1: attribute 'inputs' (\"a,,input\") has an empty name"), std::string::npos) << msg;
  const std::string unknown = relu_file("unknown_input", {"a", "b"}, {"", "nope"});
  msg = load_error(unknown);
  EXPECT_EQ(msg.rfind(unknown + ": model 'model': layer 'b' (relu) takes input 'nope', which names no layer", 0), 0u)
      << msg;
  msg = load_error(relu_file("cycle", {"a", "b", "c"}, {"b", "a", "b"}));
  EXPECT_NE(msg.find("the inputs of layers 'a', 'b', 'c' form a cycle"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cdcnn
