#!/usr/bin/python3
"""experiments/results/lib/runs.py: percentiles as cdcnn's summary computes
them (nearest rank), arrival times including late results, summary.csv
rows refused when a run did not finish, the per-run tables committed
beside each figure read back as written, and traces read with and without
the tables added after the first format (health, ranks)."""

import csv
import os
import sys
import tempfile
import unittest

import h5py
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


class ReadTrace(unittest.TestCase):
    def test_reads_the_ranks_table_and_tolerates_a_trace_without_it(self):
        inference = np.dtype([("inference", "<i8"), ("latency_ms", "<f8")])
        rank = np.dtype([("rank", "<i4"), ("host", "S64"), ("estimated_mb", "<f8"), ("peak_mb", "<f8")])
        with tempfile.TemporaryDirectory() as tmp:
            old, new = os.path.join(tmp, "old.h5"), os.path.join(tmp, "new.h5")
            for path in (old, new):
                with h5py.File(path, "w", libver="latest") as f:
                    f.attrs["format"] = "cdcnn-trace"
                    f["inferences"] = np.zeros(2, dtype=inference)
                    if path == new:
                        f["ranks"] = np.array([(0, b"pi-0", 120.5, 131.0), (1, b"pi-1", 80.0, np.nan)], dtype=rank)
            self.assertIsNone(runs.read_trace(old)["ranks"])
            self.assertIsNone(runs.read_trace(old)["health"])
            ranks = runs.read_trace(new)["ranks"]
        self.assertEqual(list(ranks["host"]), [b"pi-0", b"pi-1"])
        self.assertEqual(ranks["peak_mb"][0], 131.0)
        self.assertTrue(np.isnan(ranks["peak_mb"][1]))


class PerRunTables(unittest.TestCase):
    def test_read_back_as_written(self):
        rows = [{"run": 0, "code": "mds:r=2", "straggler": "lognormal:mu=2.302585,sigma=1.5", "latency_ms": 92.6123456789},
                {"run": 1, "code": "sum", "straggler": "none", "latency_ms": float("nan")}]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "inferences.csv")
            runs.write_rows(path, rows, decimals=runs.PER_RUN_DECIMALS)
            back = runs.read_rows(path)
        self.assertEqual([r["straggler"] for r in back], ["lognormal:mu=2.302585,sigma=1.5", "none"])
        self.assertEqual(list(runs.column(back, "run", int)), [0, 1])
        latency = runs.column(back, "latency_ms")
        self.assertEqual(latency[0], 92.612346)  # PER_RUN_DECIMALS decimals, rounded
        self.assertTrue(np.isnan(latency[1]))

    def test_names_a_missing_table_and_how_to_make_it(self):
        with self.assertRaises(SystemExit) as e:
            runs.read_rows("/nonexistent/runs.csv", "experiments/regenerate.sh --only tail")
        self.assertIn("/nonexistent/runs.csv: no such file (experiments/regenerate.sh --only tail)", str(e.exception))

    def test_refuses_an_empty_table(self):
        with self.assertRaises(ValueError):
            runs.write_rows(os.path.join(tempfile.gettempdir(), "never-written.csv"), [])


if __name__ == "__main__":
    unittest.main()
