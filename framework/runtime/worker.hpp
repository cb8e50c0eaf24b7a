#pragma once
// Ranks 1..N-1 of a run, and their weights. A worker holds only its own
// coded shards and the layers placed on it; it runs a Node
// (runtime/node.hpp): it waits for values without spinning (test +
// backoff), computes the layers placed on it and Z_j = W'_j·X + b'_j for
// each shard it holds, lets the fault injector delay, silence or drop what it
// sends, and decodes the split layers whose output it reads. Work that a
// newer frame supersedes while it waits is dropped.

#include <map>
#include <utility>

#include "fault/injector.hpp"
#include "runtime/deployment.hpp"
#include "runtime/master.hpp"

namespace cdcnn::runtime {

/// (layer index, shard) → the shard's coded weights.
using ShardWeights = std::map<std::pair<std::size_t, int>, std::pair<Matrix, Vector>>;

struct WorkerStats {
  std::int64_t inputs = 0, results_sent = 0, silent = 0, dropped = 0, superseded = 0;
  bool finalize = true;  ///< false: leave without MPI_Finalize (a peer died, or the master is gone)
  bool master_lost = false;  ///< nothing came from the master for master_timeout_ms
};

/// Runs until rank 0 says stop, or until nothing has come from any rank for
/// `master_timeout_ms` (rank 0 is presumed dead). `start_wtime` is
/// MPI_Wtime() at the common start (for time-based fail-stops); `in_flight`
/// and `options` as on rank 0 (a rank decoding a split layer applies the
/// deadline and policy).
WorkerStats run_worker(int rank, const Model& model, const Deployment& deployment, const ShardWeights& weights,
                       const FaultInjector& faults, double start_wtime, double master_timeout_ms = 60000.0,
                       int in_flight = 1, const MasterOptions& options = {}, MPI_Comm comm = MPI_COMM_WORLD);

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
