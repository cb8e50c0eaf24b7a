#pragma once
// The rows of `cdcnn codes`: every registered code, built with its default
// spec for a given k, and what it costs and buys.

#include <string>
#include <vector>

#include "codes/registry.hpp"

namespace cdcnn {

struct CodeTableRow {
  std::string spec;             ///< the spec actually used (or the default spec if it failed)
  std::string origin;           ///< "built-in" or the plugin file
  int n = 0;
  int k = 0;
  int tolerance = 0;            ///< losses always survived
  double storage_overhead = 0;  ///< n/k
  double worst_condition = 0;   ///< over all decodable systems (codes/conditioning.hpp); NaN if too many to examine
  std::string error;            ///< non-empty if the default spec does not build for this k
};

/// One row per registered code (sorted by name), each built with its
/// default spec for k data blocks. Error if k < 1.
std::vector<CodeTableRow> code_table(int k, const CodeRegistry& registry = code_registry());

/// A plain-text table with a header line, aligned columns, one code a line.
std::string format_code_table(const std::vector<CodeTableRow>& rows);

}  // namespace cdcnn
