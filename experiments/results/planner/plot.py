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
          "measured_p99_ms", "predicted_degraded_pct", "measured_degraded_pct", "same_plan_as_planner"]


def file_name(label):
    """The plan file cdcnn plan --validate wrote for a label (cli/plan_validation.cpp's candidate_file_name)."""
    name = re.sub(r"-+", "-", "".join(c.lower() if c.isalnum() or c == "_" else "-" for c in label)).strip("-")
    return name or "plan"


def plan_lines(path):
    with open(path) as f:
        return [line.split("#")[0].split() for line in f if line.split("#")[0].strip()]


def family(label):
    """'best single code: mds:r=2' -> 'best single code'; 'default plan (...)' -> 'default plan'."""
    return re.sub(r"\s*(:.*|\(.*\))$", "", label)


def collect(results):
    rows = []
    for path in sorted(glob.glob(os.path.join(results, "*-*", "validation.csv"))):
        name = os.path.basename(os.path.dirname(path))
        model, devices = name.rsplit("-", 1)
        plans = os.path.join(os.path.dirname(path), "plans")
        planner = plan_lines(os.path.join(plans, "planner.plan"))
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                same = plan_lines(os.path.join(plans, file_name(r["plan"]) + ".plan")) == planner
                rows.append({"model": model, "devices": devices, **{k: r[k] for k in FIELDS[2:-1]},
                             "same_plan_as_planner": "yes" if same else "no"})
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
        ax.set_xticks(sorted({int(r["devices"]) for r in mine}))
        ax.set_yscale("log")
        ax.set_xlabel("devices (rank 0 and workers)")
        ax.set_ylabel("p99 latency, ms (solid: measured, dashed: predicted)")
        ax.set_title(model)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, "planner.png"), dpi=120)

    print("measured p99, ms: the planner's plan, the default plan, and the best other plan that differs from the"
          " planner's;\nthe ratios are theirs over the planner's; last, the planner's p99 predicted over measured")
    print("model  devices  planner  default (ratio)  best other differing (ratio)  predicted/measured")
    for model in models:
        for d in sorted({int(r["devices"]) for r in rows if r["model"] == model}):
            group = [r for r in rows if r["model"] == model and int(r["devices"]) == d]
            planner = next(r for r in group if r["plan"] == "planner")
            default = next((r for r in group if r["plan"].startswith("default plan")), None)
            others = [r for r in group if r["same_plan_as_planner"] == "no" and r["measured_p99_ms"]]
            best = min(others, key=lambda r: number(r["measured_p99_ms"])) if others else None
            mp = number(planner["measured_p99_ms"])

            def versus(r):
                return "-" if r is None else f"{number(r['measured_p99_ms']):.1f} ({number(r['measured_p99_ms']) / mp:.2f}x)"
            print(f"{model}  {d}  {mp:.1f}  {versus(default)}  {best['plan'] if best else '-'}: {versus(best)}  "
                  f"{number(planner['predicted_p99_ms']) / mp:.2f}")


if __name__ == "__main__":
    main()
