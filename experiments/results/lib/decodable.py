"""When does a coded layer become decodable? The analytic prediction of the
tail study.

A layer coded with an n x k generator G is decodable from the set S of shards
that have arrived iff rank(G_S) = k (docs/architecture.md §1). If the n shards' delays are
iid with CDF F, the set arrived by time t holds each shard independently with
probability F(t), so the first-decodable time T has, exactly,

    P(T <= t) = sum_m D_m F(t)^m (1 - F(t))^(n - m),

where D_m is the number of decodable sets of m shards. For an MDS code (any k
of n) D_m = C(n, m) for m >= k and this is the k-th order statistic of n; for
replication, pairwise or grouped sums the counts come from G itself, so the
same formula covers every code, built-in or plugin. Decodable sets are closed
upwards (more shards never hurt), so the polynomial rises with F and its
quantiles are found by bisection on F, then mapped through F's inverse.
"""

import h5py
import numpy as np


def generator_from_coded_file(path, layer_name):
    """G (n x k, float64) of the layer `layer_name` in a coded-weight file
    written by `cdcnn encode` (framework/io/coded_file.hpp)."""
    with h5py.File(path, "r") as f:
        for group in f["coded"].values():
            if group.attrs["layer"] == layer_name or group.attrs["layer"] == layer_name.encode():
                return np.array(group["G"], dtype=float)
    raise ValueError(f"{path}: no coded layer '{layer_name}'")


def decodable_masks(G):
    """A boolean array over the 2^n subsets of shards (bit j = shard j):
    True where rank(G_S) = k."""
    G = np.asarray(G, dtype=float)
    n, k = G.shape
    if n > 20:
        raise ValueError(f"decodable_masks: n = {n} shards is too many to enumerate (at most 20)")
    masks = np.zeros(1 << n, dtype=bool)
    for s in range(1 << n):
        rows = [j for j in range(n) if s >> j & 1]
        if len(rows) >= k:
            masks[s] = np.linalg.matrix_rank(G[rows]) == k
    return masks


def decodable_counts(masks):
    """D_m: how many decodable sets have m shards, m = 0..n."""
    n = int(np.log2(len(masks)))
    sizes = np.array([bin(s).count("1") for s in range(len(masks))])
    return np.bincount(sizes[masks], minlength=n + 1)[: n + 1]


def decodable_probability(counts, p):
    """P(the set arrived is decodable) when each of the n shards has arrived
    independently with probability p (array-valued in p)."""
    p = np.asarray(p, dtype=float)
    n = len(counts) - 1
    return sum(int(c) * p ** m * (1 - p) ** (n - m) for m, c in enumerate(counts))


def first_decodable_cdf(counts, delay, t_ms):
    """P(T <= t) for iid shard delays with distribution `delay` (delays.Delay)."""
    return decodable_probability(counts, delay.cdf(t_ms))


def first_decodable_quantile(counts, delay, q, iterations=60):
    """The q-quantile of T (q in (0, 1), scalar or array)."""
    q = np.atleast_1d(np.asarray(q, dtype=float))
    lo, hi = np.zeros_like(q), np.ones_like(q)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        below = decodable_probability(counts, mid) < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return delay.ppf(hi)


def monte_carlo_first_decodable(masks, delay, rng, samples):
    """T drawn directly: iid delays for the n shards, sorted, and the first
    prefix of arrivals that is a decodable set."""
    n = int(np.log2(len(masks)))
    x = delay.sample(rng, (samples, n))
    order = np.argsort(x, axis=1)
    prefix = np.cumsum(1 << order, axis=1)   # distinct bits: the sum is the union
    first = np.argmax(masks[prefix], axis=1)
    if not masks[-1]:
        raise ValueError("monte_carlo_first_decodable: the code is not decodable even from every shard")
    return np.take_along_axis(np.sort(x, axis=1), first[:, None], axis=1)[:, 0]


def first_decodable_time(times_ms, masks):
    """The moment a set of shards with these arrival times (one per shard,
    inf for never) first becomes decodable; inf if it never does."""
    t = np.asarray(times_ms, dtype=float)
    order = np.argsort(t, kind="stable")
    prefix = np.cumsum(1 << order)
    ok = masks[prefix]
    return float(t[order][np.argmax(ok)]) if ok.any() else float("inf")


def ideal_latencies(shards, masks, layer_index):
    """Per inference of a trace's shards table (lib/runs.py): the first-
    decodable time of each shard's compute plus injected delay over the
    shards of one split layer — what an omniscient master would wait for. A
    shard whose delay is unknown (it had not arrived when the layer was done,
    or never was sent) counts as never."""
    s = shards[shards["layer"] == layer_index]
    n = int(np.log2(len(masks)))
    out = []
    for inference in np.unique(s["inference"]):
        t = np.full(n, np.inf)
        for r in s[s["inference"] == inference]:
            d = float(r["compute_ms"]) + float(r["injected_delay_ms"])
            if np.isfinite(d):
                t[int(r["shard"])] = d
        out.append(first_decodable_time(t, masks))
    return np.array(out)
