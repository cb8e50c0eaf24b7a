#!/usr/bin/python3
"""Figure 5b from sweeps of figure5b.suite and devices.suite: straggler
mitigation on distributed AlexNet.

Left: the latency CDF of uncoded, the paper's sum parity (CDC), 2MR and
mds:r=2 under identical injected stragglers (fc6 split 2 ways, the paper's
layout). Middle: mean / p95 / p99. Right: how much faster than uncoded one sum
parity makes fc6 split k ways (k + 1 devices), measured (whole inference and
fc6 alone) beside the order-statistics prediction (the mean first-decodable
time of the injected delays plus this machine's own dispatch-to-arrival time,
../figure1/offset.txt) and the paper's numbers.

Usage: plot.py [FIGURE5B_SWEEP DEVICES_SWEEP] [--out DIR]   (DIR: this directory by default)
With the two sweeps, first writes the per-run data the figure is drawn from,
read from the traces: DIR/runs.csv (one row per run: which sweep, code, k,
straggler, devices for fc6, max relative error) and DIR/inferences.csv (one
row per inference: latency, outcome, fc6's time; about 40 kB). Then, with or
without sweeps, draws from those two files alone: DIR/fig5b.png,
DIR/latency.csv and DIR/devices.csv. So `plot.py --out DIR` redraws a figure
from the per-run data committed here (README.md), nothing rerun.
"""

import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import decodable  # noqa: E402
import delays  # noqa: E402
import runs  # noqa: E402

LABELS = {"uncoded": "uncoded", "sum": "CDC (sum parity)", "replication:n=2": "2MR", "mds:r=2": "mds:r=2"}
COLORS = {"uncoded": "#c44e52", "sum": "#4c72b0", "replication:n=2": "#937860", "mds:r=2": "#dd8452"}
# The paper's extended version (Hadidi et al., IEEE EDGE 2023, arXiv
# 2104.04447): an output-split fc layer, straggler mitigation ~2.5%, 9%,
# 15.5%, 35% faster at 3, 4, 5, 6 devices.
PAPER_DEVICES = [3, 4, 5, 6]
PAPER_FASTER = [2.5, 9.0, 15.5, 35.0]
RUNS, INFERENCES = "runs.csv", "inferences.csv"
MAIN, DEVICES = "figure5b", "devices"  # runs.csv's sweep column: which suite


def layer_times_ms(trace):
    """Dispatch to completion of the split layer, per inference."""
    lay = trace["layers"]
    return np.asarray(lay["complete_ms"], float) - np.asarray(lay["dispatch_ms"], float)


def mean_first_decodable(counts, delay, points=4000):
    """E[T]: the mean of the quantile function on a midpoint grid."""
    q = (np.arange(points) + 0.5) / points
    return float(np.mean(decodable.first_decodable_quantile(counts, delay, q)))


def counts_any_k_of(n, k):
    """D_m of a code decodable from any k of n shards (uncoded: k = n)."""
    from math import comb
    return np.array([comb(n, m) if m >= k else 0 for m in range(n + 1)])


def per_run_data(sweeps):
    """runs.csv and inferences.csv rows from the sweeps, {MAIN: dir, DEVICES: dir}."""
    run_rows, inference_rows = [], []
    for sweep, directory in sweeps.items():
        for r in runs.ok_rows(directory):
            t = runs.read_trace(os.path.join(directory, r["trace"]))
            run = len(run_rows)
            run_rows.append({"run": run, "sweep": sweep, "code": r["code"], "k": int(r["k"]),
                             "straggler": r["straggler"], "fc6_devices": int(t["layers"]["shards"][0]),
                             "max_rel_error": r.get("max_rel_error", "-")})
            for latency, outcome, fc6 in zip(runs.latencies_ms(t), np.asarray(t["inferences"]["outcome"]),
                                             layer_times_ms(t)):
                inference_rows.append({"run": run, "latency_ms": float(latency), "outcome": int(outcome),
                                       "fc6_ms": float(fc6)})
    return run_rows, inference_rows


