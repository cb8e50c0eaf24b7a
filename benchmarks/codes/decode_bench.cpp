// Decode latency of every code against the compute time of the layer block
// it replaces (the paper's promise: recovery at close to zero latency).
//
// Layers (AlexNet, GEMM view Y = W·X): fc6 is 4096×9216 times a 9216×1
// input; conv2 is 192×1600 (64·5·5) times 1600×729 (27·27 positions). Split
// k ways, one device computes a (m/k)×q block times X: that is "compute".
// "decode" rebuilds that block from the other shards when data block 0 is
// missing, with the other data blocks received in place (as the runtime
// does). At the end a table prints decode/compute per code, against the
// targets: ≤ 1% for the sum-type codes, ≤ 5% for mds with k=8, r=2.
//
//   build-codes/benchmarks/decode_bench [--benchmark_min_time=0.2]

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "codes/plugin_loader.hpp"
#include "codes/registry.hpp"
#include "core/rng.hpp"

namespace {

using cdcnn::Index;
using cdcnn::Matrix;

struct Layer {
  const char* name;
  Index m, q, p;
};
constexpr Layer kLayers[] = {{"fc6", 4096, 9216, 1}, {"conv2", 192, 1600, 729}};
constexpr int kKs[] = {4, 8};
const char* const kCodes[] = {"replication:n=2", "pairwise", "sum", "grouped-sum:g=2", "mds:r=2", "mds:r=4", "lrc:l=2"};

Matrix random(Index rows, Index cols, std::uint64_t seed) {
  cdcnn::Rng rng(seed);
  Matrix m(rows, cols);
  for (Index e = 0; e < m.size(); ++e) m.data()[e] = static_cast<float>(rng.normal());
  return m;
}

void compute_block(benchmark::State& state, Layer layer, int k) {
  const Matrix w = random(layer.m / k, layer.q, 1), x = random(layer.q, layer.p, 2);
  Matrix y(w.rows(), layer.p);
  for (auto _ : state) {
    y.noalias() = w * x;
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
}

void decode_block(benchmark::State& state, Layer layer, int k, std::string spec) {
  const auto code = cdcnn::code_registry().make(spec, k);
  const Index size = layer.m / k * layer.p;
  // Shard results: only their sizes and the arrival pattern matter to the cost.
  std::vector<Matrix> z;
  for (int j = 0; j < code->n(); ++j) z.push_back(random(size, 1, 10 + static_cast<std::uint64_t>(j)));
  Matrix lost_block(size, 1);
  std::vector<std::span<const float>> shards;
  std::vector<std::span<float>> blocks;
  for (int j = 0; j < code->n(); ++j)
    shards.emplace_back(j == 0 ? std::span<const float>() : std::span<const float>(z[static_cast<std::size_t>(j)].data(), static_cast<std::size_t>(size)));
  for (int i = 0; i < k; ++i)  // arrived data blocks were received in place
    blocks.emplace_back(i == 0 ? lost_block.data() : z[static_cast<std::size_t>(i)].data(), static_cast<std::size_t>(size));
  for (auto _ : state) {
    code->decode(shards, blocks);
    benchmark::DoNotOptimize(lost_block.data());
    benchmark::ClobberMemory();
  }
}

/// The console output, plus each run's real time kept for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) seconds[r.benchmark_name()] = r.GetAdjustedRealTime();
  }
  std::map<std::string, double> seconds;
};

}  // namespace

int main(int argc, char** argv) {
  cdcnn::load_code_plugin(CDCNN_LRC_PLUGIN);
  for (const auto& layer : kLayers)
    for (int k : kKs) {
      benchmark::RegisterBenchmark(("compute/" + std::string(layer.name) + "/k=" + std::to_string(k)).c_str(),
                                   compute_block, layer, k)
          ->Unit(benchmark::kMicrosecond);
      for (const char* spec : kCodes)
        benchmark::RegisterBenchmark(
            ("decode/" + std::string(layer.name) + "/k=" + std::to_string(k) + "/" + spec).c_str(), decode_block,
            layer, k, std::string(spec))
            ->Unit(benchmark::kMicrosecond);
    }
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  std::printf("\ndecode time / block compute time, one data block missing (target: sum-type <= 1%%, mds k=8 r=2 <= 5%%)\n");
  std::printf("%-8s %-3s %-16s %12s %12s %9s\n", "layer", "k", "code", "decode_us", "compute_us", "ratio");
  for (const auto& layer : kLayers)
    for (int k : kKs) {
      const std::string base = std::string(layer.name) + "/k=" + std::to_string(k);
      auto c = reporter.seconds.find("compute/" + base);
      if (c == reporter.seconds.end()) continue;
      for (const char* spec : kCodes) {
        auto d = reporter.seconds.find("decode/" + base + "/" + spec);
        if (d == reporter.seconds.end()) continue;
        std::printf("%-8s %-3d %-16s %12.2f %12.2f %8.3f%%\n", layer.name, k, spec, d->second, c->second,
                    100.0 * d->second / c->second);
      }
    }
  return 0;
}
