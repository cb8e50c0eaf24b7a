#!/usr/bin/python3
"""Per worker rank of a cdcnn trace: what became of its shards, and how long
their round trips took (dispatch to arrival, on the master's clock).

  fates-by-rank.py TRACE [--cut REPORT]

With --cut (the report of cut-mid-run.py) the table is split: before the cut,
while the device was cut off, after the restore.
"""
import argparse
import json

import h5py
import numpy as np

FATES = ["used", "unneeded", "decoded_around", "lost", "skipped"]  # trace.hpp ShardFate


def table(shards, title, hosts):
    print(title)
    width = max([4] + [len(h) for h in hosts])
    print(f"  {'rank':>4} {'host':<{width}} {'shards':>6} " + " ".join(f"{f:>14}" for f in FATES)
          + "  round trip p50/p95/max ms")
    for rank in sorted(set(shards["rank"].tolist())):
        s = shards[shards["rank"] == rank]
        counts = np.bincount(s["fate"], minlength=len(FATES))[:len(FATES)]
        rtt = (s["arrival_ms"] - s["dispatch_ms"])[np.isfinite(s["arrival_ms"])]
        times = (f"{np.percentile(rtt, 50):.1f} / {np.percentile(rtt, 95):.1f} / {rtt.max():.1f}" if len(rtt) else "-")
        host = hosts[rank] if rank < len(hosts) else "-"
        print(f"  {rank:>4} {host:<{width}} {len(s):>6} " + " ".join(f"{c:>14}" for c in counts) + f"  {times}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("trace")
    p.add_argument("--cut", help="report written by cut-mid-run.py")
    a = p.parse_args()
    with h5py.File(a.trace, "r", swmr=True) as f:
        shards = f["shards"][:]
        n = len(f["inferences"])
        # Every rank's host (traces since 2026-12; older ones record rank 0's only).
        hosts = f.attrs["hosts"] if "hosts" in f.attrs else ""
        hosts = (hosts.decode() if isinstance(hosts, bytes) else str(hosts)).split(",") if len(hosts) else []
    if not a.cut:
        table(shards, f"{n} inferences", hosts)
        return
    r = json.load(open(a.cut))
    cut, restore = r.get("cut_after"), r.get("restore_after") or n
    if cut is None:
        table(shards, f"{n} inferences (the link was never cut)", hosts)
        return
    i = shards["inference"]
    table(shards[i < cut], f"inferences 0..{cut - 1}, before device {r['device']}'s link was cut", hosts)
    table(shards[(i > cut) & (i < restore)], f"inferences {cut + 1}..{restore - 1}, while it was cut off", hosts)
    if restore < n:
        table(shards[i >= restore], f"inferences {restore}..{n - 1}, after it came back", hosts)


if __name__ == "__main__":
    main()
