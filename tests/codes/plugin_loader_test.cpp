#include "codes/plugin_loader.hpp"

#include <filesystem>
#include <optional>

#include "code_test_util.hpp"
#include "codes/code_table.hpp"

// Paths come from tests/codes/CMakeLists.txt ($<TARGET_FILE:...>).
#ifndef CDCNN_LRC_PLUGIN
#error "CDCNN_LRC_PLUGIN must name the lrc plugin"
#endif

namespace cdcnn {
namespace {

std::string load_error(const std::string& path) {
  CodeRegistry registry;
  try {
    load_code_plugin(path, registry);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(PluginLoader, RegistersTheLrcPluginsCodeInTheProcessRegistry) {
  const auto added = load_code_plugin(CDCNN_LRC_PLUGIN);
  EXPECT_EQ(added, std::vector<std::string>{"lrc"});
  EXPECT_TRUE(load_code_plugin(CDCNN_LRC_PLUGIN).empty());  // twice is a no-op
  auto code = code_registry().make("lrc", 4);
  EXPECT_EQ(code->spec(), "lrc:l=2");
  EXPECT_EQ(code->n(), 7);
  EXPECT_EQ(code_registry().entry("lrc").origin, CDCNN_LRC_PLUGIN);
}

TEST(PluginLoader, ANewRegistryWhereAnOldOneLivedLoadsThePluginAfresh) {
  // The second registry is built in the storage of the first (same address):
  // it has loaded nothing, so it must get the plugin's codes.
  std::optional<CodeRegistry> registry;
  registry.emplace();
  const CodeRegistry* first = &*registry;
  EXPECT_EQ(load_code_plugin(CDCNN_LRC_PLUGIN, *registry), std::vector<std::string>{"lrc"});
  registry.emplace();
  ASSERT_EQ(&*registry, first);
  EXPECT_EQ(load_code_plugin(CDCNN_LRC_PLUGIN, *registry), std::vector<std::string>{"lrc"});
  EXPECT_EQ(registry->make("lrc", 4)->n(), 7);
}

TEST(PluginLoader, TheSameFileByAnotherPathIsLoadedOncePerRegistry) {
  const std::filesystem::path plugin(CDCNN_LRC_PLUGIN);
  const std::string other = (plugin.parent_path() / "." / plugin.filename()).string();
  CodeRegistry registry;
  EXPECT_EQ(load_code_plugin(CDCNN_LRC_PLUGIN, registry), std::vector<std::string>{"lrc"});
  EXPECT_TRUE(load_code_plugin(other, registry).empty());
  CodeRegistry another;
  EXPECT_EQ(load_code_plugin(other, another), std::vector<std::string>{"lrc"});
}

TEST(PluginLoader, LrcAgreesWithTheRankTestAndDecodesEveryLossPattern) {
  CodeRegistry registry;
  load_code_plugin(CDCNN_LRC_PLUGIN, registry);
  for (int k = 1; k <= 8; ++k)
    for (int l = 1; l <= k; ++l)
      if (k % l == 0) {
        auto code = registry.make("lrc:l=" + std::to_string(l), k);
        EXPECT_EQ(code->n(), k + l + 1);
        test::check_every_loss_pattern(*code);
      }
}

TEST(PluginLoader, LrcRecoversLayerShapedBlocks) {
  CodeRegistry registry;
  load_code_plugin(CDCNN_LRC_PLUGIN, registry);
  test::check_layer_shaped_blocks(*registry.make("lrc:l=2", 8));
  test::check_layer_shaped_blocks(*registry.make("lrc:l=1", 4));
}

TEST(PluginLoader, LrcRejectsBadParameters) {
  CodeRegistry registry;
  load_code_plugin(CDCNN_LRC_PLUGIN, registry);
  EXPECT_THROW(registry.make("lrc:l=3", 4), Error);
  EXPECT_THROW(registry.make("lrc:g=2", 4), Error);
}

TEST(PluginLoader, PluginCodesAppearInTheCodeTable) {
  CodeRegistry registry;
  register_builtin_codes(registry);
  load_code_plugin(CDCNN_LRC_PLUGIN, registry);
  const auto rows = code_table(4, registry);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[1].spec, "lrc:l=2");
  EXPECT_EQ(rows[1].tolerance, 2);
  EXPECT_EQ(rows[1].origin, CDCNN_LRC_PLUGIN);
}

TEST(PluginLoader, RefusesAMissingFile) {
  EXPECT_EQ(load_error("/nonexistent/libnothing.so"), "code plugin '/nonexistent/libnothing.so': no such file");
}

TEST(PluginLoader, RefusesAFileThatIsNotASharedLibrary) {
  const auto e = load_error(CDCNN_NOT_A_LIBRARY);
  EXPECT_TRUE(contains(e, std::string("code plugin '") + CDCNN_NOT_A_LIBRARY + "': not a loadable shared library (")) << e;
}

TEST(PluginLoader, RefusesALibraryWithoutTheRegistrationFunctions) {
  const auto e = load_error(CDCNN_NO_SYMBOL_PLUGIN);
  EXPECT_TRUE(contains(e, std::string("code plugin '") + CDCNN_NO_SYMBOL_PLUGIN +
                              "': exports no cdcnn_code_plugin_abi_version() (")) << e;
  const auto r = load_error(CDCNN_NO_REGISTER_PLUGIN);
  EXPECT_TRUE(contains(r, "': exports no cdcnn_register_codes() (")) << r;
}

TEST(PluginLoader, RefusesAMismatchedAbiVersion) {
  EXPECT_EQ(load_error(CDCNN_WRONG_ABI_PLUGIN), std::string("code plugin '") + CDCNN_WRONG_ABI_PLUGIN +
                                                    "': built for code plugin ABI 999, this cdcnn uses 1; rebuild the plugin");
}

TEST(PluginLoader, ErrorsAreOneLine) {
  for (const char* path : {"/nonexistent.so", CDCNN_NOT_A_LIBRARY, CDCNN_NO_SYMBOL_PLUGIN, CDCNN_NO_REGISTER_PLUGIN,
                           CDCNN_WRONG_ABI_PLUGIN})
    EXPECT_EQ(load_error(path).find('\n'), std::string::npos) << path;
}

}  // namespace
}  // namespace cdcnn
