#include "codes/registry.hpp"

#include "codes/grouped_sum.hpp"
#include "codes/mds.hpp"
#include "codes/pairwise.hpp"
#include "codes/replication.hpp"
#include "codes/sum.hpp"
#include "codes/uncoded.hpp"
#include "core/error.hpp"

namespace cdcnn {

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

void CodeRegistry::add(CodeEntry entry) {
  require(!entry.name.empty() && entry.name.find_first_of(":,= ") == std::string::npos,
          "code registry: invalid code name '", entry.name, "' (from ", entry.origin, ")");
  require(static_cast<bool>(entry.factory), "code registry: code '", entry.name, "' (from ", entry.origin,
          ") has no factory");
  if (entry.default_spec.empty()) entry.default_spec = entry.name;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(entry.name);
  if (it != entries_.end())
    throw Error(cat("code registry: code '", entry.name, "' from ", entry.origin, " is already registered (from ",
                    it->second.origin, ")"));
  entries_.emplace(entry.name, std::move(entry));
}

std::unique_ptr<Code> CodeRegistry::make(const std::string& spec, int k) const {
  const SpecString parsed = SpecString::parse(spec, "code");
  const CodeEntry& e = entry(parsed.name);
  require(k >= 1, "code '", spec, "': k must be at least 1, got ", k);
  // Before the factory builds an n×k generator: k > n is never a code.
  require(k <= Code::kMaxShards, "code '", spec, "': k must be at most ", Code::kMaxShards,
          " (the most shards a code may have), got ", k);
  std::unique_ptr<Code> code;
  try {
    code = e.factory(k, parsed);
  } catch (const Error& error) {
    const std::string what = error.what();
    // Messages that already name the code ("code: ...", "mds: ...") pass through; others get it as context.
    const bool named = what.rfind("code", 0) == 0 || what.rfind(parsed.name + ":", 0) == 0;
    throw Error(named ? what : cat("code '", spec, "' with k=", k, ": ", what));
  }
  require(code != nullptr, "code '", spec, "': factory from ", e.origin, " returned nothing");
  require(code->k() == k, "code '", spec, "': factory from ", e.origin, " built k=", code->k(), ", asked for ", k);
  return code;
}

bool CodeRegistry::contains(const std::string& name) const {
  std::lock_guard lock(mutex_);
  return entries_.count(name) > 0;
}

const CodeEntry& CodeRegistry::entry(const std::string& name) const {
  std::vector<std::string> known;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it != entries_.end()) return it->second;
    for (const auto& [n, e] : entries_) known.push_back(n);
  }
  throw Error(cat("code: unknown code '", name, "' (known: ", joined(known), ")"));
}

std::vector<std::string> CodeRegistry::names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [n, e] : entries_) out.push_back(n);
  return out;
}

void register_builtin_codes(CodeRegistry& registry) {
  registry.add({"uncoded", "no redundancy: k shards, all needed", "uncoded", &UncodedCode::create});
  registry.add({"replication", "N copies of every block (N-modular redundancy)", "replication:n=2",
                &ReplicationCode::create});
  registry.add({"pairwise", "a sum parity per pair of blocks (the paper's eq. 1-2)", "pairwise", &PairwiseCode::create});
  registry.add({"sum", "one sum parity over all k blocks", "sum", &SumCode::create});
  registry.add({"grouped-sum", "g groups of k/g blocks, a sum parity each", "grouped-sum:g=2",
                &GroupedSumCode::create});
  registry.add({"mds", "r real parities, any k of k+r shards (searched well-conditioned)", "mds:r=2",
                &MdsCode::create});
}

CodeRegistry& code_registry() {
  static CodeRegistry* registry = [] {
    auto* r = new CodeRegistry;  // never destroyed: plugin codes may outlive static destruction order
    register_builtin_codes(*r);
    return r;
  }();
  return *registry;
}

}  // namespace cdcnn
