#!/usr/bin/python3
"""tools/import_onnx.py: what it folds and fuses, against torch; what it refuses, in one line.

    tests/tools/check_import_onnx.py --out DIR [--cdcnn build/cdcnn]

Mappings: small torch modules exported with torch.onnx.export (or ONNX graphs
made with onnx.helper) are imported, and the model file, rebuilt in torch by
cdcnn_model.load_module, must compute what the torch module computed (max
relative error < 1e-5) with the expected layer kinds: Mul(x, Sigmoid(x)) as
silu, Mul(x, HardSigmoid(x)) as hardswish, MatMul and Add as one dense
layer, a BatchNormalization after a conv folded into it and a lone one kept,
an Add of a per-channel constant folded into the conv's bias, a Pad folded
into the following conv or average pool, auto_pad and asymmetric pads, node
names shortened to the module path and the op, the
Shape/Gather/Unsqueeze/Concat/Reshape chain before a classifier as a
flatten, a ReduceMean over H and W as a global pool and a flatten, residual
adds and channel concats as graph layers. With --cdcnn, `cdcnn infer` must
compute the same on each file.

Refusals: an unsupported operator, a dynamic shape, a batch of 2, a Clip
that is neither ReLU nor ReLU6, a second run-time input, a truncated file,
bytes that are not ONNX: each exits 1 with exactly one line on stderr that
names the node and op type (or the file) and what is supported.
Exits 1 listing every problem.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TOOL = os.path.join(ROOT, "tools", "import_onnx.py")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402
import import_onnx  # noqa: E402

TOLERANCE = 1e-5


class Silu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x)
        return y * torch.sigmoid(y)


class HardSwish(Silu):
    def forward(self, x):
        y = self.conv(x)
        return y * nn.functional.hardsigmoid(y)  # opset 13 has no HardSwish: HardSigmoid and Mul


class ConvBnAndLoneBn(nn.Module):
    """BN after a conv (folded), BN after a ReLU (kept), an asymmetric zero Pad before a conv and a
    per-channel constant added to it (both folded into it)."""

    def __init__(self):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)
        self.bn2 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 1, bias=False)
        self.shift = nn.Parameter(torch.randn(1, 4, 1, 1))
        for bn in (self.bn, self.bn2):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.5, 0.5)

    def forward(self, x):
        y = self.bn2(torch.relu(self.bn(self.conv(x))))
        return self.conv2(nn.functional.pad(y, (1, 0, 0, 2))) + self.shift  # a Pad folded into conv2


class Residual(nn.Module):
    """A residual add, a channel concat, a squeeze-excite multiply, avg_pool padding (a Pad), a classifier
    reached through x.view(x.size(0), -1) (the Shape/Gather/Unsqueeze/Concat/Reshape chain)."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 3, 3, padding=1), nn.Conv2d(3, 5, 1)
        self.se = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8 * 3 * 3, 10)

    def forward(self, x):
        y = torch.relu(self.a(x)) + x
        y = torch.cat([y, self.b(y)], 1)
        y = y * torch.sigmoid(self.se(nn.functional.adaptive_avg_pool2d(y, 1)))
        y = nn.functional.avg_pool2d(y, 3, stride=3, padding=1, count_include_pad=True)
        return self.fc(y.view(y.size(0), -1))


