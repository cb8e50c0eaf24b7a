// Every kind of the C++ registry against PyTorch, without a list of kinds:
// tests/layers/check_layer_kinds.py (run by CTest as the fixture
// `layer_kinds`) exports each kind's example from tools/cdcnn_model.py's KINDS
// table into $CDCNN_LAYER_KINDS_DIR as <kind>.h5 (a model file of that one
// layer) and <kind>.io.h5 (its input and torch's output). A kind registered
// here and missing from that table, or the other way round, fails; so does a
// kind that computes something else than torch, or does not come back the
// same from a model file.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "io/hdf5.hpp"
#include "io/model_file.hpp"
#include "layer_test_util.hpp"
#include "layers/registry.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

std::string examples_dir() {
  const char* dir = std::getenv("CDCNN_LAYER_KINDS_DIR");
  return dir ? dir : "layer_kinds";
}

class EveryKind : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryKind, ComputesWhatPyTorchComputesAndComesBackFromAModelFile) {
  const std::string kind = GetParam(), base = examples_dir() + "/" + kind;
  ASSERT_TRUE(std::filesystem::exists(base + ".h5"))
      << base << ".h5 missing: a registered kind needs an entry in KINDS of tools/cdcnn_model.py "
      << "(or the fixture layer_kinds did not run)";
  const Model model = load_model(base + ".h5");
  ASSERT_EQ(model.size(), 1u);
  EXPECT_EQ(model.layer(0).kind(), kind);
  h5::File io(base + ".io.h5", h5::File::Mode::read);
  const Tensor x = io.read_tensor("input");
  const Tensor y = model.forward(x);
  EXPECT_LT(max_relative_error(y, io.read_tensor("output")), 1e-4);

  const std::string copy = test::temp_path("layer_kinds_" + kind + ".h5");
  save_model(model, copy);
  const Model again = load_model(copy);
  std::filesystem::remove(copy);
  ASSERT_EQ(again.size(), 1u);
  testing::expect_same_spec(again.layer(0).spec(), model.layer(0).spec());
  EXPECT_EQ(max_relative_error(again.forward(x), y), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Registered, EveryKind, ::testing::ValuesIn(layer_registry().kinds()),
                         [](const auto& info) { return info.param; });

TEST(LayerKinds, EveryExampleIsOfARegisteredKind) {
  int examples = 0;
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir())) {
    const std::string file = entry.path().filename().string();
    if (file.ends_with(".io.h5") || !file.ends_with(".h5")) continue;
    ++examples;
    EXPECT_TRUE(layer_registry().contains(file.substr(0, file.size() - 3)))
        << file << ": tools/cdcnn_model.py knows a kind that layers/builtin_layers.cpp does not register";
  }
  EXPECT_EQ(examples, static_cast<int>(layer_registry().kinds().size()));
}

}  // namespace
}  // namespace cdcnn
