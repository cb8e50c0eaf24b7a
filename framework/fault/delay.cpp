#include "fault/delay.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <random>
#include <sstream>

#include "core/error.hpp"

namespace cdcnn {

namespace {

class NoDelay final : public DelayModel {
 public:
  double sample_ms(Rng&) const override { return 0.0; }
  double cdf(double x) const override { return x >= 0 ? 1.0 : 0.0; }
  double mean_ms() const override { return 0.0; }
  std::string spec() const override { return "none"; }
};

/// shift + Exp(mean); plain exponential is shift = 0.
class ShiftedExponential final : public DelayModel {
 public:
  ShiftedExponential(double shift, double mean, bool show_shift) : shift_(shift), mean_(mean), show_shift_(show_shift) {}
  double sample_ms(Rng& rng) const override {
    return shift_ + std::exponential_distribution<double>(1.0 / mean_)(rng.engine());
  }
  double cdf(double x) const override { return x < shift_ ? 0.0 : 1.0 - std::exp(-(x - shift_) / mean_); }
  double mean_ms() const override { return shift_ + mean_; }
  std::string spec() const override {
    return show_shift_ ? cat("shifted-exp:shift=", shift_, ",mean=", mean_) : cat("exp:mean=", mean_);
  }

 private:
  double shift_, mean_;
  bool show_shift_;
};

class Pareto final : public DelayModel {
 public:
  Pareto(double scale, double shape) : scale_(scale), shape_(shape) {}
  double sample_ms(Rng& rng) const override {
    // Inverse CDF on (0, 1]: never divides by zero.
    const double u = 1.0 - rng.uniform();
    return scale_ / std::pow(u, 1.0 / shape_);
  }
  double cdf(double x) const override { return x < scale_ ? 0.0 : 1.0 - std::pow(scale_ / x, shape_); }
  double mean_ms() const override { return shape_ > 1 ? shape_ * scale_ / (shape_ - 1) : INFINITY; }
  std::string spec() const override { return cat("pareto:scale=", scale_, ",shape=", shape_); }

 private:
  double scale_, shape_;
};

class LogNormal final : public DelayModel {
 public:
  LogNormal(double mu, double sigma) : mu_(mu), sigma_(sigma) {}
  double sample_ms(Rng& rng) const override { return std::lognormal_distribution<double>(mu_, sigma_)(rng.engine()); }
  double cdf(double x) const override {
    return x <= 0 ? 0.0 : 0.5 * std::erfc(-(std::log(x) - mu_) / (sigma_ * std::sqrt(2.0)));
  }
  double mean_ms() const override { return std::exp(mu_ + sigma_ * sigma_ / 2); }
  std::string spec() const override { return cat("lognormal:mu=", mu_, ",sigma=", sigma_); }

 private:
  double mu_, sigma_;
};

class Empirical final : public DelayModel {
 public:
  Empirical(std::string file, std::vector<double> sorted) : file_(std::move(file)), sorted_(std::move(sorted)) {}
  double sample_ms(Rng& rng) const override {
    return sorted_[std::uniform_int_distribution<std::size_t>(0, sorted_.size() - 1)(rng.engine())];
  }
  double cdf(double x) const override {
    return static_cast<double>(std::upper_bound(sorted_.begin(), sorted_.end(), x) - sorted_.begin()) /
           static_cast<double>(sorted_.size());
  }
  double mean_ms() const override {
    return std::accumulate(sorted_.begin(), sorted_.end(), 0.0) / static_cast<double>(sorted_.size());
  }
  std::string spec() const override { return cat("empirical:file=", file_); }

 private:
  std::string file_;
  std::vector<double> sorted_;
};

std::vector<double> read_delays(const std::string& path, const std::string& flag) {
  std::ifstream in(path);
  require(in.good(), flag, ": cannot read empirical delay file '", path, "'");
  std::vector<double> values;
  std::string token;
  for (int line = 1; std::getline(in, token); ++line) {
    if (auto hash = token.find('#'); hash != std::string::npos) token.resize(hash);
    std::replace(token.begin(), token.end(), ',', ' ');
    std::istringstream fields(token);
    for (std::string f; fields >> f;) {
      std::size_t used = 0;
      double v = NAN;
      try {
        v = std::stod(f, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      require(used == f.size() && std::isfinite(v) && v >= 0, path, ":", line,
              ": delays must be non-negative numbers of milliseconds, got '", f, "'");
      values.push_back(v);
    }
  }
  require(!values.empty(), path, ": no delays in the file");
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace

std::unique_ptr<DelayModel> make_delay_model(const std::string& text, const std::string& flag) {
  const SpecString s = SpecString::parse(text, flag);
  auto positive = [&](const char* key) {
    const double v = s.real(key);
    require(v > 0, flag, ": ", key, " in '", text, "' must be positive");
    return v;
  };
  if (s.name == "none") {
    s.allow_only("");
    return std::make_unique<NoDelay>();
  }
  if (s.name == "exp") {
    s.allow_only("mean");
    return std::make_unique<ShiftedExponential>(0.0, positive("mean"), false);
  }
  if (s.name == "shifted-exp") {
    s.allow_only("shift,mean");
    const double shift = s.real("shift");
    require(shift >= 0, flag, ": shift in '", text, "' must be non-negative");
    return std::make_unique<ShiftedExponential>(shift, positive("mean"), true);
  }
  if (s.name == "pareto") {
    s.allow_only("scale,shape");
    return std::make_unique<Pareto>(positive("scale"), positive("shape"));
  }
  if (s.name == "lognormal") {
    s.allow_only("mu,sigma");
    return std::make_unique<LogNormal>(s.real("mu"), positive("sigma"));
  }
  if (s.name == "empirical") {
    s.allow_only("file");
    const std::string file = s.string("file");
    return std::make_unique<Empirical>(file, read_delays(file, flag));
  }
  throw Error(cat(flag, ": unknown straggler model '", s.name,
                  "' (known: none, exp, shifted-exp, pareto, lognormal, empirical)"));
}

}  // namespace cdcnn
