#pragma once
// "name:key=value,key=value" — the one spec-string syntax of cdcnn's flags
// (--straggler, --fail, and the codes' "mds:r=2").

#include <map>
#include <string>

namespace cdcnn {

struct SpecString {
  std::string text;  ///< the whole spec, for messages
  std::string name;
  std::map<std::string, std::string> params;

  /// Parses `text`; `flag` names the flag in error messages. Error on an
  /// empty name, a parameter without '=', or a parameter given twice.
  static SpecString parse(const std::string& text, const std::string& flag);

  /// A required real parameter; Error naming the flag and key otherwise.
  double real(const std::string& key) const;
  double real(const std::string& key, double fallback) const;
  long long integer(const std::string& key) const;
  long long integer(const std::string& key, long long fallback) const;
  std::string string(const std::string& key) const;
  /// Error if any parameter is not among `known` (comma separated).
  void allow_only(const std::string& known) const;

  std::string flag;
};

}  // namespace cdcnn
