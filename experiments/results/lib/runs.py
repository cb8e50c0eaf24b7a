"""Reading a sweep's results (experiments/README.md, "Outputs"): summary.csv
and the HDF5 traces it points to (framework/trace/trace.hpp)."""

import csv
import os
import sys

import h5py
import numpy as np


def ok_rows(out_dir):
    """The rows of OUT/summary.csv whose run finished; exits with one line if
    the file is missing or a run failed (a figure from half a sweep misleads)."""
    path = os.path.join(out_dir, "summary.csv")
    if not os.path.exists(path):
        sys.exit(f"{path}: no such file (run the sweep first)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    bad = [r for r in rows if r["status"] != "ok"]
    if bad:
        sys.exit(f"{path}: {len(bad)} run(s) not ok, e.g. {bad[0]['run_id']}: {bad[0]['status']} {bad[0]['error']}")
    if not rows:
        sys.exit(f"{path}: no runs")
    return rows


def _table(f, name):
    return np.array(f[name][...]) if name in f else None


def read_trace(path):
    """The trace's tables as numpy structured arrays: inferences, layers,
    shards, late, health, ranks (None for a table the trace predates; and
    attrs, a dict of strings)."""
    with h5py.File(path, "r", swmr=True) as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else str(v)) for k, v in f.attrs.items()}
        return {
            "attrs": attrs,
            "inferences": _table(f, "inferences"),
            "layers": _table(f, "layers"),
            "shards": _table(f, "shards"),
            "late": _table(f, "late"),
            "health": _table(f, "health"),
            "ranks": _table(f, "ranks"),
        }


def latencies_ms(trace):
    return np.asarray(trace["inferences"]["latency_ms"], dtype=float)


def arrivals_ms(trace):
    """Every shard's arrival after its dispatch, late results included (a
    late result's arrival comes from the late table): what Figure 1 plots."""
    s = trace["shards"]
    arr = np.asarray(s["arrival_ms"], dtype=float) - np.asarray(s["dispatch_ms"], dtype=float)
    late = trace["late"]
    if late is not None and len(late):
        dispatch = {(int(r["inference"]), int(r["layer"]), int(r["shard"])): float(r["dispatch_ms"]) for r in s}
        for r in late:
            key = (int(r["inference"]), int(r["layer"]), int(r["shard"]))
            if key in dispatch:
                arr = np.append(arr, float(r["arrival_ms"]) - dispatch[key])
    return arr[np.isfinite(arr)]


def percentile(values, p):
    """The nearest-rank percentile, as cdcnn's summary computes it."""
    v = np.sort(np.asarray(values, dtype=float))
    if len(v) == 0:
        return float("nan")
    rank = int(np.ceil(p / 100 * len(v)))
    return float(v[min(max(rank, 1), len(v)) - 1])


# Per-run data committed beside each figure (its plot.py writes them from a
# sweep and draws from them, so a figure can be redrawn from the repository
# alone): plain CSV tables, one rule for numbers. Times in them keep
# PER_RUN_DECIMALS decimals of a millisecond (a nanosecond), so that the
# summaries drawn from the committed files equal those drawn from the traces
# to every digit they print.
PER_RUN_DECIMALS = 6


def write_rows(path, rows, decimals=3):
    """Writes a list of dicts as CSV (header: the first row's keys); floats
    with `decimals` decimals, NaN and infinities as nan / inf / -inf."""
    if not rows:
        raise ValueError(f"{path}: no rows to write")

    def cell(v):
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.{decimals}f}" if np.isfinite(v) else str(float(v))
        return v

    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: cell(v) for k, v in r.items()})


def read_rows(path, regenerate_hint=""):
    """The rows of a CSV file as dicts of strings; exits with one line naming
    the file (and how to make it) if it is missing."""
    if not os.path.exists(path):
        sys.exit(f"{path}: no such file{' (' + regenerate_hint + ')' if regenerate_hint else ''}")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def column(rows, name, dtype=float):
    """One column of read_rows' result as a numpy array."""
    return np.array([dtype(r[name]) for r in rows], dtype=dtype)
