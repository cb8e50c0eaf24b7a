#pragma once
// The worker loop (ranks 1..N-1). A worker holds only its own coded shards.
// It waits for a layer's input without spinning (test + backoff), computes
// Z_j = W'_j·X + b'_j for each shard of that layer it holds, lets the fault
// injector delay, silence or drop the result, and sends it to the master.
// Work that a newer input supersedes while it waits is dropped.

#include <map>
#include <utility>

#include "fault/injector.hpp"
#include "runtime/deployment.hpp"

namespace cdcnn::runtime {

/// (layer index, shard) → the shard's coded weights.
using ShardWeights = std::map<std::pair<std::size_t, int>, std::pair<Matrix, Vector>>;

struct WorkerStats {
  std::int64_t inputs = 0, results_sent = 0, silent = 0, dropped = 0, superseded = 0;
  bool finalize = true;  ///< false: leave without MPI_Finalize (a peer died, or the master is gone)
  bool master_lost = false;  ///< nothing came from the master for master_timeout_ms
};

/// Runs until the master says stop, or until nothing has come from the master
/// for `master_timeout_ms` (it is presumed dead). `start_wtime` is
/// MPI_Wtime() at the common start (for time-based fail-stops).
WorkerStats run_worker(int rank, const Model& model, const Deployment& deployment, const ShardWeights& weights,
                       const FaultInjector& faults, double start_wtime, double master_timeout_ms = 60000.0);

/// --weights-from master, worker side: receives this rank's shards.
ShardWeights receive_shard_weights(int rank, const Model& model, const Deployment& deployment);
/// --weights-from master, master side: encodes every split layer and sends
/// each shard to its rank.
void send_shard_weights(const Model& model, const Deployment& deployment);
/// --weights-from file: reads this rank's shards from a coded-weight file,
/// checking that it was encoded with the deployment's codes.
ShardWeights read_shard_weights(const std::string& coded_file, int rank, const Model& model,
                                const Deployment& deployment);

}  // namespace cdcnn::runtime
