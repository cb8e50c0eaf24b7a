#include "sweep/suite.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace cdcnn::sweep {

namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string normalise_key(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

// Keys that would clash with what the sweep sets or writes.
const std::set<std::string>& reserved_keys() {
  static const std::set<std::string> keys = {
      "trace",    "help",       "h",          "config",        "repetition", "id",        "run_id",
      "status",   "error",      "git_commit", "host",          "build_type", "compiler",  "cdcnn_version",
      "started_utc", "elapsed_s", "exit_code", "command"};
  return keys;
}

bool parse_integer(const std::string& text, long long& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

// The checks of the keys the sweep knows; Error(message) without location.
void check_value(const std::string& key, const std::string& value) {
  long long i = 0;
  double x = 0;
  if (key == "ranks") require(parse_integer(value, i) && i >= 2, "'", value, "' is not a rank count of at least 2 (a master and a worker)");
  if (key == "k") require(parse_integer(value, i) && i >= 1, "'", value, "' is not a positive integer");
  if (key == "inferences") require(parse_integer(value, i) && i >= 1, "'", value, "' is not a positive integer");
  if (key == "seed") require(parse_integer(value, i) && i >= 0, "'", value, "' is not a non-negative integer");
  if (key == "deadline_ms") require(parse_number(value, x) && x > 0, "'", value, "' is not a positive number of milliseconds");
  if (key == "policy")
    require(value == "wait" || value == "zero-fill" || value == "fail", "'", value, "' is not one of wait, zero-fill, fail");
}

bool is_identifier_assignment(const std::string& piece) {
  // "shape=1.5" continues "pareto:scale=10"; "exp:mean=5" or "2@exp:mean=5" does not.
  const std::string head = trim(piece.substr(0, piece.find(';')));
  const auto eq = head.find('=');
  if (eq == std::string::npos || eq == 0 || head.find_first_of(":@") != std::string::npos) return false;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = head[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return std::isalpha(static_cast<unsigned char>(head[0])) || head[0] == '_';
}

std::string readable(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.';
    if (keep) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

const SuiteKey* Suite::find(const std::string& name) const {
  for (const auto& k : keys)
    if (k.name == name) return &k;
  return nullptr;
}

std::string Suite::where(const SuiteKey& key) const {
  return cat(source, ":", key.line, ": ", key.name, ": ");
}

std::vector<std::string> split_values(const std::string& text) {
  // Pieces between unquoted commas, quotes kept for now.
  std::vector<std::string> pieces(1);
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) pieces.emplace_back();
    else pieces.back() += c;
  }
  require(!quoted, "unterminated quote");
  std::vector<std::string> values;
  bool previous_quoted = true;  // nothing to continue yet
  for (const auto& raw : pieces) {
    const std::string piece = trim(raw);
    require(!piece.empty(), "empty value (two commas in a row, or a comma at the end?)");
    if (piece.size() >= 2 && piece.front() == '"' && piece.back() == '"' &&
        piece.find('"', 1) == piece.size() - 1) {
      values.push_back(piece.substr(1, piece.size() - 2));
      require(!trim(values.back()).empty(), "empty value");
      previous_quoted = true;
      continue;
    }
    require(piece.find('"') == std::string::npos, "a quote inside '", piece, "': quote a whole value");
    if (!previous_quoted && is_identifier_assignment(piece)) {
      values.back() += "," + piece;
    } else {
      values.push_back(piece);
      previous_quoted = false;
    }
  }
  return values;
}

Suite parse_suite(const std::string& text, const std::string& source, const std::string& directory) {
  Suite suite;
  suite.source = source;
  suite.directory = directory;
  std::map<std::string, int> seen;  // key → line
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '"') quoted = !quoted;
      if (line[i] == '#' && !quoted) {
        line.resize(i);
        break;
      }
    }
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    const std::string raw_key = trim(eq == std::string::npos ? line : line.substr(0, eq));
    require(eq != std::string::npos, source, ":", number, ": ", raw_key, ": expected 'key = value, value, ...'");
    static const std::regex key_pattern("[A-Za-z][A-Za-z0-9_-]*");
    require(std::regex_match(raw_key, key_pattern), source, ":", number, ": '", raw_key,
            "' is not a key (letters, digits, '-' and '_')");
    SuiteKey key{normalise_key(raw_key), {}, number};
    const std::string where = cat(source, ":", number, ": ", key.name, ": ");
    if (auto it = seen.find(key.name); it != seen.end())
      throw Error(cat(where, "given twice (first on line ", it->second, ")"));
    seen[key.name] = number;
    if (reserved_keys().count(key.name))
      throw Error(cat(where, key.name == "trace" ? "set by the sweep (OUT/runs/ID.h5)" : "reserved for the sweep's own columns"));
    try {
      key.values = split_values(line.substr(eq + 1));
      for (std::size_t i = 0; i < key.values.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) require(key.values[i] != key.values[j], "'", key.values[i], "' listed twice");
        check_value(key.name, key.values[i]);
      }
      if (key.name == "repetitions" || key.name == "timeout_s") {
        require(key.values.size() == 1, "one value (a setting of the sweep, not a parameter to sweep)");
        long long count = 0;
        double seconds = 0;
        if (key.name == "repetitions") {
          require(parse_integer(key.values[0], count) && count >= 1 && count <= 100000, "'", key.values[0],
                  "' is not a positive count");
          suite.repetitions = static_cast<int>(count);
        } else {
          require(parse_number(key.values[0], seconds) && seconds > 0, "'", key.values[0],
                  "' is not a positive number of seconds");
          suite.timeout_s = seconds;
        }
        continue;
      }
    } catch (const Error& e) {
      throw Error(where + e.what());
    }
    suite.keys.push_back(std::move(key));
  }
  for (const char* required : {"model", "ranks"})
    require(suite.find(required), source, ": ", required, ": missing (every suite sets model and ranks)");
  return suite;
}

