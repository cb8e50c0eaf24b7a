#pragma once
// The list-in-a-string of cdcnn's files and messages: "a,b,c".

#include <string>
#include <string_view>
#include <vector>

namespace cdcnn {

/// "a,b,,c" split at `separator` -> {"a", "b", "", "c"}; "" -> {""}. Every
/// piece is kept, empty ones too, for the caller to judge.
std::vector<std::string> split(std::string_view text, char separator);

/// {"a", "b"} joined by `separator` -> "a,b"; {} -> "".
std::string join(const std::vector<std::string>& parts, std::string_view separator);

}  // namespace cdcnn
