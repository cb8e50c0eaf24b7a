#!/usr/bin/python3
"""Checks that the READMEs of experiments/results/ quote what the committed
CSVs say.

Each check computes a headline number (or range) from a committed CSV, formats
it as the READMEs write it, and looks for it in every README that quotes it
(whitespace and line breaks do not matter). Run it after a regeneration: a
number that moved with the new data shows up as missing, with the value the
data now give. Prints one line per check; exit status 1 if any is missing.

Usage: check_numbers.py
"""

import collections
import csv
import glob
import os
import re
import sys
from decimal import ROUND_HALF_UP, Decimal

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(relative):
    with open(os.path.join(HERE, relative), newline="") as f:
        return list(csv.DictReader(f))


def quantities(relative):
    """A two-column quantity,value CSV (figure1/arrivals.csv) as a dict of floats."""
    return {r["quantity"]: float(r["value"]) for r in rows(relative)}


def num(text, decimals):
    """A number as the CSV writes it, rounded half up as a reader would
    round the CSV's digits (149.95 -> 150.0), not as binary floats do."""
    return str(Decimal(str(text)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def span(values, decimals):
    return f"{min(values):.{decimals}f}–{max(values):.{decimals}f}"


def figure1():
    a = quantities("figure1/arrivals.csv")
    both = ["README.md", "figure1/README.md"]
    return [
        (both, f"{100 * a['bar_50_100ms']:.1f}%", "arrivals in the 50-100 ms bar"),
        (both, f"{100 * a['bar_100_150ms']:.1f}%", "arrivals in the 100-150 ms bar"),
        (both, f"{100 * a['within_150ms']:.1f}%", "arrivals by 150 ms"),
        (both, f"{a['p50_ms']:.0f}", "arrival p50 (ms)"),
        (both, f"{a['p99_ms']:.0f}", "arrival p99 (ms)"),
        (["figure1/README.md"], f"{a['offset_ms']:.1f} ms", "calibrated own time"),
        (["figure1/README.md"], f"{a['extra_over_injected_p50_ms']:.1f} / {a['extra_over_injected_p99_ms']:.1f} ms",
         "own time over the injected delay, p50 / p99"),
        (["figure1/README.md"], f"in {a['compute_p50_ms']:.1f} ms", "a worker's compute, median"),
    ]


def figure2():
    accuracy = collections.defaultdict(list)
    plain = None
    for r in rows("figure2/figure2.csv"):
        if r["layer"] == "10" and r["code"] == "uncoded":
            accuracy[round(float(r["lost_fraction"]), 3)].append(float(r["accuracy"]))
            plain = float(r["plain_accuracy"])
    half = sum(accuracy[0.5]) / len(accuracy[0.5])
    both = ["README.md", "figure2/README.md"]
    return [
        (both, f"keeps {100 * half / plain:.0f}%", "logits: share of the accuracy kept at 50% lost"),
        (["figure2/README.md"], f"{half:.4f} of {plain:.4f}", "logits: accuracy at 50% lost, of plain"),
        (["figure2/README.md"], f"ours keeps {100 * (half - 0.1) / (plain - 0.1):.0f}%",
         "logits: share kept above chance (0.1)"),
    ]


def figure2_resnet():
    """fmnist-resnet's Figure 2: the plain accuracy, each layer's mean at 50% lost, the coded points."""
    table = rows("figure2/figure2-resnet.csv")
    plain = float(table[0]["plain_accuracy"])
    both = ["README.md", "figure2/README.md"]
    checks = [(both, f"fmnist-resnet, {plain:.4f}", "fmnist-resnet: plain accuracy")]
    half = collections.defaultdict(list)
    for r in table:
        if r["code"] == "uncoded" and round(float(r["lost_fraction"]), 3) == 0.5:
            half[r["layer"]].append(float(r["accuracy"]))
    for layer, values in half.items():
        checks.append((both, f"{layer} {sum(values) / len(values):.4f}", f"fmnist-resnet: {layer} at 50% lost"))
    coded = [r for r in table if r["code"] != "uncoded"]
    if all(r["correct"] == r["plain_correct"] and r["agree"] == r["images"] for r in coded):
        worst = max(float(r["max_rel_error"]) for r in coded)
        checks.append((["figure2/README.md"], f"logits within {worst:.1e}".replace("e-0", "e-"),
                       "fmnist-resnet: coded, largest error"))
    else:
        checks.append((["figure2/README.md"], "a coded point lost accuracy", "fmnist-resnet: coded points"))
    return checks


def figure3():
    panels = {"alexnet-5": "(a) AlexNet on 5", "action-8": "(b) Action recognition on 8",
              "c3d-7": "(c) C3D on 7", "c3d-9": "(d) C3D on 9", "vgg16-8": "(e) VGG16 on 8"}
    checks, savings = [], []
    for name, panel in panels.items():
        table = rows(f"figure3/csv/{name}.csv")

        def full(strategy):
            return min(int(r["extra"]) for r in table if float(r[f"coverage_{strategy}"]) == 1.0)

        two, cdc = full("2mr"), full("cdc")
        savings.append(two - cdc)
        checks.append((["figure3/README.md"], f"| {panel} | {two} / **{cdc}** |",
                       f"{name}: additional devices for full coverage, 2MR and CDC+2MR"))
    fewer = f"{min(savings)} to {max(savings)}"
    checks.append((["README.md"], f"{fewer} devices fewer", "CDC+2MR's saving over 2MR"))
    checks.append((["figure3/README.md"], f"{fewer} fewer", "CDC+2MR's saving over 2MR"))
    return checks


def figure5b():
    latency = {r["code"]: r for r in rows("figure5b/latency.csv")}
    devices = rows("figure5b/devices.csv")
    uncoded = float(latency["uncoded"]["mean_ms"])
    both = ["README.md", "figure5b/README.md"]
    checks = []
    for code, r in latency.items():
        mean = float(r["mean_ms"])
        checks.append((both, num(r["mean_ms"], 1), f"{code}: mean latency (ms)"))
        checks.append((both, num(r["p99_ms"], 1), f"{code}: p99 latency (ms)"))
        if code != "uncoded":
            checks.append((both, f"−{100 * (1 - mean / uncoded):.0f}%", f"{code}: mean cut against uncoded"))
            p99_cut = 100 * (1 - float(r["p99_ms"]) / float(latency["uncoded"]["p99_ms"]))
            checks.append((["figure5b/README.md"], f"{num(r['p99_ms'], 1)}** (−{p99_cut:.0f}%)"
                           if code == "sum" else f"{num(r['p99_ms'], 1)} (−{p99_cut:.0f}%)",
                           f"{code}: p99 cut against uncoded"))
        checks.append((["figure5b/README.md"], f"| {num(r['p50_ms'], 1)} | {num(r['p95_ms'], 1)} |",
                       f"{code}: p50 and p95 latency (ms)"))
        checks.append((["figure5b/README.md"], f"| {num(r['fc6_mean_ms'], 1)} | {num(r['predicted_fc6_mean_ms'], 1)} | "
                       f"{r['exact']} / {r['recovered']} | {r['max_rel_error']} |",
                       f"{code}: fc6 mean and predicted, exact / recovered, max relative error"))
    for column, what in (("faster_fc6_pct", "fc6 alone"), ("faster_inference_pct", "whole inference")):
        for r in devices:
            checks.append((["figure5b/README.md"], f"{num(r[column], 1)}%",
                           f"one sum parity at {r['devices_with_parity']} devices, {what}"))
    predicted = " | ".join(f"{num(r['predicted_fc6_faster_pct'], 1)}%" for r in devices)
    checks.append((["figure5b/README.md"], f"| predicted (order statistics) | {predicted} |",
                   "one sum parity by device count, predicted"))
    return checks


def tail():
    table = rows("tail/tail.csv")
    stragglers = [r for r in table if float(r["sigma"]) > 0]

    def gap(r, a, b):
        return float(r[a]) - float(r[b])

    p50_over_prediction = [gap(r, "p50_ms", "predicted_p50_ms") for r in stragglers]
    p99_to_ideal = [abs(gap(r, "p99_ms", "ideal_p99_ms")) for r in stragglers]
    worst = max(stragglers, key=lambda r: gap(r, "p99_ms", "predicted_p99_ms") / float(r["predicted_p99_ms"]))
    both = ["README.md", "tail/README.md"]
    checks = [
        (both, f"{span(p50_over_prediction, 2)} ms above", "p50 above the prediction, every point with stragglers"),
        (both, f"within {span(p99_to_ideal, 2)} ms of the ideal", "p99 against the ideal of the same inferences"),
        (both, f"{num(worst['p99_ms'], 1)} against {num(worst['predicted_p99_ms'], 1)} ms",
         f"the largest p99 gap to the prediction ({worst['code']}, sigma {float(worst['sigma']):g})"),
        (both, f"{100 * gap(worst, 'p99_ms', 'predicted_p99_ms') / float(worst['predicted_p99_ms']):.0f}%",
         "the largest p99 gap to the prediction, relative"),
    ]
    top = max(float(r["sigma"]) for r in table)
    at_top = {r["code"]: r for r in table if float(r["sigma"]) == top}
    uncoded = float(at_top["uncoded"]["p99_ms"])
    checks.append((both, f"p99 {num(at_top['uncoded']['p99_ms'], 1)} ms uncoded", f"uncoded p99 at sigma {top:g}"))
    for code, r in at_top.items():
        if code != "uncoded":
            checks.append((both, f"{uncoded / float(r['p99_ms']):.1f}×", f"{code}: p99 cut at sigma {top:g}"))
        row = " | ".join(f"{num(x['p99_ms'], 1)} / {num(x['predicted_p99_ms'], 1)} / {num(x['ideal_p99_ms'], 1)}"
                         for x in table if x["code"] == code and float(x["sigma"]) in (0.5, 1.0, 1.5))
        checks.append((["tail/README.md"], row, f"{code}: p99 measured / predicted / ideal at sigma 0.5, 1, 1.5"))
    none = [float(r["no_straggler_p50_ms"]) for r in table if float(r["sigma"]) == 0]
    checks.append((["tail/README.md"], f"{span(none, 2)} ms for every code", "median latency with no stragglers"))
    checks.append((both, f"{span(none, 1)} ms", "median latency with no stragglers, rounded"))
    bottom = min(float(r["sigma"]) for r in stragglers)
    at_bottom = {r["code"]: r for r in stragglers if float(r["sigma"]) == bottom}
    cuts = [float(at_bottom["uncoded"]["p99_ms"]) / float(r["p99_ms"]) for c, r in at_bottom.items() if c != "uncoded"]
    checks.append((["tail/README.md"], f"{span(cuts, 1)}× at σ = {bottom:g}", f"p99 cuts at sigma {bottom:g}"))
    sum_type = [gap(r, "p99_ms", "predicted_p99_ms") / float(r["predicted_p99_ms"]) for r in stragglers
                if r["code"] in ("grouped-sum:g=2", "pairwise") and float(r["sigma"]) >= 1]
    checks.append((["tail/README.md"], f"{100 * min(sum_type):.0f}–{100 * max(sum_type):.0f}% for grouped-sum and pairwise",
                   "p99 above the prediction, grouped-sum and pairwise at sigma >= 1"))
    return checks


def normalised(relative, cache={}):
    if relative not in cache:
        with open(os.path.join(HERE, relative)) as f:
            cache[relative] = re.sub(r"\s+", " ", f.read())
    return cache[relative]


def main():
    missing = 0
    for figure in (figure1, figure2, figure2_resnet, figure3, figure5b, tail):
        for readmes, text, what in figure():
            absent = [m for m in readmes if text not in normalised(m)]
            missing += bool(absent)
            print(f"{'MISSING' if absent else 'ok':7} {figure.__name__:8} {what}: '{text}'"
                  + (f" not in {', '.join(absent)}" if absent else ""))
    readmes = sorted(glob.glob(os.path.join(HERE, "**", "README.md"), recursive=True))
    print(f"{missing} check(s) missing from {len(readmes)} READMEs" if missing else "every number found")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
