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

Usage: plot.py [SWEEP_OUT_DIR --cdcnn BUILD/cdcnn] [--out DIR]   (DIR: this directory by default)
With a sweep, first writes the per-run data the figures are drawn from:
DIR/runs.csv (one row per run: code, straggler, seed, the workers' compute
per inference), DIR/inferences.csv (one row per inference: latency and
ideal; about 0.4 MB) and DIR/generators.csv (each code's G, from `cdcnn
encode`). Then, with or without a sweep, draws from those files alone:
DIR/tail.png, DIR/overhead.png and DIR/tail.csv. So `plot.py --out DIR`
redraws the figures from the per-run data committed here (README.md),
nothing rerun. `--from-summary` redraws only the two PNGs from DIR/tail.csv
(a summary whose per-run data were not kept).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import decodable  # noqa: E402
import delays  # noqa: E402
import runs  # noqa: E402

LAYER = "fc1"
RUNS, INFERENCES, GENERATORS = "runs.csv", "inferences.csv", "generators.csv"
COLORS = {"uncoded": "#c44e52", "sum": "#4c72b0", "grouped-sum:g=2": "#55a868", "pairwise": "#8172b2",
          "mds:r=2": "#dd8452", "replication:n=2": "#937860"}


def intensity(spec):
    """sigma of a lognormal spec; 0 for none."""
    if spec == "none":
        return 0.0
    return float(spec.split("sigma=")[1].split(",")[0])


def log_ticks(ax, subs=(1.0, 2.0, 5.0)):
    """A log y axis labelled at 1, 2, 5 times each power of ten, in plain
    numbers (matplotlib labels only the powers of ten, often just one)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def generator(cdcnn, model, code, k, tmp):
    path = os.path.join(tmp, f"{code.replace(':', '-').replace('=', '-')}.h5")
    subprocess.run([cdcnn, "encode", "--model", model, "--split", f"{LAYER} {k} {code}", "--out", path],
                   check=True, stdout=subprocess.DEVNULL)
    return decodable.generator_from_coded_file(path, LAYER)


def per_run_data(sweep, cdcnn):
    """runs.csv, inferences.csv and generators.csv rows from a sweep."""
    rows = runs.ok_rows(sweep)
    codes = list(dict.fromkeys(r["code"] for r in rows))
    k, model = int(rows[0]["k"]), rows[0]["model"]
    with tempfile.TemporaryDirectory() as tmp:
        gens = {c: generator(cdcnn, model, c, k, tmp) for c in codes}
    masks = {c: decodable.decodable_masks(G) for c, G in gens.items()}
    run_rows, inference_rows = [], []
    for run, r in enumerate(rows):
        code = r["code"]
        trace = runs.read_trace(os.path.join(sweep, r["trace"]))
        layer_index = int(np.unique(trace["shards"]["layer"])[0])
        lat = runs.latencies_ms(trace)
        ideal = decodable.ideal_latencies(trace["shards"], masks[code], layer_index)
        run_rows.append({
            "run": run, "code": code, "straggler": r["straggler"], "seed": r["seed"],
            "worker_compute_ms_per_inference":
                float(np.nansum(np.asarray(trace["shards"]["compute_ms"], float)) / len(trace["inferences"])),
        })
        inference_rows += [{"run": run, "latency_ms": float(a), "ideal_ms": float(b)} for a, b in zip(lat, ideal)]
    generator_rows = [{"code": c, "row": i, "values": " ".join(f"{x:.17g}" for x in G[i])}
                      for c, G in gens.items() for i in range(G.shape[0])]
    return run_rows, inference_rows, generator_rows


def load(directory):
    """Each code's G, and the runs pooled by (code, straggler) over seeds:
    latencies, ideals and the workers' compute per inference, in run order."""
    hint = "made by plot.py SWEEP --cdcnn CDCNN: experiments/regenerate.sh --only tail"
    run_rows = runs.read_rows(os.path.join(directory, RUNS), hint)
    inference_rows = runs.read_rows(os.path.join(directory, INFERENCES), hint)
    gens = {}
    for r in runs.read_rows(os.path.join(directory, GENERATORS), hint):
        gens.setdefault(r["code"], []).append([float(x) for x in r["values"].split()])
    gens = {c: np.array(G) for c, G in gens.items()}
    of_run = runs.column(inference_rows, "run", int)
    lat_all, ideal_all = runs.column(inference_rows, "latency_ms"), runs.column(inference_rows, "ideal_ms")
    pooled = {}
    for r in run_rows:
        mine = of_run == int(r["run"])
        p = pooled.setdefault((r["code"], r["straggler"]), {"lat": [], "ideal": [], "compute": [], "seeds": []})
        p["lat"].append(lat_all[mine])
        p["ideal"].append(ideal_all[mine])
        p["compute"].append(float(r["worker_compute_ms_per_inference"]))
        p["seeds"].append(r["seed"])
    codes = list(dict.fromkeys(r["code"] for r in run_rows))
    return codes, gens, pooled


def draw(table, out):
    """tail.png and overhead.png from the rows of tail.csv (numbers as numbers)."""
    codes = list(dict.fromkeys(t["code"] for t in table))
    k = table[0]["k"]
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
        log_ticks(ax, subs=(1.0,))
        ax.grid(alpha=0.3, which="both")
    fig.supxlabel("straggler intensity: sigma of each shard's log-normal delay (median 10 ms; 0 = none)")
    for ax in axes[:, 0]:
        ax.set_ylabel("inference latency (ms)")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"MLP fc1 in {k} blocks, every code on the same delays: measured vs order-statistics prediction")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "tail.png"), dpi=100)

    # Overhead of coding against the tail it buys.
    sigmas = sorted({t["sigma"] for t in table if t["sigma"] > 0})
    top = sigmas[-2:]
    fig, (ax_d, ax_c) = plt.subplots(1, 2, figsize=(12.5, 4.8))
    side_by_side = {}
    code_handles = []
    for code in codes:
        n = row[(code, top[-1])]["n"]
        extra = 100.0 * (n - k) / k
        same_n = side_by_side.setdefault(extra, [])
        x = extra + 3.0 * len(same_n)  # codes with the same n side by side
        same_n.append(code)
        for sigma, marker in zip(top, "os"):
            t = row[(code, sigma)]
            ax_d.scatter([x], [t["p99_ms"]], color=COLORS.get(code), marker=marker, s=45, zorder=3)
            ax_d.scatter([x], [t["predicted_p99_ms"]], color="black", marker=marker, facecolors="none", s=70,
                         zorder=4)
        code_handles.append(Line2D([], [], color=COLORS.get(code), marker="s", ls="none",
                                   label=f"{code} (n={n}, +{extra:.0f}%)"))
        cuts = [row[("uncoded", sg)]["p99_ms"] / row[(code, sg)]["p99_ms"] for sg in sigmas]
        predicted = [row[("uncoded", sg)]["predicted_p99_ms"] / row[(code, sg)]["predicted_p99_ms"] for sg in sigmas]
        ax_c.plot(sigmas, cuts, marker="o", color=COLORS.get(code), lw=2, label=f"{code}: +{extra:.0f}% devices")
        ax_c.plot(sigmas, predicted, ls="--", color=COLORS.get(code), lw=1)
    # Two legends instead of labels at the points (the three codes with n = 6
    # sit side by side and their labels would overlap): which colour is which
    # code, and which marker is which statistic.
    marker_handles = []
    for sigma, marker in zip(top, "os"):
        marker_handles.append(Line2D([], [], color="gray", marker=marker, ls="none",
                                     label=f"measured p99, sigma = {sigma:g}"))
        marker_handles.append(Line2D([], [], color="black", marker=marker, mfc="none", ls="none", ms=8,
                                     label=f"predicted p99, sigma = {sigma:g}"))
    ax_d.add_artist(ax_d.legend(handles=code_handles, fontsize=7.5, loc="upper right", title="code",
                                title_fontsize=8))
    ax_d.legend(handles=marker_handles, fontsize=7.5, loc="lower left")
    log_ticks(ax_d)
    ax_d.set_xlim(-8, 125)
    ax_d.set_xlabel(f"extra devices = extra computation: (n - k) / k, % (k = {k})")
    ax_d.set_ylabel("p99 inference latency (ms)")
    ax_d.set_title("The tail each code's extra shards buy")
    ax_d.grid(alpha=0.3, which="both")
    ax_c.axhline(1, color="gray", lw=0.8)
    ax_c.set_xlabel("straggler intensity: sigma of the log-normal delay")
    ax_c.set_ylabel("uncoded p99 / code p99 (x)")
    ax_c.set_title("Tail cut by intensity (solid measured, dashed predicted)")
    ax_c.legend(fontsize=7.5, loc="upper left")
    ax_c.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "overhead.png"), dpi=100)


def summarise(codes, gens, pooled):
    """tail.csv's rows: per (code, intensity), measured, predicted and ideal
    p50 and p99 over the pooled seeds."""
    masks = {c: decodable.decodable_masks(G) for c, G in gens.items()}
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
    return table


def read_summary(directory):
    """tail.csv's rows back, numbers as numbers (for --from-summary)."""
    table = runs.read_rows(os.path.join(directory, "tail.csv"))
    for t in table:
        for key, value in t.items():
            if key in ("n", "k", "inferences"):
                t[key] = int(value)
            elif key.endswith("_ms") or key.endswith("_inference") or key == "sigma":
                t[key] = float(value)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", nargs="?", help="a sweep of tail.suite (default: draw from DIR's per-run data)")
    parser.add_argument("--cdcnn", help="the cdcnn binary (for cdcnn encode; needed with a sweep)")
    parser.add_argument("--out", default=HERE, help="where the per-run data are written and read, and the "
                        "figures drawn (default: this directory)")
    parser.add_argument("--from-summary", action="store_true",
                        help="redraw tail.png and overhead.png from DIR/tail.csv alone (for a summary whose "
                        "per-run data were not kept)")
    args = parser.parse_args()
    if args.from_summary:
        if args.sweep:
            parser.error("--from-summary draws from DIR/tail.csv, not from a sweep")
        draw(read_summary(args.out), args.out)
        return
    if args.sweep:
        if not args.cdcnn:
            parser.error("with a sweep, --cdcnn BUILD/cdcnn is needed (cdcnn encode gives each code's G)")
        for name, table in zip((RUNS, INFERENCES, GENERATORS), per_run_data(args.sweep, args.cdcnn)):
            runs.write_rows(os.path.join(args.out, name), table, decimals=runs.PER_RUN_DECIMALS)
    table = summarise(*load(args.out))
    runs.write_rows(os.path.join(args.out, "tail.csv"), table)
    draw(table, args.out)
    print(f"{'code':17} {'n':>2} {'sigma':>5} {'p50':>8} {'pred':>8} {'ideal':>8} {'p99':>8} {'pred':>8} {'ideal':>8}")
    for t in table:
        print(f"{t['code']:17} {t['n']:2d} {t['sigma']:5.2f} {t['p50_ms']:8.2f} {t['predicted_p50_ms']:8.2f} "
              f"{t['ideal_p50_ms']:8.2f} {t['p99_ms']:8.2f} {t['predicted_p99_ms']:8.2f} {t['ideal_p99_ms']:8.2f}")


if __name__ == "__main__":
    main()
