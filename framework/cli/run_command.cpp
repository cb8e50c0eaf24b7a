// cdcnn run: distributed inference under mpirun (docs/architecture.md §3). Every rank runs
// this command with the same arguments; rank 0 becomes the master, the others
// workers. Set-up errors are agreed on by all ranks (one collective at
// start-up) so that a bad flag or file ends every rank cleanly, with one line.

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <map>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "fault/injector.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"
#include "runtime/master.hpp"
#include "runtime/mpi.hpp"
#include "runtime/watchdog.hpp"
#include "runtime/worker.hpp"
#include "trace/summary.hpp"

namespace cdcnn::cli {

namespace {

using namespace runtime;

struct Setup {
  std::unique_ptr<Model> model;
  Plan plan;
  Deployment deployment;
  std::unique_ptr<FaultInjector> faults;
  ShardWeights weights;
  std::vector<std::string> warnings;
  std::optional<Tensor> fixed_input;    // rank 0
  std::unique_ptr<TraceWriter> trace;   // rank 0
};

/// --startup-timeout-s, read before MPI_Init (and before the options are
/// parsed, which needs MPI to agree on errors): the default if absent or bad.
double startup_timeout_s(const Args& args) {
  const std::string flag = "--startup-timeout-s";
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == flag && i + 1 < args.size()) value = args[i + 1];
    else if (args[i].rfind(flag + "=", 0) == 0) value = args[i].substr(flag.size() + 1);
    else continue;
    try {
      const double s = std::stod(value);
      if (s > 0 && std::isfinite(s)) return s;
    } catch (const std::exception&) {
    }  // the option parser says what is wrong with it
  }
  return 300.0;
}

/// True on every rank if every rank's `ok` is true.
bool all_ok(bool ok) {
  return mpi::min_over_ranks(ok ? 1 : 0) == 1;
}

/// The trace of this run, its attributes saying how the run was made.
std::unique_ptr<TraceWriter> open_trace(const std::string& path, const Args& args, const Setup& s, int world,
                                        const std::string& host, const po::variables_map& vm) {
  std::ostringstream command;
  command << "cdcnn run";
  for (const auto& a : args) command << ' ' << a;
  std::string codes;
  for (const auto& l : s.deployment.layers)
    codes += cat(codes.empty() ? "" : " ", s.model->layer(l.layer_index).name(), "=", l.code->spec());
  return std::make_unique<TraceWriter>(
      path, std::map<std::string, std::string>{{"command_line", command.str()},
                                               {"model", s.model->name()},
                                               {"plan", format_plan(s.plan)},
                                               {"codes", codes},
                                               {"faults", s.faults->describe()},
                                               {"ranks", std::to_string(world)},
                                               {"host", host},
                                               {"deadline_ms", std::to_string(vm["deadline-ms"].as<double>())},
                                               {"policy", vm["policy"].as<std::string>()},
                                               {"weights_from", vm["weights-from"].as<std::string>()}});
}

/// One line per worker that had any health event, and the ranks that never
/// acknowledged the stop (mpirun does not report a worker's death).
void print_health(const std::vector<WorkerHealth::Event>& log, const std::vector<int>& unanswered) {
  std::map<int, std::array<int, 3>> counts;  // rank → suspected, probed, readmitted
  for (const auto& e : log)
    if (e.what != HealthEvent::unresponsive) ++counts[e.rank][static_cast<std::size_t>(e.what)];
  for (const auto& [rank, c] : counts)
    std::printf("worker health: rank %d suspected %d time(s), probed %d, readmitted %d\n", rank, c[0], c[1], c[2]);
  if (!unanswered.empty()) {
    std::string ranks;
    for (int r : unanswered) ranks += cat(ranks.empty() ? "" : ", ", r);
    std::printf("rank(s) %s did not acknowledge the stop: dead or unreachable\n", ranks.c_str());
  }
}

}  // namespace

