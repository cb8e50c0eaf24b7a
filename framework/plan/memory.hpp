#pragma once
// The memory a plan needs on each rank of the star runtime
// (docs/architecture.md §3, memory per device): one estimate, which `cdcnn
// run` prints beside each rank's measured peak and checks against
// --memory-mb before any weight is sent, `cdcnn coverage --model` prints for
// a layout, and `cdcnn plan` holds its plans to.
//
// What each rank holds (bytes; MB below are 10^6 bytes, as peak_resident_mb):
//  - rank 0, the master, runs every layer the plan does not split: it holds
//    those layers' parameters (and the split ones' too with --verify, which
//    runs the whole model on it), the activations of one pass through the
//    model (Model::peak_activation_bytes) plus, at the largest split layer,
//    the input message, the n shard results and k decoded blocks, the
//    assembled output, and one receive buffer per worker sized for the
//    largest result. With --weights-from master it encodes and sends the
//    shards at start-up one split layer at a time, holding that layer's
//    weights and one shard besides its own layers;
//  - a worker holds its coded shards and, at its largest layer, the input
//    (its receive buffer and the tensor) and its results (each with the copy
//    its send keeps); it receives (or reads) each shard in place, so its
//    start-up holds only a shard's bias message more;
//  - every rank: a band of unrolled input per compute thread for the convs
//    it runs (LinearLayer::workspace_bytes); a rank an `input` line names
//    holds a copy of the input.
// total = base + weights + shards + max(start-up, activations + workspace):
// the start-up transients are gone before the first inference.
// base is the process itself — code, Open MPI, HDF5 — measured as the peak
// of a rank that holds nearly nothing (benchmarks/README.md).

#include <cstdint>
#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "layers/model.hpp"
#include "plan/plan.hpp"

namespace cdcnn {

/// What a rank holds besides its layers: the process, measured on x86-64
/// Debian 12 with Open MPI 4.1: 25-31 MB over the ranks of mlp and VGG16 runs,
/// rounded up (benchmarks/README.md).
inline constexpr std::int64_t kProcessBaseBytes = 32'000'000;

struct MemoryOptions {
  int threads = 1;              ///< compute threads per rank (--threads)
  bool master_verifies = false;  ///< --verify: the master keeps every layer's weights
  bool master_sends_weights = true;  ///< --weights-from master (else each worker reads its file)
};

/// One rank's estimate, in bytes.
struct RankMemory {
  int rank = 0;
  std::int64_t base = kProcessBaseBytes;
  std::int64_t weights = 0;      ///< parameters of the layers it runs whole
  std::int64_t shards = 0;       ///< coded shards it holds
  std::int64_t activations = 0;  ///< most activations and message buffers alive at once while running
  std::int64_t workspace = 0;    ///< bands of unrolled input, one per compute thread
  std::int64_t startup = 0;      ///< held at start-up only (weights being encoded and sent, a shard's bias received)
  std::int64_t total() const;
};

/// Every rank's estimate, rank 0 first, for `plan` on `model` (a skeleton
/// will do: only shapes are read) over `world_size` ranks. Every split needs
/// its ranks (as deploy() fills them in). Error naming the plan line for a
/// layer not in the model, a split without ranks, or a rank outside the world.
std::vector<RankMemory> estimate_memory(const Model& model, const Plan& plan, int world_size,
                                        const MemoryOptions& options = {},
                                        const CodeRegistry& registry = code_registry());

/// The largest rank of a plan (its splits' and input's ranks), + 1: the
/// world a layout needs when no run says.
int plan_world_size(const Plan& plan);

/// A table, one row per rank: the parts and the total in MB, and, when
/// `measured_mb` has an entry for the rank (NaN: unknown), the measured peak.
std::string format_memory_table(const std::vector<RankMemory>& ranks, const std::vector<double>& measured_mb = {});

/// Error "<flag>: rank R needs an estimated X MB, more than <flag> M" for the
/// first rank whose total exceeds `limit_mb` (0: no limit).
void check_memory(const std::vector<RankMemory>& ranks, double limit_mb, const std::string& flag = "--memory-mb");

}  // namespace cdcnn
