#!/usr/bin/python3
"""experiments/results/lib/runs.py: percentiles as cdcnn's summary computes
them (nearest rank), arrival times including late results, and summary.csv
rows refused when a run did not finish."""

import csv
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..",
                                "experiments", "results", "lib"))
import runs  # noqa: E402


class Percentile(unittest.TestCase):
    def test_is_the_nearest_rank(self):
        # framework/trace/summary.cpp: the ceil(p/100 * n)-th smallest.
        v = [5.0, 1.0, 4.0, 2.0, 3.0]
        self.assertEqual(runs.percentile(v, 50), 3.0)
        self.assertEqual(runs.percentile(v, 99), 5.0)
        self.assertEqual(runs.percentile(v, 0), 1.0)
        self.assertEqual(runs.percentile(list(range(1, 101)), 95), 95)
        self.assertTrue(np.isnan(runs.percentile([], 50)))


class Arrivals(unittest.TestCase):
    def test_include_late_results_and_skip_the_missing(self):
        shards = np.array([(0, 3, 0, 1.0, 11.0), (0, 3, 1, 1.0, np.nan), (1, 3, 0, 20.0, 25.0)],
                          dtype=[("inference", "i8"), ("layer", "i4"), ("shard", "i4"), ("dispatch_ms", "f8"),
                                 ("arrival_ms", "f8")])
        late = np.array([(0, 3, 1, 41.0)],
                        dtype=[("inference", "i8"), ("layer", "i4"), ("shard", "i4"), ("arrival_ms", "f8")])
        got = sorted(runs.arrivals_ms({"shards": shards, "late": late}))
        self.assertEqual(got, [5.0, 10.0, 40.0])


class OkRows(unittest.TestCase):
    def test_refuses_a_summary_with_a_failed_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "summary.csv"), "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["run_id", "status", "error"])
                w.writerow(["a", "ok", ""])
                w.writerow(["b", "failed", "mpirun exited with status 1"])
            with self.assertRaises(SystemExit) as e:
                runs.ok_rows(tmp)
            self.assertIn("b: failed mpirun exited with status 1", str(e.exception))

    def test_names_a_missing_summary(self):
        with self.assertRaises(SystemExit) as e:
            runs.ok_rows("/nonexistent/sweep")
        self.assertIn("/nonexistent/sweep/summary.csv", str(e.exception))


if __name__ == "__main__":
    unittest.main()
