#pragma once
// A code (docs/architecture.md §1) is a real n×k generator matrix G. Data block i is the
// row block W_i of a layer's weights; shard j holds W'_j = Σ_i G[j,i]·W_i and
// computes Z_j = W'_j·X + b'_j. Because everything is linear, shard j's
// result is Z_j = Σ_i G[j,i]·Y_i, where Y_i is data block i of the output.
// Decoding rebuilds the k output blocks Y_i from whichever shards arrived.
//
// The shape of this interface follows Ceph's erasure-code plugins: a factory
// keyed by name builds an instance from k and a string→string profile
// (codes/registry.hpp); the instance reports its sizes, echoes the profile it
// actually used (spec()), says what a set of arrived shards allows, and
// decodes. Like Ginkgo's LinOp::apply, the public decode() is non-virtual: it
// validates once and then calls the protected virtual decode_impl().
//
// Decoding is element-wise: every position of a block is decoded with the
// same coefficients, so decode() only needs each block as a flat buffer of
// rows_per_block·P floats (row-major, as cdcnn stores everything). A shard's
// receive buffer is passed in as-is; nothing is copied into a matrix first.
// It also lets decode() hand chunks of positions to the compute threads
// (core/parallel.hpp): decode_impl may run on several chunks at once, each
// call given the same sub-range of every buffer.

#include <Eigen/Core>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.hpp"

namespace cdcnn {

/// Which of a code's n shards (or k data blocks) are present: mask[j] is true
/// when shard j has arrived.
using ShardMask = std::vector<bool>;

class Code {
 public:
  /// Codes have at most this many shards (masks are 64-bit words inside).
  static constexpr int kMaxShards = 64;

  virtual ~Code() = default;
  Code(const Code&) = delete;
  Code& operator=(const Code&) = delete;

  /// The registry name, e.g. "mds".
  virtual std::string name() const = 0;
  /// The spec with every parameter actually used, e.g. "mds:r=2" (also when
  /// the user wrote just "mds"); make(spec(), k()) rebuilds the same code.
  virtual std::string spec() const = 0;

  /// Total shards (rows of G).
  int n() const { return static_cast<int>(generator_.rows()); }
  /// Data blocks (columns of G).
  int k() const { return static_cast<int>(generator_.cols()); }
  /// G, n×k. Shard j's weights are Σ_i G(j,i)·W_i.
  const Eigen::MatrixXd& generator() const { return generator_; }
  /// Storage (and compute) overhead n/k relative to the uncoded layer.
  double storage_overhead() const { return static_cast<double>(n()) / k(); }
  /// True when the first k rows of G are the identity: shard i < k is data block i.
  bool systematic() const;

  /// The largest t such that every set of t lost shards is still decodable.
  /// The default finds it by trying every loss set (codes with n ≤ 24); codes
  /// override it with their closed form.
  virtual int tolerance() const;

  /// Whether the arrived shards determine every data block, i.e. the arrived
  /// rows of G have rank k. The default is that rank test; codes override it
  /// with a counting rule. Error if arrived.size() != n.
  virtual bool decodable(const ShardMask& arrived) const;

  /// The data blocks the arrived shards determine, even when not all of them
  /// are (block i is determined iff e_i lies in the row space of the arrived
  /// rows of G). A master can use it to go ahead with the blocks it has —
  /// "which data blocks this arrived set lets you stop waiting for".
  ShardMask recoverable_blocks(const ShardMask& arrived) const;

  /// A smallest set of the available shards that determines the `wanted`
  /// data blocks (Ceph's minimum_to_decode): the direct copies first, then
  /// the fewest parity shards. Empty optional if the available shards cannot
  /// determine them. Both masks are checked for size (Error).
  std::optional<std::vector<int>> minimum_to_decode(const ShardMask& wanted, const ShardMask& available) const;

