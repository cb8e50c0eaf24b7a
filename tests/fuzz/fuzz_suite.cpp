// libFuzzer target: the sweep suite parser and its expansion into runs
// (experiments/sweep/suite.hpp) on arbitrary text. Plan files named by the
// suite are not read from disk: a name with 't' in it is a template
// ("fc {k} {code}"), "missing" does not exist, anything else is a plain plan.
// Properties: no crash or sanitizer report; a bad suite is one cdcnn::Error
// of one line; a suite of more than kMaxRuns runs is refused; every run of an
// expansion has a distinct ID.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "fuzz_util.hpp"
#include "sweep/suite.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto suite = cdcnn::sweep::parse_suite(text, "fuzz.suite", "/nonexistent");
    // A suite of more than kMaxRuns runs must be refused before it is expanded
    // (found here: findings/suite-430M-runs.suite, 12^8 runs in 358 bytes).
    const bool too_many = cdcnn::sweep::run_count(suite) > cdcnn::sweep::kMaxRuns;
    const auto runs = cdcnn::sweep::expand(suite, [](const std::string& path) -> std::string {
      if (path == "missing") throw cdcnn::Error("missing: no such file");
      return path.find('t') != std::string::npos ? "fc {k} {code}\n" : "fc 2 sum\n";
    });
    if (too_many) {
      std::fprintf(stderr, "fuzz: a suite of %llu runs was expanded\n",
                   static_cast<unsigned long long>(cdcnn::sweep::run_count(suite)));
      std::abort();
    }
    std::set<std::string> ids;
    for (const auto& run : runs)
      if (!ids.insert(run.id).second) {
        std::fprintf(stderr, "fuzz: two runs share the ID %s\n", run.id.c_str());
        std::abort();
      }
  } catch (const cdcnn::Error& e) {
    cdcnn::fuzz::check_error_message(e);
  }
  return 0;
}
