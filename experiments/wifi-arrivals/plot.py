#!/usr/bin/python3
"""Histogram of the arrival times of a split layer's results at the master
(dispatch to arrival, the master's clock), from a cdcnn trace: the paper's
Figure 1. Writes fig1-wifi.png, arrivals.csv and summary.txt to --out."""
import argparse
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("trace")
    p.add_argument("--link", default="", help="the link settings, for the title")
    p.add_argument("--out", default=".")
    a = p.parse_args()
    with h5py.File(a.trace, "r", swmr=True) as f:
        s = f["shards"][:]
        late = f["late"][:]
    s = s[np.isfinite(s["arrival_ms"])]
    rtt = s["arrival_ms"] - s["dispatch_ms"]
    compute = s["compute_ms"]
    with open(os.path.join(a.out, "arrivals.csv"), "w") as f:
        f.write("inference,shard,rank,arrival_ms_after_dispatch,compute_ms\n")
        for r, t in zip(s, rtt):
            f.write(f"{r['inference']},{r['shard']},{r['rank']},{t:.3f},{r['compute_ms']:.3f}\n")
    q = np.percentile(rtt, [0, 50, 90, 95, 99, 100])
    within = {ms: np.mean(rtt <= ms) for ms in (50, 100, 150, 200, 500)}
    lines = [
        f"{len(rtt)} results of AlexNet fc6 split 2 ways (2048 outputs per worker), {len(late)} late",
        f"links: {a.link}",
        "arrival after dispatch, ms: min {:.1f}  p50 {:.1f}  p90 {:.1f}  p95 {:.1f}  p99 {:.1f}  max {:.1f}".format(*q),
        "within: " + "  ".join(f"{ms} ms {100 * v:.0f}%" for ms, v in within.items()),
        f"worker compute, ms: p50 {np.median(compute):.1f}, max {compute.max():.1f} "
        f"(the rest is the network: {100 * (1 - np.median(compute) / np.median(rtt)):.0f}% of the median)",
    ]
    open(os.path.join(a.out, "summary.txt"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    top = max(500.0, float(np.ceil(rtt.max() / 50) * 50))
    bins = np.arange(0, top + 10, 10)
    ax.hist(rtt, bins=bins, color="#4477aa", label="result arrival (dispatch to arrival)")
    ax.axvline(np.median(compute), color="#ee6677", lw=2,
               label=f"worker compute, median ({np.median(compute):.1f} ms)")
    ax.set_xlabel("time after dispatch (ms)")
    ax.set_ylabel("results per 10 ms")
    ax.set_xlim(0, top)
    cdf = ax.twinx()
    xs = np.sort(rtt)
    cdf.plot(xs, np.arange(1, len(xs) + 1) / len(xs), color="black", lw=1, label="cumulative")
    cdf.set_ylim(0, 1.02)
    cdf.set_ylabel("fraction arrived")
    ax.set_title(f"AlexNet fc6 (2048 per worker) over emulated WiFi\n{a.link}", fontsize=9)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = cdf.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=8, loc="center right")
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "fig1-wifi.png"), dpi=120)


if __name__ == "__main__":
    main()
