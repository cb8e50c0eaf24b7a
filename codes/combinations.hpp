#pragma once
// Every way of choosing k of n things: the loop behind a code's exhaustive
// tolerance, its conditioning over k-row systems, the offline loss sets and
// the placement of parity shards on an added device.

#include <span>
#include <type_traits>
#include <vector>

namespace cdcnn {

/// Calls visit(pick) for every k-element subset of {0, …, n−1}: `pick` holds
/// the k indices in ascending order, and the subsets come in lexicographic
/// order ({0,1,2}, {0,1,3}, …, {n−3,n−2,n−1}). k = 0 gives one empty subset;
/// k < 0 or k > n gives none. `visit` returns void, or bool: false stops the
/// walk there. Returns false if `visit` stopped it, true otherwise.
template <class Visit>
bool for_each_combination(int n, int k, Visit&& visit) {
  if (k < 0 || k > n) return true;
  std::vector<int> pick(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) pick[static_cast<std::size_t>(i)] = i;
  while (true) {
    const std::span<const int> view(pick);
    if constexpr (std::is_same_v<std::invoke_result_t<Visit&, std::span<const int>>, bool>) {
      if (!visit(view)) return false;
    } else {
      visit(view);
    }
    // The rightmost index that can still move right; the ones after it
    // restart just behind it.
    int i = k - 1;
    while (i >= 0 && pick[static_cast<std::size_t>(i)] == n - k + i) --i;
    if (i < 0) return true;
    ++pick[static_cast<std::size_t>(i)];
    for (int m = i + 1; m < k; ++m) pick[static_cast<std::size_t>(m)] = pick[static_cast<std::size_t>(m - 1)] + 1;
  }
}

}  // namespace cdcnn
