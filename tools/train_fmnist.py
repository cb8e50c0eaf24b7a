#!/usr/bin/python3
"""Train the zoo's fmnist-cnn on Fashion-MNIST and export it as a cdcnn model file.

Deterministic: fixed seed, torch.use_deterministic_algorithms, fixed thread
count (results can depend on it), one process. Inputs are x/255 then
(x - mean) / std with the training set's mean and std, stored in the file as
input_mean / input_std. After export, the whole test set (10,000 images) is
scored in eval mode on the network rebuilt from the file by
cdcnn_model.load_module (exactly the weights in the file); the result is
stored as root attributes pytorch_test_accuracy (float64 fraction) and
pytorch_test_correct (int64).

    tools/train_fmnist.py                      # -> layers/zoo/fmnist-cnn.h5
    tools/train_fmnist.py --epochs 2 --out /tmp/f.h5
"""

import argparse
import gzip
import os
import sys
import time

import h5py
import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdcnn_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def fmnist_cnn():
    """Must match layers/zoo.cpp's fmnist-cnn (layer names 0..10)."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10))


def read_idx(path, ndim):
    """An IDX file (optionally .gz) as a uint8 numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != 0x0800 + ndim:
        raise ValueError(f"{path}: IDX magic {magic:#x}, expected {0x0800 + ndim:#x} (uint8, {ndim}-D)")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data for dims {dims}")
    return data.reshape(dims)


def load_split(data_dir, split):
    def find(stem):
        for name in (stem + ".gz", stem):
            p = os.path.join(data_dir, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"{data_dir}: no {stem}[.gz]")
    images = read_idx(find(f"{split}-images-idx3-ubyte"), 3)
    labels = read_idx(find(f"{split}-labels-idx1-ubyte"), 1)
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    return images, labels


def to_tensor(images, mean, std):
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255.0)).unsqueeze(1)
    return (x - np.float32(mean)) / np.float32(std)


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DATA, help=f"directory of the IDX files (default {DATA})")
    p.add_argument("--out", default=os.path.join(REPO, "layers", "zoo", "fmnist-cnn.h5"))
    p.add_argument("--epochs", type=int, default=3, help="epochs to train (default 3)")
    p.add_argument("--max-epochs", type=int, default=6,
                   help="keep training past --epochs while test accuracy < --target, up to this (default 6)")
    p.add_argument("--target", type=float, default=0.90, help="required test accuracy (default 0.90)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=2, help="torch threads; fixed for reproducibility (default 2)")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    torch.use_deterministic_algorithms(True)
    start = time.perf_counter()

    train_images, train_labels = load_split(a.data, "train")
    test_images, test_labels = load_split(a.data, "t10k")
    scaled = train_images.astype(np.float64) / 255.0
    mean, std = float(scaled.mean()), float(scaled.std())
    del scaled
    x_train, y_train = to_tensor(train_images, mean, std), torch.from_numpy(train_labels.astype(np.int64))
    x_test, y_test = to_tensor(test_images, mean, std), torch.from_numpy(test_labels.astype(np.int64))
    print(f"train {len(x_train)}, test {len(x_test)}, mean {mean:.6f}, std {std:.6f}", flush=True)

    model = fmnist_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed)
    epoch, acc = 0, 0.0
    while epoch < a.epochs or (acc < a.target and epoch < a.max_epochs):
        epoch += 1
        model.train()
        t = time.perf_counter()
        order = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        acc = evaluate(model, x_test, y_test) / len(x_test)
        print(f"epoch {epoch}: train loss {total / len(x_train):.4f}, test accuracy {acc:.4f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    cdcnn_model.export_module(model, (1, 28, 28), a.out, name="fmnist-cnn", input_mean=[mean], input_std=[std])
    # Score exactly the weights in the file, through the independent loader.
    loaded, _, _ = cdcnn_model.load_module(a.out)
    correct = evaluate(loaded, x_test, y_test)
    accuracy = correct / len(x_test)
    with h5py.File(a.out, "a") as f:
        f.attrs["pytorch_test_accuracy"] = np.float64(accuracy)
        f.attrs["pytorch_test_correct"] = np.int64(correct)
    print(f"wrote {a.out}: {epoch} epochs, test {correct}/{len(x_test)} = {accuracy:.4f}, "
          f"{time.perf_counter() - start:.0f} s total", flush=True)
    if accuracy < a.target:
        print(f"error: test accuracy {accuracy:.4f} < target {a.target}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
