#include "runtime/node.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <thread>

#include "codes/encoding.hpp"
#include "codes/recovery.hpp"
#include "codes/shard_check.hpp"
#include "layers/merge.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/strings.hpp"
#include "runtime/protocol.hpp"

namespace cdcnn::runtime {

// A split layer being decoded here, for one frame.
struct Node::Collector {
  bool open = false;
  bool done = false;
  double opened_ms = NAN;  // the input went out (dispatch or notice) or the first shard came
  ShardMask sent, arrived, rejected;
  std::vector<std::vector<float>> slots;  // shard j's message, received in place
  std::vector<double> arrival_ms, compute_ms, delay_ms;
};

struct Node::Frame {
  std::int64_t id = 0;
  double start_ms = NAN;
  std::vector<std::optional<Tensor>> values;  // per value, while needed here
  std::vector<char> got;                      // per value: it has come (a second copy is a duplicate)
  std::vector<int> uses_left;                 // per value
  std::vector<char> ran, delayed;             // per layer: computed here; its injected delay slept
  std::map<std::size_t, Collector> collectors;
  int remaining = 0;  // tasks and decodes left here
  InferenceOutcome outcome = InferenceOutcome::exact;
  int blocks_decoded = 0;
  CheckResult check = CheckResult::unchecked;
  bool failed = false, complete = false;  // rank 0: the result is ready
  std::string note;
};

namespace {

using Clock = std::chrono::steady_clock;

/// Injected wrong numbers: the rank "computes" a wrong block.
void corrupt(std::span<float> z, ShardFault::Corruption kind, std::int64_t frame) {
  if (z.empty()) return;
  float& victim = z[static_cast<std::size_t>(frame * 7919) % z.size()];
  switch (kind) {
    case ShardFault::Corruption::bitflip: {
      std::uint32_t bits;
      std::memcpy(&bits, &victim, sizeof bits);
      bits ^= 1u << 30;  // the exponent's top bit: a large error, as a flipped memory bit can make
      std::memcpy(&victim, &bits, sizeof bits);
      break;
    }
    case ShardFault::Corruption::scale:
      for (float& v : z) v *= 1.5f;
      break;
    case ShardFault::Corruption::nan: victim = std::numeric_limits<float>::quiet_NaN(); break;
    case ShardFault::Corruption::none: break;
  }
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

const Shape& value_shape(const Model& model, std::size_t v) {
  return v == 0 ? model.input_shape() : model.output_shape_of(v - 1);
}

/// Floats of one report: a layer row and its shards' rows.
std::size_t report_floats(int shards) {
  const std::size_t bytes = sizeof(LayerRecord) + static_cast<std::size_t>(shards) * sizeof(ShardRecord);
  return (bytes + sizeof(float) - 1) / sizeof(float);
}

}  // namespace

Node::Node(const Model& model, const Deployment& deployment, const ShardWeights& weights, const FaultInjector* faults,
           NodeOptions options, int rank, int world_size, TraceWriter* trace)
    : model_(model), deployment_(deployment), weights_(weights), faults_(faults), options_(options), rank_(rank),
      world_(world_size), trace_(trace),
      health_(world_size, HealthOptions{.silence_ms = options.master.deadline_ms,
                                        .suspect_after = options.master.suspect_after,
                                        .probe_every = options.master.probe_every}),
      peak_rss_mb_(static_cast<std::size_t>(world_size), std::numeric_limits<double>::quiet_NaN()),
      acknowledged_(static_cast<std::size_t>(world_size), 0) {
  require(options_.in_flight >= 1, "--in-flight must be at least 1, got ", options_.in_flight);
  const Deployment& d = deployment_;
  const std::size_t layers = model.size(), values = layers + 1;
  // A frame whose output depends on other ranks' stages can be lost with
  // them; the star's rank 0 decides every layer itself, by its deadlines.
  frame_timeout_ms_ = options_.master.frame_timeout_ms > 0 ? options_.master.frame_timeout_ms
                      : d.is_star()                        ? std::numeric_limits<double>::infinity()
                      : options_.master.policy == DeadlinePolicy::wait
                          ? options_.master.give_up_ms
                          : options_.master.deadline_ms * static_cast<double>(2 + d.layers.size());

  decodes_.assign(layers, 0);
  local_uses_.assign(values, 0);
  send_to_.assign(values, {});
  split_readers_.assign(values, {});
  for (std::size_t c = 0; c < layers; ++c) {
    const DeployedLayer* split = d.find(c);
    const bool here = split ? !split->shards_of(rank_).empty() : contains(d.placed[c], rank_);
    if (here) {
      tasks_.push_back(c);
      for (int s : model.inputs_of(c)) ++local_uses_[static_cast<std::size_t>(s + 1)];
    }
    if (split && contains(d.needers[c + 1], rank_)) decodes_[c] = 1;
    if (split)
      for (int s : model.inputs_of(c)) split_readers_[static_cast<std::size_t>(s + 1)].push_back(c);
  }
  if (rank_ == 0) ++local_uses_[layers];  // the sink
  for (std::size_t v = 0; v < values; ++v)
    if (contains(d.makers[v], rank_))
      for (int r : d.needers[v])
        if (!contains(d.makers[v], r)) send_to_[v].push_back(r);

  // Every message another rank may send here, and so the size of its receive.
  receive_floats_.assign(static_cast<std::size_t>(world_), static_cast<std::size_t>(kHeaderFloats));
  receive_floats_[static_cast<std::size_t>(rank_)] = 0;
  auto room = [&](int from, std::size_t floats) {
    if (from == rank_) return;
    auto& most = receive_floats_[static_cast<std::size_t>(from)];
    most = std::max(most, message_floats(floats));
  };
  for (std::size_t v = 0; v < values; ++v) {
    const auto floats = static_cast<std::size_t>(numel(value_shape(model, v)));
    if (contains(d.needers[v], rank_) && !contains(d.makers[v], rank_))
      for (int p : d.makers[v]) room(p, floats);
  }
  if (contains(d.input_ranks, rank_) && !contains(d.input_ranks, 0))
    room(0, static_cast<std::size_t>(numel(model.input_shape())));
  for (const auto& l : d.layers) {
    if (decodes_[l.layer_index])
      for (int h : l.holders()) room(h, static_cast<std::size_t>(l.rows_per_block * l.positions));
    if (rank_ == 0)
      for (int r : d.needers[l.layer_index + 1]) room(r, report_floats(l.code->n()));
  }
  receive_buffers_.resize(static_cast<std::size_t>(world_));
  receives_.resize(static_cast<std::size_t>(world_));
  for (int r = 0; r < world_; ++r) {
    const std::size_t floats = receive_floats_[static_cast<std::size_t>(r)];
    if (floats == 0) continue;
    receive_buffers_[r].resize(floats);
    receives_[r] = mpi::irecv_bytes(receive_buffers_[r].data(), static_cast<int>(floats * sizeof(float)), r,
                                    MPI_ANY_TAG, options_.comm);
  }
  int most_blocks = 0;
  for (const auto& l : d.layers) most_blocks = std::max(most_blocks, l.code->k());
  padding_blocks_.resize(static_cast<std::size_t>(most_blocks));
  last_heard_ms_ = now_ms();
}

Node::~Node() {
  for (auto& r : receives_) r.cancel();
  // Sends to suspects (likely dead) are abandoned; the others get a moment.
  for (auto& s : sends_)
    if (health_.suspected(s.rank)) s.request.abandon();
  const auto give_up = Clock::now() + std::chrono::seconds(2);
  while (!sends_.empty() && Clock::now() < give_up) {
    reap_sends();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

double Node::now_ms() const { return (MPI_Wtime() - options_.start_wtime) * 1e3; }

// ---------------------------------------------------------------- frames

Node::Frame* Node::frame(std::int64_t id, bool create) {
  if (auto it = frames_.find(id); it != frames_.end()) return &it->second;
  if (!create || finished(id)) return nullptr;
  Frame& f = frames_[id];
  f.id = id;
  const std::size_t values = model_.size() + 1;
  f.values.resize(values);
  f.got.assign(values, 0);
  f.uses_left = local_uses_;
  f.ran.assign(model_.size(), 0);
  f.delayed.assign(model_.size(), 0);
  f.remaining = static_cast<int>(tasks_.size()) + static_cast<int>(std::count(decodes_.begin(), decodes_.end(), 1));
  return &f;
}

void Node::saw(std::int64_t id) {
  if (id <= newest_) return;
  newest_ = id;
  // Delayed work of a frame this old is no longer awaited: the source admits
  // frame f + in_flight only once frame f is over.
  supersede([&](const Deferred& d) { return d.frame + options_.in_flight <= id; });
  evict_stale();
}

template <class Pred>
void Node::supersede(Pred&& pred) {
  std::erase_if(deferred_, [&](const Deferred& d) {
    const bool superseded = pred(d);
    stats_.superseded += superseded;
    return superseded;
  });
  if (deferred_.empty()) busy_until_ms_ = 0.0;
}

void Node::maybe_finish(std::int64_t id) {
  if (rank_ == 0) return;
  const auto it = frames_.find(id);
  if (it == frames_.end() || it->second.remaining > 0) return;
  for (const auto& d : deferred_)
    if (d.frame == id) return;
  finish(id);
}

bool Node::finished(std::int64_t id) const {
  return id < forgotten_below_ || std::binary_search(finished_.begin(), finished_.end(), id);
}

void Node::finish(std::int64_t id) {
  auto it = frames_.find(id);
  if (it != frames_.end()) {
    for (auto& [layer, c] : it->second.collectors)
      for (auto& s : c.slots)
        if (!s.empty()) free_slots_.push_back(std::move(s));
    frames_.erase(it);
  }
  finished_.insert(std::upper_bound(finished_.begin(), finished_.end(), id), id);
  while (finished_.size() > 256) {
    forgotten_below_ = std::max(forgotten_below_, finished_.front() + 1);
    finished_.erase(finished_.begin());
  }
}

void Node::evict_stale() {
  // A frame here that is this far behind the newest can no longer finish:
  // what it waits for was lost upstream (a dead stage, a zero-filled layer
  // elsewhere). Rank 0 times such frames out itself.
  if (rank_ == 0) return;
  const std::int64_t oldest_live = newest_ - 2 * options_.in_flight - 1;
  while (!frames_.empty() && frames_.begin()->first < oldest_live) finish(frames_.begin()->first);
}

void Node::admit(const Tensor& x, std::int64_t id) {
  require(rank_ == 0, "only rank 0 admits frames");
  Frame& f = *frame(id, true);
  f.start_ms = now_ms();
  if (contains(deployment_.input_ranks, 0)) {
    present(f, 0, x);
    return;
  }
  // The input lives on other ranks (a camera device): rank 0 feeds them.
  const Header h{.inference = id, .layer = -1, .floats = x.numel()};
  BufferPool::Buffer message = messages_.acquire(message_floats(static_cast<std::size_t>(x.numel())));
  pack_message_into(*message, h, x.values());
  for (int r : deployment_.input_ranks) send(r, kValue, h, message);
}

std::optional<InferenceResult> Node::take_result() {
  if (frames_.empty()) return std::nullopt;
  Frame& f = frames_.begin()->second;
  const std::size_t out = model_.size();
  if (!f.complete && !f.failed && now_ms() - f.start_ms > frame_timeout_ms_) {
    std::vector<std::string> from;
    for (int r : deployment_.makers[out]) from.push_back(std::to_string(r));
    fail_frame(f, out - 1,
               cat("no output of layer '", model_.layer(out - 1).name(), "' from rank ", join(from, " or rank "),
                   " within ", frame_timeout_ms_, " ms (a stage on it or before it is down)"));
  }
  if (!f.complete && !f.failed) return std::nullopt;
  InferenceResult r;
  r.inference = f.id;
  r.outcome = f.failed ? InferenceOutcome::failed : f.outcome;
  r.blocks_decoded = f.blocks_decoded;
  r.check = f.check;
  r.start_ms = f.start_ms;
  r.latency_ms = now_ms() - f.start_ms;
  r.note = f.note;
  if (!f.failed) r.output = std::move(*f.values[out]);
  finish(f.id);
  trim_spares();
  return r;
}

void Node::fail_frame(Frame& f, std::size_t layer, const std::string& note) {
  if (rank_ != 0) {
    const Header h{.inference = f.id, .layer = static_cast<std::int32_t>(layer)};
    send(0, kFailed, h, nullptr);
    finish(f.id);
    return;
  }
  f.failed = true;
  if (f.note.empty()) f.note = note;
}

// ---------------------------------------------------------------- the loop

bool Node::step() {
  bool busy = poll();
  reap_sends();
  const double now = now_ms();
  // Deferred work (an injected delay) whose time has come, in order.
  while (!deferred_.empty() && deferred_.front().due_ms <= now) {
    Deferred d = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    d.act();
    maybe_finish(d.frame);
    busy = true;
  }
  if (deferred_.empty()) busy_until_ms_ = 0.0;
  busy |= settle_collectors();
  if (now >= busy_until_ms_) busy |= run_one_task();
  return busy;
}

bool Node::poll() {
  bool got = false;
  for (int r = 0; r < world_; ++r) {
    auto& request = receives_[static_cast<std::size_t>(r)];
    if (!request.pending()) continue;
    const auto status = request.test();
    if (!status) continue;
    got = true;
    last_heard_ms_ = now_ms();
    auto& buffer = receive_buffers_[static_cast<std::size_t>(r)];
    on_message(r, buffer, status->MPI_TAG);
    const std::size_t floats = receive_floats_[static_cast<std::size_t>(r)];
    if (buffer.size() < floats) buffer.resize(floats);  // a shard slot swapped in may be smaller
    request = mpi::irecv_bytes(buffer.data(), static_cast<int>(floats * sizeof(float)), r, MPI_ANY_TAG, options_.comm);
  }
  health_.tick(now_ms());
  log_health();
  return got;
}

void Node::on_message(int from, std::vector<float>& buffer, int tag) {
  const Header h = unpack_header(buffer);
  health_.heard(from, h.inference, now_ms());
  if (tag == kStop) {
    if (rank_ != 0) {
      stop_ = true;
    } else {
      acknowledged_[static_cast<std::size_t>(from)] = 1;
      if (h.peak_rss_mb > 0) peak_rss_mb_[static_cast<std::size_t>(from)] = h.peak_rss_mb;
      late_ += h.late;
    }
    return;
  }
  if (rank_ != 0) saw(h.inference);
  std::span<float> payload;
  try {
    payload = message_payload(buffer, h);
  } catch (const Error&) {
    late(h, from);  // malformed: as good as lost
    return;
  }
  switch (tag) {
    case kValue: on_value(from, h, payload); break;
    case kResult: on_result(from, h, buffer); break;
    case kNotice:
      if (h.layer >= 0 && static_cast<std::size_t>(h.layer) < model_.size() && decodes_[h.layer])
        if (Frame* f = frame(h.inference, rank_ != 0)) open(*f, static_cast<std::size_t>(h.layer), now_ms());
      break;
    case kReport: on_report(h, payload); break;
    case kFailed:
      if (Frame* f = frame(h.inference, false))
        fail_frame(*f, static_cast<std::size_t>(std::max(0, h.layer)),
                   cat("layer '", model_.layer(static_cast<std::size_t>(std::max(0, h.layer))).name(),
                       "' could not be decoded on rank ", from));
      break;
    default: late(h, from);
  }
}

void Node::late(const Header& h, int from) {
  ++late_;
  if (trace_) trace_->add(LateRecord{h.inference, h.layer, h.shard, from, now_ms()});
}

void Node::on_value(int from, const Header& h, std::span<float> payload) {
  const auto v = static_cast<std::size_t>(h.layer + 1);
  const bool fed = v == 0 && from == 0 && contains(deployment_.input_ranks, rank_);
  if (h.layer < -1 || v > model_.size() || !(fed || contains(deployment_.needers[v], rank_)) ||
      h.floats != numel(value_shape(model_, v))) {
    late(h, from);
    return;
  }
  Frame* f = frame(h.inference, rank_ != 0);
  if (!f) {
    late(h, from);
    return;
  }
  // A value made by a later layer of this frame: whatever this rank was
  // still delaying for an earlier layer has been decided without it.
  if (rank_ != 0) supersede([&](const Deferred& d) { return d.frame == h.inference && d.layer < h.layer; });
  if (f->got[v]) return;  // a replica's copy came first
  f->outcome = std::max(f->outcome, static_cast<InferenceOutcome>(h.outcome));
  f->blocks_decoded += h.blocks_decoded;
  f->check = std::max(f->check, static_cast<CheckResult>(h.check));
  Tensor x(value_shape(model_, v));
  std::ranges::copy(payload, x.data());
  if (rank_ != 0) ++stats_.inputs;
  present(*f, v, std::move(x));
}

void Node::on_result(int from, const Header& h, std::vector<float>& buffer) {
  const DeployedLayer* split = h.layer >= 0 ? deployment_.find(static_cast<std::size_t>(h.layer)) : nullptr;
  if (!split || !decodes_[split->layer_index] || h.shard < 0 || h.shard >= split->code->n() ||
      split->ranks[static_cast<std::size_t>(h.shard)] != from || h.floats != split->rows_per_block * split->positions) {
    late(h, from);
    return;
  }
  const std::size_t layer = split->layer_index;
  Frame* f = frame(h.inference, rank_ != 0);
  if (!f) {
    late(h, from);
    return;
  }
  // A rank that sends the layer's input itself accepts results only once it
  // has (a result before that is another frame's, or another layer's,
  // mislabelled); a rank that does not send it opens on the first result.
  auto it = f->collectors.find(layer);
  const auto input = static_cast<std::size_t>(model_.inputs_of(layer).front() + 1);
  if ((it == f->collectors.end() || !it->second.open) && contains(deployment_.makers[input], rank_)) {
    late(h, from);
    return;
  }
  Collector& c = open(*f, layer, now_ms());
  const auto j = static_cast<std::size_t>(h.shard);
  if (c.done || c.arrived[j] || c.rejected[j]) {
    late(h, from);
    return;
  }
  std::vector<float>& slot = c.slots[j];
  if (slot.empty()) slot = take_slot();
  std::swap(buffer, slot);  // received in place: the message becomes the shard's slot
  deliver_shard(f->id, layer, h.shard, h, {});
}

void Node::on_report(const Header& h, std::span<float> payload) {
  if (!trace_ || h.shard < 0 || payload.size() < report_floats(h.shard)) return;
  const auto* bytes = reinterpret_cast<const unsigned char*>(payload.data());
  LayerRecord layer;
  std::memcpy(&layer, bytes, sizeof layer);
  trace_->add(layer);
  for (int j = 0; j < h.shard; ++j) {
    ShardRecord s;
    std::memcpy(&s, bytes + sizeof layer + static_cast<std::size_t>(j) * sizeof s, sizeof s);
    trace_->add(s);
  }
}

// ---------------------------------------------------------------- values and tasks

void Node::present(Frame& f, std::size_t v, Tensor value) {
  f.got[v] = 1;
  f.values[v] = std::move(value);
  if (!send_to_[v].empty()) send_value(f, v);
  if (rank_ == 0 && v == model_.size()) f.complete = true;
  if (f.uses_left[v] == 0 && !(rank_ == 0 && v == model_.size())) f.values[v].reset();
}

void Node::send_value(Frame& f, std::size_t v) {
  const int made_by = static_cast<int>(v) - 1;
  if (rank_ != 0 && faults_) {
    const ShardFault fault = faults_->at(rank_, f.id, made_by, now_ms());
    if (fault.crash) std::raise(SIGKILL);
    if (fault.silent) {
      ++stats_.silent;
      return;
    }
    if (fault.dropped) {
      ++stats_.dropped;
      return;
    }
  }
  const double dispatch_ms = now_ms();
  std::vector<int> targets = send_to_[v];
  // The split layers reading v: a rank that decodes one alone may skip its
  // suspected holders (WorkerHealth) when the others can decode; the other
  // decoders are told when the input went out.
  for (std::size_t layer : split_readers_[v]) {
    const DeployedLayer& split = *deployment_.find(layer);
    const std::vector<int>& decoders = deployment_.needers[layer + 1];
    ShardMask sent(static_cast<std::size_t>(split.code->n()), true);
    if (decoders == std::vector<int>{rank_}) {
      std::vector<int> skipped;
      for (int r : split.holders())
        if (!health_.should_dispatch(r, f.id)) skipped.push_back(r);
      for (int r : skipped)
        for (int j : split.shards_of(r)) sent[static_cast<std::size_t>(j)] = false;
      if (!split.code->decodable(sent)) {
        sent.assign(sent.size(), true);
        skipped.clear();
      }
      // A skipped rank gets no copy unless something else on it reads v.
      std::erase_if(targets, [&](int r) {
        if (!contains(skipped, r)) return false;
        for (std::size_t other : split_readers_[v])
          if (other != layer && !deployment_.find(other)->shards_of(r).empty()) return false;
        for (std::size_t c = 0; c < model_.size(); ++c)
          if (!deployment_.find(c) && contains(deployment_.placed[c], r))
            for (int s : model_.inputs_of(c))
              if (static_cast<std::size_t>(s + 1) == v) return false;
        return true;
      });
      for (int r : split.holders())
        if (!contains(skipped, r)) health_.dispatched(r, f.id, dispatch_ms);
    }
    for (int r : decoders) {
      if (r == rank_) {
        open(f, layer, dispatch_ms).sent = sent;
      } else {
        send(r, kNotice, Header{.inference = f.id, .layer = static_cast<std::int32_t>(layer)}, nullptr);
      }
    }
  }
  if (targets.empty()) return;
  const Tensor& x = *f.values[v];
  const Header h{.inference = f.id, .layer = made_by, .floats = x.numel(),
                 .outcome = static_cast<std::int32_t>(f.outcome), .blocks_decoded = f.blocks_decoded,
                 .check = static_cast<std::int32_t>(f.check)};
  BufferPool::Buffer message = messages_.acquire(message_floats(static_cast<std::size_t>(x.numel())));
  pack_message_into(*message, h, x.values());
  for (int r : targets) send(r, kValue, h, message);
}

void Node::use(Frame& f, std::size_t v) {
  if (--f.uses_left[v] > 0 || (rank_ == 0 && v == model_.size())) return;
  if (f.values[v]) {
    spares_.push_back(std::move(*f.values[v]));
    f.values[v].reset();
  }
}

bool Node::run_one_task() {
  for (auto& [id, f] : frames_) {
    if (f.failed) continue;
    for (std::size_t layer : tasks_) {
      if (f.ran[layer]) continue;
      bool ready = true;
      for (int s : model_.inputs_of(layer)) ready = ready && f.values[static_cast<std::size_t>(s + 1)].has_value();
      if (!ready) continue;
      compute(f, layer);
      return true;
    }
  }
  return false;
}

void Node::compute(Frame& f, std::size_t layer) {
  f.ran[layer] = 1;
  --f.remaining;
  const std::int64_t id = f.id;
  const DeployedLayer* split = deployment_.find(layer);
  const double elapsed = now_ms();
  const ShardFault fault = rank_ != 0 && faults_ ? faults_->at(rank_, id, static_cast<int>(layer), elapsed) : ShardFault{};
  if (fault.crash) std::raise(SIGKILL);  // a real death: no goodbye, no flush, no MPI_Finalize
  // A late rank is late once per layer, however many shards it holds.
  const double delay = f.delayed[layer] ? 0.0 : fault.delay_ms;
  f.delayed[layer] = 1;
  auto later = [&](std::function<void()> act) {
    if (delay <= 0) return act();
    busy_until_ms_ = std::max(busy_until_ms_, now_ms() + delay);
    deferred_.push_back(Deferred{busy_until_ms_, id, static_cast<int>(layer), std::move(act)});
  };
  if (!split) {
    const Layer& l = model_.layer(layer);
    Tensor y = l.as_merge() ? l.as_merge()->merge([&] {
      std::vector<const Tensor*> in;
      for (int s : model_.inputs_of(layer)) in.push_back(&*f.values[static_cast<std::size_t>(s + 1)]);
      return in;
    }())
                            : l.forward(*f.values[static_cast<std::size_t>(model_.inputs_of(layer).front() + 1)]);
    for (int s : model_.inputs_of(layer)) use(f, static_cast<std::size_t>(s + 1));
    if (fault.silent) {
      ++stats_.silent;
      return;
    }
    auto shared = std::make_shared<Tensor>(std::move(y));
    later([this, id, layer, shared] {
      if (Frame* g = frame(id, false)) present(*g, layer + 1, std::move(*shared));
    });
    maybe_finish(id);
    return;
  }
  // Shards: Z_j = W'_j·X + b'_j for each shard held, sent to every decoder.
  const auto& linear = *model_.layer(layer).as_linear();
  const std::size_t in = static_cast<std::size_t>(model_.inputs_of(layer).front() + 1);
  for (int shard : split->shards_of(rank_)) {
    const auto& [w, b] = weights_.at({layer, shard});
    const auto s0 = Clock::now();
    Matrix z = linear.multiply(*f.values[in], w, b);
    const double compute_ms = std::chrono::duration<double, std::milli>(Clock::now() - s0).count();
    if (fault.silent) {
      ++stats_.silent;
      continue;
    }
    if (fault.dropped) {
      ++stats_.dropped;
      continue;
    }
    if (fault.corruption != ShardFault::Corruption::none)
      corrupt({z.data(), static_cast<std::size_t>(z.size())}, fault.corruption, id);
    const Header h{.inference = id, .layer = static_cast<std::int32_t>(layer), .shard = shard, .floats = z.size(),
                   .compute_ms = compute_ms, .injected_delay_ms = fault.delay_ms};
    BufferPool::Buffer message = messages_.acquire(message_floats(static_cast<std::size_t>(z.size())));
    pack_message_into(*message, h, {z.data(), static_cast<std::size_t>(z.size())});
    later([this, id, layer, shard, h, message] {
      for (int r : deployment_.needers[layer + 1]) {
        if (r == rank_) {
          deliver_shard(id, layer, shard, h, std::span<const float>(*message).subspan(kHeaderFloats));
        } else {
          send(r, kResult, h, message);
        }
      }
      ++stats_.results_sent;
    });
  }
  use(f, in);
  maybe_finish(id);
}

void Node::deliver_shard(std::int64_t id, std::size_t layer, int shard, const Header& h, std::span<const float> z) {
  Frame* f = frame(id, false);
  if (!f) return;
  Collector& c = open(*f, layer, now_ms());
  const auto j = static_cast<std::size_t>(shard);
  if (c.done || c.arrived[j] || c.rejected[j]) return;
  std::vector<float>& slot = c.slots[j];
  if (!z.empty()) {  // a shard computed here: copied into its slot
    if (slot.empty()) slot = take_slot();
    if (slot.size() < message_floats(z.size())) slot.resize(message_floats(z.size()));
    std::ranges::copy(z, slot.begin() + kHeaderFloats);
  }
  const std::span<const float> values(slot.data() + kHeaderFloats, static_cast<std::size_t>(h.floats));
  c.arrival_ms[j] = now_ms();
  c.compute_ms[j] = h.compute_ms;
  c.delay_ms[j] = h.injected_delay_ms;
  // A linear layer of a finite input gives finite numbers: NaN or Inf is a
  // wrong answer, treated as no answer (decoded around if possible).
  if (Eigen::Map<const Eigen::ArrayXf>(values.data(), static_cast<Index>(values.size())).allFinite()) {
    c.arrived[j] = true;
  } else {
    c.rejected[j] = true;
    health_.corrupted(deployment_.find(layer)->ranks[j], id, now_ms());
  }
}

// ---------------------------------------------------------------- decoding

Node::Collector& Node::open(Frame& f, std::size_t layer, double opened_ms) {
  Collector& c = f.collectors[layer];
  if (c.slots.empty()) {
    const auto n = static_cast<std::size_t>(deployment_.find(layer)->code->n());
    c.sent.assign(n, true);
    c.arrived.assign(n, false);
    c.rejected.assign(n, false);
    c.slots.resize(n);
    c.arrival_ms.assign(n, NAN);
    c.compute_ms.assign(n, NAN);
    c.delay_ms.assign(n, NAN);
  }
  if (!c.open) {
    c.open = true;
    c.opened_ms = opened_ms;
  }
  return c;
}

bool Node::settle_collectors() {
  bool any = false;
  const double now = now_ms();
  for (auto it = frames_.begin(); it != frames_.end();) {
    const std::int64_t id = it->first;
    Frame& f = it->second;
    ++it;  // decode() may finish (erase) this frame
    for (auto& [layer, c] : f.collectors) {
      if (!c.open || c.done) continue;
      const Code& code = *deployment_.find(layer)->code;
      const bool decodable = code.decodable(c.arrived);
      bool settled = true;
      for (std::size_t j = 0; j < c.sent.size(); ++j)
        if (c.sent[j] && !c.arrived[j] && !c.rejected[j]) settled = false;
      const double waited = now - c.opened_ms;
      const MasterOptions& o = options_.master;
      const bool go = (decodable && (!o.check || settled)) ||
                      (waited >= o.deadline_ms &&
                       (decodable || o.policy != DeadlinePolicy::wait || waited >= o.give_up_ms));
      if (!go) continue;
      any = true;
      decode(f, layer, c);
      if (!frames_.count(id)) break;  // finished with this decode
    }
  }
  return any;
}

void Node::decode(Frame& f, std::size_t layer, Collector& c) {
  c.done = true;
  --f.remaining;
  const DeployedLayer& split = *deployment_.find(layer);
  const Code& code = *split.code;
  const int n = code.n(), k = code.k();
  const Index block = split.rows_per_block * split.positions;
  auto slot = [&](int j) {
    return std::span<float>(c.slots[static_cast<std::size_t>(j)]).subspan(kHeaderFloats, static_cast<std::size_t>(block));
  };
  const bool decodable = code.decodable(c.arrived);
  std::vector<std::span<const float>> in(static_cast<std::size_t>(n));
  for (int j = 0; j < n; ++j)
    if (c.arrived[j]) in[j] = slot(j);
  CheckResult check = CheckResult::unchecked;
  if (options_.master.check && decodable) {
    const ShardCheck found = check_shards(code, in);
    check = found.result;
    if (found.culprit >= 0) {
      const auto j = static_cast<std::size_t>(found.culprit);
      in[j] = {};
      c.arrived[j] = false;
      c.rejected[j] = true;
      health_.corrupted(split.ranks[j], f.id, now_ms());
    }
  }
  // Every data block where it will be read from: a block that arrived
  // verbatim stays in its shard's slot; a block to decode (or zero-fill) is
  // written straight into the output tensor, or into a padding block where
  // it overhangs the layer's rows. Assembling then copies only the verbatim
  // blocks (codes/encoding.hpp).
  Tensor y = output_tensor(model_.output_shape_of(layer));
  require(y.numel() == split.rows * split.positions, model_.layer(layer).where(), ": output of ", y.numel(),
          " values, the split has ", split.rows, "x", split.positions);
  std::vector<std::span<float>> blocks(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) {
    const int j = code.verbatim_source(i, c.arrived);
    if (j >= 0) {
      blocks[i] = slot(j);
    } else if ((i + 1) * split.rows_per_block <= split.rows) {
      blocks[i] = {y.data() + i * block, static_cast<std::size_t>(block)};
    } else {
      auto& padding = padding_blocks_[static_cast<std::size_t>(i)];
      if (padding.size() < static_cast<std::size_t>(block)) padding.resize(static_cast<std::size_t>(block));
      blocks[i] = {padding.data(), static_cast<std::size_t>(block)};
    }
  }
  const double decode_start = now_ms();
  Recovery recovery = recover_blocks(code, in, blocks,
                                     options_.master.policy == DeadlinePolicy::zero_fill ? Undecodable::zero_fill
                                                                                         : Undecodable::fail);
  const double decode_end = now_ms();
  if (check == CheckResult::inconsistent) recovery.outcome = InferenceOutcome::degraded;  // known wrong, cannot say where
  const InferenceOutcome outcome = recovery.outcome;
  const int decoded = recovery.blocks_decoded();
  if (outcome != InferenceOutcome::failed) {
    const std::vector<std::span<const float>> read(blocks.begin(), blocks.end());
    assemble_output(read, split.rows_per_block, y.matrix(split.rows, split.positions));
  }
  const double complete_ms = now_ms();

  // The layer's trace rows: written on rank 0, reported to it from elsewhere.
  int count = 0;
  for (bool a : c.arrived) count += a;
  const LayerRecord row{f.id, static_cast<std::int32_t>(layer), c.opened_ms, complete_ms,
                        decodable ? decode_end - decode_start : 0.0, n, count, decoded,
                        static_cast<std::int8_t>(outcome)};
  std::vector<ShardRecord> shards;
  for (int j = 0; j < n; ++j) {
    const ShardFate fate = c.arrived[j]    ? ShardFate::used
                           : c.rejected[j] ? ShardFate::corrupt
                           : !c.sent[j]    ? ShardFate::skipped
                           : decodable     ? ShardFate::decoded_around
                                           : ShardFate::lost;
    shards.push_back(ShardRecord{f.id, static_cast<std::int32_t>(layer), j, split.ranks[j], c.opened_ms,
                                 c.arrival_ms[j], c.compute_ms[j], c.delay_ms[j], static_cast<std::int8_t>(fate)});
  }
  if (rank_ == 0) {
    if (trace_) {
      trace_->add(row);
      for (const auto& s : shards) trace_->add(s);
    }
  } else {
    const std::size_t floats = report_floats(n);
    BufferPool::Buffer message = messages_.acquire(message_floats(floats));
    const Header h{.inference = f.id, .layer = static_cast<std::int32_t>(layer), .shard = n,
                   .floats = static_cast<std::int64_t>(floats)};
    std::vector<float> records(floats, 0.0f);
    auto* bytes = reinterpret_cast<unsigned char*>(records.data());
    std::memcpy(bytes, &row, sizeof row);
    std::memcpy(bytes + sizeof row, shards.data(), shards.size() * sizeof(ShardRecord));
    pack_message_into(*message, h, records);
    send(0, kReport, h, message);
  }
  for (auto& s : c.slots)
    if (!s.empty()) free_slots_.push_back(std::move(s));
  c.slots.assign(c.slots.size(), {});

  f.outcome = std::max(f.outcome, outcome);
  f.blocks_decoded += decoded;
  f.check = std::max(f.check, check);  // the weakest guarantee of any layer
  if (outcome == InferenceOutcome::failed) {
    spares_.push_back(std::move(y));
    fail_frame(f, layer, cat("layer '", model_.layer(layer).name(), "' could not be decoded on rank ", rank_));
    return;
  }
  const std::int64_t id = f.id;
  present(f, layer + 1, std::move(y));
  maybe_finish(id);
}

// ---------------------------------------------------------------- buffers and sends

std::vector<float> Node::take_slot() {
  if (free_slots_.empty()) return std::vector<float>(static_cast<std::size_t>(kHeaderFloats));
  std::vector<float> s = std::move(free_slots_.back());
  free_slots_.pop_back();
  return s;
}

void Node::trim_spares() {
  // One spare per split layer of its output's size: what the next split
  // layers can use; anything more would only raise this rank's memory.
  std::map<Index, int> room;
  for (const auto& l : deployment_.layers)
    if (decodes_[l.layer_index]) ++room[numel(model_.output_shape_of(l.layer_index))];
  std::erase_if(spares_, [&](const Tensor& t) {
    const auto it = room.find(t.numel());
    if (it == room.end() || it->second == 0) return true;
    --it->second;
    return false;
  });
}

Tensor Node::output_tensor(const Shape& shape) {
  trim_spares();
  const auto spare =
      std::find_if(spares_.begin(), spares_.end(), [&](const Tensor& t) { return t.numel() == numel(shape); });
  if (spare == spares_.end()) return Tensor(shape);
  Tensor y = std::move(*spare).reshaped(shape);
  spares_.erase(spare);
  return y;
}

void Node::send(int rank, int tag, const Header& h, BufferPool::Buffer message) {
  sends_.push_back(Send{std::move(message), h, mpi::Request{}, rank});
  Send& s = sends_.back();
  if (s.message)
    s.request = mpi::isend_bytes(s.message->data(), static_cast<int>(s.message->size() * sizeof(float)), rank, tag,
                                 options_.comm);
  else
    s.request = mpi::isend_bytes(&s.header, sizeof(Header), rank, tag, options_.comm);
}

void Node::reap_sends() {
  // Sends complete in any order; a deque keeps the headers of the others in place.
  for (auto& s : sends_)
    if (s.request.pending()) s.request.test();
  while (!sends_.empty() && !sends_.front().request.pending()) sends_.pop_front();
}

void Node::log_health() {
  for (const auto& e : health_.take_events()) {
    health_log_.push_back(e);
    if (trace_) trace_->add(HealthRecord{e.time_ms, e.rank, e.inference, static_cast<std::int8_t>(e.what)});
  }
}

// ---------------------------------------------------------------- start and stop

bool Node::serve(double quiet_timeout_ms) {
  mpi::Backoff backoff(std::chrono::microseconds(5), std::chrono::microseconds(500));
  while (!stop_) {
    if (step()) {
      backoff.reset();
      continue;
    }
    if (now_ms() - last_heard_ms_ > quiet_timeout_ms) {
      stats_.master_lost = true;
      stats_.finalize = false;
      return false;
    }
    backoff.pause();
  }
  return true;
}

bool Node::leave() {
  // Let queued results go out (rank 0 keeps receiving until we acknowledge;
  // bounded, in case it is gone), then acknowledge.
  deferred_.clear();
  const auto give_up = Clock::now() + std::chrono::seconds(2);
  while (!sends_.empty() && Clock::now() < give_up) {
    reap_sends();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  for (auto& r : receives_) r.cancel();
  const Header ack{.peak_rss_mb = peak_resident_mb().value_or(0.0), .late = static_cast<std::int32_t>(late_)};
  mpi::Request r = mpi::isend_bytes(&ack, sizeof ack, 0, kStop, options_.comm);
  while (r.pending() && Clock::now() < give_up + std::chrono::seconds(1)) {
    if (r.test()) break;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // The goodbye says whether every rank answered; if one did not,
  // MPI_Finalize (a fence over every process, the dead one included) could
  // hang, so nobody calls it. No goodbye at all means rank 0 is gone.
  Header bye;
  mpi::Request b = mpi::irecv_bytes(&bye, sizeof bye, 0, kStop, options_.comm);
  const auto bye_deadline = Clock::now() + std::chrono::seconds(10);
  mpi::Backoff backoff;
  while (b.pending() && Clock::now() < bye_deadline) {
    if (b.test()) return bye.shard == kByeFinalize;
    backoff.pause();
  }
  return false;
}

std::vector<int> Node::stop_others(double timeout_ms) {
  static const Header stop{};
  for (int r = 1; r < world_; ++r) send(r, kStop, stop, nullptr);
  // Keep receiving (and dropping) until every rank acknowledges: its last
  // messages can then be delivered and it exits cleanly. Suspects get a
  // shorter wait: most likely they are dead.
  frames_.clear();
  acknowledged_[0] = 1;
  auto missing = [&](bool suspects_too) {
    int count = 0;
    for (int r = 1; r < world_; ++r) count += !acknowledged_[r] && (suspects_too || !health_.suspected(r));
    return count;
  };
  const double start = now_ms(), give_up = start + timeout_ms,
               give_up_on_suspects = start + std::min(timeout_ms, std::max(200.0, options_.master.deadline_ms));
  mpi::Backoff backoff;
  while (missing(true) > 0 && now_ms() < give_up && (missing(false) > 0 || now_ms() < give_up_on_suspects)) {
    const bool got = poll();
    reap_sends();
    if (got) backoff.reset();
    else backoff.pause();
  }
  std::vector<int> unanswered;
  for (int r = 1; r < world_; ++r)
    if (!acknowledged_[r]) {
      unanswered.push_back(r);
      health_.unresponsive(r, now_ms());
    }
  log_health();
  // Goodbyes, and a moment for them to go out (they are tiny: eager sends).
  const Header bye{.shard = unanswered.empty() ? kByeFinalize : kByeExit};
  for (int r = 1; r < world_; ++r)
    if (acknowledged_[r]) send(r, kStop, bye, nullptr);
  const double bye_deadline = now_ms() + 1000.0;
  while (!sends_.empty() && now_ms() < bye_deadline) {
    for (auto& s : sends_)
      if (!acknowledged_[s.rank]) s.request.abandon();
    reap_sends();
    backoff.pause();
  }
  return unanswered;
}

}  // namespace cdcnn::runtime
