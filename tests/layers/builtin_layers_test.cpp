#include <gtest/gtest.h>

#include "layer_test_util.hpp"
#include "layers/registry.hpp"

namespace cdcnn {
namespace {

TEST(BuiltinLayers, RegisterEveryKindOfTheModelFileFormat) {
  // docs/model-file.md, "Layer kinds".
  const std::vector<std::string> documented{"adaptiveavgpool2d", "avgpool2d", "batchnorm", "conv2d", "conv3d",
                                            "dense",             "dropout",   "flatten",   "lrn",    "maxpool2d",
                                            "maxpool3d",         "relu",      "softmax"};
  EXPECT_EQ(layer_registry().kinds(), documented);
}

TEST(BuiltinLayers, RefuseAnUnknownKindListingTheKnownOnes) {
  testing::expect_error([] { layer_registry().make(LayerSpec{.kind = "conv4d", .name = "x"}); },
                        "layer 'x': unknown layer kind 'conv4d'", "conv2d, conv3d");
}

// Found by fuzz_model_layers: a kind read from a file may hold a newline,
// which the message quoted verbatim over two lines.
TEST(BuiltinLayers, AnUnknownKindWithANewlineIsNamedOnOneLine) {
  testing::expect_error([] { layer_registry().make(LayerSpec{.kind = "-\n-", .name = ""}); },
                        "layer '': unknown layer kind '-\\n-'");
}

}  // namespace
}  // namespace cdcnn
