#include "codes/plugin_loader.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "codes/plugin.hpp"
#include "core/error.hpp"

namespace cdcnn {

namespace {

std::string dl_error() {
  const char* e = dlerror();
  return e ? e : "unknown dlerror";
}

/// Does `registry` hold codes from the plugin file `file`? The registry
/// itself records where each code came from (CodeEntry::origin), so the
/// answer belongs to that registry object: a new registry has loaded nothing,
/// even one built where an old one lived (a memory keyed by the registry's
/// address once took it for the old one, and it silently got no codes).
bool holds_codes_from(const CodeRegistry& registry, const std::filesystem::path& file) {
  for (const auto& name : registry.names()) {
    std::error_code ec;  // a built-in's origin, or a plugin path since removed: not this file
    if (std::filesystem::equivalent(registry.entry(name).origin, file, ec)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> load_code_plugin(const std::string& path, CodeRegistry& registry) {
  static std::mutex mutex;  // one load at a time: the check below and the adding stay together
  std::lock_guard lock(mutex);

  std::error_code ec;
  require(std::filesystem::is_regular_file(path, ec), "code plugin '", path, "': no such file");
  const std::string canonical = std::filesystem::canonical(path, ec).string();
  if (holds_codes_from(registry, canonical)) return {};

  dlerror();
  // RTLD_NOW: report unresolved symbols here, not at the first decode.
  void* handle = dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  require(handle != nullptr, "code plugin '", path, "': not a loadable shared library (", dl_error(), ")");
  // From here on the handle is kept for the process lifetime, even on error:
  // closing a library whose static constructors ran is not worth the risk.
  using VersionFn = int (*)();
  using RegisterFn = void (*)(CodeRegistry&);
  dlerror();
  auto version = reinterpret_cast<VersionFn>(dlsym(handle, "cdcnn_code_plugin_abi_version"));
  require(version != nullptr, "code plugin '", path, "': exports no cdcnn_code_plugin_abi_version() (", dl_error(), ")");
  const int abi = version();
  require(abi == CDCNN_CODE_PLUGIN_ABI_VERSION, "code plugin '", path, "': built for code plugin ABI ", abi,
          ", this cdcnn uses ", CDCNN_CODE_PLUGIN_ABI_VERSION, "; rebuild the plugin");
  dlerror();
  auto register_codes = reinterpret_cast<RegisterFn>(dlsym(handle, "cdcnn_register_codes"));
  require(register_codes != nullptr, "code plugin '", path, "': exports no cdcnn_register_codes() (", dl_error(), ")");

  // Register into a scratch registry first, so a plugin that fails halfway
  // (or clashes with a known name) leaves `registry` untouched.
  CodeRegistry scratch;
  try {
    register_codes(scratch);
  } catch (const std::exception& e) {
    throw Error(cat("code plugin '", path, "': registration failed: ", e.what()));
  }
  std::vector<std::string> added = scratch.names();
  require(!added.empty(), "code plugin '", path, "': registered no codes");
  for (const auto& name : added)
    if (registry.contains(name))
      throw Error(cat("code plugin '", path, "': code '", name, "' is already registered (from ",
                      registry.entry(name).origin, ")"));
  for (const auto& name : added) {
    CodeEntry e = scratch.entry(name);
    e.origin = path;
    registry.add(std::move(e));
  }
  return added;
}

}  // namespace cdcnn
