#!/usr/bin/python3
"""Torchvision networks through the ONNX route against PyTorch itself.

    tests/tools/check_torchvision_golden.py --cdcnn build/cdcnn --out DIR NAME [NAME ...]
        [--repeat 3] [--seed 0]

For each torchvision classification network NAME: build it as
tools/export_pytorch.py --torchvision does (random init from --seed,
weights=None), set its BatchNorm running statistics from random inputs
(calibrate_batchnorm: else the logits of a fresh init hardly depend on the
input), eval mode; check that two random inputs give different outputs, push
one random batch-1 input through PyTorch,
write the model file through torch.onnx.export and tools/import_onnx.py, run
`cdcnn infer --input x.npy --save-output y.npy` on the same input, and
require max|cdcnn - torch| / max|torch| < 1e-4. Prints one line per
network with the error and the times (PyTorch forward on one thread, median
of --repeat; cdcnn infer's own median on one thread; export+import). Exits 1
if any network fails or cannot be exported.
"""

import argparse
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402
import export_pytorch  # noqa: E402
import import_onnx  # noqa: E402

TOLERANCE = 1e-4


def calibrate_batchnorm(module, shape, seed):
    """Running statistics of every BatchNorm from random inputs (the weights stay torchvision's random init).

    With a fresh init's running statistics (mean 0, variance 1) eval-mode activations shrink or grow
    layer by layer: GoogLeNet's logits end up being its classifier's bias whatever the input,
    MobileNet's are 1e-9 (denormals further down, which slow PyTorch), Inception v3's 1e12. With
    statistics of the data they stay near 1 and the comparison tests every layer.
    """
    bns = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the calibration batches
    module.train()
    g = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        for _ in range(2):
            module(torch.randn((4,) + shape, generator=g))
    module.eval()


def check(name, cdcnn, out_dir, seed, repeat):
    """(ok, line) for one network."""
    torch.manual_seed(seed)
    module, shape = export_pytorch.build_torchvision(name)
    calibrate_batchnorm(module, shape, seed)
    module.eval()
    x, x2 = torch.randn((2, 1) + shape, generator=torch.Generator().manual_seed(seed + 1))
    times = []
    with torch.no_grad():
        y = module(x)
        spread = float((module(x2) - y).abs().max() / y.abs().max())
        if not spread > 1e-3:  # an output that ignores its input would test nothing
            return False, f"{name}: PyTorch's output hardly depends on the input (relative change {spread:.2g})"
        for _ in range(repeat):
            start = time.perf_counter()
            module(x)
            times.append(time.perf_counter() - start)
    torch_ms = 1e3 * sorted(times)[len(times) // 2]
    h5, x_path, y_path = (os.path.join(out_dir, name + ext) for ext in (".h5", ".in.npy", ".out.npy"))
    start = time.perf_counter()
    try:
        export_pytorch.export_via_onnx(module, shape, h5, name, cdcnn_model.IMAGENET_MEAN, cdcnn_model.IMAGENET_STD)
    except (import_onnx.ImportError_, cdcnn_model.ModelFileError) as e:
        return False, f"{name}: cannot be exported: {e}"
    export_s = time.perf_counter() - start
    np.save(x_path, x[0].numpy())
    r = subprocess.run([cdcnn, "infer", "--model", h5, "--input", x_path, "--save-output", y_path,
                        "--repeat", str(repeat), "--top", "1"], capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        return False, f"{name}: cdcnn infer failed: {(r.stderr or r.stdout).strip()}"
    m = re.search(r"median ([0-9.]+) ms", r.stdout)
    cdcnn_ms = float(m.group(1)) if m else float("nan")
    ours = np.load(y_path)
    ref = y[0].numpy()
    err = cdcnn_model.max_relative_error(ours, ref)
    ok = err < TOLERANCE and float(np.max(np.abs(ref))) > 0
    return ok, (f"{name}: {'ok' if ok else 'FAIL'} relative error {err:.2g} (max|y| {np.max(np.abs(ref)):.3g}), "
                f"pytorch {torch_ms:.1f} ms, cdcnn infer {cdcnn_ms:.1f} ms, export+import {export_s:.1f} s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+", metavar="NAME", help="torchvision classification networks")
    p.add_argument("--cdcnn", required=True, help="the cdcnn executable")
    p.add_argument("--out", required=True, help="directory for the model files and tensors (created)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="timed forward passes on each side (median)")
    a = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    failed = []
    for name in a.names:
        ok, line = check(name, a.cdcnn, a.out, a.seed, a.repeat)
        print(line, flush=True)
        if not ok:
            failed.append(name)
        for ext in (".h5", ".in.npy", ".out.npy"):  # the big files are not needed afterwards
            path = os.path.join(a.out, name + ext)
            if ok and os.path.exists(path):
                os.remove(path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
