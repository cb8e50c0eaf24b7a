#pragma once
// Where a split layer's shards go when devices differ in speed, and how many
// device failures that placement survives. A device twice as fast as the
// slowest worker may hold two shards of one layer (and finishes both when
// the slow one finishes one); a device that fails takes all its shards with
// it, so tolerance is counted per device, not per shard.

#include <vector>

#include "codes/code.hpp"

namespace cdcnn {

/// Ranks for the n shards of one layer over workers 1..speeds.size()−1
/// (speeds[r]: rank r's speed; rank 0 is the master and holds none). Each
/// shard goes to the worker that would finish it first — fewest (held + 1) /
/// speed — among those below their capacity, floor(speed / slowest worker's
/// speed) shards; ties go round-robin from worker 1 + offset. With equal
/// speeds that is n distinct workers, as round-robin gives. Empty if the
/// workers' capacities add up to fewer than n.
std::vector<int> place_shards(int n, const std::vector<double>& speeds, int offset = 0);

/// The number of holders that may fail together, any of them, with the
/// shards left still decodable: for distinct holders, the code's own
/// tolerance. ranks[j] holds shard j.
int device_tolerance(const Code& code, const std::vector<int>& ranks);

}  // namespace cdcnn
