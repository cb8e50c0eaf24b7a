#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>

#include "layer_test_util.hpp"
#include "layers/registry.hpp"

namespace cdcnn {
namespace {

/// The kinds of the "Layer kinds" table of docs/model-file.md (its first
/// column), in the order of the table.
std::vector<std::string> documented_kinds() {
  std::ifstream in(CDCNN_MODEL_FILE_DOC);
  EXPECT_TRUE(in) << "cannot read " << CDCNN_MODEL_FILE_DOC;
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const auto begin = doc.find("## Layer kinds");
  const auto end = doc.find("\n## ", begin + 1);
  EXPECT_NE(begin, std::string::npos) << CDCNN_MODEL_FILE_DOC << " has no section \"## Layer kinds\"";
  std::istringstream table(doc.substr(begin, end - begin));
  const std::regex row(R"(^\| `([^`]+)` \|)");
  std::vector<std::string> kinds;
  std::smatch m;
  for (std::string line; std::getline(table, line);)
    if (std::regex_search(line, m, row)) kinds.push_back(m[1]);
  return kinds;
}

// The registry is the list of kinds on the C++ side; the model-file format's
// documentation is the list users read. tests/layers/check_layer_kinds.py
// holds tools/cdcnn_model.py to the same documentation.
TEST(BuiltinLayers, RegisterEveryKindOfTheModelFileFormat) {
  std::vector<std::string> documented = documented_kinds();
  std::sort(documented.begin(), documented.end());
  EXPECT_EQ(layer_registry().kinds(), documented) << "layers/builtin_layers.cpp against docs/model-file.md";
}

// A factory registered under the wrong name: a layer it builds says another
// kind() and writes another kind into a model file. Kinds that need
// attributes or parameters refuse an empty spec, naming the kind asked for;
// tests/layers/layer_kinds_test.cpp builds every kind from a real example.
TEST(BuiltinLayers, EveryKindBuildsItselfOrSaysWhatItLacks) {
  for (const std::string& kind : layer_registry().kinds()) {
    SCOPED_TRACE(kind);
    std::unique_ptr<Layer> layer;
    try {
      layer = layer_registry().make(LayerSpec{.kind = kind, .name = "x"});
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("layer 'x' (" + kind + "): ", 0), 0u) << e.what();
      continue;
    }
    EXPECT_EQ(layer->kind(), kind);
    EXPECT_EQ(layer->spec().kind, kind);
    EXPECT_EQ(layer->name(), "x");
  }
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
