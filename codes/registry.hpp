#pragma once
// The code registry: name → factory, as Ceph's ErasureCodePluginRegistry.
// A factory takes k and the parsed spec ("name:key=value,key=value", see
// core/spec_string.hpp) and returns a built code; it rejects parameters it
// does not know. Built-in codes are added by one explicit call,
// register_builtin_codes() — no static self-registering globals — and
// plugins add theirs through the same add() (codes/plugin_loader.hpp).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "codes/code.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

using CodeFactory = std::function<std::unique_ptr<Code>(int k, const SpecString& spec)>;

struct CodeEntry {
  std::string name;          ///< registry key, e.g. "mds"
  std::string summary;       ///< one line for `cdcnn codes`
  std::string default_spec;  ///< the spec listed by `cdcnn codes`, e.g. "mds:r=2"
  CodeFactory factory;
  std::string origin = "built-in";  ///< or the plugin file it came from
};

class CodeRegistry {
 public:
  /// Adds a code. Error on an empty name, a name already taken (naming who
  /// took it), or a missing factory.
  void add(CodeEntry entry);

  /// Builds the code `spec` names for k data blocks. Error (one line) for an
  /// unknown name (listing the valid names), k < 1, or a parameter the code
  /// rejects; the code's spec() echoes the parameters actually used.
  std::unique_ptr<Code> make(const std::string& spec, int k) const;

  bool contains(const std::string& name) const;
  /// Error listing the valid names if `name` is not registered.
  const CodeEntry& entry(const std::string& name) const;
  /// Registered names, sorted.
  std::vector<std::string> names() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, CodeEntry> entries_;  // entries are never removed
};

/// Adds uncoded, replication, pairwise, sum, grouped-sum and mds.
void register_builtin_codes(CodeRegistry& registry);

/// The process-wide registry, with the built-ins registered on first use.
/// Plugins loaded with load_code_plugin() add to it.
CodeRegistry& code_registry();

}  // namespace cdcnn
