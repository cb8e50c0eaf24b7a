#!/usr/bin/python3
"""experiments/results/lib/delays.py: the Python mirror of the injector's
delay models (CDFs against their formulas, samplers against their CDFs), the
two-point fit of the paper's Figure 1, and the quantile file."""

import math
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                "experiments", "results", "lib"))
import delays  # noqa: E402


class DelaySpecs(unittest.TestCase):
    def test_cdfs_follow_the_injectors_formulas(self):
        # framework/fault/delay.cpp's cdf() of each family.
        x = 17.0
        self.assertAlmostEqual(float(delays.parse("exp:mean=10").cdf(x)), 1 - math.exp(-x / 10))
        self.assertAlmostEqual(float(delays.parse("shifted-exp:shift=5,mean=10").cdf(x)), 1 - math.exp(-(x - 5) / 10))
        self.assertAlmostEqual(float(delays.parse("pareto:scale=10,shape=1.5").cdf(x)), 1 - (10 / x) ** 1.5)
        self.assertAlmostEqual(float(delays.parse("lognormal:mu=2,sigma=0.5").cdf(x)),
                               0.5 * math.erfc(-(math.log(x) - 2) / (0.5 * math.sqrt(2))))
        self.assertEqual(float(delays.parse("none").cdf(0.0)), 1.0)

    def test_samples_follow_the_cdf(self):
        rng = np.random.default_rng(5)
        for spec in ("exp:mean=10", "shifted-exp:shift=5,mean=10", "pareto:scale=10,shape=1.5",
                     "lognormal:mu=2,sigma=0.5"):
            d = delays.parse(spec)
            x = d.sample(rng, 20000)
            for q in (0.1, 0.5, 0.9):
                self.assertLess(abs(np.mean(x <= d.ppf(q)) - q), 0.015, spec)

    def test_bad_specs_are_refused_with_the_spec_named(self):
        for spec, words in (("weibull:k=1", "unknown straggler model"), ("exp:mean=1,foo=2", "exp"),
                            ("lognormal:mu=1", "missing sigma"), ("2@exp:mean=1", "per-rank")):
            with self.assertRaises(ValueError) as e:
                delays.parse(spec)
            self.assertIn(words, str(e.exception))


class PaperFigure1Fit(unittest.TestCase):
    def test_fit_passes_through_both_points(self):
        mu, sigma = delays.fit_shifted_lognormal(50, (100, 0.34), (150, 0.76))
        d = delays.shifted_lognormal(50, mu, sigma)
        self.assertAlmostEqual(float(d.cdf(100)), 0.34, 10)
        self.assertAlmostEqual(float(d.cdf(150)), 0.76, 10)
        self.assertEqual(float(d.cdf(49.9)), 0.0)

    def test_fit_refuses_points_out_of_order(self):
        with self.assertRaises(ValueError):
            delays.fit_shifted_lognormal(50, (150, 0.34), (100, 0.42))
        with self.assertRaises(ValueError):
            delays.fit_shifted_lognormal(120, (100, 0.34), (150, 0.42))

    def test_quantile_file_reads_back_as_the_distribution(self):
        d = delays.shifted_lognormal(50, 4.17, 0.62)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "q.txt")
            delays.write_quantile_file(path, d, 2000, "a header\non two lines")
            e = delays.parse("empirical:file=q.txt", tmp)
        for x in (80.0, 100.0, 150.0, 300.0):
            self.assertLess(abs(float(e.cdf(x)) - float(d.cdf(x))), 1.0 / 2000 + 1e-9)
        self.assertAlmostEqual(e.mean(), d.mean(), delta=0.5)


if __name__ == "__main__":
    unittest.main()
