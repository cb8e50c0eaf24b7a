#include "runtime/worker.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <limits>
#include <thread>

#include "codes/encoding.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "io/coded_file.hpp"
#include "runtime/node.hpp"
#include "runtime/mpi.hpp"
#include "runtime/protocol.hpp"

namespace cdcnn::runtime {

namespace {

/// Waits for a request without spinning a core.
MPI_Status wait_idle(mpi::Request& r) {
  mpi::Backoff backoff;
  while (true) {
    if (auto s = r.test()) return *s;
    backoff.pause();
  }
}

}  // namespace

WorkerStats run_worker(int rank, const Model& model, const Deployment& deployment, const ShardWeights& weights,
                       const FaultInjector& faults, double start_wtime, double master_timeout_ms, int in_flight,
                       const MasterOptions& options, MPI_Comm comm) {
  Node node(model, deployment, weights, &faults,
            NodeOptions{.master = options, .in_flight = in_flight, .start_wtime = start_wtime, .comm = comm}, rank,
            [] {
              int size = 0;
              MPI_Comm_size(MPI_COMM_WORLD, &size);
              return size;
            }(),
            nullptr);
  if (node.serve(master_timeout_ms)) node.stats().finalize = node.leave();
  return node.stats();
}

namespace {
Index layer_cols(const Model& model, std::size_t index) { return model.layer(index).as_linear()->cols(); }
}  // namespace

ShardWeights receive_shard_weights(int rank, const Model& model, const Deployment& deployment) {
  ShardWeights out;
  for (const auto& l : deployment.layers) {
    const Index q = layer_cols(model, l.layer_index);
    for (int shard : l.shards_of(rank)) {
      // Two messages (send_shard_weights): the header with b'_j, then W'_j
      // received straight into its matrix — no buffer as large as the shard.
      std::vector<float> head(static_cast<std::size_t>(kHeaderFloats + l.rows_per_block));
      mpi::Request r = mpi::irecv_bytes(head.data(), static_cast<int>(head.size() * sizeof(float)), 0, kWeights);
      wait_idle(r);
      const Header h = unpack_header(head);
      require(h.layer == static_cast<std::int32_t>(l.layer_index) && h.shard == shard,
              "rank ", rank, ": weights arrived out of order (layer ", h.layer, " shard ", h.shard, ")");
      Matrix w(l.rows_per_block, q);
      mpi::Request rw = mpi::irecv_bytes(w.data(), static_cast<int>(w.size() * sizeof(float)), 0, kWeights);
      wait_idle(rw);
      Vector b = Eigen::Map<const Vector>(head.data() + kHeaderFloats, l.rows_per_block);
      out.emplace(std::make_pair(l.layer_index, shard), std::make_pair(std::move(w), std::move(b)));
    }
  }
  return out;
}

void send_shard_weights(const Model& model, const Deployment& deployment) {
  for (const auto& l : deployment.layers) {
    const LinearLayer& linear = *model.layer(l.layer_index).as_linear();
    const Index q = linear.cols(), rpb = l.rows_per_block;
    for (std::size_t j = 0; j < l.ranks.size(); ++j) {
      // One shard at a time: the master holds the layer's weights and one
      // shard, never the layer's n shards. Sent as two messages, the header
      // with b'_j and then W'_j, so that the worker receives W'_j in place.
      Matrix w(rpb, q);
      Vector b(rpb);
      encode_shard(*l.code, linear.weight(), linear.bias(), static_cast<int>(j), MatrixMap(w.data(), rpb, q),
                   Eigen::Map<Vector>(b.data(), rpb));
      const Header h{.layer = static_cast<std::int32_t>(l.layer_index), .shard = static_cast<std::int32_t>(j),
                     .floats = rpb};
      std::vector<float> head = pack_message(h, {b.data(), static_cast<std::size_t>(rpb)});
      mpi::Request r = mpi::isend_bytes(head.data(), static_cast<int>(head.size() * sizeof(float)), l.ranks[j], kWeights);
      wait_idle(r);
      // Messages between two ranks with one tag arrive in the order sent (MPI's non-overtaking rule).
      mpi::Request rw = mpi::isend_bytes(w.data(), static_cast<int>(w.size() * sizeof(float)), l.ranks[j], kWeights);
      wait_idle(rw);
    }
  }
}

ShardWeights read_shard_weights(const std::string& coded_file, int rank, const Model& model,
                                const Deployment& deployment) {
  std::map<std::string, std::vector<int>> wanted;
  for (const auto& l : deployment.layers) wanted[model.layer(l.layer_index).name()] = l.shards_of(rank);
  ShardWeights out;
  for (auto& c : read_coded_layers(coded_file, wanted)) {
    const DeployedLayer* l = deployment.find(c.layer_index);
    if (!l) continue;
    require(c.code_spec == l->code->spec() && c.k == l->code->k(), coded_file, ": layer '", c.layer,
            "' was encoded with ", c.code_spec, " k=", c.k, " but the plan says ", l->code->spec(), " k=",
            l->code->k(), " (re-run cdcnn encode with the same plan)");
    for (auto& [j, w] : c.weights) out.emplace(std::make_pair(c.layer_index, j), std::make_pair(std::move(w), c.biases.at(j)));
  }
  for (const auto& l : deployment.layers)
    for (int j : l.shards_of(rank))
      require(out.count({l.layer_index, j}), coded_file, ": no shard ", j, " of layer '",
              model.layer(l.layer_index).name(), "' (was it encoded with this plan?)");
  return out;
}

}  // namespace cdcnn::runtime
