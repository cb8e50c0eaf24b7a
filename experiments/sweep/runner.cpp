#include "sweep/runner.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "sweep/process.hpp"
#include "trace/trace.hpp"

namespace cdcnn::sweep {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string flag_name(const std::string& key) {
  std::string flag = key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return "--" + flag;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

std::string number(double v, const char* format = "%.3f") {
  char b[64];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

/// format_csv of one summary (or of none: the header only) as header + row fields.
std::pair<std::vector<std::string>, std::vector<std::string>> trace_columns(const std::optional<TraceSummary>& s) {
  auto rows = parse_csv(s ? format_csv({*s}) : format_csv({}));
  rows.resize(2);
  return {rows[0], s ? rows[1] : std::vector<std::string>{}};
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.flush();
    require(out.good(), "cannot write '", temporary, "'");
  }
  fs::rename(temporary, path);
}

/// What a failed run said last: the last line of its log naming cdcnn (its
/// one-line error), else the last non-empty line; at most 200 characters.
std::string last_words(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line, last, last_cdcnn;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    last = line;
    if (line.find("cdcnn") != std::string::npos) last_cdcnn = line;
  }
  std::string words = last_cdcnn.empty() ? last : last_cdcnn;
  if (words.size() > 200) words = words.substr(0, 197) + "...";
  return words;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char b[32];
  if (s < 60) std::snprintf(b, sizeof b, "%ld s", s);
  else if (s < 3600) std::snprintf(b, sizeof b, "%ld:%02ld", s / 60, s % 60);
  else std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return b;
}

RunPaths run_paths(const std::string& out_dir, const std::string& id) {
  const fs::path runs = fs::path(out_dir) / "runs";
  return RunPaths{.trace = (runs / (id + ".h5")).string(),
                  .log = (runs / (id + ".log")).string(),
                  .result = (runs / (id + ".json")).string(),
                  .done = (runs / (id + ".done")).string(),
                  .plan = (fs::path(out_dir) / "plans" / (id + ".plan")).string()};
}

std::vector<std::string> run_command_line(const Run& run, const SweepOptions& options) {
  const RunPaths paths = run_paths(options.out_dir, run.id);
  std::vector<std::string> argv = options.launcher;
  if (!options.hostfile.empty()) argv.insert(argv.end(), {"--hostfile", options.hostfile});
  argv.insert(argv.end(), {"-np", run.get("ranks").value_or("2"), options.cdcnn, "run"});
  for (const auto& [key, value] : run.parameters) {
    if (key == "ranks" || key == "k") continue;
    if (key == "plan" && run.plan_text) {
      argv.insert(argv.end(), {"--plan", paths.plan});
      continue;
    }
    auto flag = options.run_flags.find(key);
    const bool is_switch = flag != options.run_flags.end() ? !flag->second.takes_value
                                                           : value == "true" || value == "false";
    if (is_switch) {
      if (value == "true") argv.push_back(flag_name(key));
      continue;
    }
    std::istringstream pieces(value);
    std::string piece;
    while (std::getline(pieces, piece, ';'))
      if (!trim(piece).empty()) argv.insert(argv.end(), {flag_name(key), trim(piece)});
  }
  argv.insert(argv.end(), {"--trace", paths.trace});
  return argv;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                         "0123456789_-+=./:,@%") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

bool is_finished(const std::string& out_dir, const std::string& id) {
  const RunPaths p = run_paths(out_dir, id);
  return fs::exists(p.done) && fs::exists(p.trace);
}

std::vector<std::size_t> pending_runs(const std::vector<Run>& runs, const std::string& out_dir) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (!is_finished(out_dir, runs[i].id)) pending.push_back(i);
  return pending;
}

std::optional<long long> expected_inferences(const Run& run, const RunFlags& flags) {
  std::string text;
  if (auto v = run.get("inferences")) text = *v;
  else if (auto it = flags.find("inferences"); it != flags.end() && it->second.default_value)
    text = *it->second.default_value;
  else return std::nullopt;
  char* end = nullptr;
  const long long n = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return n;
}

std::string check_trace(const std::string& trace_path, const std::string& id, std::optional<long long> expected,
                        std::optional<TraceSummary>& summary) {
  summary.reset();
  if (!fs::exists(trace_path)) return "no trace written";
  try {
    summary = summarize(read_trace(trace_path), id);
  } catch (const std::exception& e) {
    return cat("trace does not read back: ", e.what());
  }
  if (expected && summary->inferences != *expected)
    return cat("trace has ", summary->inferences, " of ", *expected, " inferences");
  return "";
}

