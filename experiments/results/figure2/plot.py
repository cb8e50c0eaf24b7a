#!/usr/bin/python3
"""The paper's Figure 2 for a trained Fashion-MNIST network: top-1 accuracy on
the 10,000 test images against the fraction of one layer's output lost, one
curve per layer (lost blocks zero-filled, as the runtime does under
--policy zero-fill), and the same losses under a code that covers them.

    plot.py figure2.csv [--out figure2.png] [--table table.md]

figure2.csv is the concatenation of `cdcnn accuracy --csv` outputs
(regenerate.sh). Each point is the mean over the loss sets of one size; the
band spans the best and the worst set.
"""
import argparse
import collections
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"plot.py: {path}: no rows")
    for r in rows:
        for key in ("rows", "k", "n", "lost_shards", "images", "correct", "plain_correct", "agree"):
            r[key] = int(r[key])
        for key in ("lost_fraction", "decoded_fraction", "zeroed_fraction", "accuracy", "plain_accuracy", "max_rel_error"):
            r[key] = float(r[key])
    return rows


def curves(rows):
    """{(layer, coded): {lost_shards: [rows]}} in the order the layers come."""
    out = collections.OrderedDict()
    for r in rows:
        out.setdefault((r["layer"], r["code"] != "uncoded"), collections.defaultdict(list))[r["lost_shards"]].append(r)
    return out


def label(r):
    what = "conv" if r["kind"].startswith("conv") else "dense"
    unit = "channels" if what == "conv" else "outputs"
    return f"layer {r['layer']} ({what}, {r['rows']} {unit}, k={r['k']})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--out", default="figure2.png")
    ap.add_argument("--table", help="also write the numbers as a Markdown table to this file")
    args = ap.parse_args()
    rows = load(args.csv)
    plain = rows[0]["plain_accuracy"]
    images = rows[0]["images"]
    model = rows[0]["model"]
    if any(r["plain_correct"] != rows[0]["plain_correct"] or r["images"] != images or r["model"] != model
           for r in rows):
        sys.exit("plot.py: the rows disagree on the model, the plain accuracy or the image count (mixed runs?)")

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    colours = {}
    lines = []
    for (layer, coded), by_count in curves(rows).items():
        counts = sorted(by_count)
        x = [sum(r["lost_fraction"] for r in by_count[c]) / len(by_count[c]) for c in counts]
        y = [sum(r["accuracy"] for r in by_count[c]) / len(by_count[c]) for c in counts]
        lo = [min(r["accuracy"] for r in by_count[c]) for c in counts]
        hi = [max(r["accuracy"] for r in by_count[c]) for c in counts]
        first = by_count[counts[0]][0]
        if not coded:
            colour = colours.setdefault(layer, f"C{len(colours)}")
            ax.plot(x, y, "o-", color=colour, label=label(first) + ", zero-filled")
            ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0)
        else:
            colour = colours.setdefault(layer, f"C{len(colours)}")
            first_coded = not any(run == "coded" for (_, _, _, _, run, *_rest) in lines)
            ax.plot(x, y, "s--", color=colour, markerfacecolor="none", alpha=0.8,
                    label="the same losses, coded and decoded (squares, every layer)" if first_coded else None)
        for c, xi, yi, l, h in zip(counts, x, y, lo, hi):
            codes = sorted({r["code"] for r in by_count[c]})
            lines.append((layer, first["kind"], first["rows"], first["k"], "coded" if coded else "uncoded",
                          " / ".join(codes), c, len(by_count[c]), xi, yi, l, h,
                          max(r["zeroed_fraction"] for r in by_count[c]),
                          max(r["max_rel_error"] for r in by_count[c])))
    ax.axhline(plain, color="black", linestyle=":", linewidth=1, label=f"no loss ({plain:.4f})")
    ax.axhline(0.1, color="grey", linestyle=":", linewidth=1, label="chance (0.1)")
    ax.set_xlabel("fraction of the layer's output lost (whole channels / features, k blocks)")
    ax.set_ylabel(f"top-1 accuracy, Fashion-MNIST test set ({images} images)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ax.set_title(f"{model}: loss in one layer, zero-filled vs decoded by a code")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(args.out, dpi=130)

    header = ("| layer | kind | rows | k | run | code | shards lost | sets | fraction lost | accuracy (mean) | "
              "min | max | zeroed | max rel. error |\n|" + "---|" * 14 + "\n")
    body = "".join(
        f"| {l} | {kind} | {m} | {k} | {run} | {codes} | {c} | {s} | {x:.3f} | {y:.4f} | {lo:.4f} | {hi:.4f} | "
        f"{z:.3f} | {e:.1e} |\n" for (l, kind, m, k, run, codes, c, s, x, y, lo, hi, z, e) in lines)
    if args.table:
        with open(args.table, "w") as f:
            f.write(f"plain accuracy {plain:.4f} on {images} images\n\n" + header + body)
    print(f"wrote {args.out}" + (f" and {args.table}" if args.table else ""))


if __name__ == "__main__":
    main()
