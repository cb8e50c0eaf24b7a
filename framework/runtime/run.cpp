#include "runtime/run.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <chrono>
#include <algorithm>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "core/strings.hpp"
#include "fault/injector.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"
#include "runtime/mpi.hpp"
#include "runtime/progress.hpp"

namespace cdcnn::runtime {

namespace {

/// What every rank builds before the vote.
struct Setup {
  std::unique_ptr<Model> owned_model;  // unless the caller gave one
  const Model* model = nullptr;
  Plan plan;
  Deployment deployment;
  std::unique_ptr<FaultInjector> faults;
  ShardWeights weights;  // WeightSource::file, workers
  std::vector<std::string> warnings;
  std::optional<Tensor> fixed_input;         // rank 0
  std::unique_ptr<TraceWriter> owned_trace;  // rank 0
  std::vector<std::string> hosts;            // rank 0: every rank's host, by rank
  std::vector<RankMemory> memory;            // every rank's estimate
};


/// The trace of this run, its attributes saying how the run was made.
std::unique_ptr<TraceWriter> open_trace(const RunConfig& c, const Setup& s, const std::string& command_line,
                                        int world) {
  std::string codes;
  for (const auto& l : s.deployment.layers)
    codes += cat(codes.empty() ? "" : " ", s.model->layer(l.layer_index).name(), "=", l.code->spec());
  std::vector<RankRecord> ranks;  // the peaks come at the end (run_master)
  for (const auto& m : s.memory) {
    const auto r = static_cast<std::size_t>(m.rank);
    const std::string host = r < s.hosts.size() ? s.hosts[r] : "";
    ranks.push_back(rank_record(m.rank, host, static_cast<double>(m.total()) / 1e6, NAN));
  }
  return std::make_unique<TraceWriter>(
      c.trace_file, std::map<std::string, std::string>{{"command_line", command_line},
                                                       {"model", s.model->name()},
                                                       {"plan", format_plan(s.plan)},
                                                       {"codes", codes},
                                                       {"faults", s.faults->describe()},
                                                       {"ranks", std::to_string(world)},
                                                       {"host", mpi::Environment::host()},
                                                       {"hosts", join(s.hosts, ",")},
                                                       {"deadline_ms", std::to_string(c.master.deadline_ms)},
                                                       {"policy", to_string(c.master.policy)},
                                                       {"weights_from", to_string(c.weights_from)}},
      ranks);
}

void set_up(Setup& s, const RunConfig& c, const RunHooks& hooks, int rank, int world) {
  load_code_plugins(c.code_plugins);
  check(c);
  if (hooks.model) {
    s.model = hooks.model;
  } else {
    // Every rank starts from a weightless skeleton (shapes only: no weights
    // read or drawn), enough for the plan, the deployment and a worker.
    s.owned_model = std::make_unique<Model>(open_model(c.model, c.seed, WeightSelection::none()));
    s.model = s.owned_model.get();
  }
  s.plan = hooks.plan ? *hooks.plan
           : !c.plan_file.empty()
               ? load_plan(c.plan_file)
               : default_plan(*s.model, c.code, world - 1, static_cast<std::int64_t>(c.min_mflops * 1e6));
  s.warnings = s.model->warnings();
  s.deployment = deploy(s.plan, *s.model, world, &s.warnings);
  if (s.deployment.layers.empty())
    s.warnings.push_back(cat(s.plan.source, " splits no layer: everything runs on the master"));
  s.memory = estimate_memory(*s.model, placed_plan(s.deployment, *s.model), world,
                             MemoryOptions{.threads = c.threads,
                                           .master_verifies = c.verify,
                                           .master_sends_weights = c.weights_from == WeightSource::master});
  check_memory(s.memory, c.memory_mb);
  if (rank == 0 && !hooks.model) {
    // The master runs the layers the plan does not split; it needs the split
    // ones' weights only to verify (to encode them, --weights-from master,
    // it loads one at a time: send_split_layers).
    std::set<std::string> split;
    for (const auto& l : s.deployment.layers) split.insert(s.model->layer(l.layer_index).name());
    s.owned_model = std::make_unique<Model>(
        open_model(c.model, c.seed, c.verify ? WeightSelection::all() : WeightSelection::all_but(std::move(split))));
    s.model = s.owned_model.get();
  }
  if (rank > 0 && !hooks.model) {
    // A rank holding a stage computes its layers whole: it needs their weights.
    std::set<std::string> whole;
    for (std::size_t i = 0; i < s.model->size(); ++i)
      if (s.model->layer(i).as_linear() && !s.deployment.find(i) &&
          std::find(s.deployment.placed[i].begin(), s.deployment.placed[i].end(), rank) != s.deployment.placed[i].end())
        whole.insert(s.model->layer(i).name());
    if (!whole.empty()) {
      s.owned_model = std::make_unique<Model>(open_model(c.model, c.seed, WeightSelection::only(std::move(whole))));
      s.model = s.owned_model.get();
    }
  }
  s.faults = std::make_unique<FaultInjector>(c.seed, c.stragglers, c.fails, world);
  if (rank > 0 && c.weights_from == WeightSource::file)
    s.weights = read_shard_weights(c.coded_file, rank, *s.model, s.deployment);
  if (rank == 0 && !c.input_file.empty() && !hooks.input)
    s.fixed_input = load_input(c.input_file, s.model->input_shape(), s.model->normalisation());
  if (rank == 0 && !c.trace_file.empty() && !hooks.trace) s.owned_trace = open_trace(c, s, hooks.command_line, world);
}

/// --weights-from master, the master holding no split layer: each split
/// layer's weights in turn are read from the model file (or drawn from
/// --seed, replaying the draws before them), encoded and sent shard by shard,
/// and dropped, so that the master's start-up holds its own layers and one
/// split layer (plan/memory.hpp).
void send_split_layers(const RunConfig& c, Deployment& deployment, const Model& model) {
  for (DeployedLayer& l : deployment.layers) {
    Deployment one;  // send_shard_weights sends a deployment's layers: this one's alone
    one.layers.push_back(std::move(l));
    {
      const std::string name = model.layer(one.layers[0].layer_index).name();
      const Model weights = open_model(c.model, c.seed, WeightSelection::only({name}));
      send_shard_weights(weights, one);
    }
    l = std::move(one.layers[0]);
  }
}

/// Normal values drawn from `seed` and the inference's number.
Tensor seeded_input(const Shape& shape, std::uint64_t seed, std::int64_t inference) {
  Tensor x(shape);
  Rng rng = Rng(seed).fork(1000003 + static_cast<std::uint64_t>(inference));
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  return x;
}

void run_master(const RunConfig& c, const RunHooks& hooks, Setup& s, int world, Progress& progress, RunOutcome& out,
                MPI_Comm comm) {
  for (const auto& w : s.warnings) std::fprintf(stderr, "cdcnn run: warning: %s\n", w.c_str());
  const Model& model = *s.model;
  TraceWriter* trace = hooks.trace ? hooks.trace : s.owned_trace.get();
  Master master(model, s.deployment, c.master, world, trace, c.in_flight, comm);
  auto input_of = [&](std::int64_t i) {
    return hooks.input ? hooks.input(i) : s.fixed_input ? *s.fixed_input : seeded_input(model.input_shape(), c.seed, i);
  };
  // Frames in flight, by number: their inputs, kept to verify the outputs.
  std::map<std::int64_t, Tensor> inputs;
  std::set<std::string> reported;  // one line per distinct reason a frame failed
  auto deliver = [&](InferenceResult r) {
    const auto in = inputs.find(r.inference);
    const Tensor x = std::move(in->second);
    inputs.erase(in);
    progress.frame(r.latency_ms, r.outcome, master.health().suspects());
    if (!r.note.empty() && reported.insert(r.note).second)
      std::fprintf(stderr, "cdcnn run: frame %lld failed: %s\n", static_cast<long long>(r.inference), r.note.c_str());
    const double error = c.verify && r.output ? max_relative_error(*r.output, model.forward(x)) : NAN;
    if (trace) {
      trace->add(InferenceRecord{r.inference, r.start_ms, r.latency_ms, static_cast<std::int8_t>(r.outcome),
                                 r.blocks_decoded, error, static_cast<std::int8_t>(r.check)});
      trace->flush();
    }
    if (hooks.on_inference) hooks.on_inference(x, std::move(r), error);
  };
  // The source: up to --in-flight frames in the pipeline; with --rate, a
  // frame every 1/rate s, dropped (never queued) when the pipeline is full.
  const double start = MPI_Wtime();
  const double period_s = c.rate_fps > 0 ? 1.0 / c.rate_fps : 0.0;
  std::int64_t next = 0;  // the next frame to admit (or drop)
  mpi::Backoff backoff(std::chrono::microseconds(5), std::chrono::microseconds(200));
  while (next < c.inferences || master.in_flight() > 0) {
    bool busy = false;
    if (next < c.inferences && (period_s == 0 || MPI_Wtime() - start >= static_cast<double>(next) * period_s)) {
      if (master.in_flight() < static_cast<std::size_t>(c.in_flight)) {
        inputs.emplace(next, input_of(next));
        master.admit(inputs.at(next), next);
        ++next;
        busy = true;
      } else if (period_s > 0) {
        ++out.frames_dropped;  // the camera's frame is gone: nowhere to put it
        ++next;
      }
    }
    while (auto r = master.take_result()) {
      deliver(std::move(*r));
      busy = true;
    }
    busy |= master.step();
    if (busy) backoff.reset();
    else backoff.pause();
  }
  out.frames_wall_s = MPI_Wtime() - start;
  progress.finish();
  out.unanswered = master.stop_workers();
  if (!out.unanswered.empty()) out.leave_code = 0;
  out.late_results = master.late_results();
  out.hosts = s.hosts;
  out.peak_rss_mb = master.worker_peak_rss_mb();
  out.memory = s.memory;
  if (!out.peak_rss_mb.empty()) out.peak_rss_mb[0] = peak_resident_mb().value_or(NAN);
  out.health = master.health_log();
  if (s.owned_trace) s.owned_trace->set_peak_mb(out.peak_rss_mb);  // a caller's trace has no /ranks rows
  if (trace) trace->flush();
}

}  // namespace

RunOutcome run_distributed(RunConfig& config, const RunHooks& hooks) {
  int rank = 0, world = 1;
  CDCNN_CHECK_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
  CDCNN_CHECK_MPI(MPI_Comm_size(MPI_COMM_WORLD, &world));
  RunOutcome out;
  Setup s;
  s.hosts = mpi::gather_hosts();  // at start-up, while every rank is alive
  std::string error;
  bool configured = true;
  Progress progress(stderr, 0, false);  // silent until configured, and on every rank but 0
  try {
    if (hooks.configure) configured = hooks.configure(config);
    if (configured) {
      if (rank == 0) progress = Progress::to_stderr(config.progress_s);
      // Not announced: a bad flag or file must stay the run's one line.
      progress.step(cat("set-up on ", world, " ranks (model, plan, faults)"), Progress::Announce::no);
      set_up(s, config, hooks, rank, world);
    }
  } catch (const std::bad_alloc&) {
    error = "out of memory while setting up";
  } catch (const std::exception& e) {
    error = e.what();  // cdcnn::Error, or anything else: every rank must still reach the vote below
  }
  if (mpi::min_over_ranks(error.empty() ? 1 : 0) == 0) {
    // Every rank knows; the lowest rank that failed says why (usually all
    // failed alike, and then rank 0 speaks). The others return quietly: under
    // mpirun a non-zero exit kills the whole job at once, which could cut
    // the speaker off before its line is out.
    const int lowest = mpi::min_over_ranks(error.empty() ? world : rank);
    if (rank == lowest) throw Error(rank == 0 ? error : cat("rank ", rank, ": ", error));
    return out;
  }
  if (!configured) return out;
  out.ran = true;
  progress.step_done(cat("model '", s.model->name(), "' (", s.model->parameter_count(), " parameters), ",
                         s.deployment.layers.size(), " split layer(s)"));
  // Every rank computes (and the master decodes) on --threads threads; a
  // worker's pool sleeps while it waits for its next layer.
  const ComputeThreads compute(config.threads);

  progress.step(config.weights_from == WeightSource::master
                    ? cat("encoding and sending shard weights to ", world - 1, " worker(s)")
                    : cat("waiting for the workers to read their shards from ", config.coded_file));
  if (config.weights_from == WeightSource::master) {
    if (rank == 0 && s.owned_model && !config.verify) {
      send_split_layers(config, s.deployment, *s.model);
    } else if (rank == 0) {
      send_shard_weights(*s.model, s.deployment);  // it holds every layer: a caller's model, or to verify
    } else {
      s.weights = receive_shard_weights(rank, *s.model, s.deployment);
    }
  }
  mpi::barrier();
  out.weight_bytes = s.model->weight_bytes();
  progress.step_done();
  progress.start_frames(config.inferences);
  if (hooks.startup) hooks.startup->disarm();
  const double start_wtime = MPI_Wtime();
  // This run's own communicator (NodeOptions::comm). Made while every rank
  // is alive; not freed, since freeing waits on ranks that may be dead.
  MPI_Comm comm = MPI_COMM_NULL;
  CDCNN_CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
  CDCNN_CHECK_MPI(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));

  if (rank > 0) {
    try {
      out.worker = run_worker(rank, *s.model, s.deployment, s.weights, *s.faults, start_wtime,
                              config.master_timeout_s * 1e3, config.in_flight, config.master, comm);
    } catch (const std::exception& e) {
      // Past start-up a rank cannot vote: it says why and leaves without
      // MPI_Finalize, whose fence would wait for ranks still running.
      std::fprintf(stderr, "cdcnn run: rank %d: %s\n", rank, e.what());
      out.leave_code = 1;
      return out;
    }
    if (out.worker.master_lost)
      std::fprintf(stderr, "cdcnn run: rank %d: nothing from the master for %g s: it is presumed dead, leaving\n", rank,
                   config.master_timeout_s);
    if (!out.worker.finalize) out.leave_code = out.worker.master_lost ? 1 : 0;
    return out;
  }
  run_master(config, hooks, s, world, progress, out, comm);
  return out;
}

}  // namespace cdcnn::runtime
