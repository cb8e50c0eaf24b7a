// Single-device engine benchmark. Measures, in one run on one
// thread: this core's FP32 FMA peak and DRAM read bandwidth, every conv GEMM
// and dense GEMV of AlexNet (GFLOP/s against the peak, GB/s against the
// bandwidth), whole-model batch-1 latency of AlexNet and VGG16, and a
// MobileNet-like depthwise conv (3x3, 96 channels, 56x56, stride 1 and 2)
// through its direct kernel against the GEMM-per-channel path. With
// --pytorch_ms=alexnet:44.1,vgg16:286,dw96s1:0.4,dw96s2:0.2 (from
// tools/bench_pytorch.py, which benchmarks/run.sh runs first) it prints
// ours/PyTorch ratios too.
//
// --threads=N (default 2) also times AlexNet and VGG16 on N compute threads
// (core/parallel.hpp), named BM_Model/<model>/threads:N; the summary gives
// the speed-up over one thread and, with alexnet@N:MS,vgg16@N:MS in
// --pytorch_ms (PyTorch on N threads), ours/PyTorch at N threads. With
// --benchmark_repetitions=R --benchmark_enable_random_interleaving=true the
// runs of all benchmarks are interleaved and the summary takes each one's
// median, so that a change of load on a shared machine hits both sides of a
// ratio alike.

#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "layers/conv.hpp"
#include "layers/zoo.hpp"

namespace cdcnn {
namespace {

// ---- machine ceilings --------------------------------------------------------

/// FP32 peak: 8 independent chains of Eigen's widest packet FMA (the same
/// instruction Eigen's GEMM kernel issues), so the result is the ceiling
/// Eigen can reach on this core.
void BM_PeakFma(benchmark::State& state) {
  using Packet = Eigen::internal::packet_traits<float>::type;
  constexpr int lanes = Eigen::internal::packet_traits<float>::size;
  Packet acc[8];
  for (auto& a : acc) a = Eigen::internal::pset1<Packet>(0.0f);
  const Packet x = Eigen::internal::pset1<Packet>(0.999f), y = Eigen::internal::pset1<Packet>(1e-4f);
  constexpr std::int64_t iters = 1 << 20;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < iters; ++i)
      for (auto& a : acc) a = Eigen::internal::pmadd(a, x, y);
    benchmark::DoNotOptimize(acc);
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(iters) * 8 * lanes * 2, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::kIs1000);
  state.counters["lanes"] = lanes;
}
BENCHMARK(BM_PeakFma)->Unit(benchmark::kMillisecond)->MinTime(0.5);

/// Read bandwidth: a 512 MiB array (far beyond the caches) streamed through
/// 8 independent packet accumulators, so the loads, not an add chain, limit it.
void BM_ReadBandwidth(benchmark::State& state) {
  using Packet = Eigen::internal::packet_traits<float>::type;
  constexpr int lanes = Eigen::internal::packet_traits<float>::size;
  const Eigen::Index n = Eigen::Index(1) << 27;
  Eigen::VectorXf v = Eigen::VectorXf::Constant(n, 1.0f);
  for (auto _ : state) {
    Packet acc[8];
    for (auto& a : acc) a = Eigen::internal::pset1<Packet>(0.0f);
    for (Eigen::Index i = 0; i < n; i += 8 * lanes)
      for (int j = 0; j < 8; ++j)
        acc[j] = Eigen::internal::padd(acc[j], Eigen::internal::pload<Packet>(v.data() + i + j * lanes));
    benchmark::DoNotOptimize(acc);
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(n) * 4, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_ReadBandwidth)->Unit(benchmark::kMillisecond)->MinTime(0.5);

// ---- models and their layers ----------------------------------------------------

const Model& model(const std::string& name) {
  static std::map<std::string, Model> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, zoo_model(name, 1)).first;
  return it->second;
}

Tensor random_input(const Shape& shape) {
  Tensor x(shape);
  Rng rng(7);
  for (float& v : x.values()) v = static_cast<float>(rng.uniform(-1, 1));
  return x;
}

