#!/usr/bin/python3
"""Writes the Figure 1 model: one dense layer of 9216 inputs (AlexNet fc6's)
and 3 x 2048 = 6144 outputs, then ReLU — split 3 ways, each of the paper's
three workers computes a 2048-wide dense layer (18.9 M multiply-adds: 50 ms
on a Pi 3). Seeded random weights (the arrival times do not depend on them).
Usage: make_model.py OUT.h5 (226 MB; not committed: model/ is ignored).
"""

import os
import sys

import h5py
import numpy as np

INPUTS, OUTPUTS = 9216, 3 * 2048


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_model.py OUT.h5")
    out = sys.argv[1]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    rng = np.random.default_rng(1)
    bound = np.sqrt(6.0 / INPUTS)  # He-uniform, as the zoo's random weights
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = "cdcnn-model"
        f.attrs["format_version"] = np.int64(1)
        f.attrs["input_shape"] = np.array([INPUTS], dtype=np.int64)
        layers = f.create_group("layers")
        layers.attrs["count"] = np.int64(2)
        for i, (kind, name) in enumerate([("dense", "fc"), ("relu", "relu")]):
            g = layers.create_group(str(i))
            g.attrs["kind"] = kind
            g.attrs["name"] = name
        layers["0"]["weight"] = rng.uniform(-bound, bound, (OUTPUTS, INPUTS)).astype(np.float32)
        layers["0"]["bias"] = np.zeros(OUTPUTS, np.float32)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