  /// Rebuilds all k data blocks from the shards that arrived.
  ///
  ///  - shards: n buffers; shards[j] is shard j's result (rows_per_block·P
  ///    floats, row-major) or an empty span if shard j has not arrived. All
  ///    non-empty spans have the same size.
  ///  - data_blocks: k buffers of that same size; data_blocks[i] receives
  ///    output block Y_i. A block whose shard arrived verbatim (a systematic
  ///    shard, or a replica) is copied, unless data_blocks[i] already *is*
  ///    that shard's buffer (the runtime may receive shard i straight into
  ///    block i: then nothing is copied). Missing blocks are computed from
  ///    the arrived shards alone, by the code's fast path (a sum parity: one
  ///    subtraction) or the generic solver. No other overlap between shards
  ///    and data_blocks is allowed.
  ///
  /// Throws Error — before touching data_blocks — if the counts or sizes are
  /// wrong or the arrived set is not decodable: an undecodable set is never
  /// guessed at. Thread-safe.
  void decode(std::span<const std::span<const float>> shards, std::span<const std::span<float>> data_blocks) const;

  /// Convenience for tests and one-off callers: shards[j] is shard j's result
  /// matrix (rows_per_block×P) or nullopt; returns the k data blocks.
  std::vector<Matrix> decode(const std::vector<std::optional<Matrix>>& shards) const;

  /// The data block that shard j holds verbatim (its row of G is e_i: a
  /// systematic shard or a replica), or -1. What a master may keep as it is
  /// when a set is not decodable (zero-fill), and what a decode copies.
  int verbatim_block(int shard) const { return verbatim_[static_cast<std::size_t>(shard)]; }
  /// The arrived shard that decode() takes data block i from verbatim:
  /// shard i itself if it holds block i, else the first arrived replica of
  /// it; -1 if none arrived (the block must be decoded or zero-filled). A
  /// master that wants no copy receives shard j into its block's buffer.
  int verbatim_source(int block, const ShardMask& arrived) const;

 protected:
  /// G must be n×k with 1 ≤ k ≤ n ≤ kMaxShards (Error otherwise).
  explicit Code(Eigen::MatrixXd generator);

  /// Fills data_blocks[i] for every i in `missing` (non-empty, ascending):
  /// the blocks no arrived shard holds verbatim. The other data blocks are
  /// already in place and may be read. Called only with a decodable set and
  /// validated buffers. The default is the generic solver: for each arrived
  /// pattern it picks |missing| arrived non-verbatim shards whose rows of G
  /// restricted to the missing columns are best conditioned (QR with column
  /// pivoting), inverts that small system once (cached per pattern), and then
  /// evaluates each missing block as a linear combination of those shards and
  /// the known blocks. Any linear code works with it.
  virtual void decode_impl(const ShardMask& arrived, const std::vector<int>& missing,
                           std::span<const std::span<const float>> shards,
                           std::span<const std::span<float>> data_blocks) const;

  /// out = Σ_t coefficients[t]·sources[t] (each source out.size() floats),
  /// in one cache-blocked pass: chunks of out stay in L1 while every source
  /// streams through once. The kernel of every decode path.
  static void combine(std::span<float> out, std::span<const float* const> sources,
                      std::span<const float> coefficients);
  /// combine()'s pass: 8 KiB of out, which stays in L1.
  static constexpr std::size_t kCombineChunk = 2048;

  /// Throws Error unless arrived.size() == n.
  void check_mask(const ShardMask& arrived, const char* what) const;

 private:
  struct Term {
    bool from_shard;  ///< true: shards[index], false: data_blocks[index]
    int index;
    float coefficient;
  };
  /// How to compute each missing block of one arrived pattern.
  struct Recipe {
    std::vector<int> missing;
    std::vector<std::vector<Term>> terms;  ///< per missing block
  };
  Recipe make_recipe(const ShardMask& arrived, const std::vector<int>& missing) const;

  Eigen::MatrixXd generator_;
  std::vector<int> verbatim_;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::uint64_t, Recipe> recipes_;
};

/// Rank of the rows of G selected by `rows` (FullPivLU with a relative
/// threshold): the independent test every `decodable` is checked against.
int generator_rank(const Eigen::MatrixXd& generator, const ShardMask& rows);

/// "{0,2,5}" rendering of a mask's set members, for messages.
std::string format_mask(const ShardMask& mask);

/// Which shards arrived, by decode()'s convention: an empty buffer is a
/// shard that did not.
ShardMask arrived_shards(std::span<const std::span<const float>> shards);

}  // namespace cdcnn
