#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <numeric>

#include "cli/command.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "io/inputs.hpp"
#include "io/model_file.hpp"

namespace cdcnn::cli {

namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

Tensor random_input(const Shape& shape, std::uint64_t seed) {
  Tensor x(shape);
  Rng rng(seed);
  for (float& v : x.values()) v = static_cast<float>(rng.normal());
  return x;
}

Index argmax(const Tensor& y) {
  return std::max_element(y.values().begin(), y.values().end()) - y.values().begin();
}

const char* const kFashionClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int dataset_accuracy(const Model& model, const std::string& dir, Index limit) {
  const LabelledImages set = load_idx_dataset(dir, "t10k");
  require(model.input_shape() == Shape{1, set.rows, set.cols}, "--dataset: images are 1x", set.rows, "x",
          set.cols, " but model '", model.name(), "' takes ", to_string(model.input_shape()));
  const Index n = limit > 0 ? std::min(limit, set.count) : set.count;
  Index correct = 0;
  const auto start = Clock::now();
  for (Index i = 0; i < n; ++i) {
    const Tensor y = model.forward(set.image(i, model.normalisation()));
    require(y.numel() > set.labels[i], "model output has ", y.numel(), " classes, label is ", int(set.labels[i]));
    correct += argmax(y) == set.labels[i];
  }
  const double ms = elapsed_ms(start);
  std::printf("accuracy %.4f (%lld/%lld) on %s t10k\n", static_cast<double>(correct) / n,
              static_cast<long long>(correct), static_cast<long long>(n), dir.c_str());
  std::printf("time per inference %.3f ms\n", ms / n);
  return 0;
}

}  // namespace

int infer_command(const Args& args) {
  po::options_description options("cdcnn infer options");
  add_model_option(options, "model file or zoo name (alexnet, vgg16, ...)");
  options.add_options()(
      "input", po::value<std::string>(), "image (PNG/JPEG/BMP) or .npy tensor; default: seeded random input")(
      "dataset", po::value<std::string>(),
      "IDX dataset directory (e.g. /usr/share/datasets/fashion-mnist): report test-set accuracy")(
      "limit", po::value<Index>()->default_value(0), "with --dataset: only the first N images (0 = all)")(
      "repeat", po::value<int>()->default_value(5), "timed inferences after one warm-up (median reported)")(
      "top", po::value<int>()->default_value(5), "how many classes to print");
  int threads = 1;
  add_threads_option(options, &threads);
  add_seed_option(options, "seed for zoo weights and the random input");
  options.add_options()(
      "save-input", po::value<std::string>(), "write the (preprocessed) input tensor to this .npy file")(
      "save-output", po::value<std::string>(), "write the output tensor to this .npy file");
  po::variables_map vm;
  if (!parse(args, "usage: cdcnn infer --model NAME|FILE [--input FILE | --dataset DIR]", options, vm)) return 0;
  const int repeat = vm["repeat"].as<int>(), top = vm["top"].as<int>();
  require(repeat >= 1, "--repeat must be at least 1");
  require(top >= 1, "--top must be at least 1");
  require(!(vm.count("input") && vm.count("dataset")), "--input and --dataset cannot be used together");
  const ComputeThreads compute(threads);

  const auto seed = vm["seed"].as<std::uint64_t>();
  const auto load_start = Clock::now();
  const Model model = open_model_option(vm["model"].as<std::string>(), seed, "infer");
  std::printf("model %s (%s input, %.2f GFLOPs) ready in %.0f ms\n", model.name().c_str(),
              to_string(model.input_shape()).c_str(), model.flops() / 1e9, elapsed_ms(load_start));
  if (vm.count("dataset")) return dataset_accuracy(model, vm["dataset"].as<std::string>(), vm["limit"].as<Index>());

  const Tensor x = vm.count("input")
                       ? load_input(vm["input"].as<std::string>(), model.input_shape(), model.normalisation())
                       : random_input(model.input_shape(), seed + 1);
  if (vm.count("save-input")) save_npy(vm["save-input"].as<std::string>(), x);
  Tensor y = model.forward(x);  // warm-up
  std::vector<double> times, cpu_times;
  for (int r = 0; r < repeat; ++r) {
    const auto start = Clock::now();
    const double cpu_start = process_cpu_ms();
    y = model.forward(x);
    cpu_times.push_back(process_cpu_ms() - cpu_start);
    times.push_back(elapsed_ms(start));
  }
  std::sort(times.begin(), times.end());
  std::sort(cpu_times.begin(), cpu_times.end());
  if (vm.count("save-output")) save_npy(vm["save-output"].as<std::string>(), y);

  // Probabilities by softmax unless the model already ends in one.
  Tensor p = y;
  if (model.layer(model.size() - 1).kind() != "softmax" && p.rank() == 1) {
    const float mx = *std::max_element(p.values().begin(), p.values().end());
    double sum = 0;
    for (float& v : p.values()) sum += (v = std::exp(v - mx));
    for (float& v : p.values()) v = static_cast<float>(v / sum);
  }
  std::vector<Index> order(static_cast<std::size_t>(p.numel()));
  std::iota(order.begin(), order.end(), 0);
  const auto k = std::min<std::size_t>(static_cast<std::size_t>(top), order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](Index a, Index b) { return p[a] > p[b]; });
  const bool fashion = p.numel() == 10 && model.name().rfind("fmnist", 0) == 0;
  std::printf("top-%zu:\n", k);
  for (std::size_t i = 0; i < k; ++i)
    std::printf("  %zu. class %lld%s%s  p=%.4f  logit=%.4f\n", i + 1, static_cast<long long>(order[i]),
                fashion ? " " : "", fashion ? kFashionClasses[order[i]] : "", p[order[i]], y[order[i]]);
  std::printf("time per inference: median %.2f ms, min %.2f ms over %d runs (%d thread%s)\n", times[times.size() / 2],
              times.front(), repeat, threads, threads == 1 ? "" : "s");
  // What a busy machine disturbs less than wall time: waiting for a core is not counted.
  std::printf("CPU time per inference (all threads): median %.2f ms\n", cpu_times[cpu_times.size() / 2]);
  return 0;
}

}  // namespace cdcnn::cli