class MeanHead(nn.Module):
    """x.mean([2, 3]) before the classifier (MNASNet): ReduceMean over H and W."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(3, 6, 3), nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.conv(x).mean([2, 3]))


def onnx_model(nodes, inputs, output, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, [output], initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def tensor(name, shape, dims=None):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims if dims is not None else shape)


def same_upper_conv():
    """Conv with auto_pad SAME_UPPER (stride 2 on an odd size: one more zero after than before)."""
    w = np.random.RandomState(0).randn(2, 3, 3, 3).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv,same", auto_pad="SAME_UPPER", strides=[2, 2])
    m = onnx_model([node], [tensor("x", [1, 3, 7, 6])], tensor("y", None, [1, 2, 4, 3]),
                   [onnx.numpy_helper.from_array(w, "w")])
    ref = nn.Sequential(nn.ZeroPad2d((0, 1, 1, 1)), nn.Conv2d(3, 2, 3, stride=2, bias=False))  # W: 6 -> pad 0+1
    ref[1].weight.data = torch.from_numpy(w)
    # H = 7: out 4, total (4-1)*2+3-7 = 2 -> 1 before, 1 after; W = 6: out 3, total 1 -> 0 before, 1 after
    return m, ref, (3, 7, 6)


def matmul_add():
    """MatMul by a constant then Add of a constant: one dense layer with that bias."""
    rs = np.random.RandomState(1)
    w, b = rs.randn(6, 4).astype(np.float32), rs.randn(4).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"], name="fc/MatMul"),
             helper.make_node("Add", ["m", "b"], ["y"], name="fc/Add")]
    m = onnx_model(nodes, [tensor("x", [1, 6])], tensor("y", [1, 4]),
                   [onnx.numpy_helper.from_array(w, "w"), onnx.numpy_helper.from_array(b, "b")])
    ref = nn.Linear(6, 4)
    ref.weight.data, ref.bias.data = torch.from_numpy(w.T.copy()), torch.from_numpy(b)
    return m, ref, (6,)


def mapping_cases():
    torch.manual_seed(0)
    return [
        ("silu", Silu(), (3, 6, 5), ["conv2d", "silu"]),
        ("hardswish", HardSwish(), (3, 6, 5), ["conv2d", "hardswish"]),
        ("bn_fold", ConvBnAndLoneBn(), (3, 8, 7), ["conv2d", "relu", "batchnorm", "conv2d"]),
        ("reduce_mean", MeanHead(), (3, 7, 6), ["conv2d", "adaptiveavgpool2d", "flatten", "dense"]),
        ("graph", Residual(), (3, 9, 9), ["conv2d", "relu", "add", "conv2d", "concat", "adaptiveavgpool2d",
                                          "conv2d", "sigmoid", "mul", "avgpool2d", "flatten", "dense"]),
    ]


def check_mapping(name, module, shape, kinds, out, cdcnn, model=None):
    """Problems importing torch `module` (exported here, or given as ONNX `model`) as layers of `kinds`."""
    module.eval()
    path, h5 = os.path.join(out, name + ".onnx"), os.path.join(out, name + ".h5")
    x = torch.randn((1,) + shape)
    if model is not None:
        onnx.save(model, path)
    else:
        with torch.no_grad():
            torch.onnx.export(module, x, path, opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                              do_constant_folding=False)
    with torch.no_grad():
        y = module(x)[0].numpy()
    layers = import_onnx.import_onnx(path, h5)
    problems = []
    got = [l.kind for l in layers]
    if got != kinds:
        problems.append(f"{name}: imported as {got}, expected {kinds}")
    err = cdcnn_model.max_relative_error(cdcnn_model.run_reference(h5, x[0].numpy()), y)
    if err >= TOLERANCE:
        problems.append(f"{name}: the imported file computes {err:.3g} away from torch")
    if cdcnn:
        xp, yp = os.path.join(out, name + ".in.npy"), os.path.join(out, name + ".out.npy")
        np.save(xp, x[0].numpy())
        r = subprocess.run([cdcnn, "infer", "--model", h5, "--input", xp, "--save-output", yp, "--repeat", "1"],
                           capture_output=True, text=True)
        if r.returncode:
            problems.append(f"{name}: cdcnn infer failed: {r.stderr.strip()}")
        else:
            err = cdcnn_model.max_relative_error(np.load(yp), y)
            if err >= 1e-4:
                problems.append(f"{name}: cdcnn infer computes {err:.3g} away from torch")
    return problems


def refusal_cases(out):
    """(name, path, words the one line must hold)."""
    cases = []

    def save(name, model):
        path = os.path.join(out, name + ".onnx")
        onnx.save(model, path)
        return path

    x4 = tensor("x", [1, 3, 4, 4])
    cases.append(("unsupported", save("unsupported", onnx_model(
        [helper.make_node("Tanh", ["x"], ["y"], name="act")], [x4], tensor("y", [1, 3, 4, 4]))),
        ["node 'act' (Tanh)", "not supported", "supported: Conv"]))
    cases.append(("dynamic", save("dynamic", onnx_model(
        [helper.make_node("Relu", ["x"], ["y"], name="r")], [tensor("x", None, ["N", 3, "H", 4])],
        tensor("y", None, ["N", 3, "H", 4]))), ["input 'x'", "dynamic shape"]))
    cases.append(("batch2", save("batch2", onnx_model(
        [helper.make_node("Relu", ["x"], ["y"], name="r")], [tensor("x", [2, 3, 4, 4])], tensor("y", [2, 3, 4, 4]))),
        ["batch 2"]))
    lo, hi = (onnx.numpy_helper.from_array(np.array(v, np.float32), n) for v, n in ((-1.0, "lo"), (1.0, "hi")))
    cases.append(("clip", save("clip", onnx_model(
        [helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="c")], [x4], tensor("y", [1, 3, 4, 4]), [lo, hi])),
        ["node 'c' (Clip)", "min=-1, max=1", "ReLU6"]))
    cases.append(("two_inputs", save("two_inputs", onnx_model(
        [helper.make_node("Shape", ["x"], ["s"], name="s"), helper.make_node("Relu", ["x"], ["r"], name="r"),
         helper.make_node("Reshape", ["r", "x2"], ["y"], name="reshape")],
        [x4, helper.make_tensor_value_info("x2", TensorProto.INT64, [2])], tensor("y", [1, 48]))),
        ["2 run-time inputs"]))
    good = os.path.join(out, "graph.onnx")
    data = open(good, "rb").read()
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(data[:len(data) // 2])
    cases.append(("truncated", os.path.join(out, "truncated.onnx"), ["truncated.onnx"]))
    with open(os.path.join(out, "garbage.onnx"), "wb") as f:
        f.write(b"\x08\x07not onnx at all\xff\xff" * 7)
    cases.append(("garbage", os.path.join(out, "garbage.onnx"), ["garbage.onnx", "not a readable ONNX model"]))
    return cases


def check_refusal(name, path, words, out):
    r = subprocess.run([sys.executable, TOOL, path, "--out", os.path.join(out, name + ".h5")],
                       capture_output=True, text=True)
    lines = r.stderr.strip().splitlines()
    if r.returncode != 1 or len(lines) != 1 or not all(w in lines[0] for w in words):
        return [f"{name}: exit {r.returncode}, stderr {r.stderr.strip()!r}: expected exit 1 and one line with {words}"]
    if os.path.exists(os.path.join(out, name + ".h5")):
        return [f"{name}: refused, but left {name}.h5 behind"]
    return []


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="work directory (created)")
    p.add_argument("--cdcnn", help="also run every imported file through `cdcnn infer`")
    a = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    problems = []
    for name, module, shape, kinds in mapping_cases():
        problems += check_mapping(name, module, shape, kinds, a.out, a.cdcnn)
    m, ref, shape = matmul_add()
    problems += check_mapping("matmul_add", ref, shape, ["dense"], a.out, a.cdcnn, model=m)
    m, ref, shape = same_upper_conv()
    problems += check_mapping("same_upper", ref, shape, ["conv2d"], a.out, a.cdcnn, model=m)
    with h5_layers(os.path.join(a.out, "same_upper.h5")) as layers:
        if layers[0].get("padding_end") is None or list(layers[0]["padding"]) != [1, 0] \
                or list(layers[0]["padding_end"]) != [1, 1] or layers[0]["name"] != "conv_same":
            problems.append(f"same_upper: stored as {layers[0]}, expected padding [1, 0], padding_end [1, 1], "
                            "name conv_same")
    for raw, short in (("/layer1/layer1.0/conv1/Conv", "layer1.0.conv1/Conv"), ("/Flatten", "Flatten"),
                       ("/features/features.1/block/block.1/fc1/Conv", "features.1.block.1.fc1/Conv"),
                       ("/features/features.1/block/block.2/block.2.0/Conv", "features.1.block.2.0/Conv")):
        if import_onnx._short_name(raw) != short:  # torch's scopes against the module paths it exports
            problems.append(f"node name {raw} shortened to {import_onnx._short_name(raw)}, expected {short}")
    for name, path, words in refusal_cases(a.out):
        problems += check_refusal(name, path, words, a.out)
    for line in problems:
        print(line)
    print(f"import_onnx: {len(problems)} problem(s)" if problems else "import_onnx: mappings and refusals as expected")
    return 1 if problems else 0


class h5_layers:
    """The attributes of each layer group of a model file, as dicts."""

    def __init__(self, path):
        import h5py
        self.f = h5py.File(path, "r")

    def __enter__(self):
        g = self.f["layers"]
        return [{k: cdcnn_model._attr_value(v) for k, v in g[str(i)].attrs.items()} for i in range(len(g))]

    def __exit__(self, *exc):
        self.f.close()


if __name__ == "__main__":
    sys.exit(main())
