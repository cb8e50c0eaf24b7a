#include "codes/code_table.hpp"

#include <cmath>
#include <cstdio>

#include "codes/conditioning.hpp"
#include "core/error.hpp"
#include "core/text_table.hpp"

namespace cdcnn {

std::vector<CodeTableRow> code_table(int k, const CodeRegistry& registry) {
  require(k >= 1, "codes: k must be at least 1, got ", k);
  std::vector<CodeTableRow> rows;
  for (const auto& name : registry.names()) {
    const CodeEntry& e = registry.entry(name);
    CodeTableRow row;
    row.spec = e.default_spec;
    row.origin = e.origin;
    row.k = k;
    try {
      auto code = registry.make(e.default_spec, k);
      row.spec = code->spec();
      row.n = code->n();
      row.tolerance = code->tolerance();
      row.storage_overhead = code->storage_overhead();
      row.worst_condition = worst_condition_number(*code);
    } catch (const Error& error) {
      row.error = error.what();
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string format_code_table(const std::vector<CodeTableRow>& rows) {
  std::vector<std::vector<std::string>> cells = {{"code", "n", "k", "tolerates", "overhead", "worst cond", "from"}};
  for (const auto& r : rows) {
    if (!r.error.empty()) {
      cells.push_back({r.spec, "-", std::to_string(r.k), "-", "-", "-", "n/a: " + r.error});
      continue;
    }
    char overhead[32], cond[32];
    std::snprintf(overhead, sizeof overhead, "%.2fx", r.storage_overhead);
    if (std::isnan(r.worst_condition))
      std::snprintf(cond, sizeof cond, "n/a");
    else
      std::snprintf(cond, sizeof cond, "%.3g", r.worst_condition);
    cells.push_back({r.spec, std::to_string(r.n), std::to_string(r.k), std::to_string(r.tolerance), overhead, cond,
                     r.origin});
  }
  return format_text_table(cells);
}

}  // namespace cdcnn
