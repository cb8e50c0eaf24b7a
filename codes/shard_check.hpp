#pragma once
// The consistency check behind `cdcnn run --check` (docs/architecture.md §3,
// §4): do a layer's arrived shards agree with each other, and if one of them
// carries wrong numbers, which? A shard is "spare" when the others alone are
// decodable; the check needs spares to have anything to check against:
//  - no spare shard           → unverified (nothing to compare with);
//  - the shards agree         → consistent;
//  - they disagree, and exactly one shard is such that the others, without
//    it, are decodable and agree → corrected, that shard is the culprit
//    (found with two or more spares: with a single spare every exclusion
//    "agrees", as nothing is left to disagree with);
//  - otherwise                → inconsistent (known wrong, not located).
// "Agree": decode from the shards, re-encode every one of them with G, and
// each is within 1e-3 of its block's largest value. Pure coding theory, no
// MPI: the master calls it once the wait for a layer's shards is over.

#include <span>

#include "codes/code.hpp"
#include "codes/outcome.hpp"

namespace cdcnn {

struct ShardCheck {
  CheckResult result = CheckResult::unverified;
  int culprit = -1;  ///< with `corrected`: the shard found wrong; -1 otherwise
};

/// Checks the shards that arrived: shards[j] is shard j's result or empty
/// if it did not arrive (n buffers of one size, as Code::decode). An
/// undecodable set has no spare shard: unverified. Error on wrong counts or
/// sizes.
ShardCheck check_shards(const Code& code, std::span<const std::span<const float>> shards);

}  // namespace cdcnn
