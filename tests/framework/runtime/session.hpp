#pragma once
// One distributed session inside an MPI test: every rank calls run_session
// with the same model, plan and faults; rank 0 runs the master and gets the
// results (and each output's error against single-process inference), the
// others run workers. Shared by the runtime tests and the chaos soak.

#include <gtest/gtest.h>
#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "runtime/run.hpp"

namespace cdcnn::runtime {

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}
inline int world_size() {
  int s = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

inline Tensor input(const Shape& shape, std::int64_t i) {
  Tensor x(shape);
  Rng rng = Rng(11).fork(static_cast<std::uint64_t>(i));
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  return x;
}

struct Session {
  std::vector<InferenceResult> results;  // master only
  std::vector<double> errors;            // master only: vs single-process
  std::int64_t late = 0;
  std::vector<WorkerHealth::Event> health;  // master only
};

/// One run on every rank: the same model, plan and faults everywhere
/// (runtime/run.hpp's run_distributed, every output verified), each rank
/// on `threads` compute threads.
inline Session run_session(const Model& model, const Plan& plan, const std::vector<std::string>& stragglers,
                    const std::vector<std::string>& fails, int inferences, MasterOptions options,
                    TraceWriter* trace = nullptr, std::uint64_t seed = 3, int threads = 1) {
  RunConfig config{.stragglers = stragglers, .fails = fails, .inferences = inferences, .master = options,
                   .threads = threads, .seed = seed, .verify = true, .progress_s = 0};
  Session s;
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
  if (world_rank() == 0) {
    EXPECT_TRUE(out.unanswered.empty());
    s.late = out.late_results;
    s.health = out.health;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return s;
}

}  // namespace cdcnn::runtime
