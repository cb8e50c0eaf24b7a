#pragma once
// Latency and bandwidth of every link between two ranks, measured by
// ping-pong (cdcnn profile --network). One pair at a time, while the other
// ranks sleep in a barrier, so pairs do not share the wire or the cores.

#include <cstdint>
#include <vector>

#include "plan/profile.hpp"

namespace cdcnn::runtime {

struct LinkProbeOptions {
  int repeats = 10;                      ///< round trips per message size (the median is kept)
  std::int64_t large_bytes = 1 << 20;    ///< the message that measures bandwidth
};

/// Collective over MPI_COMM_WORLD: every rank calls it. Rank 0 returns one
/// LinkProfile per pair (from < to), the others an empty list. Error naming
/// the option if repeats or large_bytes is not positive.
std::vector<LinkProfile> measure_links(const LinkProbeOptions& options);

}  // namespace cdcnn::runtime
