// Tail latency of the codes under identical injected stragglers, against the
// ideal, and the framework's overhead with no stragglers — all in one run.
//
//   mpirun -np 7 build/benchmarks/latency_bench [--straggler SPEC] [--inferences N] [--width W]
//
// The model is one W-wide dense layer (W = 2048: the paper's Figure 1 layer)
// followed by ReLU, split over the workers with each code (k as large as the
// workers allow). Every code sees the same faults (one seed). The ideal of a
// code is what an omniscient master would wait for: given the delays injected
// into that very inference's n shards, the time at which the arrived set first
// becomes decodable (the k-th fastest of n for an MDS code, the max for
// uncoded), by the code's own `decodable`; its p50/p99 are over the same
// inferences as the measurement, so the ratio carries no sampling noise.
// Printed ratios: uncoded p99 / code p99 (target ≥ 2 for sum and mds) and
// code p99 / ideal p99 (target ≤ 1.2).

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "fault/injector.hpp"
#include "layers/registry.hpp"
#include "runtime/run.hpp"
#include "trace/summary.hpp"

using namespace cdcnn;
using namespace cdcnn::runtime;

namespace {

struct Options {
  std::string straggler = "shifted-exp:shift=10,mean=20";
  int inferences = 200;
  Index width = 2048;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--straggler") o.straggler = value;
    else if (flag == "--inferences") o.inferences = std::stoi(value);
    else if (flag == "--width") o.width = std::stoll(value);
    else throw Error(cat("latency_bench: unknown flag '", flag, "'"));
  }
  return o;
}

Model dense_model(Index width) {
  Rng rng(7);
  Tensor w({width, width}), b({width});
  for (float& v : w.values()) v = static_cast<float>(rng.uniform(-0.03, 0.03));
  for (float& v : b.values()) v = static_cast<float>(rng.uniform(-0.1, 0.1));
  std::vector<std::unique_ptr<Layer>> layers;
  LayerSpec dense{.kind = "dense", .name = "fc"};
  dense.params.emplace("weight", std::move(w));
  dense.params.emplace("bias", std::move(b));
  layers.push_back(layer_registry().make(dense));
  layers.push_back(layer_registry().make(LayerSpec{.kind = "relu", .name = "relu"}));
  return Model("dense" + std::to_string(width), {width}, std::move(layers));
}

/// The ideal latency of each inference: the delays the injector gives every
/// shard of that very inference (it is deterministic in seed, rank,
/// inference and layer), sorted; the moment the arrived set first becomes
/// decodable — the k-th fastest of n for an MDS code, the slowest for uncoded.
std::vector<double> ideal_latencies(const DeployedLayer& split, const FaultInjector& faults, int inferences) {
  const Code& code = *split.code;
  std::vector<double> out;
  std::vector<std::pair<double, int>> arrivals(static_cast<std::size_t>(code.n()));
  for (int i = 0; i < inferences; ++i) {
    for (int j = 0; j < code.n(); ++j)
      arrivals[j] = {faults.at(split.ranks[j], i, static_cast<int>(split.layer_index)).delay_ms, j};
    std::sort(arrivals.begin(), arrivals.end());
    ShardMask arrived(static_cast<std::size_t>(code.n()), false);
    for (const auto& [t, j] : arrivals) {
      arrived[static_cast<std::size_t>(j)] = true;
      if (code.decodable(arrived)) {
        out.push_back(t);
        break;
      }
    }
  }
  return out;
}

struct Row {
  std::string code;
  int n = 0, k = 0;
  double p50 = 0, p99 = 0, ideal_p50 = 0, ideal_p99 = 0, overhead = 0;
  int not_exact = 0;
};

/// One run of `inferences` on every rank (runtime/run.hpp), its faults
/// drawn from seed 1; the master returns the latencies and the framework's
/// overhead per layer (from the run's trace).
std::vector<double> run(const Model& model, const Plan& plan, const std::string& straggler, int inferences,
                        double* overhead_ms, int* not_exact) {
  const std::string path = "latency_bench_trace.h5";
  RunConfig config{.stragglers = {straggler},
                   .inferences = inferences,
                   .master = {.deadline_ms = 5000, .policy = DeadlinePolicy::wait},
                   .trace_file = path,
                   .seed = 1,
                   .progress_s = 0};
  std::vector<double> latencies;
  run_distributed(config, RunHooks{.model = &model,
                                   .plan = &plan,
                                   .on_inference = [&](const Tensor&, InferenceResult&& r, double) {
                                     latencies.push_back(r.latency_ms);
                                     *not_exact += r.outcome > InferenceOutcome::recovered;
                                   }});
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    *overhead_ms = summarize(read_trace(path), "").overhead_ms_per_layer;
    std::remove(path.c_str());
  }
  mpi::barrier();
  return latencies;
}

}  // namespace

int main(int argc, char** argv) {
  mpi::Environment env;
  try {
    const Options o = parse(argc, argv);
    const int rank = env.rank(), workers = env.size() - 1;
    require(workers >= 2, "latency_bench: run with at least 3 ranks (mpirun -np 7)");
    const Model model = dense_model(o.width);
    const std::vector<std::string> codes = {"uncoded", "replication:n=2", "sum", "mds:r=2"};
    std::vector<Row> rows;
    for (const auto& spec : codes) {
      const Plan plan = default_plan(model, spec, workers, 0);
      const Deployment d = deploy(plan, model, env.size());
      Row row{.code = spec, .n = d.layers[0].code->n(), .k = d.layers[0].code->k()};
      // No stragglers: the framework's own overhead per layer.
      double overhead = 0;
      int bad = 0;
      run(model, plan, "none", std::max(20, o.inferences / 10), &overhead, &bad);
      row.overhead = overhead;
      // The same stragglers for every code (the faults `run` injects).
      const FaultInjector faults(1, {o.straggler}, {}, env.size());
      double ignored = 0;
      const auto lat = run(model, plan, o.straggler, o.inferences, &ignored, &row.not_exact);
      if (rank == 0) {
        row.p50 = percentile(lat, 50);
        row.p99 = percentile(lat, 99);
        const auto ideal = ideal_latencies(d.layers[0], faults, o.inferences);
        row.ideal_p50 = percentile(ideal, 50);
        row.ideal_p99 = percentile(ideal, 99);
      }
      rows.push_back(row);
    }
    if (rank == 0) {
      std::printf("one %lld-wide dense layer, %d workers on this host, %d inferences per code, stragglers %s\n",
                  static_cast<long long>(o.width), workers, o.inferences, o.straggler.c_str());
      std::printf("%-16s %3s %3s %9s %9s %10s %10s %12s %14s %12s %9s\n", "code", "n", "k", "p50_ms", "p99_ms",
                  "ideal_p50", "ideal_p99", "p99/ideal", "uncoded/p99", "overhead_ms", "degraded");
      const double uncoded_p99 = rows[0].p99;
      for (const auto& r : rows)
        std::printf("%-16s %3d %3d %9.2f %9.2f %10.2f %10.2f %12.2f %14.2f %12.3f %9d\n", r.code.c_str(), r.n, r.k,
                    r.p50, r.p99, r.ideal_p50, r.ideal_p99, r.p99 / r.ideal_p99, uncoded_p99 / r.p99, r.overhead,
                    r.not_exact);
    }
    return 0;
  } catch (const std::exception& e) {
    if (env.rank() == 0) std::fprintf(stderr, "latency_bench: %s\n", e.what());
    return 1;
  }
}
