#include "runtime/master.hpp"

#include "core/error.hpp"
#include "runtime/node.hpp"

namespace cdcnn::runtime {

DeadlinePolicy parse_policy(const std::string& text) {
  if (text == "wait") return DeadlinePolicy::wait;
  if (text == "zero-fill") return DeadlinePolicy::zero_fill;
  if (text == "fail") return DeadlinePolicy::fail;
  throw Error(cat("--policy: '", text, "' is not one of wait, zero-fill, fail"));
}

namespace {
const ShardWeights kNoShards;  // rank 0 holds no shards (deploy puts them on ranks 1..)
}  // namespace

Master::Master(const Model& model, const Deployment& deployment, MasterOptions options, int world_size,
               TraceWriter* trace, int in_flight, MPI_Comm comm)
    : node_(std::make_unique<Node>(model, deployment, kNoShards, nullptr,
                                   NodeOptions{.master = options, .in_flight = in_flight, .start_wtime = MPI_Wtime(),
                                               .comm = comm},
                                   0, world_size, trace)) {}

Master::~Master() = default;

InferenceResult Master::infer(const Tensor& x, std::int64_t inference) {
  require(node_->in_flight() == 0, "Master::infer: frames are still in flight");
  node_->admit(x, inference);
  mpi::Backoff backoff(std::chrono::microseconds(5), std::chrono::microseconds(200));
  while (true) {
    if (auto r = node_->take_result()) return std::move(*r);
    if (node_->step()) backoff.reset();
    else backoff.pause();
  }
}

void Master::admit(const Tensor& x, std::int64_t inference) { node_->admit(x, inference); }
std::optional<InferenceResult> Master::take_result() { return node_->take_result(); }
bool Master::step() { return node_->step(); }
std::size_t Master::in_flight() const { return node_->in_flight(); }
std::vector<int> Master::stop_workers(double timeout_ms) { return node_->stop_others(timeout_ms); }
std::int64_t Master::late_results() const { return node_->late(); }
const std::vector<double>& Master::worker_peak_rss_mb() const { return node_->peak_rss_mb(); }
const WorkerHealth& Master::health() const { return node_->health(); }
const std::vector<WorkerHealth::Event>& Master::health_log() const { return node_->health_log(); }

}  // namespace cdcnn::runtime
