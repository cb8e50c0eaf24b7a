#include "core/memory.hpp"

#include <fstream>
#include <string>

namespace cdcnn {

std::optional<double> peak_resident_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) {
      try {
        return std::stod(line.substr(6)) * 1024.0 / 1e6;  // "VmHWM:   123456 kB"
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  return std::nullopt;
}

}  // namespace cdcnn
