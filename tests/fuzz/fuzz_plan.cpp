// libFuzzer target: the plan parser (plan/plan.hpp) on arbitrary text, then
// the plan against a small model and, when it fits, encoding it into a
// coded-weight file and reading that back (codes built from the plan's code
// specs by the registry). Properties: no crash or sanitizer report; a bad
// plan is one cdcnn::Error of one line; format_plan round-trips;
// what is encoded reads back with the plan's layers, k and n.

#include <cstdint>
#include <map>

#include "core/tensor.hpp"
#include "fuzz_util.hpp"
#include "io/coded_file.hpp"
#include "layers/registry.hpp"
#include "plan/plan.hpp"

namespace {

cdcnn::LayerSpec layer(const char* kind, const char* name) {
  cdcnn::LayerSpec s;
  s.kind = kind;
  s.name = name;
  return s;
}

cdcnn::Tensor ramp(cdcnn::Shape shape) {
  cdcnn::Tensor t(std::move(shape));
  float v = 0.0f;
  for (float& x : t.values()) x = (v += 0.01f);
  return t;
}

/// conv (2x5x5 -> 6x3x3), relu, flatten, dense 54 -> 10, dense 10 -> 4: both
/// linear kinds, small enough to encode in every iteration.
const cdcnn::Model& small_model() {
  static const cdcnn::Model model = [] {
    std::vector<cdcnn::LayerSpec> specs;
    specs.push_back(layer("conv2d", "conv"));
    specs.back().ints["kernel_size"] = {3, 3};
    specs.back().params.emplace("weight", ramp({6, 2, 3, 3}));
    specs.push_back(layer("relu", "act"));
    specs.push_back(layer("flatten", "flat"));
    specs.push_back(layer("dense", "fc"));
    specs.back().params.emplace("weight", ramp({10, 54}));
    specs.back().params.emplace("bias", ramp({10}));
    specs.push_back(layer("dense", "out"));
    specs.back().params.emplace("weight", ramp({4, 10}));
    std::vector<std::unique_ptr<cdcnn::Layer>> layers;
    for (const auto& s : specs) layers.push_back(cdcnn::layer_registry().make(s));
    return cdcnn::Model("small", {2, 5, 5}, std::move(layers));
  }();
  return model;
}

bool same_plan(const cdcnn::Plan& a, const cdcnn::Plan& b) {
  if (a.splits.size() != b.splits.size() || a.input.ranks != b.input.ranks) return false;
  for (std::size_t i = 0; i < a.splits.size(); ++i) {
    const auto &x = a.splits[i], &y = b.splits[i];
    if (x.layer != y.layer || x.k != y.k || x.code != y.code || x.ranks != y.ranks) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = cdcnn::fuzz::scratch_path("plan_coded.h5");
  const std::string text(reinterpret_cast<const char*>(data), size);
  cdcnn::Plan plan;
  try {
    plan = cdcnn::parse_plan(text, "fuzz.plan");
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
    return 0;
  }
  if (!same_plan(plan, cdcnn::parse_plan(cdcnn::format_plan(plan), "fuzz.plan"))) {
    std::fprintf(stderr, "fuzz: format_plan does not round-trip\n");
    std::abort();
  }
  try {
    const auto written = cdcnn::write_coded_file(path, small_model(), plan);
    const auto read = cdcnn::read_coded_layers(path);
    // The file lists layers by index, the plan in its own order.
    std::map<std::size_t, std::pair<int, int>> want, got;
    for (const auto& c : written) want[c.layer_index] = {c.k, c.n};
    for (const auto& c : read) got[c.layer_index] = {c.k, c.n};
    if (read.size() != plan.splits.size() || got != want) {
      std::fprintf(stderr, "fuzz: the coded file does not read back as written\n");
      std::abort();
    }
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  cdcnn::fuzz::check_no_open_hdf5_objects();
  return 0;
}
