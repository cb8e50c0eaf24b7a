#pragma once
// What a distributed run is: the model, the plan, the faults, the master's
// options, the inputs and what to record. One typed struct, filled by `cdcnn
// run`'s flags (framework/cli/run_options.hpp: one flag per field, the
// struct's initialisers are the flags' defaults) or set directly by the
// runtime's tests and benchmarks; run_distributed (runtime/run.hpp) runs it.

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/master.hpp"

namespace cdcnn::runtime {

/// Where a worker's coded weights come from.
enum class WeightSource {
  master,  ///< the master encodes every split layer and sends each worker its shards
  file,    ///< each worker reads its own shards from a coded-weight file (cdcnn encode)
};
/// "master" or "file"; Error naming --weights-from otherwise.
WeightSource parse_weight_source(const std::string& text);
std::string to_string(WeightSource source);
/// "wait", "zero-fill" or "fail": the inverse of parse_policy.
std::string to_string(DeadlinePolicy policy);

struct RunConfig {
  std::string model;           ///< model file, coded-weight file or zoo name (open_model)
  std::string plan_file;       ///< empty: the default plan, every layer of min_mflops or more split with `code`
  std::string code = "sum";    ///< code of the default plan
  double min_mflops = 10.0;    ///< default plan: split layers of at least this many MFLOPs
  WeightSource weights_from = WeightSource::master;
  std::string coded_file;      ///< with WeightSource::file
  std::vector<std::string> stragglers;  ///< delay specs (FaultInjector)
  std::vector<std::string> fails;       ///< failure specs (FaultInjector)
  std::int64_t inferences = 10;
  int in_flight = 1;           ///< most frames in the pipeline at once (1: one at a time)
  double rate_fps = 0;         ///< the source emits a frame every 1/rate_fps s, like a camera; 0: as fast as admitted
  MasterOptions master;        ///< deadline_ms, policy, suspect_after, probe_every, check
  std::string trace_file;      ///< empty: no trace
  double master_timeout_s = 60.0;    ///< a worker that hears nothing from the master this long leaves
  double startup_timeout_s = 300.0;  ///< a rank whose start-up takes longer presumes a peer dead
  int threads = 1;             ///< compute threads of each rank (core/parallel.hpp)
  std::uint64_t seed = 0;      ///< zoo weights, random inputs and faults
  std::string input_file;      ///< image or .npy for every inference (load_input); empty: seeded random inputs
  bool verify = false;         ///< compare every output with single-process inference (the master then keeps every layer's weights)
  double memory_mb = 0;        ///< refuse a plan whose memory estimate (plan/memory.hpp) exceeds this on some rank; 0: no limit
  double progress_s = 5.0;     ///< start-up steps and a progress line this often on rank 0's stderr (live on a terminal); 0: silent
  std::vector<std::string> code_plugins;  ///< shared libraries of codes to load first
};

/// Loads each shared library of codes into the code registry (--code-plugin,
/// of every command that builds codes). Error naming the flag and the file.
void load_code_plugins(const std::vector<std::string>& paths);

/// Checks the values that need no file, in the order of the flags, and that
/// the code is registered. Error naming the flag.
void check(const RunConfig& config);

}  // namespace cdcnn::runtime
