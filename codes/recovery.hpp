#pragma once
// Decode-or-zero-fill: what a master makes of the shards of one split layer
// that arrived (docs/architecture.md §1, §4). The distributed runtime's
// master (runtime/master.cpp) and the offline shard loss (fault/shard_loss.hpp)
// both call recover_blocks, so the two cannot disagree.
//
//  - The arrived shards are decodable → Code::decode rebuilds the k data
//    blocks (outcome `recovered` if any block was rebuilt rather than
//    received verbatim, `exact` if none was).
//  - They are not → by the policy: `zero_fill` keeps every block that
//    arrived verbatim (a systematic data shard or a replica) and makes every
//    other block zeros (outcome `degraded`). No partial decoding is
//    attempted: a block the arrived parities would determine on their own is
//    zeros too. `fail` leaves the blocks alone (outcome `failed`).

#include <cstdint>
#include <span>

#include "codes/code.hpp"
#include "codes/outcome.hpp"

namespace cdcnn {

/// What to do with a layer whose arrived shards are not decodable.
enum class Undecodable : std::int8_t {
  zero_fill,  ///< verbatim blocks kept, zeros elsewhere: degraded
  fail,       ///< no output: failed
};

/// What recover_blocks does with one arrived set.
struct Recovery {
  InferenceOutcome outcome = InferenceOutcome::exact;
  ShardMask decoded;  ///< per data block (k entries): rebuilt by decoding
  ShardMask zeroed;   ///< per data block (k entries): zero-filled
  int blocks_decoded() const;
};

/// The data blocks no arrived shard holds verbatim (Code::verbatim_block):
/// what a decode has to rebuild, or a zero-fill fills with zeros. k entries.
/// Error if arrived.size() != n.
ShardMask unheld_blocks(const Code& code, const ShardMask& arrived);

/// What recover_blocks makes of `arrived` (n entries), without the numbers.
Recovery plan_recovery(const Code& code, const ShardMask& arrived, Undecodable policy);

/// Fills the k data blocks from the shards that arrived, decoding when they
/// are decodable and following `policy` when not (the header above).
///  - shards: n buffers, shards[j] empty if shard j has not arrived (as
///    Code::decode); the others rows_per_block·P floats each.
///  - data_blocks: k buffers of that size. data_blocks[i] may be the buffer
///    of shard Code::verbatim_source(i, arrived) (a result received in
///    place): then nothing is copied. No other overlap.
/// Error — before touching data_blocks — on wrong counts or sizes.
Recovery recover_blocks(const Code& code, std::span<const std::span<const float>> shards,
                        std::span<const std::span<float>> data_blocks, Undecodable policy);

}  // namespace cdcnn
