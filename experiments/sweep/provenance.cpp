#include "sweep/provenance.hpp"

#include <unistd.h>

#include "sweep/git_commit.hpp"  // generated at build time by git_commit.cmake

namespace cdcnn::sweep {

std::vector<std::pair<std::string, std::string>> Provenance::columns() const {
  return {{"git_commit", git_commit},
          {"host", host},
          {"build_type", build_type},
          {"compiler", compiler},
          {"cdcnn_version", cdcnn_version}};
}

Provenance current_provenance() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return Provenance{.git_commit = CDCNN_GIT_COMMIT,
                    .host = host[0] ? host : "unknown",
                    .build_type = CDCNN_BUILD_TYPE,
                    .compiler = CDCNN_COMPILER,
                    .cdcnn_version = CDCNN_VERSION};
}

}  // namespace cdcnn::sweep
