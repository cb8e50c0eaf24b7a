#!/usr/bin/python3
"""Read and write cdcnn model files (docs/model-file.md) from PyTorch.

    export_module(module, input_shape, path, name=None, input_mean=None, input_std=None)
        Walk a torch module (nn.Sequential, nested Sequentials, torchvision
        AlexNet / VGG, or a Graph of named layers) and write it as a cdcnn
        model file.
    write_model(path, input_shape, layers, name=None, input_mean=None, input_std=None)
        The one writer: a list of Layer records (name, kind, attributes,
        datasets, inputs) as a model file (export_module and
        tools/import_onnx.py both call it).
    load_module(path) -> (torch module in eval mode, input_shape, attrs)
        Build a torch module from any cdcnn model file with torch's own layers:
        an independent reference for files written by any tool. A sequential
        file gives an nn.Sequential, a graph file (layers naming their
        `inputs`) a Graph that runs the layers by name.
    run_reference(path, input_np) -> numpy float32 output (no batch dim)
    validate_file(path)
        Check the on-disk types against the schema (strings, int64, float64,
        float32 datasets); raises ModelFileError.

KINDS is the one list of layer kinds on the Python side: per kind its
attributes, datasets, torch modules, exporter, loader and a small example
(layers/README.md, "Add a layer kind"). Python (this module) is for the
exporter and references only; the C++ inference path never runs it.
"""

import heapq
import math
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import h5py
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

FORMAT = "cdcnn-model"
FORMAT_VERSION = 2  # written; READ_VERSIONS are read
READ_VERSIONS = (1, 2)
MODEL_INPUT = "input"  # in a layer's `inputs`: the model's input (unless a layer has that name)

# ImageNet normalisation used by torchvision's pretrained models.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ModelFileError(Exception):
    """A model file (or a module being exported) does not fit the schema."""


# --------------------------------------------------------------------------
# Reading and writing values (shared by every kind)
# --------------------------------------------------------------------------
def _tuple(v, n, what):
    if isinstance(v, int):
        return (int(v),) * n
    v = tuple(int(x) for x in v)
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ModelFileError(f"{what}: expected {n} values, got {v}")
    return v


def _f32(t, where, key):
    a = t.detach().cpu().to(torch.float32).contiguous().numpy()
    if not np.all(np.isfinite(a)):
        raise ModelFileError(f"{where}: parameter '{key}' holds NaN or Inf")
    return a


def _weight_and_bias(m, where):
    """The datasets of a module with .weight and an optional .bias."""
    data = {"weight": _f32(m.weight, where, "weight")}
    if m.bias is not None:
        data["bias"] = _f32(m.bias, where, "bias")
    return data


