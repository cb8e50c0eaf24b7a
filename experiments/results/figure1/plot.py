#!/usr/bin/python3
"""Figure 1 from a sweep of figure1.suite: the histogram of the measured
arrival times (every shard's result, dispatch to arrival at the master) with
the fitted model's density, and the CDF against the paper's 34% / 42%.

Usage: plot.py [SWEEP_OUT_DIR] [--out DIR]   (DIR: this directory by default)
With a sweep, first writes DIR/shards.csv: one row per shard of every
inference, read from the traces (arrival after dispatch, a late result's
arrival, the worker's compute, the injected delay; about 40 kB). Then, with
or without a sweep, draws from DIR/shards.csv alone: DIR/fig1.png and
DIR/arrivals.csv (the numbers quoted in README.md). So `plot.py --out DIR`
redraws a figure from the per-run data committed here (README.md), nothing
rerun.
"""

import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import delays  # noqa: E402
import runs  # noqa: E402
import fit  # noqa: E402


SHARDS = "shards.csv"


def shard_rows(sweep):
    """One row per shard of every inference of every run of the sweep, with
    what the figure needs from the trace. A result that came after its layer
    was done is in the trace's late table: its arrival is late_arrival_ms."""
    out = []
    for run, r in enumerate(runs.ok_rows(sweep)):
        t = runs.read_trace(os.path.join(sweep, r["trace"]))
        s = t["shards"]
        late = {}
        for row in (t["late"] if t["late"] is not None else []):
            late[(int(row["inference"]), int(row["layer"]), int(row["shard"]))] = float(row["arrival_ms"])
        for row in s:
            key = (int(row["inference"]), int(row["layer"]), int(row["shard"]))
            dispatch = float(row["dispatch_ms"])
            out.append({
                "run": run, "inference": key[0], "layer": key[1], "shard": key[2],
                "arrival_ms": float(row["arrival_ms"]) - dispatch,
                "late_arrival_ms": late[key] - dispatch if key in late else float("nan"),
                "compute_ms": float(row["compute_ms"]), "injected_delay_ms": float(row["injected_delay_ms"]),
            })
    return out


