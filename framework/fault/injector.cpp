#include "fault/injector.hpp"

#include <sstream>

#include "core/error.hpp"

namespace cdcnn {

std::vector<int> parse_rank_set(const std::string& text, int world_size, const std::string& flag) {
  std::vector<int> ranks;
  if (text == "all") {
    for (int r = 1; r < world_size; ++r) ranks.push_back(r);
    return ranks;
  }
  auto number = [&](const std::string& s) {
    std::size_t used = 0;
    int v = -1;
    try {
      v = std::stoi(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used == s.size() && !s.empty(), flag, ": '", s, "' in rank set '", text, "' is not a rank");
    require(v >= 1 && v < world_size, flag, ": rank ", v, " in '", text, "' is not a worker (workers are 1..",
            world_size - 1, ")");
    return v;
  };
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto dash = item.find('-');
    if (dash == std::string::npos) {
      ranks.push_back(number(item));
    } else {
      const int lo = number(item.substr(0, dash)), hi = number(item.substr(dash + 1));
      require(lo <= hi, flag, ": empty rank range '", item, "'");
      for (int r = lo; r <= hi; ++r) ranks.push_back(r);
    }
  }
  require(!ranks.empty(), flag, ": empty rank set in '", text, "'");
  return ranks;
}

FaultInjector::FaultInjector(std::uint64_t seed, const std::vector<std::string>& straggler_specs,
                             const std::vector<std::string>& fail_specs, int world_size)
    : seed_(seed), world_size_(world_size) {
  require(world_size >= 1, "fault injection needs at least one rank");
  std::shared_ptr<const DelayModel> none = make_delay_model("none");
  delay_by_rank_.assign(static_cast<std::size_t>(world_size), none);
  for (const auto& spec : straggler_specs) {
    const auto at = spec.find('@');
    const std::string model_spec = at == std::string::npos ? spec : spec.substr(at + 1);
    std::shared_ptr<const DelayModel> model = make_delay_model(model_spec);
    const auto ranks = parse_rank_set(at == std::string::npos ? "all" : spec.substr(0, at), world_size, "--straggler");
    for (int r : ranks) delay_by_rank_[static_cast<std::size_t>(r)] = model;
  }
  for (const auto& spec : fail_specs)
    if (spec != "none") failures_.push_back(parse_failure(spec));
}

FaultInjector::Failure FaultInjector::parse_failure(const std::string& text) const {
  const SpecString s = SpecString::parse(text, "--fail");
  Failure f;
  f.spec = text;
  auto rank = [&] {
    const auto ranks = parse_rank_set(s.string("rank"), world_size_, "--fail");
    require(ranks.size() == 1, "--fail: '", text, "' must name one rank");
    return ranks[0];
  };
  if (s.name == "stop" || s.name == "crash") {
    s.allow_only("rank,inference,at_ms");
    f.rank = rank();
    f.crash = s.name == "crash";
    require(s.params.count("inference") != s.params.count("at_ms"), "--fail: '", text,
            "' needs exactly one of inference=I or at_ms=T");
    if (s.params.count("inference")) {
      f.kind = Failure::Kind::stop_at_inference;
      f.from = s.integer("inference");
      require(f.from >= 0, "--fail: inference in '", text, "' must be non-negative");
    } else {
      f.kind = Failure::Kind::stop_at_ms;
      f.at_ms = s.real("at_ms");
      require(f.at_ms >= 0, "--fail: at_ms in '", text, "' must be non-negative");
    }
  } else if (s.name == "intermittent") {
    s.allow_only("rank,from,to");
    f.kind = Failure::Kind::intermittent;
    f.rank = rank();
    f.from = s.integer("from");
    f.to = s.integer("to");
    require(0 <= f.from && f.from < f.to, "--fail: '", text, "' needs 0 <= from < to");
  } else if (s.name == "drop") {
    s.allow_only("p,rank");
    f.kind = Failure::Kind::drop;
    f.rank = s.params.count("rank") ? rank() : -1;
    f.p = s.real("p");
    require(f.p >= 0 && f.p <= 1, "--fail: p in '", text, "' must be within [0, 1]");
  } else if (s.name == "corrupt") {
    s.allow_only("rank,kind,p");
    f.kind = Failure::Kind::corrupt;
    f.rank = rank();
    f.p = s.params.count("p") ? s.real("p") : 1.0;
    require(f.p >= 0 && f.p <= 1, "--fail: p in '", text, "' must be within [0, 1]");
    const std::string kind = s.string("kind");
    if (kind == "bitflip") f.corruption = ShardFault::Corruption::bitflip;
    else if (kind == "scale") f.corruption = ShardFault::Corruption::scale;
    else if (kind == "nan") f.corruption = ShardFault::Corruption::nan;
    else throw Error(cat("--fail: kind in '", text, "' must be bitflip, scale or nan"));
  } else {
    throw Error(cat("--fail: unknown failure '", s.name, "' (known: stop, crash, intermittent, drop, corrupt, none)"));
  }
  return f;
}

ShardFault FaultInjector::at(int rank, std::int64_t inference, int layer, double elapsed_ms) const {
  ShardFault fault;
  if (rank <= 0 || rank >= world_size_) return fault;
  // One stream per (rank, inference, layer); draws happen in a fixed order
  // whatever is configured, so adding a drop leaves the delays unchanged.
  Rng rng = Rng(seed_).fork(static_cast<std::uint64_t>(rank)).fork(static_cast<std::uint64_t>(inference)).fork(
      static_cast<std::uint64_t>(layer));
  fault.delay_ms = delay_by_rank_[static_cast<std::size_t>(rank)]->sample_ms(rng);
  const double drop_draw = rng.uniform();
  const double corrupt_draw = rng.uniform();  // drawn last: adding it left every delay and drop as it was
  for (const auto& f : failures_) {
    if (f.rank != -1 && f.rank != rank) continue;
    switch (f.kind) {
      case Failure::Kind::stop_at_inference:
        (f.crash ? fault.crash : fault.silent) |= inference >= f.from;
        break;
      case Failure::Kind::stop_at_ms:
        (f.crash ? fault.crash : fault.silent) |= elapsed_ms >= f.at_ms;
        break;
      case Failure::Kind::intermittent: fault.silent |= inference >= f.from && inference < f.to; break;
      case Failure::Kind::drop: fault.dropped |= drop_draw < f.p; break;
      case Failure::Kind::corrupt:
        if (corrupt_draw < f.p) fault.corruption = f.corruption;
        break;
    }
  }
  return fault;
}

const DelayModel& FaultInjector::delay_model(int rank) const {
  require(rank >= 0 && rank < world_size_, "no rank ", rank);
  return *delay_by_rank_[static_cast<std::size_t>(rank)];
}

std::string FaultInjector::describe() const {
  std::string out = cat("seed=", seed_, "; stragglers=");
  for (int r = 1; r < world_size_; ++r) out += cat(r == 1 ? "" : " ", r, ":", delay_by_rank_[r]->spec());
  out += "; failures=";
  if (failures_.empty()) out += "none";
  for (std::size_t i = 0; i < failures_.size(); ++i) out += (i ? " " : "") + failures_[i].spec;
  return out;
}

}  // namespace cdcnn
