#pragma once
// How much memory this process has used: the peak resident set size (Linux's
// VmHWM in /proc/self/status), which is what decides whether a model fits a
// Raspberry Pi's 1 GB.

#include <optional>

namespace cdcnn {

/// Peak resident memory of this process in MB (10^6 bytes); nullopt where
/// the system does not say (no /proc).
std::optional<double> peak_resident_mb();

}  // namespace cdcnn
