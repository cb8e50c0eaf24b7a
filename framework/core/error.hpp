#pragma once
// Errors in cdcnn: set-up problems (bad files, bad flags, bad specs) are
// exceptions carrying enough context to be printed as one line; `main`
// catches them once. Hot-path outcomes (a straggler, a lost shard) are not
// errors and never use these.

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace cdcnn {

/// `text` with every control character but tab written out (\n, \r, \xNN):
/// names and specs quoted from files and flags can hold anything (a NUL
/// too), and an error message must still print whole and as one line.
inline std::string one_line(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\t') {
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

/// The one exception type cdcnn throws for bad input or misuse. Its message
/// is a complete sentence fragment that names the file, field or flag and
/// what was expected, fit to print after "cdcnn: ", on one line.
class Error : public std::runtime_error {
 public:
  /// The message is kept on one line (one_line) whatever it quotes.
  explicit Error(std::string_view message) : std::runtime_error(one_line(message)) {}
  explicit Error(const char* message) : Error(std::string_view(message)) {}
  explicit Error(const std::string& message) : Error(std::string_view(message)) {}
};

/// Concatenates anything streamable into a string (gcc 12 has no <format>).
template <class... Parts>
std::string cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

/// Throws Error(cat(parts...)) unless `condition` holds.
template <class... Parts>
void require(bool condition, Parts&&... parts) {
  if (!condition) throw Error(cat(std::forward<Parts>(parts)...));
}

}  // namespace cdcnn
