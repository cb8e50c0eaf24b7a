#include "fault/delay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "temp_path.hpp"

namespace cdcnn {
namespace {

/// Kolmogorov–Smirnov distance between 20,000 samples and the model's CDF:
/// sampling and the analytic CDF are written independently, so agreement
/// checks both (D < 0.015 fails with probability far below 1e-4 when right).
double ks_distance(const DelayModel& m) {
  Rng rng(99);
  std::vector<double> x(20000);
  for (auto& v : x) v = m.sample_ms(rng);
  std::sort(x.begin(), x.end());
  double d = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = m.cdf(x[i]);
    d = std::max({d, std::abs(f - static_cast<double>(i) / x.size()), std::abs(f - static_cast<double>(i + 1) / x.size())});
  }
  return d;
}

TEST(DelayModel, SamplesFollowTheirCdfForEveryDistribution) {
  for (const char* spec : {"exp:mean=20", "shifted-exp:shift=50,mean=30", "pareto:scale=10,shape=1.5",
                           "lognormal:mu=3,sigma=0.5"}) {
    auto m = make_delay_model(spec);
    EXPECT_LT(ks_distance(*m), 0.015) << spec;
    EXPECT_EQ(m->spec(), spec);
  }
}

TEST(DelayModel, MeansAreTheAnalyticOnes) {
  EXPECT_DOUBLE_EQ(make_delay_model("shifted-exp:shift=50,mean=30")->mean_ms(), 80.0);
  EXPECT_DOUBLE_EQ(make_delay_model("pareto:scale=10,shape=2")->mean_ms(), 20.0);
  EXPECT_NEAR(make_delay_model("lognormal:mu=0,sigma=1")->mean_ms(), std::exp(0.5), 1e-12);
  EXPECT_EQ(make_delay_model("none")->sample_ms(*std::make_unique<Rng>(1)), 0.0);
}

TEST(DelayModel, EmpiricalResamplesTheFile) {
  const auto path = test::temp_path("delays.txt");
  std::ofstream(path) << "# arrival times\n10, 20\n30\n";
  auto m = make_delay_model("empirical:file=" + path);
  Rng rng(3);
  for (int i = 0; i < 100; ++i) {
    const double v = m->sample_ms(rng);
    EXPECT_TRUE(v == 10 || v == 20 || v == 30) << v;
  }
  EXPECT_DOUBLE_EQ(m->cdf(20), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m->mean_ms(), 20.0);
}

std::string error_of(const std::string& spec) {
  try {
    make_delay_model(spec);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DelayModel, BadSpecsSayWhatIsWrong) {
  EXPECT_NE(error_of("gamma:k=2").find("unknown straggler model 'gamma' (known: none, exp"), std::string::npos);
  EXPECT_NE(error_of("exp").find("needs mean=VALUE"), std::string::npos);
  EXPECT_NE(error_of("exp:mean=-1").find("mean in 'exp:mean=-1' must be positive"), std::string::npos);
  EXPECT_NE(error_of("exp:mean=abc").find("must be a number, got 'abc'"), std::string::npos);
  EXPECT_NE(error_of("exp:mean=1,rate=2").find("unknown parameter 'rate'"), std::string::npos);
  EXPECT_NE(error_of("empirical:file=/nonexistent").find("cannot read empirical delay file"), std::string::npos);
  EXPECT_EQ(error_of("exp:mean=1").size(), 0u);
}

}  // namespace
}  // namespace cdcnn
