#include "cli/run_options.hpp"

#include <algorithm>

namespace cdcnn::runtime {

// How Boost.Program_options reads the enumerations of a RunConfig (found by
// argument-dependent lookup); the errors are those of the parse functions.
void validate(boost::any& value, const std::vector<std::string>& tokens, DeadlinePolicy*, int) {
  boost::program_options::validators::check_first_occurrence(value);
  value = parse_policy(boost::program_options::validators::get_single_string(tokens));
}

void validate(boost::any& value, const std::vector<std::string>& tokens, WeightSource*, int) {
  boost::program_options::validators::check_first_occurrence(value);
  value = parse_weight_source(boost::program_options::validators::get_single_string(tokens));
}

}  // namespace cdcnn::runtime

namespace cdcnn::cli {

void add_run_options(po::options_description& options, runtime::RunConfig& c) {
  add_model_option(options, "model file, coded-weight file or zoo name", &c.model);
  options.add_options()("plan", po::value(&c.plan_file), "plan file (default: split every large layer with --code)")(
      "code", po::value(&c.code)->default_value(c.code), "code of the default plan")(
      "min-mflops", po::value(&c.min_mflops)->default_value(c.min_mflops),
      "default plan: split layers of at least this many MFLOPs")(
      "weights-from", po::value(&c.weights_from)->default_value(c.weights_from, to_string(c.weights_from)),
      "master: the master encodes and sends each worker its shards; file: each worker reads its own from --coded")(
      "coded", po::value(&c.coded_file), "coded-weight file made by cdcnn encode (with --weights-from file)")(
      "straggler", po::value(&c.stragglers)->composing(),
      "delay model, e.g. exp:mean=20 or 2,3@pareto:scale=10,shape=1.5 (repeatable)")(
      "fail", po::value(&c.fails)->composing(), "failure, e.g. stop:rank=2,inference=5 or drop:p=0.05 (repeatable)")(
      "inferences", po::value(&c.inferences)->default_value(c.inferences), "inferences (frames) to run")(
      "in-flight", po::value(&c.in_flight)->default_value(c.in_flight),
      "frames in the pipeline at once (1: one at a time; more pipelines them through the plan's stages)")(
      "rate", po::value(&c.rate_fps)->default_value(c.rate_fps),
      "frames per second the source emits, like a camera; a frame that finds the pipeline full is dropped "
      "(counted); 0: each frame as soon as one can be admitted")(
      "frame-timeout-ms", po::value(&c.master.frame_timeout_ms)->default_value(c.master.frame_timeout_ms),
      "a frame whose output has not reached rank 0 this long after it started fails (a stage it needs is down); "
      "0: automatic (never in the star; 30 s under --policy wait, else --deadline-ms x (split layers + 2))")(
      "deadline-ms", po::value(&c.master.deadline_ms)->default_value(c.master.deadline_ms), "per-layer deadline")(
      "policy", po::value(&c.master.policy)->default_value(c.master.policy, to_string(c.master.policy)),
      "undecodable at the deadline: wait, zero-fill, fail")(
      "trace", po::value(&c.trace_file), "HDF5 trace file to write")(
      "suspect-after", po::value(&c.master.suspect_after)->default_value(c.master.suspect_after),
      "suspect a worker after this many misses (a deadline of silence with work outstanding)")(
      "probe-every", po::value(&c.master.probe_every)->default_value(c.master.probe_every),
      "probe a suspected worker every this many inferences")(
      "master-timeout-s", po::value(&c.master_timeout_s)->default_value(c.master_timeout_s),
      "a worker that hears nothing from the master for this long presumes it dead and exits")(
      "startup-timeout-s", po::value(&c.startup_timeout_s)->default_value(c.startup_timeout_s),
      "a rank whose start-up (MPI_Init, set-up, weights) takes longer presumes a peer dead and exits");
  add_threads_option(options, &c.threads);
  add_seed_option(options, "seed for weights, inputs and faults", &c.seed);
  options.add_options()("input", po::value(&c.input_file),
                        "image or .npy input for every inference (default: seeded random inputs)")(
      "verify", po::bool_switch(&c.verify),
      "compare every output with single-process inference (rank 0 then keeps the weights of the split layers too)")(
      "memory-mb", po::value(&c.memory_mb)->default_value(c.memory_mb),
      "refuse, before sending any weight, a plan whose memory estimate for some rank exceeds this many MB "
      "(10^6 bytes; the estimate is printed with each rank's measured peak at the end); 0: no limit")(
      "progress", po::value(&c.progress_s)->default_value(c.progress_s),
      "seconds between progress lines on stderr (frames done, frames/s, p50/p99, degraded, failed, suspects; "
      "a live line on a terminal) after the start-up steps; 0: silent")(
      "check", po::bool_switch(&c.master.check),
      "wait for every shard and check that they agree: catch a worker sending wrong numbers (costs the wait)");
  add_plugin_option(options, &c.code_plugins);
}

bool parse_run_options(const Args& args, runtime::RunConfig& config) {
  po::options_description options("cdcnn run options");
  add_run_options(options, config);
  po::variables_map vm;
  return parse(args, kRunUsage, options, vm);
}

sweep::RunFlags run_flags() {
  runtime::RunConfig defaults;
  po::options_description options;
  add_run_options(options, defaults);
  sweep::RunFlags flags;
  for (const auto& option : options.options()) {
    sweep::RunFlag flag;
    flag.takes_value = option->semantic()->max_tokens() > 0;
    // A value's name is "arg", or "arg (=DEFAULT)" with the default as --help prints it.
    const std::string name = option->semantic()->name(), mark = " (=";
    if (const auto at = name.find(mark); flag.takes_value && at != std::string::npos)
      flag.default_value = name.substr(at + mark.size(), name.size() - at - mark.size() - 1);
    std::string key = option->long_name();
    std::replace(key.begin(), key.end(), '-', '_');
    flags[key] = flag;
  }
  return flags;
}

}  // namespace cdcnn::cli
