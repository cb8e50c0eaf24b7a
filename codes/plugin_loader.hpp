#pragma once
// Loading codes from shared libraries at run time (`--code-plugin path.so`).
// The library is dlopen'ed, its ABI version checked, and its registration
// function called with the registry; its codes are then made like built-ins.
// The library is never unloaded: codes made from it (and their vtables) live
// as long as the process.

#include <string>
#include <vector>

#include "codes/registry.hpp"

namespace cdcnn {

/// Loads the plugin at `path` and registers its codes in `registry`; returns
/// the names it added. Loading the same file (by any path naming it) into the
/// same registry again is a no-op (returns {}); the registry's codes record
/// their origin, so another registry loads it afresh.
/// Error, one line naming the file, if the file does not exist, is not a
/// loadable shared library (with dlerror's reason), lacks either exported
/// function, reports a different ABI version, or its registration throws.
std::vector<std::string> load_code_plugin(const std::string& path, CodeRegistry& registry = code_registry());

}  // namespace cdcnn
