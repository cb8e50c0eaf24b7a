// cdcnn run's flags fill a RunConfig, one field per flag, and cdcnn sweep
// sees the same flags (framework/cli/run_options.hpp).

#include "cli/run_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"

namespace cdcnn::cli {
namespace {

using runtime::DeadlinePolicy;
using runtime::RunConfig;
using runtime::WeightSource;
using ::testing::HasSubstr;

RunConfig parsed(const Args& args) {
  RunConfig c;
  EXPECT_TRUE(parse_run_options(args, c));
  return c;
}

std::string error_of(const Args& args) {
  RunConfig c;
  try {
    parse_run_options(args, c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(RunOptions, DefaultsAreTheStructsOwn) {
  const RunConfig c = parsed({"--model", "mlp"}), d;
  EXPECT_EQ(c.model, "mlp");
  EXPECT_EQ(c.plan_file, d.plan_file);
  EXPECT_EQ(c.code, "sum");
  EXPECT_EQ(c.min_mflops, 10.0);
  EXPECT_EQ(c.weights_from, WeightSource::master);
  EXPECT_EQ(c.inferences, 10);
  EXPECT_EQ(c.master.deadline_ms, 1000.0);
  EXPECT_EQ(c.master.policy, DeadlinePolicy::zero_fill);
  EXPECT_EQ(c.master.suspect_after, 2);
  EXPECT_EQ(c.master.probe_every, 10);
  EXPECT_FALSE(c.master.check);
  EXPECT_EQ(c.master.give_up_ms, d.master.give_up_ms);
  EXPECT_EQ(c.master_timeout_s, 60.0);
  EXPECT_EQ(c.startup_timeout_s, 300.0);
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.threads, 1);
  EXPECT_FALSE(c.verify);
  EXPECT_TRUE(c.stragglers.empty() && c.fails.empty() && c.code_plugins.empty());
  EXPECT_TRUE(c.trace_file.empty() && c.input_file.empty() && c.coded_file.empty());
}

TEST(RunOptions, EveryFlagFillsItsField) {
  const RunConfig c = parsed({"--model", "m.h5", "--plan", "p.plan", "--code", "mds:r=2", "--min-mflops", "0.5",
                              "--weights-from", "file", "--coded", "c.h5", "--straggler", "exp:mean=5",
                              "--straggler", "2@pareto:scale=1,shape=2", "--fail", "drop:p=0.1", "--inferences",
                              "7", "--deadline-ms", "250", "--policy", "wait", "--trace", "t.h5", "--suspect-after",
                              "3", "--probe-every", "4", "--master-timeout-s", "5.5", "--startup-timeout-s", "6.5",
                              "--seed", "9", "--threads", "3", "--input", "x.npy", "--verify", "--check", "--code-plugin", "a.so",
                              "--code-plugin", "b.so"});
  EXPECT_EQ(c.model, "m.h5");
  EXPECT_EQ(c.plan_file, "p.plan");
  EXPECT_EQ(c.code, "mds:r=2");
  EXPECT_EQ(c.min_mflops, 0.5);
  EXPECT_EQ(c.weights_from, WeightSource::file);
  EXPECT_EQ(c.coded_file, "c.h5");
  EXPECT_EQ(c.stragglers, (std::vector<std::string>{"exp:mean=5", "2@pareto:scale=1,shape=2"}));
  EXPECT_EQ(c.fails, std::vector<std::string>{"drop:p=0.1"});
  EXPECT_EQ(c.inferences, 7);
  EXPECT_EQ(c.master.deadline_ms, 250.0);
  EXPECT_EQ(c.master.policy, DeadlinePolicy::wait);
  EXPECT_EQ(c.trace_file, "t.h5");
  EXPECT_EQ(c.master.suspect_after, 3);
  EXPECT_EQ(c.master.probe_every, 4);
  EXPECT_EQ(c.master_timeout_s, 5.5);
  EXPECT_EQ(c.startup_timeout_s, 6.5);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.input_file, "x.npy");
  EXPECT_TRUE(c.verify);
  EXPECT_TRUE(c.master.check);
  EXPECT_EQ(c.code_plugins, (std::vector<std::string>{"a.so", "b.so"}));
}

TEST(RunOptions, BadValuesAreErrorsNamingTheFlag) {
  EXPECT_EQ(error_of({"--model", "mlp", "--policy", "maybe"}), "--policy: 'maybe' is not one of wait, zero-fill, fail");
  EXPECT_EQ(error_of({"--model", "mlp", "--weights-from", "disk"}), "--weights-from must be master or file, got 'disk'");
  EXPECT_THAT(error_of({}), HasSubstr("--model' is required"));
  EXPECT_THAT(error_of({"--model", "mlp", "--inferences", "many"}), HasSubstr("--inferences"));
  EXPECT_THAT(error_of({"--model", "mlp", "--bogus"}), HasSubstr("unrecognised option '--bogus'"));
}

TEST(RunOptions, HelpPrintsTheUsageAndTheDefaultsAndRunsNothing) {
  RunConfig c;
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse_run_options({"--help"}, c));
  const std::string help = ::testing::internal::GetCapturedStdout();
  EXPECT_THAT(help, HasSubstr(kRunUsage));
  EXPECT_THAT(help, HasSubstr("--policy arg (=zero-fill)"));
  EXPECT_THAT(help, HasSubstr("--weights-from arg (=master)"));
  EXPECT_THAT(help, HasSubstr("--deadline-ms arg (=1000)"));
}

TEST(RunFlags, AreTheFlagsOfTheDescriptionWithTheirDefaults) {
  const sweep::RunFlags flags = run_flags();
  EXPECT_EQ(flags.size(), 27u);
  EXPECT_EQ(flags.at("progress").default_value, "5");
  EXPECT_EQ(flags.at("in_flight").default_value, "1");  // streams: one frame at a time unless asked
  EXPECT_EQ(flags.at("rate").default_value, "0");
  EXPECT_EQ(flags.at("frame_timeout_ms").default_value, "0");
  EXPECT_TRUE(flags.at("model").takes_value);
  EXPECT_FALSE(flags.at("model").default_value);
  EXPECT_EQ(flags.at("code").default_value, "sum");
  EXPECT_EQ(flags.at("weights_from").default_value, "master");
  EXPECT_EQ(flags.at("deadline_ms").default_value, "1000");
  EXPECT_EQ(flags.at("policy").default_value, "zero-fill");
  EXPECT_EQ(flags.at("inferences").default_value, std::to_string(RunConfig{}.inferences));
  EXPECT_FALSE(flags.at("verify").takes_value);
  EXPECT_EQ(flags.at("memory_mb").default_value, "0");
  EXPECT_FALSE(flags.at("check").takes_value);
  EXPECT_TRUE(flags.at("code_plugin").takes_value);
  // Every flag the sweep may pass is one cdcnn run accepts.
  for (const auto& [key, flag] : flags) {
    std::string name = key;
    std::replace(name.begin(), name.end(), '_', '-');
    Args args = {"--model", "mlp", "--" + name};
    if (flag.takes_value) args.push_back(flag.default_value.value_or(name == "policy" ? "wait" : "x"));
    EXPECT_THAT(error_of(args), ::testing::Not(HasSubstr("unrecognised"))) << key;
  }
}

}  // namespace
}  // namespace cdcnn::cli
