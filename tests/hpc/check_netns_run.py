#!/usr/bin/python3
"""Checks a cdcnn run across the virtual cluster whose device lost its link
mid-run (netns_test.sh): its printed summary, its trace, and where the cut
fell (the report of hpc/cut-mid-run.py). Prints what it checked; exits 1 on
the first failure.

  * every inference was exact or recovered by decoding (none degraded or
    failed: each split layer was complete before its deadline), and each
    verified output is within 1e-4 relative error of single-process inference;
  * the cut device contributed before the cut (some shard used or unneeded);
  * in every inference that started after the cut and ended before the
    restore, each of the cut device's shards is `decoded_around`, `lost` or
    `skipped` (none used): the master decoded around the device and, once it
    suspected it, stopped sending it work; at least one is decoded_around;
  * the health table (when the trace has one) shows the device suspected
    during the cut.
"""

import argparse
import json
import math
import re
import sys

import h5py
import numpy as np

FATES = ["used", "unneeded", "decoded_around", "lost", "skipped"]
HEALTH = ["suspected", "probed", "readmitted", "unresponsive"]
OUTCOMES = ["exact", "recovered", "degraded", "failed"]


TRACE = {}


def fail(message):
    print(f"FAIL: {message}")
    if TRACE:  # what happened at each layer that was not exact or recovered
        layers, shards = TRACE["layers"], TRACE["shards"]
        for l in layers[layers["outcome"] > 1][:5]:
            print(f"  inference {l['inference']} layer {l['layer']}: {OUTCOMES[l['outcome']]}, "
                  f"{l['arrived']}/{l['shards']} shards arrived in {l['complete_ms'] - l['dispatch_ms']:.1f} ms")
            for s in shards[(shards["inference"] == l["inference"]) & (shards["layer"] == l["layer"])]:
                print(f"    shard {s['shard']} rank {s['rank']}: {FATES[s['fate']]}, "
                      f"arrived after {s['arrival_ms'] - s['dispatch_ms']:.1f} ms")
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--trace", required=True)
    p.add_argument("--report", required=True)
    p.add_argument("--output", required=True, help="what cdcnn run printed")
    p.add_argument("--inferences", type=int, required=True)
    p.add_argument("--min-window", type=int, default=5, help="inferences that must run while the device is cut")
    a = p.parse_args()

    with h5py.File(a.trace, "r", swmr=True) as f:
        TRACE.update(inferences=f["inferences"][:], shards=f["shards"][:], layers=f["layers"][:],
                     deadline=float(f.attrs["deadline_ms"]), health=f["health"][:] if "health" in f else None)
    out = open(a.output).read()
    m = re.search(r"exact (\d+), recovered by decoding (\d+), degraded (\d+), failed (\d+)", out)
    if not m:
        fail(f"no summary line in the output of cdcnn run:\n{out}")
    exact, recovered, degraded, failed = map(int, m.groups())
    print(f"summary: exact {exact}, recovered {recovered}, degraded {degraded}, failed {failed}")
    if exact + recovered != a.inferences or degraded or failed:
        fail(f"expected all {a.inferences} inferences exact or recovered")
    m = re.search(r"max relative error .* vs single-process: (\S+)", out)
    if not m or not float(m.group(1)) < 1e-4:
        fail(f"max relative error vs single-process inference missing or >= 1e-4: {m.group(1) if m else out}")
    print(f"max relative error vs single-process: {m.group(1)}")

    report = json.load(open(a.report))
    device, cut_after, restore_after = report["device"], report.get("cut_after"), report.get("restore_after")
    if cut_after is None or restore_after is None:
        fail(f"the link was not both cut and restored: {report}")
    rank = device - 1  # rank r runs on device r + 1
    first, last = cut_after + 1, restore_after - 1  # inferences wholly inside the cut
    print(f"device {device} (rank {rank}) cut after {cut_after} inferences, restored after {restore_after}: "
          f"inferences {first}..{last} ran without it")
    if last - first + 1 < a.min_window:
        fail(f"only {last - first + 1} inferences ran while the link was cut (want >= {a.min_window})")

    inf, shards, layers, deadline = TRACE["inferences"], TRACE["shards"], TRACE["layers"], TRACE["deadline"]
    if len(inf) != a.inferences:
        fail(f"trace has {len(inf)} inferences, expected {a.inferences}")
    bad = inf[inf["outcome"] > 1]
    if len(bad):
        fail(f"trace: inferences {list(bad['inference'])} were {[OUTCOMES[o] for o in bad['outcome']]}")
    errors = inf["max_relative_error"]
    if not np.all(np.isfinite(errors)) or errors.max() >= 1e-4:
        fail(f"trace: max relative error {errors.max()} (or not verified)")
    slow = layers[layers["complete_ms"] - layers["dispatch_ms"] > deadline]
    if len(slow):
        fail(f"trace: {len(slow)} layer(s) took longer than the {deadline:g} ms deadline")
    mine = shards[shards["rank"] == rank]
    before = mine[mine["inference"] < cut_after]
    if not np.any(before["fate"] <= 1):
        fail(f"rank {rank} never contributed before the cut (fates {np.bincount(before['fate'], minlength=4)})")
    during = mine[(mine["inference"] >= first) & (mine["inference"] <= last)]
    counts = {FATES[i] if i < len(FATES) else f"fate {i}": int(c)
              for i, c in enumerate(np.bincount(during["fate"], minlength=len(FATES)))}
    print(f"rank {rank}'s shards during the cut: {counts}")
    if np.any(during["fate"] <= 1):
        fail(f"rank {rank} delivered shards while its link was cut: inferences "
             f"{sorted(set(during[during['fate'] <= 1]['inference'].tolist()))}")
    if counts["decoded_around"] == 0:
        fail(f"no shard of rank {rank} was decoded around during the cut")
    unknown = sorted(set(during["fate"].tolist()) - {2, 3, 4})
    if unknown:
        fail(f"unknown shard fates {unknown} for rank {rank} during the cut")
    health = TRACE["health"]
    if health is not None:
        events = [(int(h["inference"]), HEALTH[h["event"]] if h["event"] < len(HEALTH) else int(h["event"]))
                  for h in health if h["rank"] == rank]
        print(f"rank {rank}'s health events (inference, event): {events}")
        if not any(e == "suspected" and cut_after <= i <= last for i, e in events):
            fail(f"rank {rank} was never suspected while its link was cut")
    latency = inf["latency_ms"][first:last + 1]
    print(f"latency during the cut: median {np.median(latency):.1f} ms, max {latency.max():.1f} ms "
          f"(before: median {np.median(inf['latency_ms'][:cut_after]):.1f} ms)")
    print("PASS")


if __name__ == "__main__":
    main()
