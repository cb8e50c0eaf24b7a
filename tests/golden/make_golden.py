#!/usr/bin/python3
"""Write PyTorch golden references for cdcnn.

For each case, DIR/<case>.h5 is the model file (tools/cdcnn_model.py) and
DIR/<case>.io.h5 holds float32 datasets `input` and `output` (no batch
dimension): a seeded random input and PyTorch's float32 output on one thread.

    tests/golden/make_golden.py --out build/golden              # every case
    tests/golden/make_golden.py --out /tmp/g --cases mlp,pools
    tests/golden/make_golden.py --list
"""

import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import cdcnn_model  # noqa: E402

S = nn.Sequential


def alexnet():
    return torchvision.models.alexnet(weights=None), (3, 224, 224)


def vgg16():
    return torchvision.models.vgg16(weights=None), (3, 224, 224)


def c3d_small():
    # C3D-like: 3x3x3 convs, first pool (1,2,2) keeps depth, later pools 2x2x2,
    # last pool with padding on H/W as in C3D's pool5.
    m = S(
        S(nn.Conv3d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool3d((1, 2, 2), (1, 2, 2))),
        S(nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool3d(2, 2)),
        S(nn.Conv3d(16, 32, 3, padding=1), nn.ReLU(), nn.Conv3d(32, 32, 3, padding=1), nn.ReLU(),
          nn.MaxPool3d(2, 2)),
        S(nn.Conv3d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2, 2, padding=(0, 1, 1))),
        nn.Flatten(),
        nn.Linear(32 * 1 * 3 * 3, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10),
    )
    return m, (3, 8, 32, 32)


def conv_stride():
    return S(nn.Conv2d(3, 8, 3, stride=2), nn.ReLU(), nn.Conv2d(8, 8, 5, stride=3, padding=2),
             nn.Conv2d(8, 4, 1, stride=2)), (3, 33, 33)


def conv_padding():
    return S(nn.Conv2d(3, 6, 3, padding=1), nn.Conv2d(6, 6, 5, padding=4), nn.ReLU(),
             nn.Conv2d(6, 4, (3, 5), padding=(0, 3)), nn.Conv2d(4, 4, 3, padding="same"),
             nn.Conv2d(4, 5, 3, padding="valid", bias=False)), (3, 15, 17)


def conv_dilation():
    return S(nn.Conv2d(3, 6, 3, dilation=2), nn.ReLU(), nn.Conv2d(6, 6, 3, dilation=(1, 3), padding=(1, 3)),
             nn.Conv2d(6, 4, 3, dilation=3, stride=2, padding=2)), (3, 24, 26)


def conv_groups():
    return S(nn.Conv2d(4, 8, 3, groups=2, padding=1), nn.ReLU(),
             nn.Conv2d(8, 8, 3, groups=8, padding=1),            # depthwise
             nn.Conv2d(8, 16, 3, groups=8, stride=2),            # depthwise multiplier 2
             nn.Conv2d(16, 12, 1, groups=4),                     # grouped pointwise
             nn.Conv2d(12, 6, (3, 1), groups=3, bias=False)), (4, 14, 13)


def conv_odd():
    return S(nn.Conv2d(3, 5, (3, 7), stride=(2, 3), padding=(1, 2)), nn.ReLU(),
             nn.Conv2d(5, 7, (5, 2), stride=(3, 1), padding=(2, 0), dilation=(1, 2)),
             nn.Conv2d(7, 3, (1, 3), stride=(1, 2))), (3, 31, 29)


