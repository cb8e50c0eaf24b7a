#pragma once
// What a code plugin exports. A plugin is a shared library (built against
// libcdcnn_codes.so) that defines exactly these two functions:
//
//   #include "codes/plugin.hpp"
//   extern "C" int cdcnn_code_plugin_abi_version() { return CDCNN_CODE_PLUGIN_ABI_VERSION; }
//   extern "C" void cdcnn_register_codes(cdcnn::CodeRegistry& registry) {
//     registry.add({"mycode", "one line", "mycode:x=1", &MyCode::create, "my plugin"});
//   }
//
// The loader (codes/plugin_loader.hpp) refuses a plugin whose version differs
// from the one cdcnn was built with. Bump the version whenever Code,
// CodeEntry or CodeRegistry change layout or virtual functions.

#include "codes/registry.hpp"

#define CDCNN_CODE_PLUGIN_ABI_VERSION 1

extern "C" {
/// The CDCNN_CODE_PLUGIN_ABI_VERSION the plugin was compiled with.
int cdcnn_code_plugin_abi_version();
/// Adds the plugin's codes to `registry`; may throw cdcnn::Error.
void cdcnn_register_codes(cdcnn::CodeRegistry& registry);
}