void write_result_file(const std::string& path, const RunResult& r) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"run_id", json_string(r.id)}, {"status", json_string(r.status)}, {"error", json_string(r.error)}};
  for (const auto& [k, v] : r.parameters) fields.emplace_back(k, json_string(v));
  for (const auto& [k, v] : r.provenance.columns()) fields.emplace_back(k, json_string(v));
  fields.emplace_back("started_utc", json_string(r.started_utc));
  fields.emplace_back("elapsed_s", number(r.elapsed_s));
  fields.emplace_back("exit_code", std::to_string(r.exit_code));
  fields.emplace_back("command", json_string(r.command));
  std::string text = "{\n";
  for (std::size_t i = 0; i < fields.size(); ++i)
    text += "  " + json_string(fields[i].first) + ": " + fields[i].second + (i + 1 < fields.size() ? ",\n" : "\n");
  text += "}\n";
  write_atomically(path, text);
}

std::map<std::string, std::string> read_result_file(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "cannot read '", path, "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  auto expect = [&](char c) {
    skip_space();
    require(i < text.size() && text[i] == c, path, ": not a result file (expected '", c, "' at byte ", i, ")");
    ++i;
  };
  auto string_token = [&] {
    expect('"');
    std::string out;
    while (i < text.size() && text[i] != '"') {
      char c = text[i++];
      if (c == '\\' && i < text.size()) {
        const char e = text[i++];
        if (e == 'n') c = '\n';
        else if (e == 't') c = '\t';
        else if (e == 'r') c = '\r';
        else if (e == 'u' && i + 4 <= text.size()) {
          c = static_cast<char>(std::strtol(text.substr(i, 4).c_str(), nullptr, 16));
          i += 4;
        } else c = e;
      }
      out += c;
    }
    expect('"');
    return out;
  };
  std::map<std::string, std::string> fields;
  expect('{');
  skip_space();
  if (i < text.size() && text[i] == '}') return fields;
  for (;;) {
    const std::string key = string_token();
    expect(':');
    skip_space();
    std::string value;
    if (i < text.size() && text[i] == '"') {
      value = string_token();
    } else {
      while (i < text.size() && text[i] != ',' && text[i] != '}') value += text[i++];
      value = trim(value);
    }
    fields[key] = value;
    skip_space();
    require(i < text.size(), path, ": not a result file (truncated)");
    if (text[i] == '}') break;
    expect(',');
  }
  return fields;
}

std::string summary_csv(const Suite& suite, const std::vector<RunResult>& results) {
  std::vector<std::string> header = {"run_id"};
  for (const auto& key : suite.keys) header.push_back(key.name);
  header.insert(header.end(), {"repetition", "status", "error"});
  for (const auto& [k, v] : Provenance{}.columns()) header.push_back(k);
  header.insert(header.end(), {"started_utc", "elapsed_s", "trace"});
  const std::size_t own = header.size();
  const auto [trace_header, unused] = trace_columns(std::nullopt);
  std::vector<std::size_t> taken;  // indices of format_csv's columns kept
  for (std::size_t j = 0; j < trace_header.size(); ++j) {
    if (trace_header[j] == "run") continue;
    taken.push_back(j);
    const bool clash = std::find(header.begin(), header.begin() + own, trace_header[j]) != header.begin() + own;
    header.push_back(clash ? "trace_" + trace_header[j] : trace_header[j]);
  }
  const bool add_mean = std::find(trace_header.begin(), trace_header.end(), "mean_ms") == trace_header.end();
  if (add_mean) header.push_back("mean_ms");

  std::string out = csv_line(header);
  for (const auto& r : results) {
    std::vector<std::string> row = {r.id};
    auto parameter = [&r](const std::string& key) {
      for (const auto& [k, v] : r.parameters)
        if (k == key) return v;
      return std::string();
    };
    for (const auto& key : suite.keys) row.push_back(parameter(key.name));
    row.insert(row.end(), {parameter("repetition"), r.status, r.error});
    for (const auto& [k, v] : r.provenance.columns()) row.push_back(r.status == "pending" ? "" : v);
    const bool ran = r.status != "pending";
    row.insert(row.end(), {r.started_utc, ran ? number(r.elapsed_s, "%.2f") : "", ran ? "runs/" + r.id + ".h5" : ""});
    const auto [unused_header, trace_row] = trace_columns(r.summary);
    for (std::size_t j : taken) row.push_back(j < trace_row.size() ? trace_row[j] : "");
    if (add_mean) row.push_back(r.summary && std::isfinite(r.summary->mean_ms) ? number(r.summary->mean_ms, "%.2f") : "");
    out += csv_line(row);
  }
  return out;
}

