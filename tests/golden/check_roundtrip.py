#!/usr/bin/python3
"""Exporter round trip: export -> load_module -> same output as the original module.

For every golden case in --dir (written by make_golden.py), check that the
model file has the schema's on-disk types, then rebuild the network from the
file with tools/cdcnn_model.load_module (torch's own layers) and compare its
output on the stored input with the stored output of the original PyTorch
module. Fails (exit 1) when any case is missing or its max relative error
(max |a-e| / max |e|) is 1e-6 or more.

    tests/golden/check_roundtrip.py --dir build/golden [--cases a,b]
"""

import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import cdcnn_model  # noqa: E402
import make_golden  # noqa: E402

TOLERANCE = 1e-6


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="directory written by make_golden.py --out")
    p.add_argument("--cases", help="comma-separated subset (default: every case make_golden.py knows)")
    a = p.parse_args()
    torch.set_num_threads(1)
    cases = a.cases.split(",") if a.cases else list(make_golden.CASES)
    failures = []
    for case in cases:
        base = os.path.join(a.dir, case)
        try:
            if not os.path.exists(base + ".h5") or not os.path.exists(base + ".io.h5"):
                raise FileNotFoundError(f"{base}.h5 / .io.h5 missing (run make_golden.py --out {a.dir})")
            cdcnn_model.validate_file(base + ".h5", structure=False)  # run_reference loads it
            with h5py.File(base + ".io.h5", "r") as f:
                x = f["input"][()]
                expected = f["output"][()]
                if x.dtype != np.float32 or expected.dtype != np.float32:
                    raise TypeError(f"{base}.io.h5: input/output must be float32")
            actual = cdcnn_model.run_reference(base + ".h5", x)
            err = cdcnn_model.max_relative_error(actual, expected)
            ok = actual.shape == expected.shape and err < TOLERANCE
            print(f"{case}: output {expected.shape} max relative error {err:.3g} {'ok' if ok else 'FAIL'}",
                  flush=True)
            if not ok:
                failures.append(case)
        except Exception as e:  # report every case, then fail
            print(f"{case}: FAIL {type(e).__name__}: {e}", flush=True)
            failures.append(case)
    if failures:
        print(f"round trip FAILED for {len(failures)}/{len(cases)}: {', '.join(failures)}")
        return 1
    print(f"round trip ok for all {len(cases)} cases (max relative error < {TOLERANCE:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
