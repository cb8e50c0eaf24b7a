#!/usr/bin/python3
"""tools/cdcnn_model.py on graph model files (format version 2, docs/model-file.md).

    tests/tools/check_graph_files.py --out DIR

- A graph written by write_model (a residual add, a broadcasting
  squeeze-excite mul, a channel concat, a layer reading the model input
  again) and rebuilt by load_module computes what the same network written
  out by hand with torch.nn.functional computes (< 1e-6).
- The same layers stored in another order (an input after its consumer)
  load to the same network: the loader sorts them; the output is still the
  last layer of the file.
- A file without any `inputs` loads as an nn.Sequential, and a format
  version 1 file still loads.
- Refused, each with a message naming the layer: a cycle, an input naming no
  layer, a merge kind with one input, a single-input kind with two, an empty
  name in `inputs`, a shape mismatch at concat, a layer taking the output
  layer, a layer named `input`, format version 3.
Exits 1 listing every problem.
"""

import argparse
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402
from cdcnn_model import Layer  # noqa: E402


def network(seed=0):
    """The layers and, from the same weights, the torch.nn.functional forward."""
    g = torch.Generator().manual_seed(seed)
    w1, b1 = torch.randn(4, 3, 3, 3, generator=g), torch.randn(4, generator=g)
    w2 = torch.randn(4, 4, 1, 1, generator=g)
    wd, bd = torch.randn(5, 7 * 6 * 5, generator=g), torch.randn(5, generator=g)
    conv = {"kernel_size": [3, 3], "padding": [1, 1]}
    layers = [
        Layer("conv", "conv2d", conv, data={"weight": w1.numpy(), "bias": b1.numpy()}),
        Layer("act", "relu"),
        Layer("proj", "conv2d", {"kernel_size": [1, 1]}, data={"weight": w2.numpy()}),
        Layer("sum", "add", inputs=["proj", "conv"]),
        Layer("pool", "adaptiveavgpool2d", {"output_size": [1, 1]}, inputs=["sum"]),
        Layer("gate", "sigmoid"),
        Layer("scaled", "mul", inputs=["sum", "gate"]),
        Layer("cat", "concat", {"axis": 0}, inputs=["scaled", "input"]),
        Layer("flat", "flatten"),
        Layer("fc", "dense", data={"weight": wd.numpy(), "bias": bd.numpy()}),
    ]

    def forward(x):  # x {3, 6, 5}, batch added here
        x = x.unsqueeze(0)
        c = F.conv2d(x, w1, b1, padding=1)
        s = F.conv2d(F.relu(c), w2) + c
        y = s * torch.sigmoid(s.mean(dim=(2, 3), keepdim=True))
        y = torch.cat([y, x], dim=1).flatten(1)
        return (y @ wd.T + bd)[0]

    return layers, forward


def expect_refused(path, words):
    try:
        cdcnn_model.load_module(path)
    except cdcnn_model.ModelFileError as e:
        return [] if all(w in str(e) for w in words) else [f"{path}: refused with '{e}', expected {words}"]
    return [f"{path}: loaded, expected a refusal naming {words}"]


def edited(src, dst, edit):
    import shutil
    shutil.copy(src, dst)
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    problems = []
    layers, forward = network()
    x = torch.randn(3, 6, 5, generator=torch.Generator().manual_seed(1))
    expected = forward(x).numpy()
    path = os.path.join(a.out, "graph.h5")
    cdcnn_model.write_model(path, (3, 6, 5), layers, name="graph")
    cdcnn_model.validate_file(path)
    module, _, _ = cdcnn_model.load_module(path)
    if not isinstance(module, cdcnn_model.Graph):
        problems.append(f"{path}: loaded as {type(module).__name__}, not a Graph")
    err = cdcnn_model.max_relative_error(cdcnn_model.run_reference(path, x.numpy()), expected)
    if err >= 1e-6:
        problems.append(f"{path}: computes {err:.3g} away from torch.nn.functional")
    with h5py.File(path) as f:
        if int(f.attrs["format_version"]) != 2:
            problems.append(f"{path}: format_version {f.attrs['format_version']}, expected 2")
        if "inputs" in f["layers/1"].attrs or f["layers/3"].attrs["inputs"] != "proj,conv":
            problems.append(f"{path}: 'inputs' written where not given, or not as 'proj,conv'")

    # Out of order: 'gate' and 'pool' swapped (gate now precedes its input); loads, sorted, same output.
    def swap(f):
        lg = f["layers"]
        lg.move("4", "tmp")
        lg.move("5", "4")
        lg.move("tmp", "5")
        lg["4"].attrs["inputs"] = "pool"
    shuffled = edited(path, os.path.join(a.out, "shuffled.h5"), swap)
    err = cdcnn_model.max_relative_error(cdcnn_model.run_reference(shuffled, x.numpy()), expected)
    if err >= 1e-6:
        problems.append(f"{shuffled}: out of file order computes {err:.3g} away")

    # Sequential files: without inputs, and of format version 1.
    seq = os.path.join(a.out, "sequential.h5")
    cdcnn_model.write_model(seq, (3, 6, 5), [Layer("act", "relu"), Layer("flat", "flatten")])
    v1 = edited(seq, os.path.join(a.out, "v1.h5"), lambda f: f.attrs.__setitem__("format_version", np.int64(1)))
    for f in (seq, v1):
        m, _, _ = cdcnn_model.load_module(f)
        if not isinstance(m, torch.nn.Sequential):
            problems.append(f"{f}: a file without inputs loaded as {type(m).__name__}")

    def set_inputs(key, value):
        return lambda f: f[f"layers/{key}"].attrs.__setitem__("inputs", value)
    bad = [
        ("cycle", set_inputs("0", "fc"), ["cycle"]),
        ("unknown", set_inputs("3", "proj,nothing"), ["'sum' (add)", "input 'nothing' names no layer"]),
        ("one_input_add", set_inputs("3", "proj"), ["'sum' (add)", "takes 2 or more input(s)"]),
        ("two_input_relu", set_inputs("1", "conv,conv"), ["'act' (relu)", "takes 1 input(s)"]),
        ("empty_name", set_inputs("6", "sum,"), ["'scaled' (mul)", "empty name"]),
        ("concat_mismatch", set_inputs("7", "scaled,pool"), ["'cat' (concat)", "fails on input(s)"]),
        ("takes_output", set_inputs("8", "fc"), ["'flat' (flatten)", "takes the output layer 'fc'"]),
        ("named_input", lambda f: f["layers/1"].attrs.__setitem__("name", "input"), ["may not be named 'input'"]),
        ("version3", lambda f: f.attrs.__setitem__("format_version", np.int64(3)), ["format_version"]),
    ]
    for name, edit, words in bad:
        problems += expect_refused(edited(path, os.path.join(a.out, name + ".h5"), edit), words)
    for line in problems:
        print(line)
    print(f"graph files: {len(problems)} problem(s)" if problems else "graph files: written, read and refused as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
