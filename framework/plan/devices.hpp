#pragma once
// The devices `cdcnn plan --hosts FILE` plans for, one line each, in rank
// order (the first is rank 0, the master):
//
//   # comments run to the end of the line
//   pi-master speed=1
//   pi4-a     speed=2      # twice as fast as the device profiled
//   pi3-b                  # speed 1
//
// A speed is relative to the device `cdcnn profile` ran on: a layer that took
// 10 ms there takes 5 ms on a device of speed 2.

#include <string>
#include <vector>

namespace cdcnn {

struct Device {
  std::string name;
  double speed = 1.0;
};

/// Parses hosts text; `source` names it in errors ("FILE:LINE: ..."): a field
/// other than speed=S, a speed that is not a positive number, a name given
/// twice, no device at all.
std::vector<Device> parse_devices(const std::string& text, const std::string& source);
/// Reads and parses a hosts file; Error naming the file if it cannot be read.
std::vector<Device> load_devices(const std::string& path);

}  // namespace cdcnn
