#pragma once
// Existence checks for files named on the command line or in a dataset
// directory. std::filesystem's throwing overloads turn an over-long or
// unreadable path into a filesystem_error; these never throw and report the
// reason as a one-line cdcnn::Error instead.

#include <string>

namespace cdcnn {

/// True if `path` names a regular file (or a symlink to one); false if it is
/// missing, not a regular file or cannot be examined. Never throws.
bool is_regular_file(const std::string& path);

/// Throws Error("<path>: no such file") unless `path` exists, or
/// Error("<path>: cannot access (<reason>)") if it cannot be examined (a name
/// too long, a parent without permission).
void require_exists(const std::string& path);

}  // namespace cdcnn
