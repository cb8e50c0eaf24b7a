#include "runtime/health.hpp"

#include <algorithm>
#include <utility>

#include "core/error.hpp"

namespace cdcnn::runtime {

WorkerHealth::WorkerHealth(int world_size, HealthOptions options)
    : options_(options), state_(static_cast<std::size_t>(std::max(world_size, 1))) {
  require(options.silence_ms > 0 && options.suspect_after >= 1 && options.probe_every >= 1,
          "worker health: silence_ms, suspect_after and probe_every must be positive");
}

void WorkerHealth::dispatched(int rank, std::int64_t inference, double now_ms) {
  State& s = state_.at(static_cast<std::size_t>(rank));
  if (!s.outstanding_since) s.outstanding_since = now_ms;
  s.last_inference = inference;
  if (s.suspected && s.probing != inference) {
    s.probing = s.last_probe = inference;
    s.probe_ms = now_ms;
    events_.push_back({now_ms, rank, inference, HealthEvent::probed});
  }
}

void WorkerHealth::heard(int rank, std::int64_t inference, double now_ms) {
  State& s = state_.at(static_cast<std::size_t>(rank));
  s.last_heard_ms = now_ms;
  s.misses = 0;
  // Workers answer in order and drop superseded work: hearing about the
  // newest work means nothing older is still coming.
  if (inference >= s.last_inference) s.outstanding_since.reset();
  if (s.suspected && s.probing >= 0 && inference >= s.probing && now_ms - s.probe_ms <= options_.silence_ms) {
    s.suspected = false;
    events_.push_back({now_ms, rank, inference, HealthEvent::readmitted});
  }
}

void WorkerHealth::tick(double now_ms) {
  for (std::size_t r = 1; r < state_.size(); ++r) {
    State& s = state_[r];
    if (!s.outstanding_since || now_ms - std::max(*s.outstanding_since, s.last_heard_ms) <= options_.silence_ms)
      continue;
    s.outstanding_since.reset();  // judged: the next miss needs new work and another silence
    if (++s.misses >= options_.suspect_after && !s.suspected) {
      s.suspected = true;
      s.last_probe = s.last_inference;  // the first probe comes probe_every inferences from now
      s.probing = -1;
      events_.push_back({now_ms, static_cast<int>(r), s.last_inference, HealthEvent::suspected});
    }
  }
}

void WorkerHealth::corrupted(int rank, std::int64_t inference, double now_ms) {
  State& s = state_.at(static_cast<std::size_t>(rank));
  if (s.suspected) return;
  s.suspected = true;
  s.last_probe = inference;
  s.probing = -1;
  events_.push_back({now_ms, rank, inference, HealthEvent::suspected});
}

void WorkerHealth::unresponsive(int rank, double now_ms) {
  events_.push_back({now_ms, rank, state_.at(static_cast<std::size_t>(rank)).last_inference, HealthEvent::unresponsive});
}

bool WorkerHealth::probe_due(int rank, std::int64_t inference) const {
  const State& s = state_.at(static_cast<std::size_t>(rank));
  return s.suspected && (inference == s.probing || inference - s.last_probe >= options_.probe_every);
}

std::vector<int> WorkerHealth::suspects() const {
  std::vector<int> out;
  for (std::size_t r = 1; r < state_.size(); ++r)
    if (state_[r].suspected) out.push_back(static_cast<int>(r));
  return out;
}

std::vector<WorkerHealth::Event> WorkerHealth::take_events() { return std::exchange(events_, {}); }

}  // namespace cdcnn::runtime
