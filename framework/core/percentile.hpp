#pragma once
// The one percentile of cdcnn's latency figures (run's summary, report, the
// progress line, the planner's predictions): nearest rank, so that every
// figure is a latency that was measured (or simulated), never interpolated.

#include <vector>

namespace cdcnn {

/// The p-th percentile (0 ≤ p ≤ 100, nearest rank) of `values`; NaN if empty.
double percentile(std::vector<double> values, double p);

}  // namespace cdcnn