def conv3d_edge():
    return S(nn.Conv3d(2, 4, (3, 1, 5), stride=(1, 2, 2), padding=(1, 0, 2)), nn.ReLU(),
             nn.Conv3d(4, 6, 3, dilation=(2, 1, 1), padding=(2, 1, 1), groups=2),
             nn.Conv3d(6, 6, (1, 3, 3), groups=6, stride=(2, 1, 2)),
             nn.MaxPool3d((2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True),
             nn.Conv3d(6, 3, 2, bias=False)), (2, 7, 11, 13)


def pools():
    # Sizes are chosen so that ceil_mode hits PyTorch's "last window may not
    # start in the padding" rule (81 -> 41 below) and the adaptive pools map
    # 6x3 -> 5x2 -> 3x2 (non-divisible).
    return S(nn.Conv2d(3, 4, 3), nn.ReLU(),                                               # 161x198
             nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),                        # 81x100
             nn.MaxPool2d(2, stride=2, padding=1, ceil_mode=True),                        # 41x51
             nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),  # 21x26
             nn.MaxPool2d((2, 3), stride=(1, 2), dilation=(2, 1)),                        # 19x12
             nn.AvgPool2d(2, ceil_mode=True),                                             # 10x6
             nn.AvgPool2d(2, stride=2, padding=1, ceil_mode=True, count_include_pad=False),  # 6x4
             nn.AvgPool2d((3, 2), stride=1, padding=(1, 0)),                              # 6x3
             nn.AdaptiveAvgPool2d((5, 2)),
             nn.AdaptiveAvgPool2d((3, None))), (3, 163, 200)


def lrn_bn():
    m = S(nn.Conv2d(3, 8, 3, padding=1), nn.LocalResponseNorm(5, alpha=1e-2, beta=0.75, k=2.0), nn.ReLU(),
          nn.BatchNorm2d(8), nn.LocalResponseNorm(3), nn.Conv2d(8, 6, 3),
          nn.BatchNorm2d(6, eps=1e-3, affine=False), nn.Flatten(), nn.Linear(6 * 10 * 10, 16),
          nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 5))
    for bn in (m[3], m[6], m[9]):
        c = bn.num_features
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        if bn.affine:
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.3, 0.3)
        bn.num_batches_tracked.fill_(c)
    return m, (3, 12, 12)


def mlp():
    return S(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 64), nn.ReLU(),
             nn.Dropout(), nn.Linear(64, 10), nn.Softmax(dim=1)), (1, 28, 28)


CASES = {f.__name__: f for f in (alexnet, vgg16, c3d_small, conv_stride, conv_padding, conv_dilation, conv_groups,
                                 conv_odd, conv3d_edge, pools, lrn_bn, mlp)}
TORCHVISION = {"alexnet", "vgg16"}


def make_case(case, out_dir, seed):
    torch.manual_seed(seed)
    module, input_shape = CASES[case]()
    module.eval()
    x = torch.randn(input_shape)
    with torch.no_grad():
        y = module(x.unsqueeze(0))[0]
    mean, std = (cdcnn_model.IMAGENET_MEAN, cdcnn_model.IMAGENET_STD) if case in TORCHVISION else (None, None)
    cdcnn_model.export_module(module, input_shape, os.path.join(out_dir, case + ".h5"), name=case,
                              input_mean=mean, input_std=std)
    io_path = os.path.join(out_dir, case + ".io.h5")
    with h5py.File(io_path + ".tmp", "w") as f:
        f.create_dataset("input", data=x.numpy().astype(np.float32))
        f.create_dataset("output", data=y.numpy().astype(np.float32))
        f.attrs["case"] = case
        f.attrs["seed"] = np.int64(seed)
        f.attrs["torch_version"] = str(torch.__version__)
    os.replace(io_path + ".tmp", io_path)
    return tuple(y.shape), float(y.abs().max())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="output directory (created)")
    p.add_argument("--cases", help="comma-separated subset (default: all)")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed per case (default 0)")
    p.add_argument("--list", action="store_true", help="print the case names and exit")
    a = p.parse_args()
    if a.list:
        print("\n".join(CASES))
        return 0
    if not a.out:
        p.error("--out is required")
    cases = a.cases.split(",") if a.cases else list(CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        p.error(f"unknown case(s) {unknown}; known: {', '.join(CASES)}")
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    start = time.perf_counter()
    for case in cases:
        t = time.perf_counter()
        shape, peak = make_case(case, a.out, a.seed)
        print(f"{case}: output {shape} max|y|={peak:.3g} ({time.perf_counter() - t:.1f} s)", flush=True)
    print(f"{len(cases)} golden cases in {a.out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
