#include "runtime/master.hpp"

#include <limits>
#include <map>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "codes/encoding.hpp"
#include "codes/recovery.hpp"
#include "codes/shard_check.hpp"
#include "core/error.hpp"
#include "runtime/protocol.hpp"

namespace cdcnn::runtime {

DeadlinePolicy parse_policy(const std::string& text) {
  if (text == "wait") return DeadlinePolicy::wait;
  if (text == "zero-fill") return DeadlinePolicy::zero_fill;
  if (text == "fail") return DeadlinePolicy::fail;
  throw Error(cat("--policy: '", text, "' is not one of wait, zero-fill, fail"));
}

Master::Master(const Model& model, const Deployment& deployment, MasterOptions options, int world_size,
               TraceWriter* trace)
    : model_(model), deployment_(deployment), options_(options), world_size_(world_size), trace_(trace),
      start_wtime_(MPI_Wtime()),
      health_(world_size, HealthOptions{.silence_ms = options.deadline_ms,
                                        .suspect_after = options.suspect_after,
                                        .probe_every = options.probe_every}),
      peak_rss_mb_(static_cast<std::size_t>(world_size), std::numeric_limits<double>::quiet_NaN()) {
  const auto floats = static_cast<std::size_t>(deployment.max_result_floats());
  receive_buffers_.assign(static_cast<std::size_t>(world_size), std::vector<float>(floats));
  receives_.resize(static_cast<std::size_t>(world_size));
  int most_shards = 0, most_blocks = 0;
  for (const auto& l : deployment.layers) {
    most_shards = std::max(most_shards, l.code->n());
    most_blocks = std::max(most_blocks, l.code->k());
  }
  shard_slots_.assign(static_cast<std::size_t>(most_shards), std::vector<float>(floats));
  padding_blocks_.resize(static_cast<std::size_t>(most_blocks));
  for (int r = 1; r < world_size; ++r)
    receives_[r] = mpi::irecv_bytes(receive_buffers_[r].data(), static_cast<int>(floats * sizeof(float)), r, MPI_ANY_TAG);
}

Master::~Master() {
  for (auto& r : receives_) r.cancel();
  // Sends to suspects (likely dead) are abandoned; the others get a moment.
  for (auto& s : sends_)
    if (health_.suspected(s.rank)) s.request.abandon();
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!sends_.empty() && std::chrono::steady_clock::now() < give_up) {
    reap_sends();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

double Master::now_ms() const { return (MPI_Wtime() - start_wtime_) * 1e3; }

void Master::reap_sends() {
  std::erase_if(sends_, [](Send& s) { return !s.request.pending() || s.request.test().has_value(); });
}

template <class OnResult>
bool Master::poll(OnResult&& on_result) {
  bool got = false;
  for (int r = 1; r < world_size_; ++r) {
    const auto status = receives_[r].test();
    if (!status) continue;
    got = true;
    const Header rh = unpack_header(receive_buffers_[r]);
    health_.heard(r, rh.inference, now_ms());
    on_result(r, rh, status->MPI_TAG);
    const auto floats = receive_buffers_[r].size();
    receives_[r] = mpi::irecv_bytes(receive_buffers_[r].data(), static_cast<int>(floats * sizeof(float)), r, MPI_ANY_TAG);
  }
  health_.tick(now_ms());
  log_health();
  return got;
}

void Master::log_health() {
  for (const auto& e : health_.take_events()) {
    health_log_.push_back(e);
    if (trace_) trace_->add(HealthRecord{e.time_ms, e.rank, e.inference, static_cast<std::int8_t>(e.what)});
  }
}

Master::Dispatch Master::dispatch(const DeployedLayer& split, const Tensor& x, std::int64_t inference) {
  const Code& code = *split.code;
  const double dispatch_ms = now_ms();  // the packing is the layer's overhead too
  // The layer input once to every holder, from a buffer of the pool.
  const Header h{.inference = inference, .layer = static_cast<int>(split.layer_index), .floats = x.numel()};
  BufferPool::Buffer message = messages_.acquire(message_floats(static_cast<std::size_t>(x.numel())));
  pack_message_into(*message, h, x.values());
  // Suspects get no work unless a probe is due, or the others alone could
  // not decode even if all of them answered.
  std::vector<int> targets;
  ShardMask sent(static_cast<std::size_t>(code.n()), false);
  for (int r : split.holders())
    if (health_.should_dispatch(r, inference)) {
      targets.push_back(r);
      for (int j : split.shards_of(r)) sent[static_cast<std::size_t>(j)] = true;
    }
  if (!code.decodable(sent)) {
    targets = split.holders();
    sent.assign(sent.size(), true);
  }
  for (int r : targets) {
    health_.dispatched(r, inference, dispatch_ms);
    sends_.push_back(Send{message, mpi::isend_bytes(message->data(), static_cast<int>(message->size() * sizeof(float)),
                                                    r, kInput),
                          r});
  }
  return {std::move(sent), dispatch_ms};
}

Master::SplitOutcome Master::run_split(const DeployedLayer& split, const Tensor& x, std::int64_t inference) {
  const Code& code = *split.code;
  const int n = code.n(), k = code.k();
  const Index block = split.rows_per_block * split.positions;
  const int layer = static_cast<int>(split.layer_index);

  const Dispatch dispatched = dispatch(split, x, inference);
  const ShardMask& sent = dispatched.sent;
  const double dispatch_ms = dispatched.dispatch_ms;

  // Shard j's result, received in place (the swap below).
  auto slot = [&](int j) {
    return std::span<float>(shard_slots_[static_cast<std::size_t>(j)]).subspan(kHeaderFloats, static_cast<std::size_t>(block));
  };
  ShardMask arrived(static_cast<std::size_t>(n), false), rejected(static_cast<std::size_t>(n), false);
  // With the check on, wait (up to the deadline) for every shard sent, so
  // that there are spare shards to check against.
  auto all_settled = [&] {
    for (int j = 0; j < n; ++j)
      if (sent[j] && !arrived[j] && !rejected[j]) return false;
    return true;
  };
  std::vector<double> arrival_ms(static_cast<std::size_t>(n), NAN), compute_ms(n, NAN), delay_ms(n, NAN);
  mpi::Backoff backoff(std::chrono::microseconds(5), std::chrono::microseconds(200));
  bool decodable = false;
  while (true) {
    const bool got = poll([&](int r, const Header& rh, int /*tag*/) {
      const bool current = rh.inference == inference && rh.layer == layer && rh.shard >= 0 && rh.shard < n &&
                           split.ranks[static_cast<std::size_t>(rh.shard)] == r && rh.floats == block &&
                           !arrived[static_cast<std::size_t>(rh.shard)] && !rejected[static_cast<std::size_t>(rh.shard)];
      if (current) {
        const auto j = static_cast<std::size_t>(rh.shard);
        // The received buffer becomes the shard's slot; the old slot takes
        // the next receive (poll posts it after this call).
        std::swap(receive_buffers_[r], shard_slots_[j]);
        const std::span<const float> z = slot(rh.shard);
        arrival_ms[j] = now_ms();
        compute_ms[j] = rh.compute_ms;
        delay_ms[j] = rh.injected_delay_ms;
        // A linear layer of a finite input gives finite numbers: NaN or Inf
        // is a wrong answer, treated as no answer (decoded around if possible).
        if (Eigen::Map<const Eigen::ArrayXf>(z.data(), static_cast<Index>(z.size())).allFinite()) {  // vectorised
          arrived[j] = true;
        } else {
          rejected[j] = true;
          health_.corrupted(r, inference, now_ms());
        }
      } else {
        ++late_;
        if (trace_) trace_->add(LateRecord{rh.inference, rh.layer, rh.shard, r, now_ms()});
      }
    });
    reap_sends();
    if (got) {
      backoff.reset();
      decodable = code.decodable(arrived);
      if (decodable && (!options_.check || all_settled())) break;
      if (!options_.check || !decodable) continue;
    }
    const double waited = now_ms() - dispatch_ms;
    if (waited >= options_.deadline_ms &&
        (decodable || options_.policy != DeadlinePolicy::wait || waited >= options_.give_up_ms))
      break;
    if (!got) backoff.pause();
  }
  // The wait is over; the rest is coding (codes/shard_check.hpp, codes/recovery.hpp).
  std::vector<std::span<const float>> in(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j)
    if (arrived[j]) in[j] = slot(j);
  CheckResult check = CheckResult::unchecked;
  if (options_.check && decodable) {
    const ShardCheck found = check_shards(code, in);
    check = found.result;
    if (found.culprit >= 0) {
      const auto j = static_cast<std::size_t>(found.culprit);
      in[j] = {};
      arrived[j] = false;
      rejected[j] = true;
      health_.corrupted(split.ranks[j], inference, now_ms());
    }
  }

  // Every data block where it will be read from: a block that arrived
  // verbatim stays in its shard's slot; a block to decode (or zero-fill) is
  // written straight into the output tensor, or into a padding block where
  // it overhangs the layer's rows. Assembling then copies only the verbatim
  // blocks (codes/encoding.hpp).
  const LinearLayer& linear = *model_.layer(split.layer_index).as_linear();
  Tensor y = output_tensor(linear.output_shape(x.shape()));
  require(y.numel() == split.rows * split.positions, linear.where(), ": output of ", y.numel(), " values, the split has ",
          split.rows, "x", split.positions);
  std::vector<std::span<float>> blocks(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) {
    const int j = code.verbatim_source(i, arrived);
    if (j >= 0) {
      blocks[i] = slot(j);
    } else if ((i + 1) * split.rows_per_block <= split.rows) {
      blocks[i] = {y.data() + i * block, static_cast<std::size_t>(block)};
    } else {
      auto& padding = padding_blocks_[static_cast<std::size_t>(i)];
      if (padding.size() < static_cast<std::size_t>(block)) padding.resize(static_cast<std::size_t>(block));
      blocks[i] = {padding.data(), static_cast<std::size_t>(block)};
    }
  }
  const double decode_start = now_ms();
  Recovery recovery = recover_blocks(
      code, in, blocks, options_.policy == DeadlinePolicy::zero_fill ? Undecodable::zero_fill : Undecodable::fail);
  const double decode_end = now_ms();
  if (check == CheckResult::inconsistent) recovery.outcome = InferenceOutcome::degraded;  // known wrong, cannot say where
  const InferenceOutcome outcome = recovery.outcome;
  const int decoded = recovery.blocks_decoded();
  if (outcome != InferenceOutcome::failed) {
    const std::vector<std::span<const float>> read(blocks.begin(), blocks.end());
    assemble_output(read, split.rows_per_block, y.matrix(split.rows, split.positions));
  }
  const double complete_ms = now_ms();

  if (trace_) {
    int count = 0;
    for (bool a : arrived) count += a;
    trace_->add(LayerRecord{inference, layer, dispatch_ms, complete_ms, decodable ? decode_end - decode_start : 0.0, n,
                            count, decoded, static_cast<std::int8_t>(outcome)});
    for (int j = 0; j < n; ++j) {
      const ShardFate fate = arrived[j] ? ShardFate::used
                             : rejected[j] ? ShardFate::corrupt
                             : !sent[j] ? ShardFate::skipped
                             : decodable ? ShardFate::decoded_around
                                         : ShardFate::lost;
      trace_->add(ShardRecord{inference, layer, j, split.ranks[j], dispatch_ms, arrival_ms[j], compute_ms[j],
                              delay_ms[j], static_cast<std::int8_t>(fate)});
    }
  }
  if (outcome == InferenceOutcome::failed) return {std::nullopt, outcome, decoded, check};
  return {std::move(y), outcome, decoded, check};
}

void Master::trim_spares() {
  // One spare per split layer of its output's size: what the next split
  // layers can use; anything more would only raise the master's memory.
  std::map<Index, int> room;
  for (const auto& l : deployment_.layers) ++room[numel(model_.output_shape_of(l.layer_index))];
  std::erase_if(spares_, [&](const Tensor& t) {
    const auto it = room.find(t.numel());
    if (it == room.end() || it->second == 0) return true;
    --it->second;
    return false;
  });
}

Tensor Master::output_tensor(const Shape& shape) {
  trim_spares();
  const auto spare = std::find_if(spares_.begin(), spares_.end(), [&](const Tensor& t) { return t.numel() == numel(shape); });
  if (spare == spares_.end()) return Tensor(shape);
  Tensor y = std::move(*spare).reshaped(shape);
  spares_.erase(spare);
  return y;
}

InferenceResult Master::infer(const Tensor& x, std::int64_t inference) {
  InferenceResult result;
  result.inference = inference;
  const double start_ms = now_ms();
  ModelPass pass(model_, x);
  pass.keep_spares(&spares_);
  for (const auto& split : deployment_.layers) {
    pass.run_until(split.layer_index);
    SplitOutcome o = run_split(split, pass.input(), inference);
    result.blocks_decoded += o.blocks_decoded;
    result.outcome = std::max(result.outcome, o.outcome);
    result.check = std::max(result.check, o.check);  // the weakest guarantee of any layer
    if (!o.output) break;
    pass.give(std::move(*o.output));
  }
  if (result.outcome != InferenceOutcome::failed) {
    pass.run_until(model_.size());
    result.output = pass.take_output();
  }
  result.start_ms = start_ms;
  result.latency_ms = now_ms() - start_ms;
  trim_spares();
  return result;
}

std::vector<int> Master::stop_workers(double timeout_ms) {
  static const Header stop{};
  for (int r = 1; r < world_size_; ++r)
    sends_.push_back(Send{nullptr, mpi::isend_bytes(&stop, sizeof stop, r, kStop), r});
  // Keep receiving (and dropping) results until every worker acknowledges:
  // a worker's last results can then be delivered and it exits cleanly.
  // Suspects get a shorter wait: most likely they are dead.
  std::vector<bool> acknowledged(static_cast<std::size_t>(world_size_), false);
  acknowledged[0] = true;
  auto missing = [&](bool suspects_too) {
    int count = 0;
    for (int r = 1; r < world_size_; ++r) count += !acknowledged[r] && (suspects_too || !health_.suspected(r));
    return count;
  };
  const double start = now_ms(), give_up = start + timeout_ms,
               give_up_on_suspects = start + std::min(timeout_ms, std::max(200.0, options_.deadline_ms));
  mpi::Backoff backoff;
  while (missing(true) > 0 && now_ms() < give_up && (missing(false) > 0 || now_ms() < give_up_on_suspects)) {
    const bool got = poll([&](int r, const Header& h, int tag) {
      if (tag == kStop) {
        acknowledged[r] = true;
        if (h.peak_rss_mb > 0) peak_rss_mb_[static_cast<std::size_t>(r)] = h.peak_rss_mb;
      } else {
        ++late_;
      }
    });
    reap_sends();
    if (got) backoff.reset();
    else backoff.pause();
  }
  std::vector<int> unanswered;
  for (int r = 1; r < world_size_; ++r)
    if (!acknowledged[r]) {
      unanswered.push_back(r);
      health_.unresponsive(r, now_ms());
    }
  log_health();
  // Goodbyes, and a moment for them to go out (they are tiny: eager sends).
  static const Header finalize{.shard = kByeFinalize}, leave{.shard = kByeExit};
  for (int r = 1; r < world_size_; ++r)
    if (acknowledged[r])
      sends_.push_back(Send{nullptr, mpi::isend_bytes(unanswered.empty() ? &finalize : &leave, sizeof(Header), r, kStop), r});
  const double bye_deadline = now_ms() + 1000.0;
  while (!sends_.empty() && now_ms() < bye_deadline) {
    for (auto& s : sends_)
      if (!acknowledged[s.rank]) s.request.abandon();
    reap_sends();
    backoff.pause();
  }
  return unanswered;
}

}  // namespace cdcnn::runtime
