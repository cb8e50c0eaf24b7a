#pragma once
// The profile file `cdcnn profile` writes and the planner reads (HDF5):
//
//   /                    attrs: format "cdcnn-profile", format_version 1,
//                               model, host, repeats
//   /layers              attr count; one group per layer, in the model's order
//   /layers/<i>          attrs: name, kind (strings); ms, (float64);
//                               input_bytes, output_bytes, parameter_bytes,
//                               linear (0/1) (int64); for linear layers rows,
//                               cols, positions (int64) and, one entry per
//                               candidate k: k, rows_per_block, result_bytes,
//                               weight_bytes (int64[]) and shard_ms (float64[])
//   /links               attr count, and (when measured) from, to (int64[]),
//                               latency_ms, bandwidth_MBps (float64[]),
//                               from_host, to_host (strings joined by ',')
//
// Times are medians in milliseconds on the device that ran the profile;
// bytes include the runtime's message header (plan/profile.hpp).

#include <string>

#include "plan/profile.hpp"

namespace cdcnn {

void save_profile(const Profile& profile, const std::string& path);
/// Error naming the file and the field for anything missing or malformed.
Profile load_profile(const std::string& path);

}  // namespace cdcnn