int run_command(const Args& args) {
  po::options_description options("cdcnn run options");
  options.add_options()("model", po::value<std::string>()->required(), "model file, coded-weight file or zoo name")(
      "plan", po::value<std::string>(), "plan file (default: split every large layer with --code)")(
      "code", po::value<std::string>()->default_value("sum"), "code of the default plan")(
      "min-mflops", po::value<double>()->default_value(10.0), "default plan: split layers of at least this many MFLOPs")(
      "weights-from", po::value<std::string>()->default_value("master"),
      "master: the master encodes and sends each worker its shards; file: each worker reads its own from --coded")(
      "coded", po::value<std::string>(), "coded-weight file made by cdcnn encode (with --weights-from file)")(
      "straggler", po::value<std::vector<std::string>>()->composing(),
      "delay model, e.g. exp:mean=20 or 2,3@pareto:scale=10,shape=1.5 (repeatable)")(
      "fail", po::value<std::vector<std::string>>()->composing(),
      "failure, e.g. stop:rank=2,inference=5 or drop:p=0.05 (repeatable)")(
      "inferences", po::value<std::int64_t>()->default_value(10), "inferences to run")(
      "deadline-ms", po::value<double>()->default_value(1000.0), "per-layer deadline")(
      "policy", po::value<std::string>()->default_value("zero-fill"), "undecodable at the deadline: wait, zero-fill, fail")(
      "trace", po::value<std::string>(), "HDF5 trace file to write")(
      "suspect-after", po::value<int>()->default_value(2),
      "suspect a worker after this many misses (a deadline of silence with work outstanding)")(
      "probe-every", po::value<int>()->default_value(10), "probe a suspected worker every this many inferences")(
      "master-timeout-s", po::value<double>()->default_value(60.0),
      "a worker that hears nothing from the master for this long presumes it dead and exits")(
      "startup-timeout-s", po::value<double>()->default_value(300.0),
      "a rank whose start-up (MPI_Init, set-up, weights) takes longer presumes a peer dead and exits")(
      "seed", po::value<std::uint64_t>()->default_value(0), "seed for weights, inputs and faults")(
      "input", po::value<std::string>(), "image or .npy input for every inference (default: seeded random inputs)")(
      "verify", po::bool_switch(), "compare every output with single-process inference")(
      "check", po::bool_switch(),
      "wait for every shard and check that they agree: catch a worker sending wrong numbers (costs the wait)");
  add_plugin_option(options);

  // Before MPI_Init: a peer dying now leaves MPI_Init blocked for good.
  const double startup_s = startup_timeout_s(args);
  const char* env_rank = std::getenv("OMPI_COMM_WORLD_RANK");
  Watchdog startup(std::chrono::milliseconds(static_cast<std::int64_t>(std::min(startup_s, 1e9) * 1e3)),
                   cat("cdcnn run: rank ", env_rank ? env_rank : "?", ": start-up not finished after ", startup_s,
                       " s (--startup-timeout-s): a peer is presumed dead, leaving"));
  mpi::Environment env;
  const int rank = env.rank(), world = env.size();
  po::variables_map vm;
  Setup s;
  std::string error;
  bool help = false;
  try {
    help = !parse(args, "usage: mpirun -np N cdcnn run --model NAME|FILE [--plan FILE | --code SPEC] [options]", options,
                  vm);
    if (!help) {
      load_plugins(vm);
      const auto seed = vm["seed"].as<std::uint64_t>();
      const std::string weights_from = vm["weights-from"].as<std::string>();
      require(weights_from == "master" || weights_from == "file", "--weights-from must be master or file, got '",
              weights_from, "'");
      require(weights_from == "master" || vm.count("coded"), "--weights-from file needs --coded FILE");
      require(vm["inferences"].as<std::int64_t>() >= 1, "--inferences must be at least 1");
      require(vm["deadline-ms"].as<double>() > 0, "--deadline-ms must be positive");
      require(vm["suspect-after"].as<int>() >= 1, "--suspect-after must be at least 1");
      require(vm["probe-every"].as<int>() >= 1, "--probe-every must be at least 1");
      require(vm["master-timeout-s"].as<double>() > 0, "--master-timeout-s must be positive");
      require(vm["startup-timeout-s"].as<double>() > 0, "--startup-timeout-s must be positive");
      parse_policy(vm["policy"].as<std::string>());
      code_registry().entry(SpecString::parse(vm["code"].as<std::string>(), "--code").name);  // a known code?
      s.model = std::make_unique<Model>(open_model(vm["model"].as<std::string>(), seed));
      s.plan = vm.count("plan") ? load_plan(vm["plan"].as<std::string>())
                                : default_plan(*s.model, vm["code"].as<std::string>(), world - 1,
                                               static_cast<std::int64_t>(vm["min-mflops"].as<double>() * 1e6));
      s.deployment = deploy(s.plan, *s.model, world, &s.warnings);
      if (s.deployment.layers.empty())
        s.warnings.push_back(cat(s.plan.source, " splits no layer: everything runs on the master"));
      const auto strag = vm.count("straggler") ? vm["straggler"].as<std::vector<std::string>>() : std::vector<std::string>{};
      const auto fails = vm.count("fail") ? vm["fail"].as<std::vector<std::string>>() : std::vector<std::string>{};
      s.faults = std::make_unique<FaultInjector>(seed, strag, fails, world);
      if (rank > 0 && weights_from == "file")
        s.weights = read_shard_weights(vm["coded"].as<std::string>(), rank, *s.model, s.deployment);
      if (rank == 0 && vm.count("input")) {
        const std::string path = vm["input"].as<std::string>();
        s.fixed_input = std::filesystem::path(path).extension() == ".npy" ||
                                std::filesystem::path(path).extension() == ".NPY"
                            ? load_npy(path, s.model->input_shape())
                            : load_image(path, s.model->input_shape(), s.model->normalisation());
      }
      if (rank == 0 && vm.count("trace")) s.trace = open_trace(vm["trace"].as<std::string>(), args, s, world, env.host(), vm);
    }
  } catch (const std::bad_alloc&) {
    error = "out of memory while setting up";
  } catch (const std::exception& e) {
    error = e.what();  // cdcnn::Error, or anything else: every rank must still reach the vote below
  }
  if (!all_ok(error.empty())) {
    // Every rank knows; the lowest rank that failed says why (usually all
    // failed alike, and then rank 0 speaks). The others leave with status 0:
    // mpirun kills the whole job at the first non-zero exit, which could cut
    // the speaker off before its line is out; the speaker's 1 is the job's.
    const int lowest = mpi::min_over_ranks(error.empty() ? world : rank);
    if (rank == lowest) throw Error(rank == 0 ? error : cat("rank ", rank, ": ", error));
    return 0;
  }
  if (help) return 0;

  if (vm["weights-from"].as<std::string>() == "master") {
    if (rank == 0) send_shard_weights(*s.model, s.deployment);
    else s.weights = receive_shard_weights(rank, *s.model, s.deployment);
  }
  mpi::barrier();
  startup.disarm();
  const double start_wtime = MPI_Wtime();

  if (rank > 0) {
    const WorkerStats stats = run_worker(rank, *s.model, s.deployment, s.weights, *s.faults, start_wtime,
                                         vm["master-timeout-s"].as<double>() * 1e3);
    if (stats.master_lost)
      std::fprintf(stderr, "cdcnn run: rank %d: nothing from the master for %g s: it is presumed dead, leaving\n", rank,
                   vm["master-timeout-s"].as<double>());
    if (!stats.finalize) env.leave_without_finalize(stats.master_lost ? 1 : 0);
    return 0;
  }

  for (const auto& w : s.warnings) std::fprintf(stderr, "cdcnn run: warning: %s\n", w.c_str());
  TraceWriter* trace = s.trace.get();
  MasterOptions mo{.deadline_ms = vm["deadline-ms"].as<double>(),
                   .policy = parse_policy(vm["policy"].as<std::string>()),
                   .suspect_after = vm["suspect-after"].as<int>(),
                   .probe_every = vm["probe-every"].as<int>(),
                   .check = vm["check"].as<bool>()};
  Master master(*s.model, s.deployment, mo, world, trace);

  const bool verify = vm["verify"].as<bool>();
  const auto seed = vm["seed"].as<std::uint64_t>();
  const std::optional<Tensor>& fixed_input = s.fixed_input;
  std::vector<double> latencies;
  std::int64_t counts[4] = {0, 0, 0, 0}, checks[5] = {0, 0, 0, 0, 0};
  double worst_error = 0.0;
  const auto n = vm["inferences"].as<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    Tensor x = fixed_input ? *fixed_input : Tensor(s.model->input_shape());
    if (!fixed_input) {
      Rng rng = Rng(seed).fork(1000003 + static_cast<std::uint64_t>(i));
      for (float& v : x.values()) v = static_cast<float>(rng.normal());
    }
    InferenceResult r = master.infer(x, i);
    double err = NAN;
    if (verify && r.output) {
      err = max_relative_error(*r.output, s.model->forward(x));
      if (r.outcome <= InferenceOutcome::recovered) worst_error = std::max(worst_error, err);
    }
    latencies.push_back(r.latency_ms);
    ++counts[static_cast<int>(r.outcome)];
    ++checks[static_cast<int>(r.check)];
    if (trace) {
      trace->add(InferenceRecord{i, r.start_ms, r.latency_ms, static_cast<std::int8_t>(r.outcome), r.blocks_decoded, err,
                                 static_cast<std::int8_t>(r.check)});
      trace->flush();
    }
  }
  const std::vector<int> unanswered = master.stop_workers();
  if (!unanswered.empty()) env.leave_without_finalize();
  if (trace) trace->flush();

  std::printf("%lld inferences on %d ranks: latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              static_cast<long long>(n), world, percentile(latencies, 50), percentile(latencies, 95),
              percentile(latencies, 99), percentile(latencies, 100));
  std::printf("exact %lld, recovered by decoding %lld, degraded %lld, failed %lld; late results dropped %lld\n",
              static_cast<long long>(counts[0]), static_cast<long long>(counts[1]), static_cast<long long>(counts[2]),
              static_cast<long long>(counts[3]), static_cast<long long>(master.late_results()));
  if (mo.check)
    std::printf("consistency check: consistent %lld, corrected %lld, unverified (no spare shard) %lld, "
                "inconsistent %lld\n",
                static_cast<long long>(checks[1]), static_cast<long long>(checks[2]), static_cast<long long>(checks[3]),
                static_cast<long long>(checks[4]));
  if (verify) std::printf("max relative error of exact and recovered outputs vs single-process: %.3g\n", worst_error);
  print_health(master.health_log(), unanswered);
  if (trace) std::printf("trace: %s\n", trace->path().c_str());
  return 0;
}

}  // namespace cdcnn::cli