Suite load_suite(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "--suite: cannot read '", path, "'");
  std::ostringstream text;
  text << in.rdbuf();
  const auto directory = std::filesystem::absolute(path).parent_path().string();
  return parse_suite(text.str(), path, directory);
}

void check_keys_against_flags(const Suite& suite, const RunFlags& flags) {
  for (const auto& key : suite.keys) {
    if (key.name == "ranks" || key.name == "k") continue;  // the sweep's own: -np, plan templates
    auto it = flags.find(key.name);
    if (it == flags.end()) {
      std::string known = "ranks, k, repetitions, timeout_s";
      for (const auto& [name, flag] : flags)
        if (!reserved_keys().count(name)) known += ", " + name;
      throw Error(cat(suite.where(key), "not a flag of cdcnn run (keys: ", known, ")"));
    }
    if (!it->second.takes_value)
      for (const auto& v : key.values)
        require(v == "true" || v == "false", suite.where(key), "a switch: true or false, not '", v, "'");
  }
}

std::optional<std::string> Run::get(const std::string& key) const {
  for (const auto& [k, v] : parameters)
    if (k == key) return v;
  return std::nullopt;
}

PlanReader file_plan_reader(const Suite& suite) {
  const std::string directory = suite.directory;
  return [directory](const std::string& path) {
    const std::filesystem::path p = std::filesystem::path(path).is_absolute() ? std::filesystem::path(path)
                                                                                : std::filesystem::path(directory) / path;
    std::ifstream in(p);
    require(in.good(), "cannot read plan '", p.string(), "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  return h ^ (h >> 33);
}

std::string run_id(const std::vector<std::pair<std::string, std::string>>& parameters, int repetition,
                   const std::string& plan_file_text) {
  auto sorted = parameters;
  std::sort(sorted.begin(), sorted.end());
  std::string canonical;
  for (const auto& [k, v] : sorted) canonical += k + "=" + v + "\n";
  canonical += cat("repetition=", repetition, "\n");
  if (!plan_file_text.empty()) canonical += "plan_file_text=" + plan_file_text;
  char hash[9];
  std::snprintf(hash, sizeof hash, "%08x", static_cast<unsigned>(mix64(fnv1a(canonical)) >> 32));

  auto value = [&](const std::string& key) -> std::string {
    for (const auto& [k, v] : parameters)
      if (k == key) return v;
    return "";
  };
  std::vector<std::string> parts;
  if (auto model = value("model"); !model.empty()) {
    std::string stem = std::filesystem::path(model).filename().string();
    if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
    parts.push_back(readable(stem));
  }
  if (auto code = value("code"); !code.empty()) parts.push_back(readable(code));
  if (auto ranks = value("ranks"); !ranks.empty()) parts.push_back("np" + readable(ranks));
  if (auto k = value("k"); !k.empty()) parts.push_back("k" + readable(k));
  if (auto seed = value("seed"); !seed.empty()) parts.push_back("s" + readable(seed));
  if (repetition > 0) parts.push_back(cat("r", repetition));
  std::string prefix;
  for (const auto& p : parts)
    if (!p.empty()) prefix += (prefix.empty() ? "" : "_") + p;
  if (prefix.size() > 60) prefix.resize(60);
  return (prefix.empty() ? "run" : prefix) + "-" + hash;
}

std::uint64_t run_count(const Suite& suite) {
  std::uint64_t count = static_cast<std::uint64_t>(std::max(suite.repetitions, 0));
  for (const auto& key : suite.keys) {
    const std::uint64_t values = key.values.size();
    if (values != 0 && count > std::numeric_limits<std::uint64_t>::max() / values)
      return std::numeric_limits<std::uint64_t>::max();
    count *= values;
  }
  return count;
}

std::vector<Run> expand(const Suite& suite, const PlanReader& read_plan) {
  // Refused before anything is allocated: the product grows exponentially
  // with the number of keys, the file only linearly.
  if (const std::uint64_t count = run_count(suite); count > kMaxRuns) {
    std::string factors;  // the keys with more than one value: "a 12, b 12, repetitions 3"
    for (const auto& key : suite.keys)
      if (key.values.size() > 1) factors += cat(factors.empty() ? "" : ", ", key.name, " ", key.values.size());
    if (suite.repetitions > 1) factors += cat(factors.empty() ? "" : ", ", "repetitions ", suite.repetitions);
    const std::string size = count == std::numeric_limits<std::uint64_t>::max()
                                 ? std::string("more than 18446744073709551615")
                                 : std::to_string(count);
    throw Error(cat(suite.source, ": ", size, " runs (values per key: ", factors, "), more than the ", kMaxRuns,
                    " one suite may expand to: sweep fewer values, or split the suite into several"));
  }
  const SuiteKey* plan = suite.find("plan");
  const SuiteKey* k = suite.find("k");
  const SuiteKey* code = suite.find("code");
  std::map<std::string, std::string> plan_texts;
  if (plan) {
    for (const auto& path : plan->values) {
      try {
        plan_texts[path] = read_plan(path);
      } catch (const Error& e) {
        throw Error(suite.where(*plan) + e.what());
      }
      const std::string& text = plan_texts[path];
      if (text.find("{k}") != std::string::npos)
        require(k, suite.where(*plan), "'", path, "' has {k} in it: set k = ... to fill it");
      else if (k)
        throw Error(cat(suite.where(*k), "plan '", path, "' has no {k} to fill (k only fills plan templates)"));
      if (text.find("{code}") != std::string::npos)
        require(code, suite.where(*plan), "'", path, "' has {code} in it: set code = ... to fill it");
    }
  } else if (k) {
    throw Error(cat(suite.where(*k),
                    "k only fills {k} in a plan template: add plan = FILE (without a plan, cdcnn run makes k as "
                    "large as the workers allow)"));
  }

  std::vector<Run> runs;
  std::vector<std::size_t> index(suite.keys.size(), 0);
  for (;;) {
    std::vector<std::pair<std::string, std::string>> parameters;
    for (std::size_t i = 0; i < suite.keys.size(); ++i)
      parameters.emplace_back(suite.keys[i].name, suite.keys[i].values[index[i]]);
    for (int rep = 0; rep < suite.repetitions; ++rep) {
      Run run;
      run.parameters = parameters;
      run.repetition = rep;
      std::string plan_file_text;
      if (plan) {
        plan_file_text = plan_texts[*run.get("plan")];
        if (plan_file_text.find("{k}") != std::string::npos || plan_file_text.find("{code}") != std::string::npos) {
          std::string filled = plan_file_text;
          if (k) filled = replace_all(filled, "{k}", *run.get("k"));
          if (code) filled = replace_all(filled, "{code}", *run.get("code"));
          run.plan_text = filled;
        }
      }
      run.id = run_id(parameters, rep, plan_file_text);
      runs.push_back(std::move(run));
    }
    // The odometer: the last key turns fastest.
    std::size_t i = suite.keys.size();
    while (i > 0 && ++index[i - 1] == suite.keys[i - 1].values.size()) index[--i] = 0;
    if (i == 0) break;
  }
  std::map<std::string, std::size_t> ids;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto [it, fresh] = ids.emplace(runs[i].id, i);
    require(fresh, suite.source, ": runs ", it->second + 1, " and ", i + 1, " have the same ID ", runs[i].id,
            " (a hash collision: change a value's spelling, e.g. add a trailing .0)");
  }
  return runs;
}

}  // namespace cdcnn::sweep
