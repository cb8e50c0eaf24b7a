#!/usr/bin/python3
"""The planner against the other plans, measured: from the validation.csv
that `cdcnn plan --validate` wrote for each model and device count
(RESULTS/MODEL-DEVICES/validation.csv), planner.csv (every row, with the
model and device count) and planner.png (measured p99 per plan against the
device count, solid; the prediction, dashed). Prints, per model and device
count, the best other plan's measured p99 over the planner's.

Usage: plot.py RESULTS_DIR [--out DIR]      (RESULTS_DIR: BUILD/results/planner)
       plot.py --out DIR                    (redraw from DIR/planner.csv alone)
"""

import argparse
import csv
import glob
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FIELDS = ["model", "devices", "plan", "predicted_p50_ms", "measured_p50_ms", "predicted_p99_ms",
          "measured_p99_ms", "predicted_degraded_pct", "measured_degraded_pct"]


def family(label):
    """'best single code: mds:r=2' -> 'best single code'; 'default plan (...)' -> 'default plan'."""
    return re.sub(r"\s*(:.*|\(.*\))$", "", label)


def collect(results):
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "*-*", "validation.csv"))):
        name = os.path.basename(os.path.dirname(path))
        model, devices = name.rsplit("-", 1)
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                rows.append({"model": model, "devices": devices, **{k: r[k] for k in FIELDS[2:]}})
    if not rows:
        sys.exit(f"plot.py: no */validation.csv under {results} (run regenerate.sh first)")
    return rows


def number(text):
    return float(text) if text not in ("", None) else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", nargs="?", help="BUILD/results/planner")
    p.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    a = p.parse_args()
    table = os.path.join(a.out, "planner.csv")
    if a.results:
        rows = collect(a.results)
        with open(table, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
    else:
        with open(table, newline="") as f:
            rows = list(csv.DictReader(f))

    models = sorted({r["model"] for r in rows})
    fig, axes = plt.subplots(1, len(models), figsize=(5.5 * len(models), 4), squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = [r for r in rows if r["model"] == model]
        for i, fam in enumerate(dict.fromkeys(family(r["plan"]) for r in mine)):
            pts = sorted(((int(r["devices"]), number(r["measured_p99_ms"]), number(r["predicted_p99_ms"]))
                          for r in mine if family(r["plan"]) == fam))
            x = [d for d, _, _ in pts]
            color = f"C{i}"
            ax.plot(x, [m for _, m, _ in pts], "o-", color=color, label=fam)
            ax.plot(x, [q for _, _, q in pts], "x--", color=color, alpha=0.6)
        ax.set_yscale("log")
        ax.set_xlabel("devices (rank 0 and workers)")
        ax.set_ylabel("p99 latency, ms (solid: measured, dashed: predicted)")
        ax.set_title(model)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "planner.png"), dpi=120)

    print("model  devices  planner p99 ms  best other (measured p99 ms)  ratio  planner p99 predicted/measured")
    for model in models:
        for d in sorted({int(r["devices"]) for r in rows if r["model"] == model}):
            group = [r for r in rows if r["model"] == model and int(r["devices"]) == d]
            planner = next(r for r in group if r["plan"] == "planner")
            others = [r for r in group if r["plan"] != "planner" and r["measured_p99_ms"]]
            best = min(others, key=lambda r: number(r["measured_p99_ms"]))
            mp, mb = number(planner["measured_p99_ms"]), number(best["measured_p99_ms"])
            print(f"{model}  {d}  {mp:.1f}  {best['plan']} ({mb:.1f})  {mb / mp:.2f}x  "
                  f"{number(planner['predicted_p99_ms']) / mp:.2f}")


if __name__ == "__main__":
    main()
