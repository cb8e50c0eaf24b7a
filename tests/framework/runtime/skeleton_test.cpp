// Memory per device, end to end under mpiexec (4 ranks): from a zoo name or a
// model file, a worker builds a weightless skeleton and holds only its
// shards, and the master keeps only the layers it runs (all of them when it
// verifies) — yet every output equals single-process inference of the full
// model, for a chain, a residual graph (a model file) and a MobileNet graph,
// with weights sent by the master or read from a coded-weight file. A plan
// over --memory-mb is refused at start-up, by every rank, with one line.

#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "io/coded_file.hpp"
#include "io/model_file.hpp"
#include "runtime/run.hpp"
#include "framework/runtime/session.hpp"

namespace cdcnn::runtime {
namespace {

constexpr double kMinMflops = 0.1;  // splits the small models' larger layers

struct Ran {
  RunOutcome out;
  std::vector<double> errors;  // rank 0: each output against the full model, single-process
};

Ran run(RunConfig config) {
  config.min_mflops = kMinMflops;
  config.inferences = 3;
  config.progress_s = 0;
  config.seed = 4;
  // The reference: the whole model in this process (rank 0 only).
  std::optional<Model> full;
  if (world_rank() == 0) full.emplace(open_model(config.model, config.seed));
  Ran r;
  r.out = run_distributed(config, RunHooks{.on_inference = [&](const Tensor& x, InferenceResult&& result, double) {
                                             ASSERT_TRUE(result.output.has_value());
                                             r.errors.push_back(max_relative_error(*result.output, full->forward(x)));
                                           }});
  MPI_Barrier(MPI_COMM_WORLD);
  return r;
}

/// Bytes of the weights of the layers the default plan splits, and of all.
std::pair<std::int64_t, std::int64_t> split_and_all_weight_bytes(const std::string& model_name, std::uint64_t seed) {
  const Model full = open_model(model_name, seed);
  const Plan plan = default_plan(full, "sum", world_size() - 1, static_cast<std::int64_t>(kMinMflops * 1e6));
  std::int64_t split = 0;
  for (const auto& line : plan.splits) split += full.layer(full.index_of(line.layer)).as_linear()->weight_bytes();
  EXPECT_GT(split, 0) << model_name << ": the default plan splits nothing";
  return {split, full.weight_bytes()};
}

void expect_skeleton_workers_and_exact_outputs(const std::string& model, WeightSource source, bool verify,
                                               const std::string& coded = "") {
  SCOPED_TRACE(cat(model, source == WeightSource::master ? ", weights from master" : ", weights from file",
                   verify ? ", verified" : ""));
  const Ran r = run(RunConfig{.model = model, .weights_from = source, .coded_file = coded, .verify = verify});
  ASSERT_TRUE(r.out.ran);
  if (world_rank() > 0) {
    EXPECT_EQ(r.out.weight_bytes, 0) << "a worker holds whole layers' weights";
    return;
  }
  ASSERT_EQ(r.errors.size(), 3u);
  for (double e : r.errors) EXPECT_LT(e, 1e-4);
  const auto [split, all] = split_and_all_weight_bytes(model, 4);
  EXPECT_EQ(r.out.weight_bytes, verify ? all : all - split);
  // One estimate per rank, each above the process's base.
  ASSERT_EQ(r.out.memory.size(), static_cast<std::size_t>(world_size()));
  for (const auto& m : r.out.memory) EXPECT_GT(m.total(), kProcessBaseBytes);
}

TEST(Skeleton, WorkersHoldOnlyTheirShardsOfAChain) {
  expect_skeleton_workers_and_exact_outputs("mlp", WeightSource::master, false);
  expect_skeleton_workers_and_exact_outputs("mlp", WeightSource::master, true);
}

TEST(Skeleton, WorkersHoldOnlyTheirShardsOfGraphModels) {
  // fmnist-resnet is read from its model file (layers/zoo/), mobilenet-mini drawn from the seed.
  expect_skeleton_workers_and_exact_outputs("fmnist-resnet", WeightSource::master, false);
  expect_skeleton_workers_and_exact_outputs("mobilenet-mini", WeightSource::master, true);
}

TEST(Skeleton, EveryRankReadsOnlyWhatItRunsFromACodedFile) {
  // One path for every rank: rank 0's process id.
  int pid = static_cast<int>(getpid());
  MPI_Bcast(&pid, 1, MPI_INT, 0, MPI_COMM_WORLD);
  const std::string path =
      (std::filesystem::temp_directory_path() / cat("cdcnn_skeleton_test_", pid, "_mlp_coded.h5")).string();
  if (world_rank() == 0) {
    const Model full = open_model("mlp", 4);
    write_coded_file(path, full, default_plan(full, "sum", world_size() - 1, static_cast<std::int64_t>(kMinMflops * 1e6)));
  }
  MPI_Barrier(MPI_COMM_WORLD);
  // The coded file is a model file too: the master reads all but the split layers' weights from it.
  expect_skeleton_workers_and_exact_outputs(path, WeightSource::file, false, path);
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) std::filesystem::remove(path);
}

TEST(Skeleton, APlanOverMemoryMbIsRefusedBeforeAnyWeightIsSent) {
  RunConfig config{.model = "mlp", .min_mflops = kMinMflops, .memory_mb = 1, .progress_s = 0};
  if (world_rank() == 0) {
    try {
      run_distributed(config);
      ADD_FAILURE() << "a plan over --memory-mb ran";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("--memory-mb: rank 0 needs an estimated ", 0), 0u) << message;
      EXPECT_NE(message.find(" MB, more than --memory-mb 1 "), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  } else {
    EXPECT_FALSE(run_distributed(config).ran);
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace
}  // namespace cdcnn::runtime
