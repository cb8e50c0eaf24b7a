#include "plan/plan.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace cdcnn {

const PlanLine* Plan::find(const std::string& layer) const {
  for (const auto& s : splits)
    if (s.layer == layer) return &s;
  return nullptr;
}

std::string Plan::where(const PlanLine& split) const {
  return split.line ? cat(source, ":", split.line) : source;
}

namespace {

int parse_int(const std::string& token, const std::string& where, const char* what) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(token, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  require(used == token.size() && v >= -1000000 && v <= 1000000, where, ": ", what, " must be an integer, got '",
          token, "'");
  return static_cast<int>(v);
}

/// tokens[from..] as distinct non-negative ranks.
std::vector<int> parse_ranks(const std::vector<std::string>& tokens, std::size_t from, const std::string& where,
                             const char* what, const char* one) {
  std::vector<int> ranks;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    const int rank = parse_int(tokens[i], where, one);
    require(rank >= 0, where, ": ranks must be non-negative, got ", rank);
    require(std::find(ranks.begin(), ranks.end(), rank) == ranks.end(), where, ": ", what, " lists rank ", rank,
            " twice");
    ranks.push_back(rank);
  }
  return ranks;
}

}  // namespace

Plan parse_plan(const std::string& text, const std::string& source) {
  Plan plan;
  plan.source = source;
  std::istringstream in(text);
  std::string line;
  std::set<std::string> seen;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    std::vector<std::string> tokens;
    for (std::string t; fields >> t;) tokens.push_back(t);
    if (tokens.empty()) continue;
    const std::string where = cat(source, ":", number);
    if (tokens[0] == Model::kInputName) {
      require(tokens.size() >= 2, where, ": expected 'input RANK [RANK...]' (the ranks holding the model's input), got '",
              line, "'");
      require(plan.input.ranks.empty(), where, ": the input is placed twice (first at line ", plan.input.line, ")");
      plan.input.ranks = parse_ranks(tokens, 1, where, "the input", "an input rank");
      plan.input.line = number;
      continue;
    }
    if (tokens[0] == "stage") {
      require(tokens.size() >= 3, where, ": expected 'stage FIRST[..LAST] RANK [RANK...]', got '", line, "'");
      PlanStage stage;
      const std::string& range = tokens[1];
      const auto dots = range.find("..");
      stage.first = range.substr(0, dots);
      stage.last = dots == std::string::npos ? stage.first : range.substr(dots + 2);
      require(!stage.first.empty() && !stage.last.empty(), where, ": expected a layer or FIRST..LAST, got '", range, "'");
      stage.ranks = parse_ranks(tokens, 2, where, "the stage", "a stage rank");
      stage.line = number;
      plan.stages.push_back(std::move(stage));
      continue;
    }
    require(tokens.size() >= 3, where, ": expected 'LAYER K CODE [RANKS...]', got '", line, "'");
    PlanLine split;
    split.layer = tokens[0];
    split.k = parse_int(tokens[1], where, "k");
    require(split.k >= 1, where, ": k must be at least 1, got ", split.k);
    split.code = tokens[2];
    for (std::size_t i = 3; i < tokens.size(); ++i) {
      const int rank = parse_int(tokens[i], where, "a rank");
      require(rank >= 0, where, ": ranks must be non-negative, got ", rank);
      split.ranks.push_back(rank);
    }
    split.line = number;
    require(seen.insert(split.layer).second, where, ": layer '", split.layer, "' is split twice");
    plan.splits.push_back(std::move(split));
  }
  return plan;
}

Plan load_plan(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), "--plan: cannot read '", path, "'");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_plan(text.str(), path);
}

std::string format_plan(const Plan& plan) {
  std::ostringstream out;
  out << "# layer k code [ranks]\n";
  if (!plan.input.ranks.empty()) {
    out << Model::kInputName;
    for (int r : plan.input.ranks) out << ' ' << r;
    out << '\n';
  }
  for (const auto& s : plan.stages) {
    out << "stage " << s.first;
    if (s.last != s.first) out << ".." << s.last;
    for (int r : s.ranks) out << ' ' << r;
    out << '\n';
  }
  for (const auto& s : plan.splits) {
    out << s.layer << ' ' << s.k << ' ' << s.code;
    for (int r : s.ranks) out << ' ' << r;
    out << '\n';
  }
  return out.str();
}

std::unique_ptr<Code> make_code(const Plan& plan, const PlanLine& split, const CodeRegistry& registry) {
  std::unique_ptr<Code> code;
  try {
    code = registry.make(split.code, split.k);
  } catch (const Error& e) {
    throw Error(cat(plan.where(split), ": ", e.what()));
  }
  require(split.ranks.empty() || static_cast<int>(split.ranks.size()) == code->n(), plan.where(split), ": ",
          code->spec(), " with k = ", split.k, " has ", code->n(), " shards, but ", split.ranks.size(),
          " ranks are listed");
  return code;
}

void check_plan_against_model(const Plan& plan, const Model& model) {
  for (const auto& s : plan.splits) {
    const std::string where = plan.where(s);
    std::size_t index = 0;
    try {
      index = model.index_of(s.layer);
    } catch (const Error& e) {
      throw Error(cat(where, ": ", e.what()));
    }
    const LinearLayer* linear = model.layer(index).as_linear();
    require(linear != nullptr, where, ": layer '", s.layer, "' is ", model.layer(index).kind(),
            ", only dense and conv layers can be split");
    require(s.k <= linear->rows(), where, ": k = ", s.k, " exceeds the ", linear->rows(), " output rows of layer '",
            s.layer, "'");
  }
}

std::vector<int> round_robin_ranks(int n, int workers) {
  require(workers >= 1, "placing shards round-robin: no worker");
  std::vector<int> ranks;
  for (int j = 0; j < n; ++j) ranks.push_back(1 + j % workers);
  return ranks;
}

}  // namespace cdcnn
