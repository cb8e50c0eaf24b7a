#!/usr/bin/python3
"""The paper's Figure 3: five panels, coverage of one failure against the
number of additional devices, 2MR and CDC+2MR, from csv/NAME.csv (written by
`cdcnn coverage --csv`), with the paper's end points (the additional devices
its extended version needs for full coverage) marked beside ours.
Usage: plot.py [DIR] (default: this script's directory); writes DIR/figure3.png."""

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

# Additional devices for full coverage in the paper's extended version (Hadidi
# et al., IEEE EDGE 2023, read off its Figure 3): (2MR, CDC+2MR).
PAPER_END_POINTS = {
    "alexnet-5": (5, 4),
    "action-8": (8, 6),
    "c3d-7": (7, 5),
    "c3d-9": (9, 5),
    "vgg16-8": (9, 5),
}


def read_curves(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot.py: {path}: no rows")
    extra = [int(r["extra"]) for r in rows]
    mr = [100.0 * float(r["coverage_2mr"]) for r in rows]
    cdc = [100.0 * float(r["coverage_cdc"]) for r in rows]
    return extra, mr, cdc


def full_coverage(extra, coverage):
    """The first step at which the curve reaches 100%."""
    return next(x for x, c in zip(extra, coverage) if c >= 100.0 - 1e-9)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    fig, axes = plt.subplots(1, len(PANELS), figsize=(16, 3.7), sharey=True)
    for ax, (name, title) in zip(axes, PANELS):
        path = os.path.join(root, "csv", name + ".csv")
        if not os.path.exists(path):
            sys.exit(f"plot.py: {path}: no such file (run regenerate.sh)")
        extra, mr, cdc = read_curves(path)
        ax.plot(extra, mr, "o-", color="tab:gray", label="2MR (ours)")
        ax.plot(extra, cdc, "s-", color="tab:blue", label="CDC+2MR (ours)")
        paper_mr, paper_cdc = PAPER_END_POINTS[name]
        # The paper's end points: where its curves reach 100%, drawn above ours.
        ax.plot([paper_mr], [100], "v", color="tab:gray", markersize=12, markerfacecolor="none",
                markeredgewidth=1.5, label="paper: 2MR full")
        ax.plot([paper_cdc], [100], "v", color="tab:blue", markersize=12, markerfacecolor="none",
                markeredgewidth=1.5, label="paper: CDC+2MR full")
        ax.text(0.97, 0.04, f"full coverage at\nours: 2MR {full_coverage(extra, mr)}, CDC+2MR {full_coverage(extra, cdc)}"
                f"\npaper: 2MR {paper_mr}, CDC+2MR {paper_cdc}", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=8, bbox=dict(boxstyle="round", facecolor="white", alpha=0.8))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("additional devices")
        ax.set_xticks(range(0, max(extra[-1], paper_mr) + 1))
        ax.set_xlim(-0.5, max(extra[-1], paper_mr) + 0.5)
        ax.set_ylim(-3, 108)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("coverage of one failure (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=4, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    out = os.path.join(root, "figure3.png")
    fig.savefig(out, dpi=120)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
