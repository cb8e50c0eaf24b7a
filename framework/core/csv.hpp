#pragma once
// CSV as every cdcnn command writes and reads it: RFC 4180 fields. A field is
// quoted when, and only when, it holds a comma, a double quote, a carriage
// return or a line feed; inside quotes a double quote is doubled. Nothing
// else is quoted (spaces are plain text). Records end with "\n" (RFC 4180
// says CRLF; every reader cdcnn's CSVs meet — Python's csv, pandas,
// spreadsheets, parse_csv below — accepts either).

#include <string>
#include <string_view>
#include <vector>

namespace cdcnn {

/// One field: `a,b` → `"a,b"`, `say "hi"` → `"say ""hi"""`, `a b` → `a b`.
std::string csv_field(std::string_view text);

/// One record: every field as csv_field writes it, separated by commas,
/// ended by "\n".
std::string csv_line(const std::vector<std::string>& fields);

/// Records, one csv_line each (the first is usually the header).
std::string csv_text(const std::vector<std::vector<std::string>>& rows);

/// Parses CSV text into records of fields: quoted fields (which may hold
/// commas, doubled quotes and line breaks), records ended by LF or CRLF, a
/// last record without a line end. parse_csv(csv_text(rows)) == rows.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

}  // namespace cdcnn
