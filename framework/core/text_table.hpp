#pragma once
// Aligned plain-text tables, as `cdcnn codes`, `coverage` and `report` print
// them: a header line and one line per row, every column as wide as its
// widest cell, two spaces between columns.
//
//   code     n  tolerates
//   mds:r=2  6  2
//   sum      5  1

#include <string>
#include <vector>

namespace cdcnn {

enum class Align { left, right };

/// `rows` (the first is the header) as aligned text. Column c is aligned as
/// align[c] says (left where `align` is shorter); widths count bytes (cdcnn's
/// cells are ASCII); a row shorter than the widest has empty cells at its
/// end. Every line loses its trailing spaces and ends with "\n".
/// One number as a cell: `value` through printf's `format` (a single
/// double conversion, "%.2f" by default).
std::string format_cell(double value, const char* format = "%.2f");

std::string format_text_table(const std::vector<std::vector<std::string>>& rows,
                              const std::vector<Align>& align = {});

}  // namespace cdcnn
