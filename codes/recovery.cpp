#include "codes/recovery.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace cdcnn {

int Recovery::blocks_decoded() const { return static_cast<int>(std::count(decoded.begin(), decoded.end(), true)); }

ShardMask unheld_blocks(const Code& code, const ShardMask& arrived) {
  require(static_cast<int>(arrived.size()) == code.n(), "code '", code.spec(), "': arrived mask has ", arrived.size(),
          " entries, expected n=", code.n());
  ShardMask unheld(static_cast<std::size_t>(code.k()), true);
  for (int j = 0; j < code.n(); ++j)
    if (arrived[static_cast<std::size_t>(j)] && code.verbatim_block(j) >= 0)
      unheld[static_cast<std::size_t>(code.verbatim_block(j))] = false;
  return unheld;
}

Recovery plan_recovery(const Code& code, const ShardMask& arrived, Undecodable policy) {
  const ShardMask unheld = unheld_blocks(code, arrived);
  Recovery r;
  r.decoded.assign(unheld.size(), false);
  r.zeroed.assign(unheld.size(), false);
  if (code.decodable(arrived)) {
    r.decoded = unheld;
    r.outcome = r.blocks_decoded() > 0 ? InferenceOutcome::recovered : InferenceOutcome::exact;
  } else if (policy == Undecodable::zero_fill) {
    r.zeroed = unheld;
    r.outcome = InferenceOutcome::degraded;
  } else {
    r.outcome = InferenceOutcome::failed;
  }
  return r;
}

Recovery recover_blocks(const Code& code, std::span<const std::span<const float>> shards,
                        std::span<const std::span<float>> data_blocks, Undecodable policy) {
  const int n = code.n(), k = code.k();
  require(static_cast<int>(shards.size()) == n, "code '", code.spec(), "': ", shards.size(),
          " shard buffers, expected n=", n);
  require(static_cast<int>(data_blocks.size()) == k, "code '", code.spec(), "': ", data_blocks.size(),
          " data-block buffers, expected k=", k);
  const std::size_t size = data_blocks.front().size();
  const ShardMask arrived = arrived_shards(shards);
  for (int j = 0; j < n; ++j) {
    const auto& s = shards[static_cast<std::size_t>(j)];
    require(s.empty() || s.size() == size, "code '", code.spec(), "': shard ", j, " has ", s.size(),
            " values, the data blocks have room for ", size);
  }
  for (const auto& d : data_blocks)
    require(d.size() == size, "code '", code.spec(), "': data blocks of ", d.size(), " and ", size, " values");

  const Recovery r = plan_recovery(code, arrived, policy);
  if (r.outcome == InferenceOutcome::exact || r.outcome == InferenceOutcome::recovered) {
    code.decode(shards, data_blocks);
  } else if (r.outcome == InferenceOutcome::degraded) {
    for (int i = 0; i < k; ++i)
      if (r.zeroed[static_cast<std::size_t>(i)]) std::ranges::fill(data_blocks[static_cast<std::size_t>(i)], 0.0f);
    for (int i = 0; i < k; ++i) {
      const int j = code.verbatim_source(i, arrived);
      if (j < 0) continue;
      const auto& from = shards[static_cast<std::size_t>(j)];
      const auto& to = data_blocks[static_cast<std::size_t>(i)];
      if (from.data() != to.data()) std::ranges::copy(from, to.begin());  // may be received in place
    }
  }
  return r;
}

}  // namespace cdcnn
