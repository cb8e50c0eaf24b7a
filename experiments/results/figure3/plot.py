#!/usr/bin/python3
"""The paper's Figure 3: five panels, coverage of one failure against the
number of additional devices, 2MR and CDC+2MR, from csv/NAME.csv (written by
`cdcnn coverage --csv`). Usage: plot.py [DIR] (default: this script's directory);
writes DIR/figure3.png."""

import csv
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("alexnet-5", "(a) AlexNet on 5"),
    ("action-8", "(b) Action recognition on 8"),
    ("c3d-7", "(c) C3D on 7"),
    ("c3d-9", "(d) C3D on 9"),
    ("vgg16-8", "(e) VGG16 on 8"),
]


def read_curves(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot.py: {path}: no rows")
    extra = [int(r["extra"]) for r in rows]
    mr = [100.0 * float(r["coverage_2mr"]) for r in rows]
    cdc = [100.0 * float(r["coverage_cdc"]) for r in rows]
    return extra, mr, cdc


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    fig, axes = plt.subplots(1, len(PANELS), figsize=(16, 3.4), sharey=True)
    for ax, (name, title) in zip(axes, PANELS):
        path = os.path.join(root, "csv", name + ".csv")
        if not os.path.exists(path):
            sys.exit(f"plot.py: {path}: no such file (run regenerate.sh)")
        extra, mr, cdc = read_curves(path)
        ax.plot(extra, mr, "o-", color="tab:gray", label="2MR")
        ax.plot(extra, cdc, "s-", color="tab:blue", label="CDC+2MR")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("additional devices")
        ax.set_xticks(extra)
        ax.set_ylim(-3, 103)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("coverage of one failure (%)")
    axes[0].legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    out = os.path.join(root, "figure3.png")
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
