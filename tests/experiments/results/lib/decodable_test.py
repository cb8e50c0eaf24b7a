#!/usr/bin/python3
"""experiments/results/lib/decodable.py: the exact first-decodable CDF and
its quantiles against closed forms (order statistics) and a Monte Carlo of
the shards' arrivals, for generators shaped like every built-in code."""

import math
import os
import sys
import unittest
from statistics import NormalDist

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                "experiments", "results", "lib"))
import decodable  # noqa: E402
import delays  # noqa: E402


def identity(k):
    return np.eye(k)


def sum_code(k):
    return np.vstack([np.eye(k), np.ones((1, k))])


def replication(k, copies=2):
    return np.vstack([np.eye(k)] * copies)


def pairwise(k):
    """A parity per pair of data blocks (k even)."""
    parities = np.zeros((k // 2, k))
    for i in range(k // 2):
        parities[i, 2 * i] = parities[i, 2 * i + 1] = 1
    return np.vstack([np.eye(k), parities])


def grouped_sum(k, groups):
    size = k // groups
    parities = np.zeros((groups, k))
    for g in range(groups):
        parities[g, g * size:(g + 1) * size] = 1
    return np.vstack([np.eye(k), parities])


def mds(k, r, seed=3):
    """Systematic, parity rows Gaussian: any k of k + r rows have rank k
    (with probability 1)."""
    return np.vstack([np.eye(k), np.random.default_rng(seed).normal(size=(r, k))])


def binomial_tail(n, k, p):
    """P(at least k of n arrived) when each arrived with probability p."""
    return sum(math.comb(n, m) * p ** m * (1 - p) ** (n - m) for m in range(k, n + 1))


class DecodableCounts(unittest.TestCase):
    def test_mds_counts_every_set_of_at_least_k(self):
        counts = decodable.decodable_counts(decodable.decodable_masks(mds(4, 2)))
        self.assertEqual(list(counts), [0, 0, 0, 0, math.comb(6, 4), math.comb(6, 5), 1])

    def test_uncoded_needs_every_shard(self):
        counts = decodable.decodable_counts(decodable.decodable_masks(identity(3)))
        self.assertEqual(list(counts), [0, 0, 0, 1])

    def test_replication_needs_one_copy_of_each_block(self):
        # k = 2, copies on shards (0, 2) and (1, 3): sets of 2 that hold one
        # copy of each: 4 of the 6; every set of 3 and the set of 4.
        counts = decodable.decodable_counts(decodable.decodable_masks(replication(2)))
        self.assertEqual(list(counts), [0, 0, 4, 4, 1])

    def test_pairwise_needs_two_of_each_triple(self):
        # k = 4: two independent triples, each decodable from any 2 of its 3.
        counts = decodable.decodable_counts(decodable.decodable_masks(pairwise(4)))
        per_triple = [0, 0, 3, 1]  # sets of size 0..3 of one triple that decode it
        expected = np.convolve(per_triple, per_triple)
        self.assertEqual(list(counts), list(expected))

    def test_probability_is_one_and_zero_at_the_ends(self):
        for G in (identity(3), sum_code(4), replication(3), pairwise(4), grouped_sum(4, 2), mds(4, 2)):
            counts = decodable.decodable_counts(decodable.decodable_masks(G))
            self.assertAlmostEqual(float(decodable.decodable_probability(counts, 1.0)), 1.0)
            self.assertAlmostEqual(float(decodable.decodable_probability(counts, 0.0)), 0.0)


class FirstDecodableTime(unittest.TestCase):
    def test_mds_is_the_kth_order_statistic(self):
        d = delays.parse("exp:mean=10")
        counts = decodable.decodable_counts(decodable.decodable_masks(mds(4, 2)))
        for t in (1.0, 5.0, 20.0, 60.0):
            p = float(d.cdf(t))
            self.assertAlmostEqual(float(decodable.first_decodable_cdf(counts, d, t)), binomial_tail(6, 4, p), 12)

    def test_uncoded_quantile_is_the_maximum(self):
        # P(max of n <= t) = F(t)^n: the q-quantile is F^-1(q^(1/n)).
        d = delays.parse("lognormal:mu=2.3,sigma=1")
        counts = decodable.decodable_counts(decodable.decodable_masks(identity(4)))
        for q in (0.5, 0.9, 0.99):
            expected = math.exp(2.3 + NormalDist().inv_cdf(q ** 0.25))
            self.assertAlmostEqual(float(decodable.first_decodable_quantile(counts, d, q)[0]), expected, 6)

    def test_exact_cdf_matches_monte_carlo_for_every_code_shape(self):
        rng = np.random.default_rng(11)
        d = delays.parse("lognormal:mu=2.302585,sigma=1")
        samples = 40000
        for name, G in [("uncoded", identity(4)), ("sum", sum_code(4)), ("replication", replication(4)),
                        ("pairwise", pairwise(4)), ("grouped-sum", grouped_sum(4, 2)), ("mds", mds(4, 2))]:
            masks = decodable.decodable_masks(G)
            counts = decodable.decodable_counts(masks)
            t = decodable.monte_carlo_first_decodable(masks, d, rng, samples)
            for q in (0.1, 0.5, 0.9, 0.99):
                x = float(decodable.first_decodable_quantile(counts, d, q)[0])
                empirical = float(np.mean(t <= x))
                # The Monte Carlo fraction below the exact quantile is q up
                # to sampling noise (5 standard errors).
                self.assertLess(abs(empirical - q), 5 * math.sqrt(q * (1 - q) / samples), f"{name} q={q}")

    def test_codes_order_as_their_structure_says(self):
        # More ways to decode, earlier: mds:r=2 <= grouped-sum/pairwise
        # <= sum <= uncoded, at every quantile, for iid delays.
        d = delays.parse("pareto:scale=5,shape=1.5")
        q = [0.5, 0.9, 0.99]

        def quantiles(G):
            return decodable.first_decodable_quantile(decodable.decodable_counts(decodable.decodable_masks(G)), d, q)

        m, g, s, u = quantiles(mds(4, 2)), quantiles(grouped_sum(4, 2)), quantiles(sum_code(4)), quantiles(identity(4))
        self.assertTrue(np.all(m <= g + 1e-9) and np.all(g <= s + 1e-9) and np.all(s <= u + 1e-9))

    def test_empirical_delays_give_values_of_the_file(self):
        d = delays.Delay("empirical", values=np.array([1.0, 2.0, 3.0, 4.0]))
        counts = decodable.decodable_counts(decodable.decodable_masks(identity(2)))
        # P(max of 2 <= 2) = (2/4)^2 = 0.25, P(max <= 3) = 0.5625.
        self.assertEqual(float(decodable.first_decodable_quantile(counts, d, 0.25)[0]), 2.0)
        self.assertEqual(float(decodable.first_decodable_quantile(counts, d, 0.26)[0]), 3.0)


class IdealOfATrace(unittest.TestCase):
    def test_first_decodable_time_of_given_arrivals(self):
        masks = decodable.decodable_masks(sum_code(2))  # any 2 of 3
        self.assertEqual(decodable.first_decodable_time([5.0, 9.0, 7.0], masks), 7.0)
        self.assertEqual(decodable.first_decodable_time([5.0, np.inf, 7.0], masks), 7.0)
        self.assertEqual(decodable.first_decodable_time([5.0, np.inf, np.inf], masks), np.inf)
        uncoded = decodable.decodable_masks(identity(3))
        self.assertEqual(decodable.first_decodable_time([5.0, 9.0, 7.0], uncoded), 9.0)

    def test_ideal_per_inference_from_the_shards_table(self):
        # Two inferences of a sum-coded layer (k = 2, n = 3) and one row of
        # another layer that must be ignored; an unknown delay (NaN) is never.
        dtype = [("inference", "i8"), ("layer", "i4"), ("shard", "i4"), ("compute_ms", "f8"),
                 ("injected_delay_ms", "f8")]
        shards = np.array([(0, 1, 0, 1.0, 10.0), (0, 1, 1, 1.0, 3.0), (0, 1, 2, 1.0, 50.0),
                           (1, 1, 0, 1.0, np.nan), (1, 1, 1, 1.0, 20.0), (1, 1, 2, 1.0, 4.0),
                           (0, 7, 0, 1.0, 0.0)], dtype=dtype)
        masks = decodable.decodable_masks(sum_code(2))
        self.assertEqual(list(decodable.ideal_latencies(shards, masks, 1)), [11.0, 21.0])


if __name__ == "__main__":
    unittest.main()
