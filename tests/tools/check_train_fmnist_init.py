#!/usr/bin/python3
"""tools/train_fmnist.py --init-from: a folded fmnist-resnet file back into the trainable network.

    tests/tools/check_train_fmnist_init.py --out DIR

An FmnistResNet with random weights and random batch-norm statistics, scale
and shift is folded and written as the script writes it (resnet_layers,
export_module); unfold_into then loads that file into a fresh FmnistResNet.
- In eval mode the unfolded network computes what the file computes
  (load_module; < 1e-5 relative), so training resumes from the file's
  weights, not an approximation of them.
- In training mode, on the images its statistics came from (one batch), it
  computes the same (< 1e-4 relative): batch norm's batch statistics are its
  running ones, so the first training steps see the file's network and not
  one whose batch norms rescale every channel.
- A file that is not an fmnist-resnet is refused naming the missing layer.
Exits 1 listing every problem.
"""

import argparse
import os
import sys

import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402
import train_fmnist  # noqa: E402


def rel(a, b):
    return float((a - b).abs().max() / b.abs().max())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory for the files it writes")
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    problems = []

    trained = train_fmnist.FmnistResNet()
    with torch.no_grad():  # batch norms far from the identity, as after training
        for m in trained.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 2.0)
                m.bias.normal_(0.0, 0.5)
                m.running_mean.normal_(0.0, 0.5)
                m.running_var.uniform_(0.2, 3.0)
    trained.eval()
    path = os.path.join(a.out, "folded.h5")
    cdcnn_model.export_module(cdcnn_model.Graph(train_fmnist.resnet_layers(trained)), (1, 28, 28), path,
                              name="fmnist-resnet", input_mean=[0.0], input_std=[1.0])
    x = torch.randn(64, 1, 28, 28)

    model = train_fmnist.FmnistResNet()
    train_fmnist.unfold_into(model, path, x, batch=16)
    loaded, _, _ = cdcnn_model.load_module(path)
    with torch.no_grad():
        want = loaded(x)
        model.eval()
        got = model(x)
        if rel(got, want) > 1e-5:
            problems.append(f"eval mode: unfolded network differs from the file by {rel(got, want):.2e} relative")
        model.train()
        got = model(x)
        if rel(got, want) > 1e-4:
            problems.append(f"training mode on the statistics' images: differs from the file by "
                            f"{rel(got, want):.2e} relative (batch norm statistics not the measured ones)")

    other = os.path.join(a.out, "other.h5")
    cdcnn_model.export_module(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), (1, 28, 28), other)
    try:
        train_fmnist.unfold_into(train_fmnist.FmnistResNet(), other, x)
        problems.append(f"{other}: not an fmnist-resnet, but loaded")
    except ValueError as e:
        if "no layer stem" not in str(e):
            problems.append(f"{other}: refused, but the message does not name the missing layer: {e}")

    for msg in problems:
        print(f"FAIL {msg}")
    print(f"{'FAILED' if problems else 'ok'}: unfold_into, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