def load(directory):
    """The arrays the figure is drawn from, out of DIRECTORY/shards.csv."""
    rows = runs.read_rows(os.path.join(directory, SHARDS),
                          "made by plot.py SWEEP: experiments/regenerate.sh --only figure1")
    arrival, late = runs.column(rows, "arrival_ms"), runs.column(rows, "late_arrival_ms")
    injected = runs.column(rows, "injected_delay_ms")
    arrivals = np.concatenate([arrival, late])
    # What this machine adds to the injected Pi arrival time: its own
    # compute and the messages (arrival - injected delay).
    extra = arrival - injected
    return {
        "arrivals": arrivals[np.isfinite(arrivals)],
        "compute": runs.column(rows, "compute_ms"),
        "injected": injected,
        "extra": extra[np.isfinite(extra)],
        "inferences": len({(r["run"], r["inference"]) for r in rows}),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", nargs="?", help="a sweep of figure1.suite (default: draw from DIR/shards.csv)")
    parser.add_argument("--out", default=HERE, help="where the per-run data are written and read, and the "
                        "figure drawn (default: this directory)")
    args = parser.parse_args()
    if args.sweep:
        runs.write_rows(os.path.join(args.out, SHARDS), shard_rows(args.sweep), decimals=runs.PER_RUN_DECIMALS)
    data = load(args.out)
    arrivals, compute, injected, extra = data["arrivals"], data["compute"], data["injected"], data["extra"]
    n_inferences = data["inferences"]

    fits = fit.fits()
    _, _, model = fits[fit.INJECTED]
    mu_c, sigma_c, cumulative = fits["cumulative"]
    injected_model = delays.parse("empirical:file=pi-wifi-arrivals.txt", HERE)

    fig, (ax_h, ax_c) = plt.subplots(1, 2, figsize=(11, 4.2))
    bins = np.arange(0, 650, 50)
    weights = np.full(len(arrivals), 100.0 / len(arrivals))
    ax_h.hist(np.clip(arrivals, 0, bins[-1] - 1e-9), bins=bins, weights=weights, color="#4c72b0",
              edgecolor="white", label=f"measured ({len(arrivals)} arrivals)")
    t = np.linspace(0, 600, 601)
    model_bins = np.diff(model.cdf(bins)) * 100
    ax_h.step(bins[:-1], model_bins, where="post", color="#dd8452", lw=2, label="fitted model, per bin")
    ax_h.plot([75, 125], [34, 42], "kD", ms=8, label="paper: 34% and 42% (read as its bars)")
    ax_h.set_xlabel("arrival time after dispatch (ms)")
    ax_h.set_ylabel("% of arrivals per 50 ms bin")
    ax_h.set_title("Arrival times, master + 3 workers (2048-wide dense each)")
    ax_h.legend(fontsize=8)

    xs = np.sort(arrivals)
    ax_c.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color="#4c72b0", lw=2, label="measured")
    ax_c.plot(t, model.cdf(t), color="#dd8452", ls="--", lw=2,
              label=f"fit, bars: 50 + LN({fit.fits()['bars'][0]:.2f}, {fit.fits()['bars'][1]:.2f})")
    ax_c.plot(t, cumulative.cdf(t), color="gray", ls=":", lw=2,
              label=f"fit, cumulative: 50 + LN({mu_c:.2f}, {sigma_c:.2f}) (not run)")
    ax_c.plot([100, 150], [0.34, 0.42], "ks", label="paper: 34% by 100, 42% by 150 ms (text)")
    ax_c.plot([100, 150], [0.34, 0.76], "k^", mfc="none", label="paper as bars: 34%, 34+42% by 150 ms")
    ax_c.set_xlim(0, 600)
    ax_c.set_ylim(0, 1.01)
    ax_c.set_xlabel("arrival time after dispatch (ms)")
    ax_c.set_ylabel("fraction arrived")
    ax_c.set_title("CDF: measured, fitted, the paper's numbers")
    ax_c.grid(alpha=0.3)
    ax_c.legend(fontsize=7.5, loc="lower right")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "fig1.png"), dpi=110)

    def within(limit):
        return float(np.mean(arrivals <= limit))

    summary = {
        "inferences": n_inferences,
        "arrivals": len(arrivals),
        "bar_50_100ms": within(100) - within(50), "bar_100_150ms": within(150) - within(100),
        "within_50ms": within(50), "within_100ms": within(100), "within_150ms": within(150),
        "within_200ms": within(200), "within_500ms": within(500),
        "model_within_100ms": float(model.cdf(100.0)), "model_within_150ms": float(model.cdf(150.0)),
        "offset_ms": float(open(os.path.join(HERE, "offset.txt")).read()),
        "injected_file_within_100ms": float(injected_model.cdf(100.0)),
        "injected_file_within_150ms": float(injected_model.cdf(150.0)),
        "p50_ms": runs.percentile(arrivals, 50), "p90_ms": runs.percentile(arrivals, 90),
        "p99_ms": runs.percentile(arrivals, 99), "max_ms": float(np.max(arrivals)),
        "injected_p50_ms": runs.percentile(injected[np.isfinite(injected)], 50),
        "compute_p50_ms": runs.percentile(compute[np.isfinite(compute)], 50),
        "extra_over_injected_p50_ms": runs.percentile(extra, 50),
        "extra_over_injected_p99_ms": runs.percentile(extra, 99),
    }
    with open(os.path.join(args.out, "arrivals.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["quantity", "value"])
        for k, v in summary.items():
            w.writerow([k, f"{v:.4f}" if isinstance(v, float) else v])
    for k, v in summary.items():
        print(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    main()