def _decode(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "SUO":
        return _decode(v[()])
    if isinstance(v, np.bytes_):
        return bytes(v).decode("utf-8")
    return v


def _is_string(v):
    v = _decode(v)
    return isinstance(v, str)


def _attr_value(v):
    """Python value of an attribute: str, int, float, or list."""
    v = _decode(v)
    if isinstance(v, str):
        return v
    a = np.asarray(v)
    if a.ndim == 0:
        return a.item()
    return a.tolist()


def _ints_attr(obj, key, where, n=None):
    v = obj.attrs[key]
    a = np.atleast_1d(np.asarray(v))
    if a.dtype.kind not in "iu" or a.ndim != 1 or a.size == 0:
        raise ModelFileError(f"{where}: attribute '{key}' must be integer (scalar or 1-D), got {a.dtype} {a.shape}")
    vals = [int(x) for x in a]
    if n is not None:
        if n == 0:
            if len(vals) != 1:
                raise ModelFileError(f"{where}: attribute '{key}' must be one integer, has {len(vals)}")
            return vals[0]
        if len(vals) == 1:
            vals = vals * n
        if len(vals) != n:
            raise ModelFileError(f"{where}: attribute '{key}' must hold {n} integers, has {len(vals)}")
        return tuple(vals)
    return vals


def _ints_or(g, key, where, n, default):
    """An integer attribute of n values (0: a scalar), or `default` when absent."""
    return _ints_attr(g, key, where, n) if key in g.attrs else default


def _real_attr(obj, key, where, default):
    if key not in obj.attrs:
        return default
    a = np.asarray(obj.attrs[key])
    if a.dtype.kind not in "fiu" or a.size != 1:
        raise ModelFileError(f"{where}: real attribute '{key}' must be a scalar number")
    return float(a.reshape(()))


def _tensor(g, key, where, shape=None):
    ds = g[key]
    if not isinstance(ds, h5py.Dataset):
        raise ModelFileError(f"{where}: '{key}' is not a dataset")
    if ds.dtype.kind != "f":
        raise ModelFileError(f"{where}: dataset '{key}' must be floating point, is {ds.dtype}")
    a = np.asarray(ds[()], dtype=np.float32)
    if not np.all(np.isfinite(a)):
        raise ModelFileError(f"{where}: dataset '{key}' holds NaN or Inf")
    if shape is not None and tuple(a.shape) != tuple(shape):
        raise ModelFileError(f"{where}: dataset '{key}' has shape {a.shape}, expected {tuple(shape)}")
    return torch.from_numpy(a.copy())


def _with_params(m, w, g, where):
    """Copies weight `w` and the group's optional bias {out} into module `m`."""
    m.weight.data.copy_(w)
    if "bias" in g:
        m.bias.data.copy_(_tensor(g, "bias", where, (w.shape[0],)))
    return m


# --------------------------------------------------------------------------
# Asymmetric padding (ONNX's pads, begin != end), which no torch module has
# --------------------------------------------------------------------------
class Padded(nn.Module):
    """A conv or pool padded by `begin` before and `end` after each spatial axis.

    `inner` is the torch conv or pool with padding 0 (its other attributes
    are the layer's); forward pads explicitly first: zeros for a conv and an
    average pool, -inf for a max pool. An average pool that does not count
    the padding divides by the taps that fell inside the input; in ceil_mode
    a window that would start in the end padding is dropped (PyTorch's and
    ONNX's rule, which padding the input first would not apply). The file
    stores it as inner's kind with padding = begin, padding_end = end.
    """

    def __init__(self, inner, begin, end):
        super().__init__()
        self.inner, self.begin, self.end = inner, tuple(begin), tuple(end)

    def _pad(self, x, value):
        pads = []
        for b, e in zip(reversed(self.begin), reversed(self.end)):
            pads += [b, e]
        return F.pad(x, pads, value=value)

    def forward(self, x):
        m = self.inner
        if isinstance(m, (nn.MaxPool2d, nn.MaxPool3d)):
            y = m(self._pad(x, -math.inf))
        elif isinstance(m, nn.AvgPool2d) and not m.count_include_pad:
            sums = F.avg_pool2d(self._pad(x, 0.0), m.kernel_size, m.stride, 0, m.ceil_mode, True, divisor_override=1)
            ones = self._pad(torch.ones_like(x[:, :1]), 0.0)
            y = sums / F.avg_pool2d(ones, m.kernel_size, m.stride, 0, m.ceil_mode, True, divisor_override=1)
        else:
            y = m(self._pad(x, 0.0))
        if getattr(m, "ceil_mode", False):  # keep the windows that start before the end padding
            nd = len(self.begin)
            stride = _tuple(m.stride, nd, "stride")
            keep = [-(-(n + b) // s) for n, b, s in zip(x.shape[2:], self.begin, stride)]
            y = y[(...,) + tuple(slice(0, k) for k in keep)]
        return y


def _padded_export(m, x, where):
    """(kind, ints, reals, datasets) of a Padded module: its inner's, with both paddings."""
    kind = next(k for k, entry in KINDS.items() if isinstance(m.inner, entry.modules))
    ints, reals, data = KINDS[kind].export(m.inner, x, where)
    if any(ints["padding"]):
        raise ModelFileError(f"{where}: the module inside Padded must have padding 0")
    return kind, {**ints, "padding": m.begin, "padding_end": m.end}, reals, data


def _with_padding_end(build):
    """`build` for a kind with padding_end: the plain module, or Padded around one with padding 0."""

    def padded_build(g, where, x):
        nd = x.dim() - 2
        begin = _ints_or(g, "padding", where, nd, (0,) * nd)
        end = _ints_or(g, "padding_end", where, nd, begin)
        if end == begin:
            return build(g, where, x)
        inner = build(g, where, x)
        inner.padding = (0,) * nd
        return Padded(inner, begin, end)

    return padded_build


# --------------------------------------------------------------------------
# Merge layers (more than one input) and graphs of named layers
# --------------------------------------------------------------------------
class Add(nn.Module):
    """`add`: the elementwise sum of two or more inputs, numpy broadcasting."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = torch.add(y, x)
        return y


class Mul(nn.Module):
    """`mul`: the elementwise product of two inputs, numpy broadcasting (squeeze-excite)."""

    def forward(self, a, b):
        return torch.mul(a, b)


class Concat(nn.Module):
    """`concat`: two or more inputs joined along `axis`, counted without the batch (0 = channels)."""

    def __init__(self, axis=0):
        super().__init__()
        self.axis = int(axis)

    def forward(self, *xs):
        axis = self.axis if self.axis >= 0 else self.axis + xs[0].dim() - 1
        return torch.cat(xs, dim=axis + 1)


class Graph(nn.Module):
    """A network of named layers, each consuming the outputs of the layers it names.

    layers: [(name, module, inputs)], in an order where every layer comes after
    its inputs; inputs is a list of layer names (MODEL_INPUT for the model's
    input) or None for "the previous layer". forward(x) runs them in that
    order with torch's own modules, keeping every output by name, and returns
    the output of layer `output` (default: the last one).
    """

    def __init__(self, layers, output=None):
        super().__init__()
        self.cdcnn_output = output if output is not None else layers[-1][0]
        self.cdcnn_layer_names = [n for n, _, _ in layers]
        self.cdcnn_layer_inputs = [None if i is None else list(i) for _, _, i in layers]
        self.layers = nn.ModuleList(m for _, m, _ in layers)

    def resolved_inputs(self):
        """Per layer, the names it consumes (the previous layer's, or MODEL_INPUT, when not given)."""
        out, prev = [], MODEL_INPUT
        for name, inputs in zip(self.cdcnn_layer_names, self.cdcnn_layer_inputs):
            out.append(list(inputs) if inputs is not None else [prev])
            prev = name
        return out

    def forward(self, x):
        values = {}
        for name, m, inputs in zip(self.cdcnn_layer_names, self.layers, self.resolved_inputs()):
            args = [values[i] if i in values else x if i == MODEL_INPUT else None for i in inputs]
            if any(a is None for a in args):
                raise ModelFileError(f"layer '{name}': input(s) {inputs} not computed before it")
            values[name] = m(*args)
        return values[self.cdcnn_output]


# --------------------------------------------------------------------------
# The layer kinds. Each kind has three functions, used by its entry in KINDS:
#   export(m, x, where) -> (ints, reals, datasets)  a torch module m, whose
#                          batched input is x, as the file stores it
#   build(g, where, x)  -> torch module             the module for layer group
#                          g of a file, whose batched input is x
#   example()           -> (module, input shape)    a small instance, without
#                          batch (tests/layers/check_layer_kinds.py exports it
#                          and the C++ side must compute what torch computes)
# --------------------------------------------------------------------------
def _dense_build(g, where, x):
    w = _tensor(g, "weight", where)
    if w.dim() != 2:
        raise ModelFileError(f"{where}: weight must be {{out, in}}, has shape {tuple(w.shape)}")
    return _with_params(nn.Linear(w.shape[1], w.shape[0], bias="bias" in g), w, g, where)


def _conv_padding(m, nd, where):
    """(padding, padding_end) of a torch conv; they differ only for an odd padding='same'."""
    if m.padding_mode != "zeros":
        raise ModelFileError(f"{where}: padding_mode '{m.padding_mode}' is not supported (only 'zeros')")
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return (0,) * nd, (0,) * nd
        # 'same': total padding dilation*(k-1) per axis, the odd one after (as torch pads it).
        totals = [d * (k - 1) for k, d in zip(_tuple(m.kernel_size, nd, where), _tuple(m.dilation, nd, where))]
        return tuple(t // 2 for t in totals), tuple(t - t // 2 for t in totals)
    pads = _tuple(m.padding, nd, where)
    return pads, pads


def _conv_export(nd, m, x, where):
    begin, end = _conv_padding(m, nd, where)
    ints = {
        "kernel_size": _tuple(m.kernel_size, nd, where),
        "stride": _tuple(m.stride, nd, where),
        "padding": begin,
        "dilation": _tuple(m.dilation, nd, where),
        "groups": int(m.groups),
    }
    if end != begin:
        ints["padding_end"] = end
    return ints, {}, _weight_and_bias(m, where)


def _conv_build(nd, g, where, x):
    ks = _ints_attr(g, "kernel_size", where, nd)
    stride = _ints_or(g, "stride", where, nd, (1,) * nd)
    pad = _ints_or(g, "padding", where, nd, (0,) * nd)
    dil = _ints_or(g, "dilation", where, nd, (1,) * nd)
    groups = _ints_or(g, "groups", where, 0, 1)
    w = _tensor(g, "weight", where)
    if w.dim() != 2 + nd or tuple(w.shape[2:]) != ks:
        raise ModelFileError(f"{where}: weight shape {tuple(w.shape)} does not match kernel_size {ks}")
    if w.shape[0] % groups:
        raise ModelFileError(f"{where}: {w.shape[0]} output channels not divisible by groups={groups}")
    cls = nn.Conv2d if nd == 2 else nn.Conv3d
    return _with_params(cls(w.shape[1] * groups, w.shape[0], ks, stride, pad, dil, groups, bias="bias" in g),
                        w, g, where)


def _max_pool_export(nd, m, x, where):
    if m.return_indices:
        raise ModelFileError(f"{where}: return_indices=True is not supported")
    ks = _tuple(m.kernel_size, nd, where)
    ints = {
        "kernel_size": ks,
        "stride": _tuple(m.stride if m.stride is not None else ks, nd, where),
        "padding": _tuple(m.padding, nd, where),
        "dilation": _tuple(m.dilation, nd, where),
        "ceil_mode": int(bool(m.ceil_mode)),
    }
    return ints, {}, {}


def _max_pool_build(nd, g, where, x):
    ks = _ints_attr(g, "kernel_size", where, nd)
    stride = _ints_or(g, "stride", where, nd, ks)
    pad = _ints_or(g, "padding", where, nd, (0,) * nd)
    dil = _ints_or(g, "dilation", where, nd, (1,) * nd)
    ceil = bool(_ints_or(g, "ceil_mode", where, 0, 0))
    cls = nn.MaxPool2d if nd == 2 else nn.MaxPool3d
    return cls(ks, stride, pad, dil, ceil_mode=ceil)


def _avg_pool_export(m, x, where):
    if m.divisor_override is not None:
        raise ModelFileError(f"{where}: divisor_override is not supported")
    ks = _tuple(m.kernel_size, 2, where)
    ints = {
        "kernel_size": ks,
        "stride": _tuple(m.stride if m.stride is not None else ks, 2, where),
        "padding": _tuple(m.padding, 2, where),
        "ceil_mode": int(bool(m.ceil_mode)),
        "count_include_pad": int(bool(m.count_include_pad)),
    }
    return ints, {}, {}


def _avg_pool_build(g, where, x):
    ks = _ints_attr(g, "kernel_size", where, 2)
    stride = _ints_or(g, "stride", where, 2, ks)
    pad = _ints_or(g, "padding", where, 2, (0, 0))
    ceil = bool(_ints_or(g, "ceil_mode", where, 0, 0))
    cip = bool(_ints_or(g, "count_include_pad", where, 0, 1))
    return nn.AvgPool2d(ks, stride, pad, ceil_mode=ceil, count_include_pad=cip)


def _adaptive_avg_pool_export(m, x, where):
    size = m.output_size
    if isinstance(size, int) or size is None:
        size = (size, size)
    size = tuple(x.shape[-2 + i] if s is None else int(s) for i, s in enumerate(size))
    return {"output_size": size}, {}, {}


def _batch_norm_export(m, x, where):
    if m.running_mean is None or m.running_var is None:
        raise ModelFileError(f"{where}: track_running_stats=False (batch statistics) is not supported")
    c = m.num_features
    w = m.weight if m.weight is not None else torch.ones(c)
    b = m.bias if m.bias is not None else torch.zeros(c)
    data = {
        "weight": _f32(w, where, "weight"),
        "bias": _f32(b, where, "bias"),
        "running_mean": _f32(m.running_mean, where, "running_mean"),
        "running_var": _f32(m.running_var, where, "running_var"),
    }
    return {}, {"eps": float(m.eps)}, data


def _batch_norm_build(g, where, x):
    if x.dim() < 2 or x.dim() > 5:
        raise ModelFileError(f"{where}: batchnorm input of rank {x.dim() - 1} is not supported")
    c = x.shape[1]
    cls = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}[x.dim()]
    m = cls(c, eps=_real_attr(g, "eps", where, 1e-5))
    for k in ("weight", "bias", "running_mean", "running_var"):
        getattr(m, k).data.copy_(_tensor(g, k, where, (c,)))
    return m


def _batch_norm_example():
    m = nn.BatchNorm2d(3, eps=1e-3)
    m.running_mean.uniform_(-0.5, 0.5)
    m.running_var.uniform_(0.5, 2.0)
    m.weight.data.uniform_(0.5, 1.5)
    m.bias.data.uniform_(-0.3, 0.3)
    return m, (3, 4, 5)


def _softmax_export(m, x, where):
    if x.dim() != 2:
        raise ModelFileError(f"{where}: softmax needs a feature-vector input {{F}}, got {tuple(x.shape[1:])}")
    if m.dim not in (1, -1, None):
        raise ModelFileError(f"{where}: softmax dim={m.dim} is not the class dimension (dim=1 or -1)")
    return {}, {}, {}


def _softmax_build(g, where, x):
    if x.dim() != 2:
        raise ModelFileError(f"{where}: softmax needs a {{F}} input, got {tuple(x.shape[1:])}")
    return nn.Softmax(dim=1)


def _flatten_export(m, x, where):
    r = x.dim()
    if m.start_dim % r != 1 or m.end_dim % r != r - 1:
        raise ModelFileError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported, "
                             f"got start_dim={m.start_dim}, end_dim={m.end_dim}")
    return {}, {}, {}


def _no_attributes(m, x, where):
    return {}, {}, {}


def _concat_build(g, where, xs):
    axis = _ints_or(g, "axis", where, 0, 0)
    rank = xs[0].dim() - 1
    if not -rank <= axis < rank:
        raise ModelFileError(f"{where}: attribute 'axis' = {axis} is outside the inputs' {rank} dimensions")
    return Concat(axis)


@dataclass(frozen=True)
class Kind:
    """One layer kind of docs/model-file.md, as this module reads and writes it.

    ints: integer attribute -> number of values (0 for a scalar); reals: real
    attributes; required, optional: dataset names; modules: the torch module
    classes export_module writes as this kind; export, build, example: the
    functions described above; arity: how many inputs a layer of the kind
    takes (build gets the list of them, batched, when more than one).
    """
    modules: tuple
    export: Callable
    build: Callable
    example: Callable
    ints: dict = field(default_factory=dict)
    reals: frozenset = frozenset()
    required: frozenset = frozenset()
    optional: frozenset = frozenset()
    arity: tuple = (1, 1)  # (fewest, most) inputs; most None for "any number"


def _activation(module):
    """An attribute-free elementwise kind (the C++ unit tests cover the kinks at -3, 0, 3, 6)."""
    return Kind(modules=(module,), export=_no_attributes, build=lambda g, where, x: module(),
                example=lambda: (module(), (3, 4, 5)))


_POOL2D = {"kernel_size": 2, "stride": 2, "padding": 2, "padding_end": 2}
_WEIGHT_AND_BIAS = dict(required=frozenset({"weight"}), optional=frozenset({"bias"}))

# Every kind of docs/model-file.md, the one list of them on the Python side
# (tests/layers/check_layer_kinds.py checks it against that table and against
# the C++ registry). layers/README.md: "Adding a layer kind".
KINDS = {
    "dense": Kind(
        modules=(nn.Linear,), **_WEIGHT_AND_BIAS,
        export=lambda m, x, where: ({}, {}, _weight_and_bias(m, where)),
        build=_dense_build,
        example=lambda: (nn.Linear(6, 4), (6,))),
    "conv2d": Kind(
        modules=(nn.Conv2d,), **_WEIGHT_AND_BIAS,
        ints={"kernel_size": 2, "stride": 2, "padding": 2, "padding_end": 2, "dilation": 2, "groups": 0},
        export=partial(_conv_export, 2), build=_with_padding_end(partial(_conv_build, 2)),
        example=lambda: (Padded(nn.Conv2d(4, 6, 3, stride=2, groups=2), (1, 0), (2, 1)), (4, 9, 8))),
    "conv3d": Kind(
        modules=(nn.Conv3d,), **_WEIGHT_AND_BIAS,
        ints={"kernel_size": 3, "stride": 3, "padding": 3, "padding_end": 3, "dilation": 3, "groups": 0},
        export=partial(_conv_export, 3), build=_with_padding_end(partial(_conv_build, 3)),
        example=lambda: (nn.Conv3d(2, 4, (3, 2, 2), padding=1, dilation=(1, 2, 1)), (2, 5, 6, 5))),
    "maxpool2d": Kind(
        modules=(nn.MaxPool2d,), ints={**_POOL2D, "dilation": 2, "ceil_mode": 0},
        export=partial(_max_pool_export, 2), build=_with_padding_end(partial(_max_pool_build, 2)),
        example=lambda: (Padded(nn.MaxPool2d(3, stride=2, ceil_mode=True), (1, 0), (0, 1)), (2, 9, 8))),
    "maxpool3d": Kind(
        modules=(nn.MaxPool3d,),
        ints={"kernel_size": 3, "stride": 3, "padding": 3, "padding_end": 3, "dilation": 3, "ceil_mode": 0},
        export=partial(_max_pool_export, 3), build=_with_padding_end(partial(_max_pool_build, 3)),
        example=lambda: (nn.MaxPool3d(2, stride=(1, 2, 2), padding=(1, 0, 1)), (2, 4, 6, 5))),
    "avgpool2d": Kind(
        modules=(nn.AvgPool2d,), ints={**_POOL2D, "ceil_mode": 0, "count_include_pad": 0},
        export=_avg_pool_export, build=_with_padding_end(_avg_pool_build),
        example=lambda: (Padded(nn.AvgPool2d(3, stride=2, ceil_mode=True, count_include_pad=False), (1, 0), (1, 1)),
                         (2, 8, 9))),
    "adaptiveavgpool2d": Kind(
        modules=(nn.AdaptiveAvgPool2d,), ints={"output_size": 2},
        export=_adaptive_avg_pool_export,
        build=lambda g, where, x: nn.AdaptiveAvgPool2d(_ints_attr(g, "output_size", where, 2)),
        example=lambda: (nn.AdaptiveAvgPool2d((3, 2)), (2, 7, 5))),
    "relu": Kind(
        modules=(nn.ReLU,), export=_no_attributes, build=lambda g, where, x: nn.ReLU(),
        example=lambda: (nn.ReLU(), (2, 3, 4))),
    "lrn": Kind(
        modules=(nn.LocalResponseNorm,), ints={"size": 0}, reals=frozenset({"alpha", "beta", "k"}),
        export=lambda m, x, where: ({"size": int(m.size)},
                                    {"alpha": float(m.alpha), "beta": float(m.beta), "k": float(m.k)}, {}),
        build=lambda g, where, x: nn.LocalResponseNorm(
            _ints_attr(g, "size", where, 0), _real_attr(g, "alpha", where, 1e-4),
            _real_attr(g, "beta", where, 0.75), _real_attr(g, "k", where, 1.0)),
        example=lambda: (nn.LocalResponseNorm(3, alpha=1e-2, beta=0.75, k=2.0), (5, 4, 3))),
    "batchnorm": Kind(
        modules=(nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d), reals=frozenset({"eps"}),
        required=frozenset({"weight", "bias", "running_mean", "running_var"}),
        export=_batch_norm_export, build=_batch_norm_build, example=_batch_norm_example),
    "softmax": Kind(
        modules=(nn.Softmax,), export=_softmax_export, build=_softmax_build,
        example=lambda: (nn.Softmax(dim=1), (7,))),
    "flatten": Kind(
        modules=(nn.Flatten,), export=_flatten_export, build=lambda g, where, x: nn.Flatten(),
        example=lambda: (nn.Flatten(), (2, 3, 4))),
    "dropout": Kind(
        modules=(nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d), reals=frozenset({"p"}),
        export=lambda m, x, where: ({}, {"p": float(m.p)}, {}),
        build=lambda g, where, x: nn.Dropout(_real_attr(g, "p", where, 0.5)),
        example=lambda: (nn.Dropout(0.3), (2, 5))),
    **{kind: _activation(module) for kind, module in (
        ("sigmoid", nn.Sigmoid), ("relu6", nn.ReLU6), ("hardsigmoid", nn.Hardsigmoid),
        ("hardswish", nn.Hardswish), ("silu", nn.SiLU))},
    # Merge kinds: their examples read the model input twice (a one-layer graph).
    "add": Kind(
        modules=(Add,), arity=(2, None), export=_no_attributes, build=lambda g, where, xs: Add(),
        example=lambda: (Graph([("add", Add(), [MODEL_INPUT, MODEL_INPUT])]), (3, 4, 5))),
    "mul": Kind(
        modules=(Mul,), arity=(2, 2), export=_no_attributes, build=lambda g, where, xs: Mul(),
        example=lambda: (Graph([("mul", Mul(), [MODEL_INPUT, MODEL_INPUT])]), (3, 4, 5))),
    "concat": Kind(
        modules=(Concat,), arity=(2, None), ints={"axis": 0},
        export=lambda m, x, where: ({"axis": int(m.axis)}, {}, {}), build=_concat_build,
        example=lambda: (Graph([("concat", Concat(1), [MODEL_INPUT, MODEL_INPUT])]), (3, 4, 5))),
}


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def _leaves(module, prefix):
    """Yield (dotted path, module) for every layer, in execution order.

    The string "flatten" stands for torchvision's implicit torch.flatten(x, 1).
    """
    import torchvision  # only needed to recognise AlexNet / VGG

    if isinstance(module, nn.Sequential):
        if len(module) == 0 and not prefix:
            raise ModelFileError("the module is an empty nn.Sequential")
        for key, child in module.named_children():
            yield from _leaves(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(module, (torchvision.models.AlexNet, torchvision.models.VGG)):
        for key in ("features", "avgpool"):
            yield from _leaves(getattr(module, key), f"{prefix}.{key}" if prefix else key)
        yield (f"{prefix}.flatten" if prefix else "flatten"), "flatten"
        yield from _leaves(module.classifier, f"{prefix}.classifier" if prefix else "classifier")
    else:
        yield (prefix or type(module).__name__.lower()), module


def _layer(path, m, x):
    """(kind, ints, reals, datasets) for leaf module m at path, whose input is x (batched)."""
    where = f"module '{path}' ({type(m).__name__})"
    if isinstance(m, str) and m == "flatten":
        return "flatten", {}, {}, {}
    if isinstance(m, Padded):
        return _padded_export(m, x, where)
    for kind, k in KINDS.items():
        if isinstance(m, k.modules):
            return (kind,) + tuple(k.export(m, x, where))
    supported = ", ".join(c.__name__ for k in KINDS.values() for c in k.modules)
    raise ModelFileError(f"unsupported {where}: cdcnn model files support {supported}, and nn.Sequential / "
                         "torchvision AlexNet / VGG containers")


def _str_attr(obj, key, value):
    obj.attrs[key] = str(value)  # h5py default: variable-length UTF-8


def _int_attr(obj, key, value):
    if isinstance(value, (tuple, list, np.ndarray)):
        obj.attrs[key] = np.asarray(value, dtype=np.int64)
    else:
        obj.attrs[key] = np.int64(value)


@dataclass
class Layer:
    """One layer as the file stores it: what write_model takes.

    ints: integer attributes (an int or a list), reals: real attributes,
    data: datasets (numpy, written as float32), inputs: the names of the
    layers it consumes (MODEL_INPUT for the model input), or None for the
    previous layer.
    """
    name: str
    kind: str
    ints: dict = field(default_factory=dict)
    reals: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    inputs: list = None


def _check_metadata(input_shape, input_mean, input_std):
    if not input_shape or any(s <= 0 for s in input_shape):
        raise ModelFileError(f"input_shape must be positive integers, got {input_shape}")
    for key, v in (("input_mean", input_mean), ("input_std", input_std)):
        if v is not None and len(v) != input_shape[0]:
            raise ModelFileError(f"{key} has {len(v)} values but the input has {input_shape[0]} channels")
    if (input_mean is None) != (input_std is None):
        raise ModelFileError("give both input_mean and input_std, or neither")
    if input_std is not None and any(s <= 0 for s in input_std):
        raise ModelFileError("input_std values must be positive")


def write_model(path, input_shape, layers, name=None, input_mean=None, input_std=None):
    """Write `layers` (a list of Layer) as a cdcnn model file at `path`, format version 2.

    The layers are written in the order given, which must have every layer
    after its inputs (a topological order); the last one is the model's
    output. Names must be unique and, in a graph, neither 'input' nor holding
    ",". The file is written to a temporary name and renamed,
    so a failed write leaves no partial file. It checks names, kinds and
    inputs, not shapes: load_module(path) does that.
    """
    input_shape = tuple(int(s) for s in input_shape)
    _check_metadata(input_shape, input_mean, input_std)
    if not layers:
        raise ModelFileError("a model needs at least one layer")
    seen = set()
    graph = any(l.inputs is not None for l in layers)
    for i, l in enumerate(layers):
        where = f"layer {i} '{l.name}' ({l.kind})"
        if not l.name or l.name in seen:
            raise ModelFileError(f"{where}: layer names must be non-empty and unique")
        if l.kind not in KINDS:
            raise ModelFileError(f"{where}: unknown kind (known: {', '.join(KINDS)})")
        if graph and ("," in l.name or l.name == MODEL_INPUT):
            raise ModelFileError(f"{where}: a layer of a graph model may not be named '{MODEL_INPUT}' nor "
                                 "contain ','")
        if l.inputs is not None:
            lo, hi = KINDS[l.kind].arity
            if len(l.inputs) < lo or (hi is not None and len(l.inputs) > hi):
                raise ModelFileError(f"{where}: takes {lo}{'' if hi == lo else ' or more' if hi is None else f'..{hi}'} "
                                     f"input(s), given {len(l.inputs)}")
            for n in l.inputs:
                if n not in seen and n != MODEL_INPUT:
                    raise ModelFileError(f"{where}: input '{n}' is not a layer written before it")
        seen.add(l.name)

    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with h5py.File(tmp, "w") as f:
            _str_attr(f, "format", FORMAT)
            _int_attr(f, "format_version", FORMAT_VERSION)
            _int_attr(f, "input_shape", list(input_shape))
            if name is not None:
                _str_attr(f, "name", name)
            if input_mean is not None:
                f.attrs["input_mean"] = np.asarray(input_mean, dtype=np.float64)
                f.attrs["input_std"] = np.asarray(input_std, dtype=np.float64)
            g = f.create_group("layers")
            _int_attr(g, "count", len(layers))
            for i, l in enumerate(layers):
                lg = g.create_group(str(i))
                _str_attr(lg, "kind", l.kind)
                _str_attr(lg, "name", l.name)
                if l.inputs is not None:
                    _str_attr(lg, "inputs", ",".join(l.inputs))
                for k, v in l.ints.items():
                    _int_attr(lg, k, v)
                for k, v in l.reals.items():
                    lg.attrs[k] = np.float64(v)
                for k, v in l.data.items():
                    lg.create_dataset(k, data=np.asarray(v, dtype=np.float32), dtype=np.float32)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _graph_layers(graph, input_shape):
    """Layer records of a Graph module, pushing zeros through it by name for the shapes."""
    x0 = torch.zeros((1,) + input_shape)
    values, layers = {}, []
    for lname, m, inputs in zip(graph.cdcnn_layer_names, graph.layers, graph.resolved_inputs()):
        where = f"module '{lname}' ({type(m).__name__})"
        args = [values[i] if i in values else x0 for i in inputs]
        arg = args if len(args) > 1 else args[0]
        kind, ints, reals, data = _layer(lname, m, arg)
        explicit = graph.cdcnn_layer_inputs[len(layers)]
        layers.append(Layer(lname, kind, ints, reals, data, explicit))
        try:
            values[lname] = m(*args)
        except Exception as e:
            raise ModelFileError(f"{where} fails on inputs {[tuple(a.shape[1:]) for a in args]}: {e}") from e
    return layers


def export_module(module, input_shape, path, name=None, input_mean=None, input_std=None):
    """Write `module` as a cdcnn model file at `path`; returns the list of (name, kind).

    input_shape has no batch dimension ({C,H,W}, {C,D,H,W} or {F}). The module
    is walked in eval mode (its training flag is restored afterwards) and a
    zero input is pushed through layer by layer to resolve shapes. A Graph
    module is written with each layer's inputs.
    """
    input_shape = tuple(int(s) for s in input_shape)
    _check_metadata(input_shape, input_mean, input_std)

    was_training = module.training
    module.eval()
    layers = []
    try:
        with torch.no_grad():
            if isinstance(module, Graph):
                layers = _graph_layers(module, input_shape)
            else:
                x = torch.zeros((1,) + input_shape)
                for lpath, m in _leaves(module, ""):
                    try:
                        layers.append(Layer(lpath, *_layer(lpath, m, x)))
                        x = torch.flatten(x, 1) if isinstance(m, str) else m(x)
                    except ModelFileError:
                        raise
                    except Exception as e:  # shape mismatch etc.
                        raise ModelFileError(f"module '{lpath}' ({type(m).__name__}) fails on input "
                                             f"{tuple(x.shape[1:])}: {e}") from e
    finally:
        module.train(was_training)
    names = [l.name for l in layers]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ModelFileError(f"duplicate layer names {sorted(dup)}")
    write_model(path, input_shape, layers, name, input_mean, input_std)
    return [(l.name, l.kind) for l in layers]


# --------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------
def _check_keys(g, kind, where):
    k = KINDS[kind]
    allowed = set(k.ints) | set(k.reals) | {"kind", "name", "inputs"}
    extra = set(g.attrs.keys()) - allowed
    if extra:
        raise ModelFileError(f"{where}: unknown attribute(s) {sorted(extra)} for kind '{kind}'")
    present = set(g.keys())
    if present - k.required - k.optional:
        raise ModelFileError(f"{where}: unknown dataset(s) {sorted(present - k.required - k.optional)}")
    if k.required - present:
        raise ModelFileError(f"{where}: missing dataset(s) {sorted(k.required - present)}")


def _build(g, kind, where, x):
    """torch module for layer group g, whose (batched) input is x."""
    if kind not in KINDS:
        raise ModelFileError(f"{where}: unknown layer kind '{kind}' (known: {', '.join(KINDS)})")
    _check_keys(g, kind, where)
    lo, hi = KINDS[kind].arity
    n = len(x) if isinstance(x, list) else 1
    if n < lo or (hi is not None and n > hi):
        want = f"{lo}" if hi == lo else f"{lo} or more" if hi is None else f"{lo} to {hi}"
        raise ModelFileError(f"{where}: takes {want} input(s), 'inputs' names {n}")
    return KINDS[kind].build(g, where, x)


def _topological(names, inputs, path):
    """Positions of the layers in an order where each comes after its inputs (file order where it can)."""
    position = {n: i for i, n in enumerate(names)}
    waiting = [sum(1 for n in ins if n in position) for ins in inputs]
    consumers = [[] for _ in names]
    for i, ins in enumerate(inputs):
        for n in ins:
            if n in position:
                consumers[position[n]].append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for c in consumers[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, c)
    if len(order) != len(names):
        stuck = [names[i] for i in range(len(names)) if waiting[i] > 0]
        raise ModelFileError(f"{path}: the layers' inputs form a cycle through {', '.join(stuck)}")
    return order


def load_module(path):
    """Build (torch module in eval mode, input_shape tuple, attrs dict) from a model file.

    attrs holds the root attributes as Python values (str, int, float, lists).
    A sequential file (no layer has `inputs`) gives an nn.Sequential whose
    children are keyed by position ("0", "1", ...); a graph file gives a
    Graph, its layers in an order where each follows its inputs. Either has
    the file's layer names and kinds in .cdcnn_layer_names / .cdcnn_layer_kinds
    (in that order); a Graph also the inputs of each in .cdcnn_layer_inputs.
    """
    with h5py.File(path, "r") as f:
        where = f"{path}"
        if "format" not in f.attrs or _decode(f.attrs["format"]) != FORMAT:
            raise ModelFileError(f"{path}: not a cdcnn model file (attribute 'format' must be \"{FORMAT}\")")
        version = _ints_attr(f, "format_version", where)
        if len(version) != 1 or version[0] not in READ_VERSIONS:
            raise ModelFileError(f"{path}: format_version must be one of {list(READ_VERSIONS)}, got {version}")
        input_shape = tuple(_ints_attr(f, "input_shape", where))
        if any(s <= 0 for s in input_shape):
            raise ModelFileError(f"{path}: input_shape must be positive, got {input_shape}")
        attrs = {k: _attr_value(v) for k, v in f.attrs.items()}
        if "layers" not in f:
            raise ModelFileError(f"{path}: missing group /layers")
        lg = f["layers"]
        count = _ints_attr(lg, "count", f"{path}:/layers", 0)
        if count <= 0:
            raise ModelFileError(f"{path}:/layers: attribute 'count' must be positive")
        if len(lg.keys()) != count:
            raise ModelFileError(f"{path}:/layers holds {len(lg.keys())} groups but 'count' says {count}")
        groups, names, kinds, given, wheres = [], [], [], [], []
        for i in range(count):
            key = str(i)
            if key not in lg:
                raise ModelFileError(f"{path}:/layers: missing layer group '{key}'")
            g = lg[key]
            for a in ("kind", "name"):
                if a not in g.attrs or not _is_string(g.attrs[a]):
                    raise ModelFileError(f"{path}:/layers/{key}: missing string attribute '{a}'")
            kind, name = _decode(g.attrs["kind"]), _decode(g.attrs["name"])
            lwhere = f"{path}:/layers/{key} '{name}' ({kind})"
            if not name:
                raise ModelFileError(f"{lwhere}: empty name")
            if name in names:
                raise ModelFileError(f"{lwhere}: duplicate layer name")
            inputs = None
            if "inputs" in g.attrs:
                if not _is_string(g.attrs["inputs"]):
                    raise ModelFileError(f"{lwhere}: attribute 'inputs' must be a string")
                inputs = _decode(g.attrs["inputs"]).split(",")
                if any(not n for n in inputs):
                    raise ModelFileError(f"{lwhere}: attribute 'inputs' = '{_decode(g.attrs['inputs'])}' has an "
                                         "empty name (names are separated by ',', no spaces)")
            groups.append(g)
            names.append(name)
            kinds.append(kind)
            given.append(inputs)
            wheres.append(lwhere)

        with torch.no_grad():
            if all(i is None for i in given):  # sequential: every file of format version 1
                mods = []
                x = torch.zeros((1,) + input_shape)
                for g, kind, lwhere in zip(groups, kinds, wheres):
                    m = _build(g, kind, lwhere, x).eval()
                    try:
                        x = m(x)
                    except Exception as e:
                        raise ModelFileError(f"{lwhere}: fails on input {tuple(x.shape[1:])}: {e}") from e
                    mods.append(m)
                seq = nn.Sequential(OrderedDict((str(i), m) for i, m in enumerate(mods))).eval()
                seq.cdcnn_layer_names = names
                seq.cdcnn_layer_kinds = kinds
                return seq, input_shape, attrs

            known = set(names)
            inputs = []
            for i, (ins, lwhere) in enumerate(zip(given, wheres)):
                if ins is None:
                    ins = [names[i - 1]] if i > 0 else [MODEL_INPUT]
                if "," in names[i] or names[i] == MODEL_INPUT:
                    raise ModelFileError(f"{lwhere}: a layer of a graph model may not be named '{MODEL_INPUT}' nor "
                                         "contain ','")
                for n in ins:
                    if n not in known and n != MODEL_INPUT:
                        raise ModelFileError(f"{lwhere}: input '{n}' names no layer (nor '{MODEL_INPUT}')")
                    if n == names[-1]:
                        raise ModelFileError(f"{lwhere}: takes the output layer '{n}' (the last in the file), "
                                             "which no layer may take")
                inputs.append(ins)
            order = _topological(names, inputs, path)
            values, built = {}, []
            x0 = torch.zeros((1,) + input_shape)
            for i in order:
                args = [values[n] if n in values else x0 for n in inputs[i]]  # sorted: every layer is in values
                m = _build(groups[i], kinds[i], wheres[i], args if len(args) > 1 else args[0]).eval()
                try:
                    values[names[i]] = m(*args)
                except Exception as e:
                    shapes = ", ".join(str(tuple(a.shape[1:])) for a in args)
                    raise ModelFileError(f"{wheres[i]}: fails on input(s) {shapes}: {e}") from e
                built.append((names[i], m, inputs[i]))
    graph = Graph(built, output=names[-1]).eval()
    graph.cdcnn_layer_kinds = [kinds[i] for i in order]
    return graph, input_shape, attrs


def run_reference(path, input_np):
    """PyTorch output (float32 numpy, no batch dim) of the model file on one input (no batch dim).

    The input is the network input as is: input_mean/input_std are not applied.
    """
    module, input_shape, _ = load_module(path)
    x = np.asarray(input_np, dtype=np.float32)
    if tuple(x.shape) != input_shape:
        raise ModelFileError(f"{path}: input has shape {x.shape}, the model takes {input_shape}")
    with torch.no_grad():
        y = module(torch.from_numpy(x.copy()).unsqueeze(0))
    return y[0].numpy().astype(np.float32)


# --------------------------------------------------------------------------
# On-disk type check
# --------------------------------------------------------------------------
def validate_file(path, structure=True):
    """Check the stored types against docs/model-file.md; raise ModelFileError on a mismatch.

    With structure=True also load the file with load_module (shapes, unknown keys).
    """

    def check(obj, key, want, where):
        if key not in obj.attrs:
            return
        a = obj.attrs.get_id(key)
        t = a.get_type()
        cls = t.get_class()
        if want == "str":
            ok = cls == h5py.h5t.STRING
        elif want == "int64":
            ok = cls == h5py.h5t.INTEGER and t.get_size() == 8 and t.get_sign() == h5py.h5t.SGN_2
        else:
            ok = cls == h5py.h5t.FLOAT and t.get_size() == 8
        if not ok:
            raise ModelFileError(f"{where}: attribute '{key}' should be {want}, is {obj.attrs[key].__class__}")

    with h5py.File(path, "r") as f:
        for k, t in (("format", "str"), ("format_version", "int64"), ("input_shape", "int64"),
                     ("name", "str"), ("input_mean", "float64"), ("input_std", "float64")):
            check(f, k, t, path)
        check(f["layers"], "count", "int64", f"{path}:/layers")
        for key, g in f["layers"].items():
            where = f"{path}:/layers/{key}"
            check(g, "kind", "str", where)
            check(g, "name", "str", where)
            check(g, "inputs", "str", where)
            kind = _decode(g.attrs["kind"])
            if kind not in KINDS:
                raise ModelFileError(f"{where}: unknown kind '{kind}'")
            for k in KINDS[kind].ints:
                check(g, k, "int64", where)
            for k in KINDS[kind].reals:
                check(g, k, "float64", where)
            for k, ds in g.items():
                if ds.dtype != np.float32:
                    raise ModelFileError(f"{where}: dataset '{k}' should be float32, is {ds.dtype}")
    if structure:
        load_module(path)  # structure, shapes, unknown keys


def max_relative_error(actual, expected):
    """max |a - e| / max |e| (the C++ side's definition)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return math.inf
    if np.any(np.isnan(a) != np.isnan(e)):
        return math.inf
    diff = float(np.nanmax(np.abs(a - e))) if a.size else 0.0
    scale = float(np.nanmax(np.abs(e))) if e.size else 0.0
    if scale == 0.0:
        return 0.0 if diff == 0.0 else math.inf
    return diff / scale
