#pragma once
// A sweep suite: a declarative file of parameter lists, expanded into the
// Cartesian product of runs, each with a stable ID (STYLE.md, Experiments).
//
//   # comments run to the end of the line
//   model      = mlp
//   code       = sum, mds:r=2
//   ranks      = 4
//   straggler  = exp:mean=5, pareto:scale=10,shape=1.5
//   fail       = none, "stop:rank=2,inference=3; drop:p=0.05"
//   seed       = 1, 2
//   repetitions = 2
//   min_mflops = 0.1          # any other `cdcnn run` flag passes through
//
// Values are separated by commas; a piece `word=...` without ':' or '@'
// continues the previous value (so spec strings keep their commas), and a
// double-quoted value is taken verbatim. Inside one value, ';' separates
// repeated flags of one run (two --fail for one run). `-` and `_` in keys are
// the same. Relative paths are relative to the suite file (runs start there).
//
// Keys the sweep knows: model, ranks (required), plan, code, k, straggler,
// fail, deadline_ms, policy, inferences, seed; `repetitions` (one count: the
// same run repeated) and `timeout_s` (one number: per-run limit) are settings
// of the sweep, not parameters. `k` fills `{k}` in a plan template (a plan
// file with `{k}` and optionally `{code}` in it); cdcnn run has no --k flag.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cdcnn::sweep {

/// One `key = values` line.
struct SuiteKey {
  std::string name;                 ///< normalised: '-' → '_'
  std::vector<std::string> values;  ///< in file order, distinct
  int line = 0;
};

struct Suite {
  std::string source = "suite";  ///< file name for messages
  std::string directory = ".";   ///< relative paths in the suite resolve here
  std::vector<SuiteKey> keys;    ///< parameters in file order (not repetitions or timeout_s)
  int repetitions = 1;
  std::optional<double> timeout_s;

  const SuiteKey* find(const std::string& name) const;
  /// "<source>:<line>: <key>: " for messages about a key.
  std::string where(const SuiteKey& key) const;
};

/// Parses suite text. Error "<source>:<line>: <key>: ..." for a malformed
/// line, a key given twice, an empty or repeated value, a reserved key
/// (trace, help, config, ...), or a bad value of a key the sweep knows;
/// "<source>: <key>: missing ..." if model or ranks is absent.
Suite parse_suite(const std::string& text, const std::string& source = "suite", const std::string& directory = ".");
/// Reads and parses a suite file; Error naming the file if it cannot be read.
Suite load_suite(const std::string& path);

/// Splits one line's value list (the text after '=') as described above.
/// Error (without location) for an unterminated quote or an empty value.
std::vector<std::string> split_values(const std::string& text);

/// One flag of `cdcnn run`, as its options description says
/// (framework/cli/run_options.hpp's run_flags).
struct RunFlag {
  bool takes_value = true;  ///< false: a switch (--verify)
  std::optional<std::string> default_value;  ///< as --help prints it
};
/// name (normalised, '-' → '_') → flag.
using RunFlags = std::map<std::string, RunFlag>;

/// Checks every key against cdcnn run's flags: each must be a flag (the keys
/// the sweep consumes itself — k — excepted), and a switch takes true/false.
void check_keys_against_flags(const Suite& suite, const RunFlags& flags);

/// One run of the expanded suite.
struct Run {
  std::string id;  ///< readable prefix + '-' + 8 hex digits of a hash of the sorted parameters (run_id)
  std::vector<std::pair<std::string, std::string>> parameters;  ///< suite key order
  int repetition = 0;
  /// With a plan template: the plan text with {k} and {code} filled in.
  std::optional<std::string> plan_text;

  /// The value of a parameter, or nullopt if the suite does not set it.
  std::optional<std::string> get(const std::string& key) const;
};

/// Reads a plan file named in the suite (its path as written, relative to
/// the suite's directory). The default reads the file system.
using PlanReader = std::function<std::string(const std::string& path)>;
PlanReader file_plan_reader(const Suite& suite);

/// The most runs one suite may expand to. A sweep of more would run for years
/// on any cluster, and its list of runs alone would fill the memory: 8 keys of
/// 12 values make 12^8 = 430 million runs in a 358-byte file.
inline constexpr std::uint64_t kMaxRuns = 100000;

/// How many runs the suite expands to: the product of every key's number of
/// values and the repetitions, computed without expanding (saturating at
/// UINT64_MAX, so any overflow is far above kMaxRuns).
std::uint64_t run_count(const Suite& suite);

/// The Cartesian product of the suite's values (first key outermost,
/// repetitions innermost). IDs depend on the sorted (key, value) pairs, the
/// repetition and the text of the plan file, not on the order of lines or of
/// values, nor on the suite's other runs. Error "<source>: N runs (...)" before
/// anything is expanded if the product is above kMaxRuns; Error if `k` is
/// swept without a plan template, or (astronomically unlikely) two runs share
/// an ID.
std::vector<Run> expand(const Suite& suite, const PlanReader& read_plan);

/// The ID of a run with these parameters (used by expand).
/// The readable prefix names the model, code, ranks, k, seed and (from the
/// second on) the repetition, so adding repetitions keeps the first run's ID;
/// the hash is the high 32 bits of mix64(fnv1a(the sorted "key=value" lines,
/// "repetition=R", the plan file's text)).
std::string run_id(const std::vector<std::pair<std::string, std::string>>& parameters, int repetition,
                   const std::string& plan_file_text);

/// 64-bit FNV-1a of `text` (stable across hosts and builds).
std::uint64_t fnv1a(const std::string& text);
/// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit
/// (FNV-1a alone barely changes the high bits for a change in the last byte).
std::uint64_t mix64(std::uint64_t h);

}  // namespace cdcnn::sweep
