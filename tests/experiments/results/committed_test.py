#!/usr/bin/python3
"""experiments/results/: the committed results agree with themselves.

- Every figure drawn from a sweep (Figures 1, 5b, the tail study) redraws
  from its committed per-run data alone, and the summary CSVs it writes then
  are, to the byte, the committed ones (so the per-run data are complete and
  the summaries are what they say). The per-run data sit beside the
  summaries, in each figure's directory: the headline run's own.
- Every headline number the READMEs quote is what the committed CSVs give
  (experiments/results/check_numbers.py).
"""

import filecmp
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "experiments", "results")
sys.path.insert(0, RESULTS)
import check_numbers  # noqa: E402

# figure: (the per-run data its plot.py draws from, the summaries it writes)
FIGURES = {
    "figure1": (["shards.csv"], ["arrivals.csv"]),
    "figure5b": (["runs.csv", "inferences.csv"], ["latency.csv", "devices.csv"]),
    "tail": (["runs.csv", "inferences.csv", "generators.csv"], ["tail.csv"]),
}


class RedrawFromCommittedData(unittest.TestCase):
    def redraw(self, figure):
        data, summaries = FIGURES[figure]
        with tempfile.TemporaryDirectory() as tmp:
            for name in data:
                shutil.copy(os.path.join(RESULTS, figure, name), tmp)
            run = subprocess.run([sys.executable, os.path.join(RESULTS, figure, "plot.py"), "--out", tmp],
                                 capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            for name in summaries:
                self.assertTrue(filecmp.cmp(os.path.join(tmp, name), os.path.join(RESULTS, figure, name), shallow=False),
                                f"{figure}/{name} redrawn from the committed per-run data differs from the committed one")

    def test_figure1(self):
        self.redraw("figure1")

    def test_figure5b(self):
        self.redraw("figure5b")

    def test_tail(self):
        self.redraw("tail")


class ReadmesQuoteTheData(unittest.TestCase):
    def test_every_headline_number_is_in_the_csvs(self):
        out = io.StringIO()
        with redirect_stdout(out):
            status = check_numbers.main()
        self.assertEqual(status, 0, "\n".join(line for line in out.getvalue().splitlines()
                                              if line.startswith("MISSING")))


if __name__ == "__main__":
    unittest.main()
