#pragma once
// Straggler delay distributions (docs/architecture.md §4), in milliseconds, each with its
// CDF so that analyses can draw the analytic prediction (order statistics)
// beside a measurement. Built from --straggler specs:
//   none
//   exp:mean=MS
//   shifted-exp:shift=MS,mean=MS          shift + Exp(mean)
//   pareto:scale=MS,shape=A               P(X > x) = (scale/x)^A, x ≥ scale
//   lognormal:mu=M,sigma=S                exp(N(mu, sigma)), in ms
//   empirical:file=PATH                   resampled from the numbers in PATH (ms)

#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/spec_string.hpp"

namespace cdcnn {

class DelayModel {
 public:
  virtual ~DelayModel() = default;
  /// One delay, ≥ 0 ms.
  virtual double sample_ms(Rng& rng) const = 0;
  /// P(delay ≤ x_ms).
  virtual double cdf(double x_ms) const = 0;
  virtual double mean_ms() const = 0;
  /// The spec with every parameter it used, for traces.
  virtual std::string spec() const = 0;
};

/// Builds a delay model from a spec (syntax above); `flag` names the flag in
/// errors (unknown name with the list of names, missing or bad parameter).
std::unique_ptr<DelayModel> make_delay_model(const std::string& spec, const std::string& flag = "--straggler");

}  // namespace cdcnn
