#include "core/spec_string.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "core/error.hpp"

namespace cdcnn {

SpecString SpecString::parse(const std::string& text, const std::string& flag) {
  SpecString s;
  s.text = text;
  s.flag = flag;
  const auto colon = text.find(':');
  s.name = text.substr(0, colon);
  require(!s.name.empty(), flag, ": empty spec '", text, "'");
  if (colon == std::string::npos) return s;
  std::istringstream rest(text.substr(colon + 1));
  for (std::string item; std::getline(rest, item, ',');) {
    const auto eq = item.find('=');
    require(eq != std::string::npos && eq > 0, flag, ": '", item, "' in '", text, "' is not key=value");
    require(s.params.emplace(item.substr(0, eq), item.substr(eq + 1)).second, flag, ": '", item.substr(0, eq),
            "' given twice in '", text, "'");
  }
  return s;
}

double SpecString::real(const std::string& key) const {
  auto it = params.find(key);
  require(it != params.end(), flag, ": '", text, "' needs ", key, "=VALUE");
  std::size_t used = 0;
  double v = NAN;
  try {
    v = std::stod(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  require(used == it->second.size() && std::isfinite(v), flag, ": ", key, " in '", text, "' must be a number, got '",
          it->second, "'");
  return v;
}

double SpecString::real(const std::string& key, double fallback) const {
  return params.count(key) ? real(key) : fallback;
}

long long SpecString::integer(const std::string& key) const {
  const double v = real(key);
  require(v == std::floor(v) && std::abs(v) < 9e15, flag, ": ", key, " in '", text, "' must be an integer");
  return static_cast<long long>(v);
}

long long SpecString::integer(const std::string& key, long long fallback) const {
  return params.count(key) ? integer(key) : fallback;
}

std::string SpecString::string(const std::string& key) const {
  auto it = params.find(key);
  require(it != params.end() && !it->second.empty(), flag, ": '", text, "' needs ", key, "=VALUE");
  return it->second;
}

void SpecString::allow_only(const std::string& known) const {
  std::set<std::string> allowed;
  std::istringstream in(known);
  for (std::string k; std::getline(in, k, ',');) allowed.insert(k);
  for (const auto& [k, v] : params)
    require(allowed.count(k), flag, ": unknown parameter '", k, "' for '", name, "' (known: ", known.empty() ? "none" : known,
            ")");
}

}  // namespace cdcnn
