#pragma once
// Errors in cdcnn: set-up problems (bad files, bad flags, bad specs) are
// exceptions carrying enough context to be printed as one line; `main`
// catches them once. Hot-path outcomes (a straggler, a lost shard) are not
// errors and never use these.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace cdcnn {

/// The one exception type cdcnn throws for bad input or misuse. Its message
/// is a complete sentence fragment that names the file, field or flag and
/// what was expected, fit to print after "cdcnn: ".
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
