#pragma once
// One distributed session inside an MPI test: every rank calls run_session
// with the same model, plan and faults; rank 0 runs the master and gets the
// results (and each output's error against single-process inference), the
// others run workers. Shared by the runtime tests and the chaos soak.

#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "fault/injector.hpp"
#include "runtime/master.hpp"
#include "runtime/worker.hpp"

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

/// One run on every rank: the same model, plan and faults everywhere.
inline Session run_session(const Model& model, const Plan& plan, const std::vector<std::string>& stragglers,
                    const std::vector<std::string>& fails, int inferences, MasterOptions options,
                    TraceWriter* trace = nullptr, std::uint64_t seed = 3) {
  const int rank = world_rank(), world = world_size();
  const Deployment d = deploy(plan, model, world);
  const FaultInjector faults(seed, stragglers, fails, world);
  ShardWeights weights;
  if (rank == 0) send_shard_weights(model, d);
  else weights = receive_shard_weights(rank, model, d);
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  Session s;
  if (rank > 0) {
    run_worker(rank, model, d, weights, faults, start);
  } else {
    Master master(model, d, options, world, trace);
    for (int i = 0; i < inferences; ++i) {
      const Tensor x = input(model.input_shape(), i);
      InferenceResult r = master.infer(x, i);
      s.errors.push_back(r.output ? max_relative_error(*r.output, model.forward(x)) : NAN);
      if (trace) {
        trace->add(InferenceRecord{i, r.start_ms, r.latency_ms, static_cast<std::int8_t>(r.outcome), r.blocks_decoded,
                                   s.errors.back()});
        trace->flush();
      }
      s.results.push_back(std::move(r));
    }
    EXPECT_TRUE(master.stop_workers().empty());
    s.late = master.late_results();
    s.health = master.health_log();
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return s;
}

}  // namespace cdcnn::runtime