def load(directory):
    """The runs of runs.csv, each with its inferences' arrays, by sweep."""
    hint = "made by plot.py SWEEPS: experiments/regenerate.sh --only figure5b"
    run_rows = runs.read_rows(os.path.join(directory, RUNS), hint)
    inference_rows = runs.read_rows(os.path.join(directory, INFERENCES), hint)
    of_run = runs.column(inference_rows, "run", int)
    by_sweep = {MAIN: [], DEVICES: []}
    for r in run_rows:
        mine = of_run == int(r["run"])
        by_sweep[r["sweep"]].append(dict(
            r, k=int(r["k"]), fc6_devices=int(r["fc6_devices"]),
            latency_ms=runs.column(inference_rows, "latency_ms")[mine],
            outcome=runs.column(inference_rows, "outcome", int)[mine],
            fc6_ms=runs.column(inference_rows, "fc6_ms")[mine]))
    return by_sweep


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="*", metavar="SWEEP",
                        help="sweeps of figure5b.suite and devices.suite (default: draw from DIR's per-run data)")
    parser.add_argument("--out", default=HERE, help="where the per-run data are written and read, and the "
                        "figure drawn (default: this directory)")
    args = parser.parse_args()
    if args.sweeps:
        if len(args.sweeps) != 2:
            parser.error("give both sweeps, figure5b.suite's and devices.suite's, or none")
        run_rows, inference_rows = per_run_data({MAIN: args.sweeps[0], DEVICES: args.sweeps[1]})
        runs.write_rows(os.path.join(args.out, RUNS), run_rows, decimals=runs.PER_RUN_DECIMALS)
        runs.write_rows(os.path.join(args.out, INFERENCES), inference_rows, decimals=runs.PER_RUN_DECIMALS)
    data = load(args.out)
    main_runs, dev_runs = data[MAIN], data[DEVICES]

    fig, (ax_cdf, ax_bar, ax_dev) = plt.subplots(1, 3, figsize=(16, 4.6))

    # Decodable-set counts of the main comparison's codes at k = 2 (by
    # structure; tail/plot.py reads them from the generators instead).
    main_counts = {"uncoded": np.array([0, 0, 1]), "sum": counts_any_k_of(3, 2),
                   "replication:n=2": np.array([0, 0, 4, 4, 1]), "mds:r=2": counts_any_k_of(4, 2)}
    with open(os.path.join(HERE, "..", "figure1", "offset.txt")) as f:
        own_ms = float(f.read())
    stats_rows = []
    for r in main_runs:
        lat, outcomes = r["latency_ms"], r["outcome"]
        code = r["code"]
        n = r["fc6_devices"]
        xs = np.sort(lat)
        ax_cdf.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color=COLORS.get(code), lw=2,
                    label=f"{LABELS.get(code, code)} ({n} devices for fc6)")
        stats_rows.append({
            "code": code, "fc6_devices": n, "inferences": len(lat), "mean_ms": float(np.mean(lat)),
            "p50_ms": runs.percentile(lat, 50), "p95_ms": runs.percentile(lat, 95), "p99_ms": runs.percentile(lat, 99),
            "exact": int(np.sum(outcomes == 0)), "recovered": int(np.sum(outcomes == 1)),
            "degraded_or_failed": int(np.sum(outcomes >= 2)), "max_rel_error": r.get("max_rel_error", "-"),
            "fc6_mean_ms": float(np.mean(r["fc6_ms"])),
            "predicted_fc6_mean_ms": (mean_first_decodable(main_counts[code], delays.parse(r["straggler"], HERE))
                                      + own_ms) if code in main_counts and r["k"] == 2 else float("nan"),
        })
    ax_cdf.set_xlabel("inference latency (ms)")
    ax_cdf.set_ylabel("fraction of inferences")
    ax_cdf.set_title("AlexNet, fc6 split 2 ways, Pi-over-WiFi stragglers")
    ax_cdf.grid(alpha=0.3)
    ax_cdf.legend(fontsize=8, loc="lower right")

    width = 0.2
    for i, s in enumerate(stats_rows):
        vals = [s["mean_ms"], s["p95_ms"], s["p99_ms"]]
        ax_bar.bar(np.arange(3) + (i - 1.5) * width, vals, width, color=COLORS.get(s["code"]),
                   label=LABELS.get(s["code"], s["code"]))
    ax_bar.set_xticks(range(3), ["mean", "p95", "p99"])
    ax_bar.set_ylabel("latency (ms)")
    ax_bar.set_title("Mean and tail, same stragglers")
    ax_bar.legend(fontsize=8)
    ax_bar.grid(alpha=0.3, axis="y")

    # Devices: uncoded with k data devices against sum with k + 1.
    by = {}
    for r in dev_runs:
        by[(r["code"], r["k"])] = (float(np.mean(r["latency_ms"])), float(np.mean(r["fc6_ms"])))
    straggler = dev_runs[0]["straggler"]
    delay = delays.parse(straggler, HERE)
    # The injected delays come on top of this machine's own dispatch-to-
    # arrival time, calibrated for Figure 1's block (../figure1/offset.txt).
    dev_table = []
    for k in sorted({k for (_, k) in by}):
        if ("uncoded", k) not in by or ("sum", k) not in by:
            continue
        (u_inf, u_lay), (s_inf, s_lay) = by[("uncoded", k)], by[("sum", k)]
        pred_u = mean_first_decodable(counts_any_k_of(k, k), delay)
        pred_s = mean_first_decodable(counts_any_k_of(k + 1, k), delay)
        dev_table.append({
            "k": k, "devices_with_parity": k + 1,
            "uncoded_mean_ms": u_inf, "sum_mean_ms": s_inf, "faster_inference_pct": 100 * (1 - s_inf / u_inf),
            "uncoded_fc6_mean_ms": u_lay, "sum_fc6_mean_ms": s_lay, "faster_fc6_pct": 100 * (1 - s_lay / u_lay),
            "predicted_fc6_faster_pct": 100 * (1 - (pred_s + own_ms) / (pred_u + own_ms)),
        })
    d = [t["devices_with_parity"] for t in dev_table]
    ax_dev.plot(d, [t["faster_fc6_pct"] for t in dev_table], "o-", color="#4c72b0", lw=2, label="measured, fc6 alone")
    ax_dev.plot(d, [t["faster_inference_pct"] for t in dev_table], "s-", color="#55a868", lw=2,
                label="measured, whole inference")
    ax_dev.plot(d, [t["predicted_fc6_faster_pct"] for t in dev_table], "k--", marker="x",
                label="predicted (order statistics)")
    ax_dev.plot(PAPER_DEVICES, PAPER_FASTER, "D", color="#c44e52", mfc="none", ms=8, label="paper (extended version)")
    ax_dev.set_xlabel("devices computing fc6 with one sum parity (k + 1)")
    ax_dev.set_ylabel("mean latency cut vs uncoded on k devices (%)")
    ax_dev.set_title("One parity device, by split width")
    ax_dev.set_xticks(d)
    ax_dev.grid(alpha=0.3)
    ax_dev.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "fig5b.png"), dpi=100)

    for name, table in (("latency.csv", stats_rows), ("devices.csv", dev_table)):
        runs.write_rows(os.path.join(args.out, name), table, decimals=2)
    for t in stats_rows + dev_table:
        print(", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in t.items()))


if __name__ == "__main__":
    main()
