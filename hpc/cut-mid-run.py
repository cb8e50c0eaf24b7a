#!/usr/bin/python3
"""Cut one device's link in the middle of a cdcnn run, and restore it later.

Started beside `netns-cluster.sh run ... cdcnn run --trace T`, it watches the
trace (which the master flushes after every inference, in SWMR mode): when
--after inferences are in it, it cuts --device's link (netns-cluster.sh cut);
when --restore-after are in it (default: every inference of the run, so the
run is over and MPI can finish), it restores the link. The cut lands between
two inferences of the run whatever the machine's speed, and --report says
exactly where:

  {"device": 3, "cut_after": 10, "restore_after": 30, ...}

cut_after is the number of inferences already in the trace when the link went
down: inference `cut_after` itself was running then, and every later one,
up to restore_after - 1, ran without the device.

Uses Debian's python3-h5py (hence /usr/bin/python3).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

import h5py

HPC = os.path.dirname(os.path.abspath(__file__))


def rows(path):
    """Inferences in the trace so far, or None while it cannot be read yet."""
    try:
        with h5py.File(path, "r", swmr=True) as f:
            if "inferences" not in f:
                return None, None
            command = str(f.attrs.get("command_line", ""))
            total = re.search(r"--inferences[ =](\d+)", command)
            return len(f["inferences"]), int(total.group(1)) if total else 10
    except (OSError, KeyError):  # not created yet, or not yet in SWMR mode
        return None, None


def cluster(*args):
    subprocess.run([os.path.join(HPC, "netns-cluster.sh"), *args], check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trace", required=True)
    p.add_argument("--device", type=int, required=True)
    p.add_argument("--after", type=int, required=True, help="cut once this many inferences are done")
    p.add_argument("--restore-after", type=int, help="restore once this many are done (default: all)")
    p.add_argument("--report", help="write where the cut fell here (JSON)")
    p.add_argument("--timeout", type=float, default=600.0, help="give up (restoring the link) after this many seconds")
    p.add_argument("--poll-ms", type=float, default=5.0)
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still restore the link on the way out
    give_up = time.monotonic() + a.timeout
    report = {"device": a.device, "trace": a.trace}
    cut = False
    try:
        while time.monotonic() < give_up:
            n, total = rows(a.trace)
            if n is not None:
                if not cut and n >= a.after:
                    cluster("cut", str(a.device))
                    cut = True
                    report["cut_after"] = rows(a.trace)[0]  # read again: the cut took a moment
                    report["cut_time"] = time.time()
                restore_after = a.restore_after or total
                if cut and n >= restore_after:
                    cluster("restore", str(a.device))
                    cut = False
                    report["restore_after"] = n
                    report["restore_time"] = time.time()
                    break
            time.sleep(a.poll_ms / 1000.0)
        else:
            print(f"cut-mid-run: gave up after {a.timeout:g} s", file=sys.stderr)
    finally:
        if cut:  # interrupted or timed out: never leave the device cut off
            cluster("restore", str(a.device))
            report.setdefault("restore_after", None)
        if a.report:
            with open(a.report, "w") as f:
                json.dump(report, f)
    return 0 if "restore_after" in report and "cut_after" in report else 1


if __name__ == "__main__":
    sys.exit(main())
