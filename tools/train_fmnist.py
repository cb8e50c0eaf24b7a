#!/usr/bin/python3
"""Train the zoo's fmnist-cnn or fmnist-resnet on Fashion-MNIST and export it as a cdcnn model file.

Deterministic: fixed seed, torch.use_deterministic_algorithms, fixed thread
count (results can depend on it), one process. Inputs are x/255 then
(x - mean) / std with the training set's mean and std, stored in the file as
input_mean / input_std. After export, the whole test set (10,000 images) is
scored in eval mode on the network rebuilt from the file by
cdcnn_model.load_module (exactly the weights in the file); the result is
stored as root attributes pytorch_test_accuracy (float64 fraction) and
pytorch_test_correct (int64).

fmnist-cnn: Adam, a fixed learning rate, trained on until --target.
fmnist-resnet: three basic blocks (layers/zoo.cpp's fmnist_resnet) trained
with batch norm after every conv, Adam with a one-cycle learning rate and
random horizontal flips; each batch norm is folded into the conv before it
on export, so the file holds the zoo's network (convs with bias, no batch
norm), written by cdcnn_model.export_module as a graph (cdcnn_model.Graph).

    tools/train_fmnist.py                          # -> layers/zoo/fmnist-cnn.h5
    tools/train_fmnist.py --model fmnist-resnet    # -> layers/zoo/fmnist-resnet.h5
    tools/train_fmnist.py --epochs 2 --out /tmp/f.h5
    tools/train_fmnist.py --model fmnist-resnet --init-from OLD.h5 --epochs 2 --lr 1e-3 --threads 1
                                                   # 2 more epochs from OLD.h5 (how the shipped file was made:
                                                   # tools/README.md)
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


class BasicBlock(nn.Module):
    """ResNet's basic block with batch norm (folded away on export); names match layers/zoo.cpp."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class FmnistResNet(nn.Module):
    """Must match layers/zoo.cpp's fmnist-resnet once batch norm is folded (see resnet_layers)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.block1 = BasicBlock(16, 16, 1)
        self.block2 = BasicBlock(16, 32, 2)
        self.block3 = BasicBlock(32, 64, 2)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.relu(self.stem_bn(self.stem(x)))
        x = self.block3(self.block2(self.block1(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def fold(conv, bn):
    """conv followed by eval-mode bn, as one conv with bias (float64 arithmetic, then float32)."""
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding)
    with torch.no_grad():
        folded.weight.copy_((conv.weight.double() * scale.view(-1, 1, 1, 1)).float())
        folded.bias.copy_((bn.bias.double() + (bias - bn.running_mean.double()) * scale).float())
    return folded


def resnet_layers(model):
    """The trained FmnistResNet, batch norm folded, as the zoo's graph: [(name, module, inputs)]
    in topological order, inputs None meaning the previous layer (for cdcnn_model.Graph)."""
    layers = [("stem", fold(model.stem, model.stem_bn), None), ("stem.relu", nn.ReLU(), None)]
    x = "stem.relu"
    for name in ("block1", "block2", "block3"):
        b = getattr(model, name)
        layers += [(f"{name}.conv1", fold(b.conv1, b.bn1), [x]),
                   (f"{name}.relu1", nn.ReLU(), None),
                   (f"{name}.conv2", fold(b.conv2, b.bn2), None)]
        shortcut = x
        if b.downsample is not None:
            layers.append((f"{name}.downsample", fold(b.downsample[0], b.downsample[1]), [x]))
            shortcut = f"{name}.downsample"
        layers += [(f"{name}.add", cdcnn_model.Add(), [f"{name}.conv2", shortcut]),
                   (f"{name}.relu2", nn.ReLU(), None)]
        x = f"{name}.relu2"
    layers += [("avgpool", nn.AdaptiveAvgPool2d(1), [x]), ("flatten", nn.Flatten(), None),
               ("fc", copy_linear(model.fc), None)]
    return layers


def unfold_into(model, path, x_train, batch=1000, images=10000):
    """Load a file written from an FmnistResNet (batch norm folded) into model, batch norm restored.

    Each conv takes the folded weight; its batch norm gets as running mean and
    variance the statistics of that conv's output (without bias) over the first
    `images` of x_train,
    and gamma, beta chosen so that eval mode computes exactly the file's conv
    with bias. In training mode the batch statistics are then close to the
    running ones, so training resumes from (nearly) the file's network rather
    than from a network whose batch norms rescale everything.
    """
    loaded, _, _ = cdcnn_model.load_module(path)
    modules = loaded.layers if isinstance(loaded, cdcnn_model.Graph) else list(loaded)
    folded = dict(zip(loaded.cdcnn_layer_names, modules))
    pairs = [("stem", model.stem, model.stem_bn)]
    for name in ("block1", "block2", "block3"):
        b = getattr(model, name)
        pairs += [(f"{name}.conv1", b.conv1, b.bn1), (f"{name}.conv2", b.conv2, b.bn2)]
        if b.downsample is not None:
            pairs.append((f"{name}.downsample", b.downsample[0], b.downsample[1]))
    wanted = [n for n, _, _ in pairs] + ["fc"]
    missing = [n for n in wanted if n not in folded]
    if missing:
        raise ValueError(f"{path}: not an fmnist-resnet file (no layer {', '.join(missing)})")
    # Pass 1: batch norm as the identity plus the folded bias (mean 0, var 1 - eps,
    # gamma 1), so the model in eval mode is the file's network; record the
    # per-channel mean and variance of each conv's output on the training set.
    stats, hooks = {}, []
    with torch.no_grad():
        for name, conv, bn in pairs:
            src = folded[name]
            if tuple(src.weight.shape) != tuple(conv.weight.shape):
                raise ValueError(f"{path}: layer '{name}' weight {tuple(src.weight.shape)}, "
                                 f"expected {tuple(conv.weight.shape)}")
            conv.weight.copy_(src.weight)
            bn.weight.fill_(1.0)
            bn.bias.copy_(src.bias)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0 - bn.eps)
            stats[name] = [torch.zeros(conv.out_channels, dtype=torch.float64) for _ in range(3)]

            def record(_, __, out, s=stats[name]):
                o = out.double().transpose(0, 1).reshape(out.shape[1], -1)
                s[0] += o.shape[1]
                s[1] += o.sum(1)
                s[2] += (o * o).sum(1)
            hooks.append(conv.register_forward_hook(record))
        model.fc.load_state_dict(folded["fc"].state_dict())
        model.eval()
        for i in range(0, min(images, len(x_train)), batch):
            model(x_train[i:i + batch])
        for h in hooks:
            h.remove()
        # Pass 2: the measured statistics, gamma and beta that keep eval mode exact.
        for name, conv, bn in pairs:
            n, s1, s2 = stats[name]
            mean = s1 / n
            var = (s2 / n - mean * mean).clamp_min(0.0)
            bn.running_mean.copy_(mean.float())
            bn.running_var.copy_(var.float())
            bn.weight.copy_(torch.sqrt(var + bn.eps).float())
            bn.bias.copy_((folded[name].bias.double() + mean).float())


def copy_linear(m):
    out = nn.Linear(m.in_features, m.out_features)
    out.load_state_dict(m.state_dict())
    return out


MODELS = {
    # epochs, max_epochs, target, batch, lr, one-cycle schedule, random flips
    "fmnist-cnn": dict(build=fmnist_cnn, epochs=3, max_epochs=6, target=0.90, batch=64, lr=1e-3,
                       onecycle=False, flip=False),
    "fmnist-resnet": dict(build=FmnistResNet, epochs=5, max_epochs=5, target=0.92, batch=128, lr=4e-3,
                          onecycle=True, flip=True),
}


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
    p.add_argument("--model", choices=sorted(MODELS), default="fmnist-cnn", help="network to train (default fmnist-cnn)")
    p.add_argument("--data", default=DATA, help=f"directory of the IDX files (default {DATA})")
    p.add_argument("--out", help="model file to write (default layers/zoo/MODEL.h5)")
    p.add_argument("--epochs", type=int, help="epochs to train (fmnist-cnn 3, fmnist-resnet 5)")
    p.add_argument("--max-epochs", type=int,
                   help="fmnist-cnn: keep training past --epochs while test accuracy < --target, up to this "
                        "(default 6); fmnist-resnet's one-cycle schedule ends at --epochs")
    p.add_argument("--target", type=float, help="required test accuracy (fmnist-cnn 0.90, fmnist-resnet 0.92)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, help="batch size (fmnist-cnn 64, fmnist-resnet 128)")
    p.add_argument("--lr", type=float, help="learning rate, the peak of the one-cycle schedule for fmnist-resnet "
                                            "(fmnist-cnn 1e-3, fmnist-resnet 4e-3)")
    p.add_argument("--init-from", metavar="FILE",
                   help="fmnist-resnet: start from the weights of FILE (a file this script wrote; batch norm "
                        "is restored from training-set statistics) instead of a random initialisation; the "
                        "one-cycle schedule then runs --epochs more epochs")
    p.add_argument("--threads", type=int, default=2, help="torch threads; fixed for reproducibility (default 2)")
    a = p.parse_args()
    cfg = MODELS[a.model]
    for k in ("epochs", "max_epochs", "target", "batch", "lr"):
        if getattr(a, k) is None:
            setattr(a, k, cfg[k])
    if cfg["onecycle"]:
        a.max_epochs = a.epochs
    if a.init_from is not None and a.model != "fmnist-resnet":
        p.error("--init-from: only for --model fmnist-resnet")
    if a.out is None:
        a.out = os.path.join(REPO, "layers", "zoo", a.model + ".h5")

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
    print(f"{a.model}: train {len(x_train)}, test {len(x_test)}, mean {mean:.6f}, std {std:.6f}", flush=True)

    model = cfg["build"]()
    if a.init_from is not None:
        unfold_into(model, a.init_from, x_train)
        print(f"init from {a.init_from}: test accuracy {evaluate(model, x_test, y_test) / len(x_test):.4f}",
              flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    steps = (len(x_train) + a.batch - 1) // a.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, epochs=a.epochs, steps_per_epoch=steps) \
        if cfg["onecycle"] else None
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
            x = x_train[idx]
            if cfg["flip"]:  # mirror half the batch (a jacket mirrored is still a jacket)
                flip = torch.rand(len(idx), generator=gen) < 0.5
                x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
            opt.zero_grad()
            loss = loss_fn(model(x), y_train[idx])
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            total += float(loss) * len(idx)
        acc = evaluate(model, x_test, y_test) / len(x_test)
        print(f"epoch {epoch}: train loss {total / len(x_train):.4f}, test accuracy {acc:.4f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    if a.model == "fmnist-resnet":
        model.eval()
        model = cdcnn_model.Graph(resnet_layers(model))
    cdcnn_model.export_module(model, (1, 28, 28), a.out, name=a.model, input_mean=[mean], input_std=[std])
    # Score exactly the weights in the file, through the independent loader.
    loaded, _, _ = cdcnn_model.load_module(a.out)
    correct = evaluate(loaded, x_test, y_test)
    accuracy = correct / len(x_test)
    with h5py.File(a.out, "a") as f:
        f.attrs["pytorch_test_accuracy"] = np.float64(accuracy)
        f.attrs["pytorch_test_correct"] = np.int64(correct)
    print(f"wrote {a.out}: {epoch} epochs, test {correct}/{len(x_test)} = {accuracy:.4f} "
          f"(before export {acc:.4f}), {time.perf_counter() - start:.0f} s total", flush=True)
    if accuracy < a.target:
        print(f"error: test accuracy {accuracy:.4f} < target {a.target}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