void BM_Model(benchmark::State& state, std::string name, int threads) {
  const ComputeThreads compute(threads);
  const Model& m = model(name);
  const Tensor x = random_input(m.input_shape());
  for (auto _ : state) benchmark::DoNotOptimize(m.forward(x));
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(m.flops()), benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

/// One linear layer of a model, on an input of the shape it sees there.
void BM_Layer(benchmark::State& state, std::string name, std::size_t index) {
  const Model& m = model(name);
  const Layer& layer = m.layer(index);
  const Tensor x = random_input(m.input_shape_of(index));
  for (auto _ : state) benchmark::DoNotOptimize(layer.forward(x));
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(layer.flops(m.input_shape_of(index))),
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  if (layer.kind() == "dense") {
    const double bytes = static_cast<double>(layer.parameter_count()) * 4;
    state.counters["GB/s"] =
        benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  }
}

/// MobileNet's depthwise 3x3 (padding 1) over 96 channels of 56x56, named
/// as tools/bench_pytorch.py --depthwise names it: dw96s1, dw96s2.
constexpr Index kDepthwiseChannels = 96, kDepthwiseSize = 56;
const Conv& depthwise_conv(Index stride) {
  static std::map<Index, Conv> cache;
  auto it = cache.find(stride);
  if (it == cache.end()) {
    const Index c = kDepthwiseChannels;
    it = cache.try_emplace(stride, "dw", random_input({c, 1, 3, 3}), random_input({c}).flat(),
                           Window{{3, 3}, {stride, stride}, {1, 1}, {1, 1}}, c)
             .first;
  }
  return it->second;
}

void BM_Depthwise(benchmark::State& state, Index stride, bool gemm) {
  const Conv& conv = depthwise_conv(stride);
  const Tensor x = random_input({kDepthwiseChannels, kDepthwiseSize, kDepthwiseSize});
  for (auto _ : state) benchmark::DoNotOptimize(gemm ? conv.forward_gemm(x) : conv.forward(x));
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(conv.flops(x.shape())),
                                                 benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void register_benchmarks(int threads) {
  for (const Index stride : {1, 2})
    for (const bool gemm : {false, true})
      benchmark::RegisterBenchmark(("BM_Depthwise/dw96s" + std::to_string(stride) + (gemm ? "/gemm" : "/direct")).c_str(),
                                   BM_Depthwise, stride, gemm)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
  std::vector<int> counts{1};
  if (threads > 1) counts.push_back(threads);
  for (const std::string name : {"alexnet", "vgg16"})
    for (const int t : counts) {
      const std::string suffix = t == 1 ? "" : "/threads:" + std::to_string(t);
      benchmark::RegisterBenchmark(("BM_Model/" + name + suffix).c_str(), BM_Model, name, t)
          ->Unit(benchmark::kMillisecond)
          ->MeasureProcessCPUTime()  // every thread's CPU time: the work, whatever the machine's load
          ->UseRealTime()
          ->MinTime(2.0);
    }
  const Model& m = model("alexnet");
  for (std::size_t i = 0; i < m.size(); ++i)
    if (m.layer(i).as_linear())
      benchmark::RegisterBenchmark(("BM_Layer/alexnet/" + m.layer(i).name() + "/" + std::string(m.layer(i).kind())).c_str(),
                                   BM_Layer, std::string("alexnet"), i)
          ->Unit(benchmark::kMillisecond)
          ->MinTime(0.5);
}

/// Collects every run's counters and time while printing as usual; with
/// repetitions, each benchmark's result is its run of median time.
class Collector : public benchmark::ConsoleReporter {
 public:
  struct Result {
    double ms = 0;
    double cpu_ms = 0;  // the process's CPU time (all threads) for the models
    std::map<std::string, double> counters;
  };
  std::map<std::string, Result> results;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& run : runs) {
      if (run.run_type == Run::RT_Aggregate) continue;
      Result r;
      r.ms = run.GetAdjustedRealTime();  // in the benchmark's unit (ms)
      r.cpu_ms = run.GetAdjustedCPUTime();
      // Rates arrive per second; the summary speaks in G (1e9) units.
      for (const auto& [k, c] : run.counters) r.counters[k] = (c.flags & benchmark::Counter::kIsRate) ? c.value / 1e9 : c.value;
      std::string name = run.benchmark_name();
      name = name.substr(0, name.find("/min_time:"));
      name = name.substr(0, name.find("/repeats:"));
      std::vector<Result>& all = runs_[name];
      all.push_back(r);
      std::vector<Result> sorted = all;
      std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2), sorted.end(),
                       [](const Result& a, const Result& b) { return a.ms < b.ms; });
      results[name] = sorted[sorted.size() / 2];
    }
    ConsoleReporter::ReportRuns(runs);
  }

 private:
  std::map<std::string, std::vector<Result>> runs_;
};

