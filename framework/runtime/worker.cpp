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
#include "runtime/buffer_pool.hpp"
#include "runtime/mpi.hpp"
#include "runtime/protocol.hpp"

namespace cdcnn::runtime {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

/// Waits for a request without spinning a core.
MPI_Status wait_idle(mpi::Request& r) {
  mpi::Backoff backoff;
  while (true) {
    if (auto s = r.test()) return *s;
    backoff.pause();
  }
}

/// True if the master has sent something newer than what we are working on.
bool newer_message_waiting() {
  int flag = 0;
  MPI_Status status;
  CDCNN_CHECK_MPI(MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status));
  return flag != 0;
}

/// Injected wrong numbers: the worker "computes" a wrong block.
void corrupt(Matrix& z, ShardFault::Corruption kind, std::int64_t inference) {
  if (z.size() == 0) return;
  float& victim = z.data()[static_cast<std::size_t>(inference * 7919) % static_cast<std::size_t>(z.size())];
  switch (kind) {
    case ShardFault::Corruption::bitflip: {
      std::uint32_t bits;
      std::memcpy(&bits, &victim, sizeof bits);
      bits ^= 1u << 30;  // the exponent's top bit: a large error, as a flipped memory bit can make
      std::memcpy(&victim, &bits, sizeof bits);
      break;
    }
    case ShardFault::Corruption::scale: z *= 1.5f; break;
    case ShardFault::Corruption::nan: victim = std::numeric_limits<float>::quiet_NaN(); break;
    case ShardFault::Corruption::none: break;
  }
}

Index max_input_floats(const Model& model, const Deployment& d) {
  Index most = 0;
  for (const auto& l : d.layers) most = std::max(most, numel(model.input_shape_of(l.layer_index)));
  return most + kHeaderFloats;
}

}  // namespace

WorkerStats run_worker(int rank, const Model& model, const Deployment& deployment, const ShardWeights& weights,
                       const FaultInjector& faults, double start_wtime, double master_timeout_ms) {
  WorkerStats stats;
  auto last_heard = Clock::now();
  // Allocated once, reused by every input (docs/architecture.md §3, "Buffers"): the
  // receive buffer, each split layer's input tensor, the result messages.
  std::vector<float> in(static_cast<std::size_t>(max_input_floats(model, deployment)));
  std::map<std::size_t, Tensor> inputs;  // by layer index
  BufferPool results;
  std::deque<std::pair<BufferPool::Buffer, mpi::Request>> sends;  // a buffer is not reused until its send completes
  auto reap_sends = [&] {
    while (!sends.empty() && (!sends.front().second.pending() || sends.front().second.test())) sends.pop_front();
  };
  while (true) {
    mpi::Request recv = mpi::irecv_bytes(in.data(), static_cast<int>(in.size() * sizeof(float)), 0, MPI_ANY_TAG);
    mpi::Backoff backoff;
    MPI_Status status;
    while (true) {
      reap_sends();
      if (auto s = recv.test()) {
        status = *s;
        break;
      }
      if (ms_since(last_heard) > master_timeout_ms) {
        // The master is the single point of failure: when it is gone (and
        // mpirun --enable-recovery kept us alive) leave instead of waiting
        // forever — without MPI_Finalize, whose fence would wait for it.
        stats.master_lost = true;
        stats.finalize = false;
        return stats;
      }
      backoff.pause();
    }
    last_heard = Clock::now();
    if (status.MPI_TAG == kStop) break;
    if (status.MPI_TAG != kInput) continue;
    const Header h = unpack_header(in);
    ++stats.inputs;
    const DeployedLayer* split = deployment.find(static_cast<std::size_t>(h.layer));
    if (!split) continue;
    const auto& layer = *model.layer(split->layer_index).as_linear();
    const Shape& in_shape = model.input_shape_of(split->layer_index);
    if (h.floats != numel(in_shape)) continue;
    Tensor& x = inputs.try_emplace(split->layer_index, in_shape).first->second;
    std::ranges::copy(message_payload(in, h), x.data());
    bool delayed = false;  // a late device is late once per layer, not once per shard it holds
    for (int shard : split->shards_of(rank)) {
      const auto& [w, b] = weights.at({split->layer_index, shard});
      const auto t0 = Clock::now();
      Matrix z = layer.multiply(x, w, b);
      const double compute_ms = ms_since(t0);
      const double elapsed_ms = (MPI_Wtime() - start_wtime) * 1e3;
      const ShardFault fault = faults.at(rank, h.inference, static_cast<int>(split->layer_index), elapsed_ms);
      if (fault.crash) std::raise(SIGKILL);  // a real death: no goodbye, no flush, no MPI_Finalize
      if (fault.silent) {
        ++stats.silent;
        continue;
      }
      // Sleep the injected delay in slices, dropping the work if a newer
      // input arrives meanwhile (the master has moved on).
      const double sleep_ms = delayed ? 0.0 : fault.delay_ms;
      delayed = true;
      const auto wake = Clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(sleep_ms * 1e3));
      bool superseded = false;
      while (Clock::now() < wake && !(superseded = newer_message_waiting()))
        std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(1)));
      if (superseded) {
        ++stats.superseded;
        break;
      }
      if (fault.dropped) {
        ++stats.dropped;
        continue;
      }
      if (fault.corruption != ShardFault::Corruption::none) corrupt(z, fault.corruption, h.inference);
      Header out{.inference = h.inference, .layer = h.layer, .shard = shard, .floats = z.size(),
                 .compute_ms = compute_ms, .injected_delay_ms = fault.delay_ms};
      BufferPool::Buffer buffer = results.acquire(message_floats(static_cast<std::size_t>(z.size())));
      pack_message_into(*buffer, out, {z.data(), static_cast<std::size_t>(z.size())});
      mpi::Request send = mpi::isend_bytes(buffer->data(), static_cast<int>(buffer->size() * sizeof(float)), 0, kResult);
      sends.emplace_back(std::move(buffer), std::move(send));
      ++stats.results_sent;
    }
  }
  // Let queued results go out (the master keeps receiving until we
  // acknowledge; bounded, in case it is gone), then acknowledge.
  const auto give_up = Clock::now() + std::chrono::seconds(2);
  while (!sends.empty() && Clock::now() < give_up) {
    reap_sends();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const Header ack{.peak_rss_mb = peak_resident_mb().value_or(0.0)};
  mpi::Request r = mpi::isend_bytes(&ack, sizeof ack, 0, kStop);
  while (r.pending() && Clock::now() < give_up + std::chrono::seconds(1)) {
    if (r.test()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // The master's goodbye says whether every worker answered; if one did not,
  // MPI_Finalize (a fence over every process, the dead one included) could
  // hang, so nobody calls it. No goodbye at all means the master is gone.
  Header bye;
  mpi::Request b = mpi::irecv_bytes(&bye, sizeof bye, 0, kStop);
  const auto bye_deadline = Clock::now() + std::chrono::seconds(10);
  mpi::Backoff backoff;
  while (b.pending() && Clock::now() < bye_deadline) {
    if (b.test()) {
      stats.finalize = bye.shard == kByeFinalize;
      return stats;
    }
    backoff.pause();
  }
  stats.finalize = false;
  return stats;
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
