#pragma once
// Scratch file names for tests: in the system's temp directory, unique to the
// process, so tests that CTest runs in parallel never share a file.

#include <unistd.h>

#include <filesystem>
#include <string>

namespace cdcnn::test {

inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("cdcnn_test_" + std::to_string(getpid()) + "_" + name)).string();
}

}  // namespace cdcnn::test
