#!/usr/bin/python3
"""The tail study from a sweep of tail.suite: p50/p99 latency against
straggler intensity for every code, measured beside the analytic prediction,
and the overhead of coding against the tail latency it buys.

Prediction (../lib/decodable.py): the q-quantile of the first-decodable time
T of n iid shard delays, exact from the code's own generator G (read from a
coded-weight file that `cdcnn encode` writes for the same plan), plus the
code's median latency with no stragglers (the framework's own time: compute,
messages, decode, the rest of the MLP on the master). Also the *ideal* of
each measured inference: the first-decodable time of the delays injected into
that very inference (compute + injected delay of each shard, from the trace).

Usage: plot.py SWEEP_OUT_DIR --cdcnn BUILD/cdcnn [--out DIR]
Writes DIR/tail.png, DIR/overhead.png and DIR/tail.csv.
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import decodable  # noqa: E402
import delays  # noqa: E402
import runs  # noqa: E402

LAYER = "fc1"
COLORS = {"uncoded": "#c44e52", "sum": "#4c72b0", "grouped-sum:g=2": "#55a868", "pairwise": "#8172b2",
          "mds:r=2": "#dd8452", "replication:n=2": "#937860"}


def intensity(spec):
    """sigma of a lognormal spec; 0 for none."""
    if spec == "none":
        return 0.0
    return float(spec.split("sigma=")[1].split(",")[0])


def generator(cdcnn, model, code, k, tmp):
    path = os.path.join(tmp, f"{code.replace(':', '-').replace('=', '-')}.h5")
    subprocess.run([cdcnn, "encode", "--model", model, "--split", f"{LAYER} {k} {code}", "--out", path],
                   check=True, stdout=subprocess.DEVNULL)
    return decodable.generator_from_coded_file(path, LAYER)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--cdcnn", required=True, help="the cdcnn binary (for cdcnn encode)")
    parser.add_argument("--out", default=HERE)
    args = parser.parse_args()
    rows = runs.ok_rows(args.sweep)
    codes = list(dict.fromkeys(r["code"] for r in rows))
    k = int(rows[0]["k"])
    model = rows[0]["model"]

    with tempfile.TemporaryDirectory() as tmp:
        gens = {c: generator(args.cdcnn, model, c, k, tmp) for c in codes}
    masks = {c: decodable.decodable_masks(G) for c, G in gens.items()}
    # Pool the seeds' runs of each (code, straggler): latencies, ideals and
    # the workers' compute per inference.
    pooled = {}
    for r in rows:
        code, spec = r["code"], r["straggler"]
        trace = runs.read_trace(os.path.join(args.sweep, r["trace"]))
        layer_index = int(np.unique(trace["shards"]["layer"])[0])
        p = pooled.setdefault((code, spec), {"lat": [], "ideal": [], "compute": [], "seeds": []})
        p["lat"].append(runs.latencies_ms(trace))
        p["ideal"].append(decodable.ideal_latencies(trace["shards"], masks[code], layer_index))
        p["compute"].append(np.nansum(np.asarray(trace["shards"]["compute_ms"], float)) / len(trace["inferences"]))
        p["seeds"].append(r["seed"])
    baseline = {code: runs.percentile(np.concatenate(p["lat"]), 50)
                for (code, spec), p in pooled.items() if spec == "none"}
    table = []
    for (code, spec), p in pooled.items():
        G = gens[code]
        counts = decodable.decodable_counts(masks[code])
        lat, ideal = np.concatenate(p["lat"]), np.concatenate(p["ideal"])
        pred50, pred99 = decodable.first_decodable_quantile(counts, delays.parse(spec), [0.5, 0.99]) + baseline[code]
        table.append({
            "code": code, "n": G.shape[0], "k": G.shape[1], "straggler": spec, "sigma": intensity(spec),
            "seeds": " ".join(p["seeds"]), "inferences": len(lat),
            "p50_ms": runs.percentile(lat, 50), "p99_ms": runs.percentile(lat, 99), "mean_ms": float(np.mean(lat)),
            "predicted_p50_ms": float(pred50), "predicted_p99_ms": float(pred99),
            "ideal_p50_ms": runs.percentile(ideal, 50), "ideal_p99_ms": runs.percentile(ideal, 99),
            "no_straggler_p50_ms": baseline[code],
            "worker_compute_ms_per_inference": float(np.mean(p["compute"])),
        })
    table.sort(key=lambda t: (codes.index(t["code"]), t["sigma"]))
    with open(os.path.join(args.out, "tail.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]))
        w.writeheader()
        for t in table:
            w.writerow({k_: (f"{v:.3f}" if isinstance(v, float) else v) for k_, v in t.items()})
    row = {(t["code"], t["sigma"]): t for t in table}

    # p50 / p99 against intensity, one panel per code.
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True, sharey=True)
    for ax, code in zip(axes.flat, codes):
        mine = [t for t in table if t["code"] == code]
        x = [t["sigma"] for t in mine]
        for q, marker in (("p50", "o"), ("p99", "s")):
            ax.plot(x, [t[f"{q}_ms"] for t in mine], marker=marker, color=COLORS.get(code), lw=2,
                    label=f"{q} measured")
            ax.plot(x, [t[f"predicted_{q}_ms"] for t in mine], ls="--", color="black", lw=1,
                    marker=marker, mfc="none", label=f"{q} predicted")
        ax.set_title(f"{code}  (n={mine[0]['n']}, k={k})")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    fig.supxlabel("straggler intensity: sigma of each shard's log-normal delay (median 10 ms; 0 = none)")
    for ax in axes[:, 0]:
        ax.set_ylabel("inference latency (ms)")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"MLP fc1 in {k} blocks, every code on the same delays: measured vs order-statistics prediction")
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "tail.png"), dpi=100)

    # Overhead of coding against the tail it buys.
    sigmas = sorted({t["sigma"] for t in table if t["sigma"] > 0})
    top = sigmas[-2:]
    fig, (ax_d, ax_c) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    side_by_side = {}
    for code in codes:
        n = row[(code, top[-1])]["n"]
        extra = 100.0 * (n - k) / k
        same_n = side_by_side.setdefault(extra, [])
        place = len(same_n)
        x = extra + 3.0 * place  # codes with the same n side by side
        same_n.append(code)
        for sigma, marker in zip(top, "os"):
            t = row[(code, sigma)]
            ax_d.scatter([x], [t["p99_ms"]], color=COLORS.get(code), marker=marker, s=45, zorder=3)
            ax_d.scatter([x], [t["predicted_p99_ms"]], color="black", marker=marker, facecolors="none", s=70,
                         zorder=4)
        ax_d.annotate(f"{code} (n={n})", (x, row[(code, top[-1])]["p99_ms"]), textcoords="offset points",
                      xytext=(4, 6 + 12 * place), fontsize=7.5, rotation=25)
        cuts = [row[("uncoded", sg)]["p99_ms"] / row[(code, sg)]["p99_ms"] for sg in sigmas]
        predicted = [row[("uncoded", sg)]["predicted_p99_ms"] / row[(code, sg)]["predicted_p99_ms"] for sg in sigmas]
        ax_c.plot(sigmas, cuts, marker="o", color=COLORS.get(code), lw=2, label=f"{code}: +{extra:.0f}% devices")
        ax_c.plot(sigmas, predicted, ls="--", color=COLORS.get(code), lw=1)
    for sigma, marker in zip(top, "os"):
        ax_d.scatter([], [], color="gray", marker=marker, label=f"measured p99, sigma = {sigma:g}")
        ax_d.scatter([], [], color="black", marker=marker, facecolors="none", label=f"predicted p99, sigma = {sigma:g}")
    ax_d.set_yscale("log")
    ax_d.set_xlim(-8, 125)
    ax_d.set_xlabel(f"extra devices = extra computation: (n - k) / k, % (k = {k})")
    ax_d.set_ylabel("p99 inference latency (ms)")
    ax_d.set_title("The tail each code's extra shards buy")
    ax_d.legend(fontsize=7.5, loc="lower left")
    ax_d.grid(alpha=0.3, which="both")
    ax_c.axhline(1, color="gray", lw=0.8)
    ax_c.set_xlabel("straggler intensity: sigma of the log-normal delay")
    ax_c.set_ylabel("uncoded p99 / code p99 (x)")
    ax_c.set_title("Tail cut by intensity (solid measured, dashed predicted)")
    ax_c.legend(fontsize=7.5, loc="upper left")
    ax_c.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, "overhead.png"), dpi=100)

    print(f"{'code':17} {'n':>2} {'sigma':>5} {'p50':>8} {'pred':>8} {'ideal':>8} {'p99':>8} {'pred':>8} {'ideal':>8}")
    for t in table:
        print(f"{t['code']:17} {t['n']:2d} {t['sigma']:5.2f} {t['p50_ms']:8.2f} {t['predicted_p50_ms']:8.2f} "
              f"{t['ideal_p50_ms']:8.2f} {t['p99_ms']:8.2f} {t['predicted_p99_ms']:8.2f} {t['ideal_p99_ms']:8.2f}")


if __name__ == "__main__":
    main()