std::map<std::string, double> parse_pytorch(const std::string& spec) {
  std::map<std::string, double> out;
  std::size_t pos = 0;
  while (pos < spec.size()) {
    auto comma = spec.find(',', pos);
    std::string item = spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto colon = item.find(':');
    if (colon != std::string::npos) out[item.substr(0, colon)] = std::stod(item.substr(colon + 1));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

void print_summary(const Collector& c, const std::map<std::string, double>& pytorch, int threads) {
  auto get = [&](const std::string& k) { return c.results.count(k) ? c.results.at(k) : Collector::Result{}; };
  const double peak = get("BM_PeakFma").counters["GFLOP/s"];
  const double bandwidth = get("BM_ReadBandwidth").counters["GB/s"];
  std::printf("\n== summary (one thread unless said, one run) ==\n");
  if (peak > 0 && bandwidth > 0) {  // not filtered out
    std::printf("FP32 peak (Eigen packet FMA, %g lanes): %.1f GFLOP/s; DRAM read bandwidth (512 MiB streamed): %.1f GB/s\n",
                get("BM_PeakFma").counters["lanes"], peak, bandwidth);
  }
  double conv_flop = 0, conv_ms = 0, dense_bytes = 0, dense_ms = 0;
  for (const auto& [name, r] : c.results) {
    if (name.rfind("BM_Layer/", 0) != 0) continue;  // conv and dense layers of AlexNet only
    const bool dense = name.find("/dense") != std::string::npos;
    const double gflops = r.counters.at("GFLOP/s");
    if (dense) {
      std::printf("  %-36s %7.2f ms  %6.1f GB/s  = %4.0f%% of bandwidth\n", name.c_str() + 9, r.ms,
                  r.counters.at("GB/s"), 100 * r.counters.at("GB/s") / bandwidth);
      dense_bytes += r.counters.at("GB/s") * r.ms;
      dense_ms += r.ms;
    } else {
      std::printf("  %-36s %7.2f ms  %6.1f GFLOP/s = %4.0f%% of peak\n", name.c_str() + 9, r.ms, gflops,
                  100 * gflops / peak);
      conv_flop += gflops * r.ms;
      conv_ms += r.ms;
    }
  }
  if (conv_ms > 0)
    std::printf("AlexNet convs together: %.1f GFLOP/s = %.0f%% of peak\n", conv_flop / conv_ms,
                100 * conv_flop / conv_ms / peak);
  if (dense_ms > 0)
    std::printf("AlexNet dense layers together: %.1f GB/s = %.0f%% of bandwidth\n", dense_bytes / dense_ms,
                100 * dense_bytes / dense_ms / bandwidth);
  // AlexNet's floor: its conv FLOPs at peak GEMM speed plus its dense weights at read bandwidth.
  const Model& a = model("alexnet");
  double conv_flops = 0, dense_weight_bytes = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a.layer(i).kind() == "dense") dense_weight_bytes += a.layer(i).parameter_count() * 4.0;
    else conv_flops += a.layer(i).flops(a.input_shape_of(i));
  }
  const double floor_ms = conv_flops / peak / 1e6 + dense_weight_bytes / bandwidth / 1e6;
  for (const std::string name : {"alexnet", "vgg16"}) {
    const auto r = get("BM_Model/" + name);
    std::printf("%-8s %8.2f ms per inference", name.c_str(), r.ms);
    if (pytorch.count(name)) std::printf("   PyTorch %8.2f ms   ours/PyTorch = %.2f", pytorch.at(name), r.ms / pytorch.at(name));
    if (name == "alexnet" && peak > 0 && bandwidth > 0) std::printf("   floor %.1f ms, ours/floor = %.2f", floor_ms, r.ms / floor_ms);
    std::printf("\n");
  }
  if (threads > 1) {
    for (const std::string name : {"alexnet", "vgg16"}) {
      const auto one = get("BM_Model/" + name), many = get("BM_Model/" + name + "/threads:" + std::to_string(threads));
      if (one.ms <= 0 || many.ms <= 0) continue;
      std::printf("%-8s %8.2f ms on %d threads, speed-up over 1 thread = %.2f (CPU time %.2f ms against %.2f ms)",
                  name.c_str(), many.ms, threads, one.ms / many.ms, many.cpu_ms, one.cpu_ms);
      const std::string key = name + "@" + std::to_string(threads);
      if (pytorch.count(key))
        std::printf("   PyTorch (%d threads) %8.2f ms   ours/PyTorch = %.2f", threads, pytorch.at(key),
                    many.ms / pytorch.at(key));
      std::printf("\n");
    }
  }
  for (const std::string dw : {"dw96s1", "dw96s2"}) {
    const auto direct = get("BM_Depthwise/" + dw + "/direct"), gemm = get("BM_Depthwise/" + dw + "/gemm");
    if (direct.ms <= 0) continue;
    std::printf("depthwise 3x3 %s (96x56x56): direct %.3f ms (%.1f GFLOP/s), GEMM per channel %.3f ms, GEMM/direct = %.2f",
                dw.c_str(), direct.ms, direct.counters.at("GFLOP/s"), gemm.ms, gemm.ms / direct.ms);
    if (pytorch.count(dw)) std::printf("   PyTorch %.3f ms   ours/PyTorch = %.2f", pytorch.at(dw), direct.ms / pytorch.at(dw));
    std::printf("\n");
  }
}

}  // namespace
}  // namespace cdcnn

int main(int argc, char** argv) {
  std::string pytorch_spec;
  int threads = 2;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--pytorch_ms=", 13) == 0) pytorch_spec = argv[i] + 13;
    else if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::atoi(argv[i] + 10);
    else args.push_back(argv[i]);
  }
  if (threads < 1 || threads > cdcnn::kMaxComputeThreads) {
    std::fprintf(stderr, "engine_bench: --threads must be in 1..%d\n", cdcnn::kMaxComputeThreads);
    return 2;
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  cdcnn::register_benchmarks(threads);
  cdcnn::Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  cdcnn::print_summary(collector, cdcnn::parse_pytorch(pytorch_spec), threads);
  benchmark::Shutdown();
  return 0;
}
