// cdcnn plan: a plan chosen from a profile (cdcnn profile) by predicted cost
// (plan/planner.hpp), written as a runnable plan file whose header says what
// is predicted, and compared with the plans one would otherwise write.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/command.hpp"
#include "cli/plan_validation.hpp"
#include "cli/sweep_launch.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/text_table.hpp"
#include "io/profile_file.hpp"
#include "plan/devices.hpp"
#include "plan/memory.hpp"
#include "plan/planner.hpp"
#include "runtime/deployment.hpp"
#include "runtime/run_config.hpp"

namespace cdcnn::cli {

namespace {

std::string tolerance_text(int t) { return t < 0 ? "-" : std::to_string(t); }

}  // namespace

int plan_command(const Args& args) {
  po::options_description options("cdcnn plan options");
  std::string model_name, profile_path, out, straggler = "none", objective = "p99", validate, launcher = kDefaultLauncher,
                                                                    hostfile;
  std::int64_t inferences = 100;
  std::string hosts_path;
  std::vector<std::string> compare;
  double timeout_s = 600;
  PlannerOptions opts;
  double latency_ms = -1, bandwidth = -1;
  add_model_option(options, "model file or zoo name (the one profiled)", &model_name);
  add_seed_option(options, "seed for zoo weights and the simulated delays", &opts.cost.seed);
  options.add_options()("profile", po::value(&profile_path)->required(), "profile file written by cdcnn profile")(
      "devices", po::value(&opts.devices), "ranks in all: rank 0 and devices-1 workers (or --hosts)")(
      "hosts", po::value(&hosts_path),
      "devices in rank order, one per line: NAME [speed=S], speed relative to the profiled device (or --devices)")(
      "straggler", po::value(&straggler)->default_value(straggler), "per-shard delay model, as cdcnn run's --straggler")(
      "fail-prob", po::value(&opts.cost.fail_prob)->default_value(0.0),
      "probability that a worker is down during one inference")(
      "tolerate", po::value(&opts.tolerate)->default_value(opts.tolerate),
      "worker failures every split layer must survive")(
      "objective", po::value(&objective)->default_value(objective), "p99, mean or throughput")(
      "memory-mb", po::value(&opts.memory_mb)->default_value(0.0),
      "a device's memory: no shard larger is chosen, and the chosen plan's per-rank estimate (weights, shards, "
      "activations, buffers: as cdcnn run prints it) must fit; 0: no limit")(
      "code", po::value(&opts.codes)->composing(), "candidate code spec (repeatable; default: every registered code)")(
      "deadline-ms", po::value(&opts.cost.deadline_ms)->default_value(opts.cost.deadline_ms),
      "an undecodable layer costs this (cdcnn run's --deadline-ms)")(
      "latency-ms", po::value(&latency_ms), "link latency (default: the profile's links from rank 0, else 0)")(
      "bandwidth-MBps", po::value(&bandwidth), "link bandwidth (default: the profile's, else no transfer time)")(
      "samples", po::value(&opts.cost.samples)->default_value(opts.cost.samples), "simulated inferences")(
      "out", po::value(&out)->required(), "plan file to write")(
      "compare", po::value(&compare)->composing(),
      "a plan file to predict beside the alternatives (repeatable; e.g. a hand-written layout)")(
      "validate", po::value(&validate),
      "directory: run the plan and every alternative (one mpirun each, as cdcnn sweep) under the straggler, "
      "--fail-prob and --deadline-ms planned for, and print predicted against measured p50/p99")(
      "inferences", po::value(&inferences)->default_value(inferences),
      "with --validate: inferences measured per run, after one of warm-up")(
      "mpirun", po::value(&launcher)->default_value(launcher), "with --validate: launcher and its flags (as cdcnn sweep)")(
      "hostfile", po::value(&hostfile), "with --validate: passed to mpirun")(
      "timeout-s", po::value(&timeout_s)->default_value(timeout_s), "with --validate: per-run limit");
  add_plugin_option(options);
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn plan --model M --profile P --devices N|--hosts FILE --out PLAN [options]", options, vm)) return 0;
  load_plugins(vm);
  opts.objective = parse_objective(objective);
  require(vm.count("devices") + vm.count("hosts") == 1, "give the devices with --devices N or --hosts FILE (one of them)");
  std::vector<Device> devices;
  if (vm.count("hosts")) {
    devices = load_devices(hosts_path);
    opts.devices = static_cast<int>(devices.size());
    for (const Device& d : devices) opts.cost.speeds.push_back(d.speed);
  }
  require(opts.devices >= 2, "--devices must be at least 2 (rank 0 and one worker), got ", opts.devices);
  require(opts.cost.samples >= 100, "--samples must be at least 100");
  require(opts.cost.fail_prob >= 0 && opts.cost.fail_prob < 1, "--fail-prob must be in [0, 1)");
  require(opts.cost.deadline_ms > 0, "--deadline-ms must be positive");
  std::optional<sweep::SweepOptions> validation;
  if (!validate.empty()) {
    require(inferences >= 1, "--inferences must be at least 1");
    validation = sweep_options(validate, launcher, hostfile, timeout_s);
  }

  const Profile profile = load_profile(profile_path);
  const std::unique_ptr<DelayModel> delay = make_delay_model(straggler);
  opts.cost.straggler = delay.get();
  // The star's link: the profile's links from rank 0, averaged, unless given.
  int from_master = 0;
  for (const LinkProfile& l : profile.links)
    if (l.from == 0) {
      opts.cost.link.latency_ms += l.latency_ms;
      opts.cost.link.bandwidth_MBps += l.bandwidth_MBps;
      ++from_master;
    }
  if (from_master > 0) {
    opts.cost.link.latency_ms /= from_master;
    opts.cost.link.bandwidth_MBps /= from_master;
  }
  if (vm.count("latency-ms")) opts.cost.link.latency_ms = latency_ms;
  if (vm.count("bandwidth-MBps")) opts.cost.link.bandwidth_MBps = bandwidth;
  require(opts.cost.link.latency_ms >= 0 && opts.cost.link.bandwidth_MBps >= 0,
          "--latency-ms and --bandwidth-MBps must not be negative");

  const Model model = open_model_option(model_name, opts.cost.seed, "plan");
  PlannerResult result = plan_search(model, profile, opts);
  // Beside the search's own alternatives: what cdcnn run does without a
  // plan, and the plans asked for.
  const runtime::RunConfig run_defaults;
  try {
    const Plan fallback = runtime::default_plan(model, run_defaults.code, opts.devices - 1,
                                                static_cast<std::int64_t>(run_defaults.min_mflops * 1e6));
    result.alternatives.push_back(evaluate_plan(cat("default plan (cdcnn run --code ", run_defaults.code, ")"),
                                                fallback, profile, opts));
  } catch (const Error& e) {
    std::fprintf(stderr, "cdcnn plan: note: the default plan is not compared: %s\n", e.what());
  }
  for (const std::string& path : compare) result.alternatives.push_back(evaluate_plan(path, load_plan(path), profile, opts));
  const PlanCandidate& c = result.chosen;
  // The same estimate cdcnn run checks its --memory-mb against.
  const auto memory = estimate_memory(model, c.plan, opts.devices);
  check_memory(memory, opts.memory_mb);

  std::vector<std::string> device_list;  // "rank: name speed"
  for (std::size_t r = 0; r < devices.size(); ++r)
    device_list.push_back(cat(r, ": ", devices[r].name, " ", devices[r].speed));
  std::ofstream file(out);
  require(file.good(), "--out: cannot write '", out, "'");
  file << "# cdcnn plan for model '" << model.name() << "' on " << opts.devices << " devices (rank 0 and "
       << opts.devices - 1 << " workers), from profile " << profile_path << " (" << profile.host << ")\n"
       << (devices.empty() ? std::string() : "# devices (rank: name speed): " + join(device_list, ", ") + "\n")
       << "# straggler " << delay->spec() << ", fail-prob " << opts.cost.fail_prob << ", tolerate " << opts.tolerate
       << ", objective " << to_string(opts.objective) << ", link " << format_cell(opts.cost.link.latency_ms, "%.3f")
       << " ms + " << (opts.cost.link.bandwidth_MBps > 0 ? format_cell(opts.cost.link.bandwidth_MBps, "%.1f") + " MB/s" : "no transfer time")
       << ", " << opts.cost.samples << " simulated inferences\n"
       << "# predicted: p50 " << format_cell(c.prediction.p50_ms) << " ms, p99 " << format_cell(c.prediction.p99_ms)
       << " ms, mean " << format_cell(c.prediction.mean_ms) << " ms, " << format_cell(c.prediction.throughput_fps, "%.1f")
       << " frames/s one at a time, degraded " << format_cell(100 * c.prediction.degraded_fraction, "%.2f")
       << "%; survives " << tolerance_text(c.tolerates) << " worker failure(s); at most "
       << format_cell(c.worker_mb) << " MB of shard weights per worker\n"
       << "# search: per layer, the best of not splitting and every candidate code at every profiled k\n"
       << "# (shards placed by speed, a device fast enough holding several; any " << opts.tolerate
       << " device failure(s) survived;\n# shards within --memory-mb), by the layer's own " << to_string(opts.objective)
       << " in the star runtime's cost model. Optimal for mean\n"
       << "# and throughput (layers add up); for p99 optimal when one layer dominates the tail.\n"
       << format_plan(c.plan);
  require(file.good(), "--out: cannot write '", out, "'");

  std::vector<std::vector<std::string>> rows = {
      {"plan", "p50 ms", "p99 ms", "mean ms", "frames/s", "degraded %", "survives", "worker MB"}};
  auto row = [&](const PlanCandidate& p) {
    rows.push_back({p.label, format_cell(p.prediction.p50_ms), format_cell(p.prediction.p99_ms), format_cell(p.prediction.mean_ms),
                    format_cell(p.prediction.throughput_fps, "%.1f"), format_cell(100 * p.prediction.degraded_fraction),
                    tolerance_text(p.tolerates), format_cell(p.worker_mb)});
  };
  row(c);
  for (const PlanCandidate& p : result.alternatives) row(p);
  std::vector<Align> align(rows.front().size(), Align::right);
  align[0] = Align::left;
  std::fputs(format_text_table(rows, align).c_str(), stdout);
  std::printf("memory by rank of the chosen plan, MB (10^6 bytes), estimated (docs/architecture.md §3):\n%s",
              format_memory_table(memory).c_str());
  std::printf("splits: %zu layer(s); plan: %s\n", c.plan.splits.size(), out.c_str());
  if (!validation) return 0;

  std::fflush(stdout);
  std::vector<PlanCandidate> candidates = {c};
  candidates.insert(candidates.end(), result.alternatives.begin(), result.alternatives.end());
  const ValidationSetup setup{.model = model_name,
                              .devices = opts.devices,
                              .straggler = delay->spec(),
                              .fail_prob = opts.cost.fail_prob,
                              .deadline_ms = opts.cost.deadline_ms,
                              .inferences = inferences,
                              .seed = opts.cost.seed};
  const auto validated = validate_plans(candidates, setup, *validation, std::cerr);
  std::printf("\nvalidated: %lld inference(s) per plan on %d ranks, after one of warm-up\n%s",
              static_cast<long long>(inferences),
              opts.devices, format_validation(validated).c_str());
  std::printf("validation: %s/validation.csv\n", validate.c_str());
  for (const auto& r : validated)
    if (!r.measured) return 1;
  return 0;
}

}  // namespace cdcnn::cli
