// libFuzzer target: every "name:key=value" spec parser. The first byte picks
// one; the rest is the text (lines where a parser takes several specs):
//   0  SpecString::parse and its typed getters (core/spec_string.hpp)
//   1  make_delay_model, --straggler (fault/delay.hpp); an empirical model
//      reads its delays from a scratch file holding the text after the spec
//   2  FaultInjector, --straggler and --fail lists (fault/injector.hpp)
//   3  CodeRegistry::make, code specs such as "mds:r=2" (codes/registry.hpp)
// Properties: no crash or sanitizer report; a bad spec is one cdcnn::Error
// of one line; a delay is never negative or NaN and a CDF stays in [0, 1];
// a code's spec() rebuilds the same generator and all n shards decode.

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "codes/registry.hpp"
#include "core/rng.hpp"
#include "core/spec_string.hpp"
#include "fault/delay.hpp"
#include "fault/injector.hpp"
#include "fuzz_util.hpp"

namespace {

void fail(const char* what, const std::string& text) {
  std::fprintf(stderr, "fuzz: %s for spec [%s]\n", what, text.c_str());
  std::abort();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

void spec_string(const std::string& text) {
  const auto s = cdcnn::SpecString::parse(text, "--flag");
  for (const auto& [key, value] : s.params) {
    for (auto get : {+[](const cdcnn::SpecString& s, const std::string& k) { (void)s.real(k); },
                     +[](const cdcnn::SpecString& s, const std::string& k) { (void)s.integer(k); },
                     +[](const cdcnn::SpecString& s, const std::string& k) { (void)s.string(k); }}) {
      try {
        get(s, key);
      } catch (const cdcnn::Error& e) {
        cdcnn::fuzz::check_error_message(e);
      }
    }
  }
  s.allow_only("a,b,mean");
}

void check_delays(const cdcnn::DelayModel& model, const std::string& text) {
  cdcnn::Rng rng(7);
  for (int i = 0; i < 16; ++i) {
    const double d = model.sample_ms(rng);
    if (!(d >= 0)) fail("negative or NaN delay", text);
  }
  for (double x : {-1.0, 0.0, 0.5, 1.0, 10.0, 1e3, 1e9}) {
    const double p = model.cdf(x);
    if (!(p >= 0 && p <= 1)) fail("CDF outside [0, 1]", text);
  }
  (void)model.mean_ms();
  (void)model.spec();
}

void delay_model(const std::string& text) {
  // An empirical model would read any path the fuzzer names (/dev/zero...):
  // it reads the scratch file instead, holding what follows the first line.
  const auto newline = text.find('\n');
  const std::string spec = text.substr(0, newline);
  if (spec.rfind("empirical", 0) == 0) {
    static const std::string path = cdcnn::fuzz::scratch_path("delays.txt");
    const std::string body = newline == std::string::npos ? "" : text.substr(newline + 1);
    cdcnn::fuzz::write_file(path, reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
    check_delays(*cdcnn::make_delay_model("empirical:file=" + path), text);
    return;
  }
  check_delays(*cdcnn::make_delay_model(spec), text);
}

void injector(std::uint8_t world_byte, const std::string& text) {
  // Lines up to an empty line are --straggler specs, the rest --fail specs;
  // empirical delays are left out (they read files, see delay_model).
  std::vector<std::string> stragglers, failures;
  bool in_failures = false;
  for (const auto& line : lines(text)) {
    if (line.empty()) {
      in_failures = true;
      continue;
    }
    if (line.find("empirical") != std::string::npos) return;
    (in_failures ? failures : stragglers).push_back(line);
  }
  const int world_size = 1 + world_byte % 16;
  const cdcnn::FaultInjector faults(world_byte, stragglers, failures, world_size);
  for (int rank = -1; rank <= world_size; ++rank)
    for (std::int64_t inference : {0, 1, 5, 1000})
      for (int layer : {0, 3}) {
        const auto f = faults.at(rank, inference, layer, static_cast<double>(inference) * 10.0);
        if (!(f.delay_ms >= 0)) fail("negative or NaN injected delay", text);
      }
  (void)faults.describe();
}

void code(std::uint8_t k_byte, const std::string& text) {
  const int k = 1 + k_byte % 12;
  const auto code = cdcnn::code_registry().make(text, k);
  if (code->k() != k || code->n() < k) fail("wrong k or n", text);
  const auto again = cdcnn::code_registry().make(code->spec(), k);
  if (again->generator() != code->generator()) fail("spec() does not rebuild the code", text);
  if (!code->decodable(cdcnn::ShardMask(static_cast<std::size_t>(code->n()), true)))
    fail("all shards together do not decode", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t selector = data[0], parameter = data[1];
  const std::string text(reinterpret_cast<const char*>(data + 2), size - 2);
  try {
    switch (selector % 4) {
      case 0: spec_string(text); break;
      case 1: delay_model(text); break;
      case 2: injector(parameter, text); break;
      case 3: code(parameter, text); break;
    }
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  return 0;
}
