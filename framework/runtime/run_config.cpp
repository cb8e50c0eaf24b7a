#include "runtime/run_config.hpp"

#include <cmath>

#include "codes/plugin_loader.hpp"
#include "codes/registry.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/spec_string.hpp"

namespace cdcnn::runtime {

WeightSource parse_weight_source(const std::string& text) {
  if (text == "master") return WeightSource::master;
  if (text == "file") return WeightSource::file;
  throw Error(cat("--weights-from must be master or file, got '", text, "'"));
}

std::string to_string(WeightSource source) { return source == WeightSource::master ? "master" : "file"; }

std::string to_string(DeadlinePolicy policy) {
  switch (policy) {
    case DeadlinePolicy::wait: return "wait";
    case DeadlinePolicy::zero_fill: return "zero-fill";
    case DeadlinePolicy::fail: return "fail";
  }
  throw Error("unknown deadline policy");
}

void load_code_plugins(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    try {
      load_code_plugin(path);
    } catch (const Error& e) {
      throw Error(cat("--code-plugin: ", e.what()));
    }
  }
}

void check(const RunConfig& c) {
  require(c.weights_from == WeightSource::master || !c.coded_file.empty(), "--weights-from file needs --coded FILE");
  require(c.inferences >= 1, "--inferences must be at least 1");
  require(c.in_flight >= 1, "--in-flight must be at least 1, got ", c.in_flight);
  require(c.rate_fps >= 0 && std::isfinite(c.rate_fps), "--rate must be 0 (as fast as frames are admitted) or a positive number of frames per second");
  require(c.master.frame_timeout_ms >= 0, "--frame-timeout-ms must be 0 (automatic) or positive");
  require(c.master.deadline_ms > 0, "--deadline-ms must be positive");
  require(c.master.suspect_after >= 1, "--suspect-after must be at least 1");
  require(c.master.probe_every >= 1, "--probe-every must be at least 1");
  require(c.master_timeout_s > 0, "--master-timeout-s must be positive");
  require(c.progress_s >= 0, "--progress must be 0 (silent) or a positive number of seconds");
  require(c.startup_timeout_s > 0, "--startup-timeout-s must be positive");
  require(c.memory_mb >= 0, "--memory-mb must be 0 (no limit) or a positive number of MB");
  require(c.threads >= 1 && c.threads <= kMaxComputeThreads, "--threads must be in 1..", kMaxComputeThreads, ", got ",
          c.threads);
  code_registry().entry(SpecString::parse(c.code, "--code").name);  // a known code?
}

}  // namespace cdcnn::runtime
