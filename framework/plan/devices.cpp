#include "plan/devices.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace cdcnn {

std::vector<Device> parse_devices(const std::string& text, const std::string& source) {
  std::vector<Device> devices;
  std::set<std::string> names;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    Device d;
    if (!(words >> d.name)) continue;
    const std::string where = cat(source, ":", number, ": ");
    require(names.insert(d.name).second, where, "device '", d.name, "' is listed twice");
    for (std::string field; words >> field;) {
      require(field.rfind("speed=", 0) == 0, where, "unknown field '", field, "': expected speed=S");
      const std::string value = field.substr(6);
      std::size_t used = 0;
      try {
        d.speed = std::stod(value, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      require(used == value.size() && used > 0 && std::isfinite(d.speed) && d.speed > 0, where, "speed '", value,
              "' is not a positive number");
    }
    devices.push_back(d);
  }
  require(!devices.empty(), source, ": no device listed (one line per device: NAME [speed=S])");
  return devices;
}

std::vector<Device> load_devices(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "--hosts: cannot read '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return parse_devices(text.str(), path);
}

}  // namespace cdcnn
