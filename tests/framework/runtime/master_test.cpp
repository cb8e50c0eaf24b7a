// The master's filter of arrived results and its deadline, under mpiexec
// with 3 ranks: the master, a rogue on rank 1 and an honest worker on rank 2.
// The rogue is test code that speaks the wire protocol (runtime/protocol.hpp)
// and does what a script tells it for each (inference, layer): send an old
// inference's result, or this inference's number on another layer's result,
// before its true one; answer late; or not at all. Every split layer is
// uncoded, so the master cannot decode around the rogue: it waits for rank
// 1's shard, and whatever the rogue sent first is what it must filter. Each
// outcome, output, late count and duration is predicted from the script.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "framework/runtime/session.hpp"
#include "layers/zoo.hpp"
#include "runtime/protocol.hpp"
#include "temp_path.hpp"

namespace cdcnn::runtime {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

constexpr int kRogue = 1;

/// What the rogue does when the input of (inference, layer) arrives.
struct RogueAct {
  bool stale = false;        ///< first: its result of this layer for the previous inference, again (a late result)
  bool other_layer = false;  ///< then: its last result of the other split layer, labelled with this inference
  double delay_ms = 0.0;     ///< then: wait this long before the true result
  bool silent = false;       ///< send no true result at all
};
using Script = std::function<RogueAct(std::int64_t inference, int layer)>;

/// Sends one result message (header + values) and waits for it to go.
void send_result(const Header& h, const std::vector<float>& values) {
  std::vector<float> buffer = pack_message(h, values);
  mpi::Request r = mpi::isend_bytes(buffer.data(), static_cast<int>(buffer.size() * sizeof(float)), 0, kResult);
  mpi::Backoff backoff;
  while (!r.test()) backoff.pause();
}

MPI_Status receive_from_master(std::vector<float>& buffer) {
  mpi::Request r = mpi::irecv_bytes(buffer.data(), static_cast<int>(buffer.size() * sizeof(float)), 0, MPI_ANY_TAG);
  mpi::Backoff backoff;
  while (true) {
    if (auto s = r.test()) return *s;
    backoff.pause();
  }
}

/// The rogue: holds shard 0 of every split layer (one shard each), computes
/// its true results like a worker, and follows `script`. Leaves by the
/// protocol: acknowledges the stop, then waits for the goodbye.
void run_rogue(const Model& model, const Deployment& d, const ShardWeights& weights, const Script& script) {
  Index most = 0;
  for (const auto& l : d.layers) most = std::max(most, numel(model.input_shape_of(l.layer_index)));
  std::vector<float> in(static_cast<std::size_t>(kHeaderFloats + most));
  std::map<int, std::pair<Header, std::vector<float>>> last;  // layer → its last true result
  while (true) {
    const MPI_Status status = receive_from_master(in);
    const Header h = unpack_header(in);
    if (status.MPI_TAG == kStop) {
      static const Header ack{};
      mpi::Request r = mpi::isend_bytes(&ack, sizeof ack, 0, kStop);
      mpi::Backoff backoff;
      while (!r.test()) backoff.pause();
      Header bye;
      mpi::Request b = mpi::irecv_bytes(&bye, sizeof bye, 0, kStop);
      while (!b.test()) backoff.pause();
      return;
    }
    // A value message names the layer that made it: the split layer to
    // compute is the one reading it.
    const auto reads = std::find_if(d.layers.begin(), d.layers.end(), [&](const DeployedLayer& l) {
      return model.inputs_of(l.layer_index).front() == h.layer;
    });
    ASSERT_NE(reads, d.layers.end());
    const DeployedLayer& split = *reads;
    const int layer = static_cast<int>(split.layer_index);
    ASSERT_EQ(split.shards_of(kRogue), std::vector<int>{0});
    const Shape& shape = model.input_shape_of(split.layer_index);
    const Tensor x(shape, std::vector<float>(in.begin() + kHeaderFloats, in.begin() + kHeaderFloats + h.floats));
    const auto& [w, b] = weights.at({split.layer_index, 0});
    const Matrix z = model.layer(split.layer_index).as_linear()->multiply(x, w, b);
    const RogueAct act = script(h.inference, layer);
    if (act.stale) send_result(last.at(layer).first, last.at(layer).second);
    if (act.other_layer) {
      auto other = std::find_if(last.begin(), last.end(), [&](const auto& e) { return e.first != layer; });
      ASSERT_NE(other, last.end());
      Header relabelled = other->second.first;
      relabelled.inference = h.inference;
      send_result(relabelled, other->second.second);
    }
    Header out{.inference = h.inference, .layer = layer, .shard = 0, .floats = z.size()};
    std::vector<float> values(z.data(), z.data() + z.size());
    if (!act.silent) {
      std::this_thread::sleep_for(std::chrono::microseconds(static_cast<std::int64_t>(act.delay_ms * 1e3)));
      send_result(out, values);
    }
    last[layer] = {out, std::move(values)};
  }
}

/// One session: rank 0 runs `drive` with a master, rank 1 the rogue, the
/// others honest workers without faults.
void run_with_rogue(const Model& model, const Plan& plan, const MasterOptions& options, const Script& script,
                    const std::function<void(Master&)>& drive, TraceWriter* trace = nullptr) {
  ASSERT_EQ(world_size(), 3) << "run with 3 ranks";
  const int rank = world_rank();
  const Deployment d = deploy(plan, model, world_size());
  ShardWeights weights;
  if (rank == 0) send_shard_weights(model, d);
  else weights = receive_shard_weights(rank, model, d);
  mpi::barrier();
  if (rank == 0) {
    Master master(model, d, options, world_size(), trace);
    drive(master);
    EXPECT_TRUE(master.stop_workers().empty());
  } else if (rank == kRogue) {
    run_rogue(model, d, weights, script);
  } else {
    run_worker(rank, model, d, weights, FaultInjector(1, {}, {}, world_size()), MPI_Wtime());
  }
  mpi::barrier();
}

// fc1 (512 rows) in two uncoded blocks and fc2 (256 rows) in one: every
// block of both layers is 256 rows, so a result of one layer fits the other's
// shape and only the header tells them apart. Rank 1 holds shard 0 of both.
const Plan& two_layer_plan() {
  static const Plan plan = parse_plan("fc1 2 uncoded 1 2\nfc2 1 uncoded 1\n");
  return plan;
}

// A master that health never distracts: the rogue is never suspected.
constexpr int kNeverSuspect = 1000000;

TEST(Master, DropsLateResultsOfAnOlderInferenceOrAnotherLayerAndCountsThem) {
  // From inference 1 on, at both layers, the rogue first sends its result of
  // that layer for the previous inference (a true late result: right layer,
  // shard and size, old inference number) and then its last result of the
  // other layer with this inference's number; then its true result. A master
  // that decoded either would answer wrongly (different input, different layer).
  const Model model = zoo_model("mlp", 5);
  const int inferences = 5;
  const int fc1 = static_cast<int>(model.index_of("fc1")), fc2 = static_cast<int>(model.index_of("fc2"));
  const Script script = [](std::int64_t i, int) { return RogueAct{.stale = i >= 1, .other_layer = i >= 1}; };
  // The late messages the script sends, as (inference, layer) of their headers.
  std::multiset<std::pair<std::int64_t, int>> injected;
  for (int i = 1; i < inferences; ++i)
    for (const auto& [layer, other] : {std::pair{fc1, fc2}, std::pair{fc2, fc1}}) {
      injected.insert({i - 1, layer});
      injected.insert({i, other});
    }
  const std::string path = test::temp_path("late_results.h5");
  std::vector<InferenceResult> results;
  std::vector<double> errors;
  std::int64_t late = -1;
  {
    std::unique_ptr<TraceWriter> trace;
    if (world_rank() == 0) trace = std::make_unique<TraceWriter>(path, std::map<std::string, std::string>{});
    run_with_rogue(
        model, two_layer_plan(), {.deadline_ms = 5000, .policy = DeadlinePolicy::fail, .suspect_after = kNeverSuspect},
        script,
        [&](Master& master) {
          for (int i = 0; i < inferences; ++i) {
            const Tensor x = input(model.input_shape(), i);
            results.push_back(master.infer(x, i));
            errors.push_back(results.back().output ? max_relative_error(*results.back().output, model.forward(x)) : NAN);
          }
          late = master.late_results();
          trace->flush();
        },
        trace.get());
  }
  if (world_rank() != 0) return;
  ASSERT_EQ(results.size(), static_cast<std::size_t>(inferences));
  for (int i = 0; i < inferences; ++i) {
    EXPECT_EQ(results[i].outcome, InferenceOutcome::exact) << i;  // uncoded, every true result arrived
    EXPECT_LT(errors[i], 1e-5) << i;
  }
  EXPECT_EQ(late, static_cast<std::int64_t>(injected.size()));
  const Trace t = read_trace(path);
  std::multiset<std::pair<std::int64_t, int>> recorded;
  for (const auto& l : t.late) {
    EXPECT_EQ(l.rank, kRogue);
    EXPECT_EQ(l.shard, 0);
    recorded.insert({l.inference, l.layer});
  }
  EXPECT_EQ(recorded, injected);
}

// The deadline tests time infer() by the test's own clock. One split layer
// (fc1, two uncoded blocks), so an inference waits one deadline at most.
const Plan& one_layer_plan() {
  static const Plan plan = parse_plan("fc1 2 uncoded 1 2\n");
  return plan;
}

/// Runs `inferences` inferences; returns each one's result and duration (ms, test clock).
std::vector<std::pair<InferenceResult, double>> timed_run(const Model& model, const MasterOptions& options,
                                                          const Script& script, int inferences) {
  std::vector<std::pair<InferenceResult, double>> out;
  run_with_rogue(model, one_layer_plan(), options, script, [&](Master& master) {
    for (int i = 0; i < inferences; ++i) {
      const Tensor x = input(model.input_shape(), i);
      const auto start = Clock::now();
      InferenceResult r = master.infer(x, i);
      out.emplace_back(std::move(r), ms_since(start));
    }
  });
  return out;
}

/// The median of the durations: one stall of a loaded host does not decide.
double median_ms(const std::vector<std::pair<InferenceResult, double>>& runs) {
  std::vector<double> ms;
  for (const auto& [r, t] : runs) ms.push_back(t);
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// The slack allowed past a deadline: the master polls every 200 µs at most,
// so this is the host's scheduling, generous for a loaded 2-core machine and
// well short of a master that waits twice the deadline or more.
constexpr double kDeadlineMs = 200, kSlackMs = 150;

/// The rogue never answers: each of three inferences waits the deadline, then
/// the policy decides (zero-fill: block 0 zeros, degraded; fail: no output).
void expect_give_up_at_the_deadline(DeadlinePolicy policy, InferenceOutcome outcome) {
  const Model model = zoo_model("mlp", 5);
  const auto runs = timed_run(model, {.deadline_ms = kDeadlineMs, .policy = policy, .suspect_after = kNeverSuspect},
                              [](std::int64_t, int) { return RogueAct{.silent = true}; }, 3);
  if (world_rank() != 0) return;
  for (const auto& [r, ms] : runs) {
    EXPECT_EQ(r.outcome, outcome);
    EXPECT_EQ(r.output.has_value(), outcome != InferenceOutcome::failed);
    EXPECT_GE(ms, kDeadlineMs);
    std::printf("gave up after %.1f ms (deadline %.0f ms)\n", ms, kDeadlineMs);
  }
  EXPECT_LT(median_ms(runs), kDeadlineMs + kSlackMs);
}

TEST(Master, ZeroFillGivesUpAtTheDeadlineNotBeforeAndNotMuchLater) {
  expect_give_up_at_the_deadline(DeadlinePolicy::zero_fill, InferenceOutcome::degraded);
}

TEST(Master, FailGivesUpAtTheDeadlineWithNoOutput) {
  expect_give_up_at_the_deadline(DeadlinePolicy::fail, InferenceOutcome::failed);
}

TEST(Master, WaitDecodesAShardLatePastTheDeadlineAndGivesUpAtGiveUpMs) {
  // Inferences 0-2: the rogue answers 250 ms past the deadline, well before
  // give_up_ms: `wait` keeps waiting and the answer is exact. Inferences 3-5:
  // it never answers: failed at give_up_ms, not before, not much later.
  const Model model = zoo_model("mlp", 5);
  constexpr double kLateMs = kDeadlineMs + 250, kGiveUpMs = 800;
  const auto runs = timed_run(model, {.deadline_ms = kDeadlineMs, .policy = DeadlinePolicy::wait,
                                      .give_up_ms = kGiveUpMs, .suspect_after = kNeverSuspect},
                              [&](std::int64_t i, int) {
                                return i < 3 ? RogueAct{.delay_ms = kLateMs} : RogueAct{.silent = true};
                              },
                              6);
  if (world_rank() != 0) return;
  ASSERT_EQ(runs.size(), 6u);
  const std::vector<std::pair<InferenceResult, double>> answered(runs.begin(), runs.begin() + 3),
      given_up(runs.begin() + 3, runs.end());
  for (std::size_t i = 0; i < answered.size(); ++i) {
    const auto& [r, ms] = answered[i];
    EXPECT_EQ(r.outcome, InferenceOutcome::exact) << i;
    ASSERT_TRUE(r.output.has_value()) << i;
    EXPECT_LT(max_relative_error(*r.output, model.forward(input(model.input_shape(), static_cast<std::int64_t>(i)))),
              1e-5);
    EXPECT_GE(ms, kLateMs) << i;
    EXPECT_LT(ms, kGiveUpMs) << i;
  }
  for (const auto& [r, ms] : given_up) {
    EXPECT_EQ(r.outcome, InferenceOutcome::failed);
    EXPECT_FALSE(r.output.has_value());
    EXPECT_GE(ms, kGiveUpMs);
    std::printf("wait: gave up after %.1f ms (give_up_ms %.0f)\n", ms, kGiveUpMs);
  }
  EXPECT_LT(median_ms(given_up), kGiveUpMs + kSlackMs);
}

}  // namespace
}  // namespace cdcnn::runtime