SweepReport run_sweep(const Suite& suite, const std::vector<Run>& runs, const SweepOptions& options,
                      std::ostream& progress) {
  const fs::path out_dir(options.out_dir);
  fs::create_directories(out_dir / "runs");
  // One sweep at a time writes a directory.
  const std::string lock_path = (out_dir / "sweep.lock").string();
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  require(lock >= 0, "cannot create '", lock_path, "'");
  if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock);
    throw Error(cat("another cdcnn sweep is writing '", options.out_dir, "' (", lock_path, " is locked)"));
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{lock};

  SweepReport report;
  report.runs = runs.size();
  std::vector<RunResult> results(runs.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const Run& run = runs[i];
    RunResult& r = results[i];
    r.id = run.id;
    r.parameters = run.parameters;
    r.parameters.emplace_back("repetition", std::to_string(run.repetition));
    r.provenance = options.provenance;
    const RunPaths paths = run_paths(options.out_dir, run.id);
    if (is_finished(options.out_dir, run.id)) {
      // Finished earlier: its provenance is the one it ran with.
      const std::string problem = check_trace(paths.trace, run.id, std::nullopt, r.summary);
      if (problem.empty()) {
        try {
          const auto fields = read_result_file(paths.result);
          auto field = [&fields](const std::string& k) {
            auto it = fields.find(k);
            return it == fields.end() ? std::string() : it->second;
          };
          r.provenance = Provenance{.git_commit = field("git_commit"),
                                    .host = field("host"),
                                    .build_type = field("build_type"),
                                    .compiler = field("compiler"),
                                    .cdcnn_version = field("cdcnn_version")};
          r.started_utc = field("started_utc");
          r.elapsed_s = std::atof(field("elapsed_s").c_str());
          r.command = field("command");
        } catch (const Error&) {
          r.provenance = Provenance{"unknown", "unknown", "unknown", "unknown", "unknown"};
        }
        r.status = "ok";
        ++report.skipped;
        ++report.ok;
        continue;
      }
      fs::remove(paths.done);  // the trace went bad since: run it again
    }
    todo.push_back(i);
  }
  const std::string summary_path = (out_dir / "summary.csv").string();
  write_atomically(summary_path, summary_csv(suite, results));

  progress << "sweep: " << runs.size() << " run(s) of " << suite.source << ": " << report.skipped
           << " already done, " << todo.size() << " to run; results in " << options.out_dir << "\n";
  progress.flush();
  const auto start = std::chrono::steady_clock::now();
  double run_seconds = 0;
  std::size_t executed = 0;
  for (std::size_t i : todo) {
    if (interrupted()) break;
    const Run& run = runs[i];
    RunResult& r = results[i];
    const RunPaths paths = run_paths(options.out_dir, run.id);
    fs::remove(paths.done);
    if (run.plan_text) {
      fs::create_directories(fs::path(paths.plan).parent_path());
      write_atomically(paths.plan, *run.plan_text);
    }
    const std::vector<std::string> argv = run_command_line(run, options);
    r.command = shell_quote(argv);
    r.started_utc = utc_now();
    ProcessResult p;
    try {
      fs::remove(paths.trace);
      // With --enable-recovery, mpirun hangs on an executable that does not exist.
      require(fs::exists(options.cdcnn), "the cdcnn executable '", options.cdcnn, "' is gone (rebuilt or removed?)");
      p = run_process(ProcessSpec{.argv = argv,
                                  .env = options.env,
                                  .directory = suite.directory,
                                  .log_path = paths.log,
                                  .timeout_s = options.timeout_s,
                                  .grace_s = options.grace_s});
    } catch (const std::exception& e) {
      p.error = e.what();
      p.exit_code = -1;
    }
    if (p.interrupted) {
      report.interrupted = true;
      break;
    }
    r.elapsed_s = std::round(p.elapsed_s * 1000) / 1000;  // as the result file keeps it
    r.exit_code = p.exit_code;
    std::string error = p.error;
    std::optional<TraceSummary> summary;
    const std::string trace_problem = check_trace(paths.trace, run.id, expected_inferences(run, options.run_flags), summary);
    r.summary = summary;
    // (With --enable-recovery mpirun exits 0 even when rank 0 failed: then the
    // trace is missing or short, and the log's last words say why.)
    if (error.empty()) error = trace_problem;
    if (!error.empty() && !p.timed_out)
      if (const std::string words = last_words(paths.log); !words.empty()) error += ": " + words;
    r.status = error.empty() ? "ok" : "failed";
    r.error = error.empty() ? "" : error + "; log: runs/" + run.id + ".log";
    write_result_file(paths.result, r);
    if (r.status == "ok") {
      std::ofstream(paths.done) << r.started_utc << "\n";
      ++report.ok;
    } else {
      ++report.failed;
    }
    write_atomically(summary_path, summary_csv(suite, results));

    ++executed;
    run_seconds += p.elapsed_s;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t done = report.skipped + executed;
    const double left = run_seconds / static_cast<double>(executed) * static_cast<double>(todo.size() - executed);
    progress << "[" << done << "/" << runs.size() << "] " << run.id << " "
             << (r.status == "ok" ? "ok" : "FAILED: " + r.error) << " (" << number(p.elapsed_s, "%.1f")
             << " s) | elapsed " << format_duration(elapsed) << ", left ~" << format_duration(left) << "\n";
    progress.flush();
  }
  if (interrupted()) report.interrupted = true;
  write_atomically(summary_path, summary_csv(suite, results));
  return report;
}

}  // namespace cdcnn::sweep
