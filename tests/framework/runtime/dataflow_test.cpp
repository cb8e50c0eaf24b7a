// The dataflow runtime under mpiexec with 10 ranks: placement plans laid out
// like the paper's AlexNet on 5 devices (Hadidi et al., DAC '19, Figure 3),
// on fmnist-cnn, whose layers have AlexNet's shape (convolutions, then a
// large dense layer, then two small ones). Device A (rank 1) holds the
// input, B the convolutions, C and D halves of the dense layer, E the rest;
// the CDC+2MR version adds a copy of A, B and E and a parity device for the
// split layer. Several frames are in flight. Every prediction comes from
// the plan and the injected failure alone: under any single fail-stop the
// CDC+2MR layout answers every frame exactly and in order; the uncoded
// layout answers degraded or failed, flagged, never wrong.

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "framework/runtime/session.hpp"
#include "layers/zoo.hpp"
#include "runtime/node.hpp"
#include "temp_path.hpp"

namespace cdcnn::runtime {
namespace {

// Layers of fmnist-cnn: 0-6 convolutions and pools, 7 the large dense layer
// (3136 → 128), 8-10 ReLU, dropout and the classifier.
const char* kCdc2mr =
    "input 1 6\n"
    "stage 0..6 2 7\n"
    "7 2 sum 3 4 8\n"
    "stage 8..10 5 9\n";
const char* kUncoded =
    "input 1\n"
    "stage 0..6 2\n"
    "7 2 uncoded 3 4\n"
    "stage 8..10 5\n";

struct Stream {
  std::vector<InferenceResult> results;
  std::vector<double> errors;
  std::int64_t late = 0;
};

/// `frames` frames, `in_flight` at a time, through `plan`, with `fails`.
Stream run_stream(const Model& model, const char* plan_text, const std::vector<std::string>& fails, int frames,
                  int in_flight, MasterOptions options = {.deadline_ms = 400, .frame_timeout_ms = 2500},
                  TraceWriter* trace = nullptr) {
  const Plan plan = parse_plan(plan_text, "layout.plan");
  // The parity device answers 80 ms late, so that with C and D alive the
  // decoding ranks have both data blocks first: exact, not a race.
  RunConfig config{.stragglers = {"8@shifted-exp:shift=80,mean=1"}, .fails = fails, .inferences = frames, .in_flight = in_flight, .master = options,
                   .seed = 3, .verify = true, .progress_s = 0};
  Stream s;
  const RunOutcome out = run_distributed(
      config, RunHooks{.model = &model,
                       .plan = &plan,
                       .input = [&](std::int64_t i) { return input(model.input_shape(), i); },
                       .trace = trace,
                       .on_inference =
                           [&](const Tensor&, InferenceResult&& r, double error) {
                             s.errors.push_back(error);
                             s.results.push_back(std::move(r));
                           }});
  s.late = out.late_results;
  MPI_Barrier(MPI_COMM_WORLD);
  return s;
}

void expect_in_order(const Stream& s, int frames) {
  ASSERT_EQ(s.results.size(), static_cast<std::size_t>(frames));
  for (int i = 0; i < frames; ++i) EXPECT_EQ(s.results[i].inference, i);
}

TEST(Dataflow, TheCdc2mrLayoutAnswersEveryFrameExactlyUnderEverySingleFailStop) {
  ASSERT_EQ(world_size(), 10) << "run with 10 ranks";
  const Model model = zoo_model("fmnist-cnn", 5);
  constexpr int kFrames = 8, kInFlight = 3;
  for (int dead = 0; dead <= 9; ++dead) {  // 0: nobody
    std::vector<std::string> fails;
    if (dead > 0) fails.push_back(cat("stop:rank=", dead, ",inference=2"));
    const Stream s = run_stream(model, kCdc2mr, fails, kFrames, kInFlight);
    if (world_rank() != 0) continue;
    SCOPED_TRACE(cat("rank ", dead, " stopped"));
    expect_in_order(s, kFrames);
    for (int i = 0; i < kFrames && i < static_cast<int>(s.results.size()); ++i) {
      const auto& r = s.results[i];
      // Only C or D (ranks 3, 4) hold a data block; losing one is decoding.
      const bool decoded = (dead == 3 || dead == 4) && i >= 2;
      EXPECT_EQ(r.outcome, decoded ? InferenceOutcome::recovered : InferenceOutcome::exact) << "frame " << i;
      EXPECT_EQ(r.blocks_decoded, decoded ? 1 : 0) << "frame " << i;
      ASSERT_TRUE(r.output.has_value()) << "frame " << i;
      EXPECT_LT(s.errors[i], 1e-4) << "frame " << i;
    }
  }
}

TEST(Dataflow, TheUncodedLayoutFlagsWhatItLosesAndIsNeverWrong) {
  ASSERT_EQ(world_size(), 10) << "run with 10 ranks";
  const Model model = zoo_model("fmnist-cnn", 5);
  constexpr int kFrames = 6, kInFlight = 2;
  for (int dead = 1; dead <= 5; ++dead) {
    const Stream s = run_stream(model, kUncoded, {cat("stop:rank=", dead, ",inference=2")}, kFrames, kInFlight,
                                {.deadline_ms = 300, .frame_timeout_ms = 1500});
    if (world_rank() != 0) continue;
    SCOPED_TRACE(cat("rank ", dead, " stopped"));
    expect_in_order(s, kFrames);
    for (int i = 0; i < kFrames && i < static_cast<int>(s.results.size()); ++i) {
      const auto& r = s.results[i];
      if (i < 2) {
        EXPECT_EQ(r.outcome, InferenceOutcome::exact) << "frame " << i;
        EXPECT_LT(s.errors[i], 1e-4) << "frame " << i;
        continue;
      }
      // C or D: half of the dense layer is zero-filled at the deadline.
      // A, B or E: nothing reaches rank 0; the frame fails at its timeout.
      const InferenceOutcome expected =
          dead == 3 || dead == 4 ? InferenceOutcome::degraded : InferenceOutcome::failed;
      EXPECT_EQ(r.outcome, expected) << "frame " << i;
      EXPECT_EQ(r.output.has_value(), expected != InferenceOutcome::failed) << "frame " << i;
      if (expected == InferenceOutcome::failed) EXPECT_NE(r.note.find("rank 5"), std::string::npos) << r.note;
    }
  }
}

TEST(Dataflow, AStarPlanAndItsLayoutGiveTheSameOutputs) {
  // The same split, once as today's star (everything else on rank 0) and
  // once laid out: the outputs agree with single-process inference either
  // way, and the layout's trace has the split layer's rows (reported by the
  // decoding ranks, 5 and 9) for every frame.
  ASSERT_EQ(world_size(), 10) << "run with 10 ranks";
  const Model model = zoo_model("fmnist-cnn", 5);
  constexpr int kFrames = 5;
  const std::string path = test::temp_path("dataflow_layout.h5");
  Stream star = run_stream(model, "7 2 sum 3 4 8\n", {}, kFrames, 1);
  Stream laid;
  {
    std::unique_ptr<TraceWriter> trace;
    if (world_rank() == 0) trace = std::make_unique<TraceWriter>(path, std::map<std::string, std::string>{});
    laid = run_stream(model, kCdc2mr, {}, kFrames, 4, {.deadline_ms = 400, .frame_timeout_ms = 2500}, trace.get());
  }
  if (world_rank() != 0) return;
  expect_in_order(star, kFrames);
  expect_in_order(laid, kFrames);
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_LT(star.errors[i], 1e-4);
    EXPECT_LT(laid.errors[i], 1e-4);
  }
  const Trace t = read_trace(path);
  std::multiset<std::int64_t> layer_rows;
  for (const auto& l : t.layers) layer_rows.insert(l.inference);
  for (int i = 0; i < kFrames; ++i) EXPECT_EQ(layer_rows.count(i), 2u) << "frame " << i;  // decoded on 5 and on 9
  EXPECT_EQ(t.shards.size(), static_cast<std::size_t>(2 * 3 * kFrames));
}

}  // namespace
}  // namespace cdcnn::runtime
