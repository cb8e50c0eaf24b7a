#pragma once
// What a split layer's arrived shards came to, and what the consistency
// check found: the verdicts of codes/recovery.hpp and codes/shard_check.hpp,
// which the runtime reports per inference and the trace stores as int8
// columns (trace/trace.hpp). Both are ordered from best to worst, so the
// verdict of an inference is the max over its layers.

#include <cstdint>

namespace cdcnn {

enum class InferenceOutcome : std::int8_t {
  exact = 0,      ///< every data block arrived verbatim: nothing decoded
  recovered = 1,  ///< some data blocks were rebuilt by decoding; still exact
  degraded = 2,   ///< some block was undecodable and zero-filled (or known wrong)
  failed = 3,     ///< some block was undecodable and the policy failed the inference
};

/// "exact", "recovered", "degraded" or "failed".
constexpr const char* to_string(InferenceOutcome outcome) {
  switch (outcome) {
    case InferenceOutcome::exact: return "exact";
    case InferenceOutcome::recovered: return "recovered";
    case InferenceOutcome::degraded: return "degraded";
    case InferenceOutcome::failed: return "failed";
  }
  return "?";
}

/// What the consistency check (`cdcnn run --check`) found, per layer; per
/// inference the weakest over its split layers.
enum class CheckResult : std::int8_t {
  unchecked = 0,     ///< the check was off
  consistent = 1,    ///< every arrived shard agreed with the decoded blocks, with a shard to spare
  corrected = 2,     ///< one shard disagreed, was located and decoded around
  unverified = 3,    ///< no spare shard: nothing to check against
  inconsistent = 4,  ///< shards disagree and the culprit cannot be located: the inference is degraded
};

}  // namespace cdcnn
