#include "io/files.hpp"

#include <filesystem>
#include <system_error>

#include "core/error.hpp"

namespace cdcnn {

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && !ec;
}

void require_exists(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  // A missing path is not an error for status(): it reports not_found.
  require(!ec || status.type() == std::filesystem::file_type::not_found, path, ": cannot access (", ec.message(), ")");
  require(std::filesystem::exists(status), path, ": no such file");
}

}  // namespace cdcnn
