#include "cli/plan_validation.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"
#include "sweep/process.hpp"
#include "sweep/runner.hpp"
#include "sweep/suite.hpp"

namespace cdcnn::cli {

namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  require(f.good(), "--validate: cannot write '", path.string(), "'");
}

double degraded_percent(const TraceSummary& s) {
  return s.inferences > 0 ? 100.0 * static_cast<double>(s.outcomes[2] + s.outcomes[3]) / static_cast<double>(s.inferences)
                          : NAN;
}

/// Measured against predicted, in percent of the measured.
double error_percent(double predicted, double measured) { return 100.0 * (predicted - measured) / measured; }

}  // namespace

std::string candidate_file_name(const std::string& label) {
  std::string name;
  for (char c : label) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (keep) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!name.empty() && name.back() != '-') name += '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name.empty() ? "plan" : name;
}

std::string validation_suite(const ValidationSetup& s, const std::vector<std::string>& plan_files) {
  std::string plans;
  for (const auto& p : plan_files) plans += (plans.empty() ? "" : ", ") + ("\"" + p + "\"");
  std::string text = cat("# cdcnn plan --validate: each candidate plan once, under the conditions it was planned for\n",
                         "model = \"", s.model, "\"\n", "ranks = ", s.devices, "\n", "plan = ", plans, "\n",
                         "straggler = \"", s.straggler, "\"\n");
  if (s.fail_prob > 0) text += cat("fail = \"drop:p=", s.fail_prob, "\"\n");
  text += cat("deadline_ms = ", s.deadline_ms, "\n", "inferences = ", s.inferences + s.warmup, "\n", "seed = ", s.seed, "\n");
  return text;
}

TraceSummary summarize_after_warmup(Trace trace, const std::string& name, std::int64_t warmup) {
  std::erase_if(trace.inferences, [&](const InferenceRecord& r) { return r.inference < warmup; });
  std::erase_if(trace.layers, [&](const LayerRecord& r) { return r.inference < warmup; });
  std::erase_if(trace.shards, [&](const ShardRecord& r) { return r.inference < warmup; });
  return summarize(trace, name);
}

std::string format_validation(const std::vector<ValidationRow>& rows) {
  std::vector<std::vector<std::string>> cells = {{"plan", "p50 ms predicted", "measured", "p99 ms predicted", "measured",
                                                  "p99 error %", "degraded % predicted", "measured"}};
  for (const auto& r : rows) {
    const auto& p = r.predicted;
    if (!r.measured) {
      cells.push_back({r.label, format_cell(p.p50_ms), "-", format_cell(p.p99_ms), "-", "-",
                       format_cell(100 * p.degraded_fraction), "- (" + r.error + ")"});
      continue;
    }
    const auto& m = *r.measured;
    cells.push_back({r.label, format_cell(p.p50_ms), format_cell(m.p50_ms), format_cell(p.p99_ms), format_cell(m.p99_ms),
                     format_cell(error_percent(p.p99_ms, m.p99_ms), "%+.1f"), format_cell(100 * p.degraded_fraction),
                     format_cell(degraded_percent(m))});
  }
  std::vector<Align> align(cells.front().size(), Align::right);
  align[0] = Align::left;
  return format_text_table(cells, align);
}

std::string validation_csv(const std::vector<ValidationRow>& rows) {
  std::vector<std::vector<std::string>> cells = {{"plan", "predicted_p50_ms", "measured_p50_ms", "predicted_p99_ms",
                                                  "measured_p99_ms", "predicted_mean_ms", "measured_mean_ms",
                                                  "predicted_degraded_pct", "measured_degraded_pct", "error"}};
  for (const auto& r : rows) {
    const auto& p = r.predicted;
    const auto measured = [&](double TraceSummary::*field) {
      return r.measured ? format_cell((*r.measured).*field, "%.4g") : std::string();
    };
    cells.push_back({r.label, format_cell(p.p50_ms, "%.4g"), measured(&TraceSummary::p50_ms),
                     format_cell(p.p99_ms, "%.4g"), measured(&TraceSummary::p99_ms), format_cell(p.mean_ms, "%.4g"),
                     measured(&TraceSummary::mean_ms), format_cell(100 * p.degraded_fraction, "%.4g"),
                     r.measured ? format_cell(degraded_percent(*r.measured), "%.4g") : "", r.error});
  }
  return csv_text(cells);
}

std::vector<ValidationRow> validate_plans(const std::vector<PlanCandidate>& candidates, const ValidationSetup& setup,
                                          const sweep::SweepOptions& options, std::ostream& progress) {
  const fs::path dir = options.out_dir;
  fs::create_directories(dir / "plans");
  ValidationSetup s = setup;
  std::error_code ec;
  if (fs::is_regular_file(s.model, ec)) s.model = fs::absolute(s.model).string();  // else a zoo name

  std::vector<std::string> files;
  std::map<std::string, std::size_t> candidate_of;  // plan file -> candidate
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::string file = "plans/" + candidate_file_name(candidates[i].label) + ".plan";
    while (candidate_of.count(file)) file.insert(file.size() - 5, "-" + std::to_string(i));
    const auto& p = candidates[i].prediction;
    write_file(dir / file, cat("# ", candidates[i].label, ": predicted p50 ", format_cell(p.p50_ms), " ms, p99 ",
                               format_cell(p.p99_ms), " ms\n", format_plan(candidates[i].plan)));
    candidate_of[file] = i;
    files.push_back(file);
  }
  const fs::path suite_path = dir / "validate.suite";
  write_file(suite_path, validation_suite(s, files));
  const sweep::Suite suite = sweep::load_suite(suite_path.string());
  sweep::check_keys_against_flags(suite, options.run_flags);
  const std::vector<sweep::Run> runs = sweep::expand(suite, sweep::file_plan_reader(suite));

  sweep::install_interrupt_handlers();
  const sweep::SweepReport report = sweep::run_sweep(suite, runs, options, progress);
  require(!report.interrupted, "--validate: interrupted; the same command resumes (", dir.string(), ")");

  std::vector<ValidationRow> rows(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    rows[i].label = candidates[i].label;
    rows[i].predicted = candidates[i].prediction;
    rows[i].error = "not run";
  }
  for (const auto& run : runs) {
    ValidationRow& row = rows[candidate_of.at(*run.get("plan"))];
    const std::string trace = sweep::run_paths(options.out_dir, run.id).trace;
    std::string problem = sweep::check_trace(trace, run.id, setup.inferences + setup.warmup, row.measured);
    if (problem.empty()) row.measured = summarize_after_warmup(read_trace(trace), run.id, setup.warmup);
    row.error = problem.empty() ? "" : cat(problem, ": see runs/", run.id, ".log");
    if (!problem.empty()) row.measured.reset();
  }
  write_file(dir / "validation.csv", validation_csv(rows));
  return rows;
}

}  // namespace cdcnn::cli
