#pragma once
// How much a code can amplify rounding errors when it decodes.
//
// A decoder facing the arrived set S solves a square system made of k
// linearly independent arrived rows of G. The figure reported for a code is
// the worst 2-norm condition number over every such system: all sets of k
// distinct rows of G that the code calls decodable. Each row is first scaled
// to unit length, because a shard's result can be rescaled for free and
// float rounding is relative to each shard's own magnitude; the number is
// then the factor by which a relative error in the shards' results can grow
// in the decoded blocks. Identical rows (replicas) give identical systems
// and are counted once.

#include <Eigen/Core>
#include <cstdint>
#include <functional>

#include "codes/code.hpp"

namespace cdcnn {

/// Number of k-row systems worst_condition_number would examine (distinct
/// rows of G taken k at a time), saturating at INT64_MAX.
std::int64_t condition_systems(const Eigen::MatrixXd& generator);

/// Worst condition number over the k-row systems of `generator` whose row
/// set (as a shard mask) `decodable` accepts; infinity for an accepted but
/// singular system, 1 if none is accepted. NaN if there are more than
/// `max_systems` systems to examine.
double worst_condition_number(const Eigen::MatrixXd& generator,
                              const std::function<bool(const ShardMask&)>& decodable,
                              std::int64_t max_systems = 200000);

/// The same for a built code, using its own decodable().
double worst_condition_number(const Code& code, std::int64_t max_systems = 200000);

}  // namespace cdcnn
