#pragma once
// Where a result came from: recorded in every run's result file and as
// columns of the sweep's summary (STYLE.md, Experiments).

#include <string>
#include <utility>
#include <vector>

namespace cdcnn::sweep {

struct Provenance {
  std::string git_commit;     ///< `git rev-parse HEAD` when cdcnn was built, "-dirty" if the tree had
                              ///< uncommitted changes, "unknown" outside a git checkout
  std::string host;           ///< where the sweep ran (gethostname)
  std::string build_type;     ///< CMAKE_BUILD_TYPE
  std::string compiler;       ///< compiler id and version
  std::string cdcnn_version;  ///< the project's version

  /// (column, value) in the order of the summary's columns.
  std::vector<std::pair<std::string, std::string>> columns() const;
};

/// This build's provenance and this host.
Provenance current_provenance();

}  // namespace cdcnn::sweep
