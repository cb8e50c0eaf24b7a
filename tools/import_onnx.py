#!/usr/bin/python3
"""Import an ONNX model as a cdcnn model file (docs/model-file.md).

    tools/import_onnx.py MODEL.onnx --out MODEL.h5 [--name NAME]
        [--input-mean 0.485,0.456,0.406 --input-std 0.229,0.224,0.225]

Reads the file with Debian's python3-onnx and maps each node to cdcnn layers
(SUPPORTED lists the operators); the batch dimension (1 or symbolic) is
dropped, so ONNX axis 1 is cdcnn axis 0. Constant subgraphs (the
Shape/Gather/Unsqueeze/Concat chains torchvision exports before its
classifier) are folded; a Reshape to {N, -1} is a flatten. A BatchNormalization
or an Add of a per-channel constant right after a conv or dense layer (its
only consumer) is folded into that layer's weights; Mul(x, Sigmoid(x)) is
SiLU. The file is written by tools/cdcnn_model.py's write_model and checked
by rebuilding it in torch (load_module).

Anything it cannot map -- an operator, an attribute value, a dynamic shape,
a batch other than 1 -- is one line naming the node, its op type and what is
supported, and exit code 1; so is a file that is not a readable ONNX model.
"""

import argparse
import math
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdcnn_model  # noqa: E402
from cdcnn_model import Layer, MODEL_INPUT  # noqa: E402

SUPPORTED = ("Conv, Gemm, MatMul (+ Add), BatchNormalization, Relu, Clip (as ReLU or ReLU6), Add, Mul, Concat, "
             "Pad (zeros, before Conv or AveragePool), Sigmoid, HardSigmoid (alpha 1/6, beta 1/2), HardSwish, Mul(x, Sigmoid(x)) as SiLU, Mul(x, HardSigmoid(x)) as HardSwish, GlobalAveragePool, "
             "ReduceMean (over H and W), AveragePool, MaxPool, Flatten, Reshape (to {N,-1}), LRN, Softmax, Dropout, Identity, and "
             "Shape/Gather/Unsqueeze/Squeeze/Concat/Slice/Cast/Transpose/Constant/ConstantOfShape on constants")


class ImportError_(Exception):
    """The ONNX model cannot be expressed as a cdcnn model: one line, the reason."""


class Act:
    """An activation: produced by layer `layer` (MODEL_INPUT for the model input), shape without batch."""

    def __init__(self, layer, shape):
        self.layer, self.shape = layer, tuple(int(s) for s in shape)


class PaddedAct(Act):
    """Act `inner` zero-padded by `begin`/`end` on its spatial axes (an ONNX Pad), still to be folded
    into the Conv or AveragePool that consumes it."""

    def __init__(self, inner, begin, end, node):
        super().__init__(inner.layer, inner.shape)
        self.inner, self.begin, self.end, self.node = inner, list(begin), list(end), node


def _attrs(node):
    import onnx
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv_out(n, k, s, b, e, d, ceil=False):
    span = n + b + e - d * (k - 1) - 1
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + b:  # a window may not start in the end padding
        out -= 1
    return out


def _short_name(raw):
    """torch.onnx's scoped node name "/layer1/layer1.0/conv1/Conv" as "layer1.0.conv1/Conv": the module
    path and the op. A scope is an attribute name ("conv1"), or a container's child named after the
    container ("layer1.0" in "layer1", "block.1" in "block"), which replaces the container's name."""
    parts = raw.strip().strip("/").split("/")
    if len(parts) < 2:
        return parts[0]
    path = []
    for p in parts[:-1]:
        if path and p.startswith(path[-1] + "."):
            path[-1] = p
        else:
            path.append(p)
    return ".".join(path) + "/" + parts[-1]


def _broadcast(a, b):
    r = max(len(a), len(b))
    a, b = (1,) * (r - len(a)) + tuple(a), (1,) * (r - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


class Importer:
    """One ONNX model as cdcnn Layer records: run() walks the nodes in their (topological) order,
    folding constants and emitting layers; op_<OpType> maps one node."""

    def __init__(self, model, path):
        import onnx
        self.onnx = onnx
        self.path = path
        self.graph = model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.layers = []          # Layer records, in a topological order
        self.by_name = {}         # layer name -> Layer
        self.shape_of = {}        # layer name -> output shape (no batch)
        self.values = {}          # ONNX tensor name -> np.ndarray (constant) or Act
        self.uses = {}            # ONNX tensor name -> number of consumers (nodes and graph outputs)
        self.names = {MODEL_INPUT}
        for node in self.graph.node:
            for i in node.input:
                if i:
                    self.uses[i] = self.uses.get(i, 0) + 1
        for o in self.graph.output:
            self.uses[o.name] = self.uses.get(o.name, 0) + 1
        self.layer_uses = {}      # layer name -> consumers so far (layers, and the graph output)

    # ---------------------------------------------------------------- helpers
    def fail(self, node, what):
        raise ImportError_(f"{self.path}: node '{node.name or '(unnamed)'}' ({node.op_type}): {what}")

    def unique(self, raw, fallback):
        base = re.sub(r"[,\s]+", "_", _short_name(raw)) or fallback
        name, i = base, 1
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def emit(self, node, kind, inputs, shape, ints=None, reals=None, data=None, suffix=""):
        """Appends a layer consuming Acts `inputs`; returns its Act."""
        name = self.unique((node.name or "") + suffix, f"{node.op_type.lower()}_{len(self.layers)}")
        layer = Layer(name, kind, ints or {}, reals or {}, data or {}, [a.layer for a in inputs])
        for a in inputs:
            self.layer_uses[a.layer] = self.layer_uses.get(a.layer, 0) + 1
        self.layers.append(layer)
        self.by_name[name] = layer
        self.shape_of[name] = tuple(shape)
        return Act(name, shape)

    def rename(self, layer, node):
        """Gives `layer`, which no layer consumes yet, the name `node` would get; its Act."""
        old = layer.name
        layer.name = self.unique(node.name or "", f"{node.op_type.lower()}_{len(self.layers)}")
        self.names.discard(old)
        self.by_name[layer.name] = self.by_name.pop(old)
        self.shape_of[layer.name] = self.shape_of.pop(old)
        if old in self.tensor_of_layer:
            self.tensor_of_layer[layer.name] = self.tensor_of_layer.pop(old)
        for tensor, v in self.values.items():
            if isinstance(v, Act) and v.layer == old:
                v.layer = layer.name
        return Act(layer.name, self.shape_of[layer.name])

    def const(self, node, i, what, optional=False):
        if i >= len(node.input) or not node.input[i]:
            if optional:
                return None
            self.fail(node, f"missing input {i} ({what})")
        v = self.values.get(node.input[i])
        if v is None:
            self.fail(node, f"input '{node.input[i]}' is produced by no node, initializer or graph input")
        if isinstance(v, Act):
            self.fail(node, f"{what} ('{node.input[i]}') is computed at run time; only a constant is supported")
        return v

    def act(self, node, i, padded=False):
        v = self.values.get(node.input[i]) if i < len(node.input) else None
        if isinstance(v, PaddedAct) and not padded:
            self.fail(v.node, "a Pad is supported only right before a Conv or an AveragePool (into whose "
                              "padding it is folded)")
        if v is None:
            self.fail(node, f"input {i} '{node.input[i] if i < len(node.input) else ''}' is not available")
        if not isinstance(v, Act):
            self.fail(node, f"input {i} is a constant where a run-time tensor is expected")
        return v

    def sole_consumer(self, node, i):
        """The layer whose output node's input i is, if that output has no other consumer, else None.

        Conservative: the input must be the layer's own ONNX tensor (not an alias through Identity or
        Dropout), read once in the whole graph, and by no layer emitted so far.
        """
        tensor = node.input[i]
        act = self.values.get(tensor)
        if not isinstance(act, Act) or act.layer == MODEL_INPUT:
            return None
        if self.tensor_of_layer.get(act.layer) != tensor or self.uses.get(tensor, 0) != 1 \
                or self.layer_uses.get(act.layer, 0):
            return None
        return self.by_name[act.layer]

    def window(self, node, a, spatial, default_kernel=None):
        """(kernel, stride, begin, end, dilation) of a Conv / pool node on spatial input size `spatial`."""
        nd = len(spatial)
        k = list(a.get("kernel_shape", default_kernel or []))
        if len(k) != nd:
            self.fail(node, f"kernel_shape {k} does not have {nd} values for the input's spatial shape {spatial}")
        s = list(a.get("strides", [1] * nd))
        d = list(a.get("dilations", [1] * nd))
        pads = list(a.get("pads", [0] * (2 * nd)))
        if len(s) != nd or len(d) != nd or len(pads) != 2 * nd:
            self.fail(node, f"strides {s}, dilations {d}, pads {pads} do not fit {nd} spatial axes")
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            begin, end = [], []
            for n, kk, ss, dd in zip(spatial, k, s, d):
                total = max((-(-n // ss) - 1) * ss + (kk - 1) * dd + 1 - n, 0)
                small, big = total // 2, total - total // 2
                begin.append(small if auto == "SAME_UPPER" else big)
                end.append(big if auto == "SAME_UPPER" else small)
        elif auto == "VALID":
            begin, end = [0] * nd, [0] * nd
        elif auto == "NOTSET":
            begin, end = pads[:nd], pads[nd:]
        else:
            self.fail(node, f"auto_pad '{auto}' is not supported (NOTSET, SAME_UPPER, SAME_LOWER, VALID)")
        if min(k + s + d) < 1 or min(begin + end) < 0:
            self.fail(node, f"kernel_shape {k}, strides {s}, dilations {d} must be positive and pads {pads} "
                            "non-negative")
        return k, s, begin, end, d

    # ---------------------------------------------------------------- import
    def run(self):
        """The Layer records of the model (raises ImportError_)."""
        g = self.graph
        self.load_initializers()
        inits = {t.name for t in g.initializer}
        real = [i for i in g.input if i.name not in inits]
        if len(real) != 1:
            raise ImportError_(f"{self.path}: the graph has {len(real)} run-time inputs "
                               f"({', '.join(i.name for i in real)}); a cdcnn model takes exactly one")
        inp = real[0]
        tt = inp.type.tensor_type
        if tt.elem_type != self.onnx.TensorProto.FLOAT:
            raise ImportError_(f"{self.path}: input '{inp.name}' is of type "
                               f"{self.onnx.TensorProto.DataType.Name(tt.elem_type)}; only float is supported")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        if len(dims) < 2:
            raise ImportError_(f"{self.path}: input '{inp.name}' has shape {dims}: expected a batch "
                               "dimension and at least one more")
        if dims[0] not in (None, 1):
            raise ImportError_(f"{self.path}: input '{inp.name}' has batch {dims[0]}; cdcnn runs batch 1 "
                               "(1 or symbolic)")
        if any(d is None or d <= 0 for d in dims[1:]):
            shown = [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tt.shape.dim]
            raise ImportError_(f"{self.path}: input '{inp.name}' has a dynamic shape {shown}; only the batch "
                               "may be symbolic")
        self.input_shape = tuple(dims[1:])
        self.values[inp.name] = Act(MODEL_INPUT, self.input_shape)
        if len(g.output) != 1:
            raise ImportError_(f"{self.path}: the graph has {len(g.output)} outputs; a cdcnn model has one")
        self.convert_nodes()
        out = self.values.get(g.output[0].name)
        if not isinstance(out, Act):
            raise ImportError_(f"{self.path}: the graph output '{g.output[0].name}' is a constant (it does not "
                               "depend on the input)")
        if isinstance(out, PaddedAct):
            self.act(out.node, 0)  # refuses the Pad
        return self.finish(out)

    def constant_output(self):
        """The value of the first graph output of a graph without run-time inputs, folded as run()
        folds constants (tests/tools/check_onnx_conformance.py checks the folding with it)."""
        self.load_initializers()
        self.convert_nodes()
        return self.values.get(self.graph.output[0].name)

    def load_initializers(self):
        for t in self.graph.initializer:
            self.values[t.name] = self.onnx.numpy_helper.to_array(t)

    def convert_nodes(self):
        self.tensor_of_layer = {}
        for node in self.graph.node:
            if node.domain not in ("", "ai.onnx"):
                self.fail(node, f"operator domain '{node.domain}' is not supported; supported: {SUPPORTED}")
            handler = getattr(self, "op_" + node.op_type, None)
            ins = [self.values.get(i) for i in node.input if i]
            if node.op_type in FOLDABLE and all(v is not None and not isinstance(v, Act) for v in ins):
                try:
                    outs = self.fold(node)
                except ImportError_:
                    raise
                except Exception as e:  # numpy refusing these constants
                    self.fail(node, f"cannot be folded on these constants ({type(e).__name__}: {e})")
            elif handler is None:
                self.fail(node, f"operator not supported; supported: {SUPPORTED}")
            else:
                outs = handler(node, _attrs(node))
            if not isinstance(outs, (list, tuple)):
                outs = [outs]
            for name, v in zip(node.output, outs):
                if name:
                    self.values[name] = v
                    if isinstance(v, Act) and v.layer != MODEL_INPUT and v.layer not in self.tensor_of_layer:
                        self.tensor_of_layer[v.layer] = name
            for extra in node.output[len(outs):]:
                if extra and self.uses.get(extra):
                    self.fail(node, f"output '{extra}' is used, but only the first output is supported")

    def finish(self, out):
        """The layers the output depends on (it is then the last); `inputs` kept only where they are not
        the previous layer, so a chain stays a sequential file."""
        if out.layer == MODEL_INPUT:  # the model computes nothing: one identity layer
            ident = Layer(self.unique("output", "output"), "dropout", {}, {"p": 0.0}, {}, [MODEL_INPUT])
            self.layers.append(ident)
            self.by_name[ident.name] = ident
            out = Act(ident.name, out.shape)
        needed, stack = set(), [out.layer]
        while stack:  # ancestors of the output; they were all emitted before it
            n = stack.pop()
            if n in needed or n == MODEL_INPUT:
                continue
            needed.add(n)
            stack.extend(self.by_name[n].inputs)
        layers = [l for l in self.layers if l.name in needed]
        prev = MODEL_INPUT
        for l in layers:
            if l.inputs == [prev]:
                l.inputs = None
            prev = l.name
        return layers

    # ---------------------------------------------------------------- constants
    def fold(self, node):
        a = _attrs(node)
        v = [self.values[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            return self.op_Constant(node, a)
        if op == "Shape":
            return np.asarray(np.shape(v[0]), dtype=np.int64)[
                slice(a.get("start", 0), a.get("end"))]
        if op == "Gather":
            return np.take(v[0], v[1].astype(np.int64), axis=a.get("axis", 0))
        if op in ("Unsqueeze", "Squeeze"):
            axes = a.get("axes") if "axes" in a else (v[1].tolist() if len(v) > 1 and v[1] is not None else None)
            x = v[0]
            if op == "Squeeze":
                return np.squeeze(x, axis=tuple(axes) if axes is not None else None)
            rank = x.ndim + len(axes)
            for ax in sorted(ax % rank for ax in axes):
                x = np.expand_dims(x, ax)
            return x
        if op == "Concat":
            return np.concatenate([np.atleast_1d(x) for x in v], axis=a["axis"])
        if op == "Cast":
            import onnx.mapping
            return v[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        if op == "Reshape":
            return v[0].reshape(self.reshape_target(node, v[0].shape, v[1], a))
        if op == "Slice":
            if "starts" in a:
                starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
            else:
                starts, ends = v[1].tolist(), v[2].tolist()
                axes = v[3].tolist() if len(v) > 3 and v[3] is not None else None
                steps = v[4].tolist() if len(v) > 4 and v[4] is not None else None
            axes = axes if axes is not None else list(range(len(starts)))
            steps = steps or [1] * len(starts)
            idx = [slice(None)] * v[0].ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                idx[ax] = slice(s, e, st)
            return v[0][tuple(idx)]
        if op == "ConstantOfShape":
            fill = self.onnx.numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            return np.full(tuple(int(x) for x in v[0]), fill.reshape(-1)[0], dtype=fill.dtype)
        if op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
            r = f(v[0], v[1])
            if op == "Div" and np.issubdtype(v[0].dtype, np.integer):
                r = np.trunc(r).astype(v[0].dtype)
            return r.astype(np.result_type(v[0], v[1]))
        if op == "Transpose":
            return np.transpose(v[0], a.get("perm"))
        if op == "Dropout":
            if len(v) > 2 and v[2] is not None and bool(np.asarray(v[2]).reshape(-1)[0]):
                self.fail(node, "training_mode true is not supported (inference only)")
            return v[0]
        if op == "Identity":
            return v[0]
        self.fail(node, "cannot be folded on constants")

    def op_Constant(self, node, a):
        if "value" in a:
            return self.onnx.numpy_helper.to_array(a["value"])
        for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                           ("value_int", np.int64), ("value_ints", np.int64)):
            if key in a:
                return np.asarray(a[key], dtype=dtype)
        self.fail(node, f"only a tensor, float(s) or int(s) value is supported, got {sorted(a)}")

    def op_Shape(self, node, a):
        x = self.act(node, 0)
        full = (1,) + x.shape
        return np.asarray(full, dtype=np.int64)[slice(a.get("start", 0), a.get("end"))]

    def reshape_target(self, node, in_shape, shape, a):
        shape = [int(s) for s in np.asarray(shape).reshape(-1)]
        total = int(np.prod(in_shape))
        out = []
        for i, s in enumerate(shape):
            if s == 0 and not a.get("allowzero", 0):
                if i >= len(in_shape):
                    self.fail(node, f"shape {shape}: a 0 at position {i} has no input dimension to copy")
                out.append(int(in_shape[i]))
            else:
                out.append(s)
        if out.count(-1) > 1:
            self.fail(node, f"shape {shape} has more than one -1")
        if -1 in out:
            rest = int(np.prod([s for s in out if s != -1]))
            if rest == 0 or total % rest:
                self.fail(node, f"cannot reshape {list(in_shape)} to {shape}")
            out[out.index(-1)] = total // rest
        if int(np.prod(out)) != total:
            self.fail(node, f"cannot reshape {list(in_shape)} to {shape}")
        return tuple(out)

    # ---------------------------------------------------------------- layers
    def op_Identity(self, node, a):
        return self.act(node, 0)

    def op_Dropout(self, node, a):
        if len(node.input) > 2 and node.input[2]:
            t = self.const(node, 2, "training_mode")
            if bool(np.asarray(t).reshape(-1)[0]):
                self.fail(node, "training_mode true is not supported (inference only)")
        return self.act(node, 0)

    def op_Relu(self, node, a):
        x = self.act(node, 0)
        return self.emit(node, "relu", [x], x.shape)

    def op_Sigmoid(self, node, a):
        x = self.act(node, 0)
        return self.emit(node, "sigmoid", [x], x.shape)

    def op_HardSwish(self, node, a):
        x = self.act(node, 0)
        return self.emit(node, "hardswish", [x], x.shape)

    def op_HardSigmoid(self, node, a):
        x = self.act(node, 0)
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
            self.fail(node, f"alpha={alpha:g}, beta={beta:g}: only alpha=1/6, beta=0.5 (PyTorch's Hardsigmoid) "
                            "is supported")
        return self.emit(node, "hardsigmoid", [x], x.shape)

    def op_Clip(self, node, a):
        x = self.act(node, 0)
        if self.opset < 11:
            lo, hi = a.get("min", -math.inf), a.get("max", math.inf)
        else:
            lo = self.const(node, 1, "min", optional=True)
            hi = self.const(node, 2, "max", optional=True)
            lo = -math.inf if lo is None else float(np.asarray(lo).reshape(-1)[0])
            hi = math.inf if hi is None else float(np.asarray(hi).reshape(-1)[0])
        if lo == 0 and hi == 6:
            return self.emit(node, "relu6", [x], x.shape)
        if lo == 0 and hi == math.inf:
            return self.emit(node, "relu", [x], x.shape)
        self.fail(node, f"min={lo:g}, max={hi:g}: only Clip(0, 6) (ReLU6) and Clip(0) (ReLU) are supported")

    def op_LRN(self, node, a):
        x = self.act(node, 0)
        size = int(a["size"])
        if size % 2 == 0:
            self.fail(node, f"size={size}: only an odd size is supported (ONNX and PyTorch centre an even window "
                            "differently)")
        if len(x.shape) < 2:
            self.fail(node, f"input of shape {x.shape}: LRN needs channels and at least one spatial axis")
        return self.emit(node, "lrn", [x], x.shape, {"size": size},
                         {"alpha": a.get("alpha", 1e-4), "beta": a.get("beta", 0.75), "k": a.get("bias", 1.0)})

    def op_Softmax(self, node, a):
        x = self.act(node, 0)
        axis = a.get("axis", 1 if self.opset < 13 else -1)
        rank = len(x.shape) + 1
        if len(x.shape) != 1 or axis % rank != 1:
            self.fail(node, f"axis={axis} on input {[1, *x.shape]}: only the class axis of an {{N, F}} input is "
                            "supported")
        return self.emit(node, "softmax", [x], x.shape)

    def op_Flatten(self, node, a):
        x = self.act(node, 0)
        rank = len(x.shape) + 1
        axis = a.get("axis", 1)
        axis = axis + rank if axis < 0 else axis
        if axis not in (0, 1):
            self.fail(node, f"axis={a.get('axis', 1)} on input {[1, *x.shape]}: only axis 1 (or 0, batch 1) is "
                            "supported; it would fold other axes into the batch")
        if len(x.shape) == 1:
            return x
        return self.emit(node, "flatten", [x], (int(np.prod(x.shape)),))

    def op_Reshape(self, node, a):
        x = self.act(node, 0)
        target = self.reshape_target(node, (1,) + x.shape, self.const(node, 1, "shape"), a)
        if target[0] != 1:
            self.fail(node, f"reshape of {[1, *x.shape]} to {list(target)} changes the batch dimension")
        if target[1:] == x.shape:
            return x
        if len(target) == 2:
            return self.emit(node, "flatten", [x], target[1:])
        self.fail(node, f"reshape of {[1, *x.shape]} to {list(target)}: only a flatten to {{N, -1}} is supported")

    def op_GlobalAveragePool(self, node, a):
        x = self.act(node, 0)
        if len(x.shape) != 3:
            self.fail(node, f"input {[1, *x.shape]}: only 2-D (N, C, H, W) is supported")
        return self.emit(node, "adaptiveavgpool2d", [x], (x.shape[0], 1, 1), {"output_size": [1, 1]})

    def op_Pad(self, node, a):
        x = self.act(node, 0)
        mode = a.get("mode", b"constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if self.opset < 11:
            pads, value = list(a.get("pads", [])), float(a.get("value", 0.0))
        else:
            pads = [int(v) for v in np.asarray(self.const(node, 1, "pads")).reshape(-1)]
            c = self.const(node, 2, "constant_value", optional=True)
            value = 0.0 if c is None else float(np.asarray(c).reshape(-1)[0])
        r = len(x.shape) + 1
        if mode != "constant" or value != 0.0:
            self.fail(node, f"mode '{mode}', value {value:g}: only zero padding (mode constant) is supported")
        if len(pads) != 2 * r or any(pads[i] or pads[r + i] for i in range(2)) or min(pads) < 0:
            self.fail(node, f"pads {pads}: only non-negative padding of the spatial axes is supported")
        return PaddedAct(x, pads[2:r], pads[r + 2:], node)

    def _unpad(self, node, a, x):
        """(input Act, attributes) with a preceding Pad folded into the node's pads."""
        if not isinstance(x, PaddedAct):
            return x, a
        padded = [n + p + q for n, p, q in zip(x.shape[1:], x.begin, x.end)]
        k, s, b, e, d = self.window(node, a, padded, a.get("kernel_shape"))
        a = dict(a, auto_pad="NOTSET", pads=[p + q for p, q in zip(x.begin, b)] + [p + q for p, q in zip(x.end, e)])
        if node.op_type == "AveragePool":
            if (any(b + e) and not a.get("count_include_pad", 0)) or a.get("ceil_mode", 0):
                self.fail(node, "after a Pad, only count_include_pad=1 (or no pads of its own) and ceil_mode=0 "
                                "are supported")
            a["count_include_pad"] = 1
        return x.inner, a

    def op_ReduceMean(self, node, a):
        x = self.act(node, 0)
        rank = len(x.shape) + 1
        axes = sorted(int(v) % rank for v in a.get("axes", range(rank)))
        if len(x.shape) != 3 or axes != [2, 3]:
            self.fail(node, f"axes {a.get('axes', 'all')} on input {[1, *x.shape]}: only the spatial axes [2, 3] of "
                            "an {N, C, H, W} input (a global average pool) are supported")
        pooled = self.emit(node, "adaptiveavgpool2d", [x], (x.shape[0], 1, 1), {"output_size": [1, 1]})
        if a.get("keepdims", 1):
            return pooled
        return self.emit(node, "flatten", [pooled], (x.shape[0],), suffix="/flatten")

    def _pool(self, node, a, kind):
        x, a = self._unpad(node, a, self.act(node, 0, padded=kind == "avgpool"))
        nd = len(x.shape) - 1
        allowed = (2,) if kind == "avgpool" else (2, 3)
        if nd not in allowed:
            self.fail(node, f"input {[1, *x.shape]}: {nd}-D pooling; supported: "
                            f"{' and '.join(f'{n}-D' for n in allowed)}")
        k, s, b, e, d = self.window(node, a, x.shape[1:])
        ceil = int(a.get("ceil_mode", 0))
        for kk, bb, ee in zip(k, b, e):
            if bb > kk // 2 or ee > kk // 2:
                self.fail(node, f"pads {b + e} exceed half the kernel {k} (cdcnn and PyTorch pools allow at most "
                                "half)")
        out = [_conv_out(n, kk, ss, bb, ee, dd, ceil) for n, kk, ss, bb, ee, dd in zip(x.shape[1:], k, s, b, e, d)]
        if min(out) < 1:
            self.fail(node, f"the window does not fit the input {[1, *x.shape]}")
        ints = {"kernel_size": k, "stride": s, "padding": b, "ceil_mode": ceil}
        if e != b:
            ints["padding_end"] = e
        if kind == "avgpool":
            if d != [1] * nd:
                self.fail(node, f"dilations {d}: average pooling has no dilation in cdcnn")
            ints["count_include_pad"] = int(a.get("count_include_pad", 0))
            return self.emit(node, "avgpool2d", [x], (x.shape[0], *out), ints)
        if a.get("storage_order", 0) not in (0,) and len(node.output) > 1 and node.output[1]:
            self.fail(node, "storage_order is only meaningful for the Indices output, which is not supported")
        ints["dilation"] = d
        return self.emit(node, f"maxpool{nd}d", [x], (x.shape[0], *out), ints)

    def op_AveragePool(self, node, a):
        return self._pool(node, a, "avgpool")

    def op_MaxPool(self, node, a):
        return self._pool(node, a, "maxpool")

    def op_Conv(self, node, a):
        w = np.asarray(self.const(node, 1, "weight W"), dtype=np.float32)
        a = dict(a, kernel_shape=a.get("kernel_shape", list(w.shape[2:])))
        x, a = self._unpad(node, a, self.act(node, 0, padded=True))
        bias = self.const(node, 2, "bias B", optional=True)
        nd = len(x.shape) - 1
        if nd not in (2, 3):
            self.fail(node, f"input {[1, *x.shape]}: {nd}-D convolution; supported: 2-D and 3-D")
        if w.ndim != nd + 2:
            self.fail(node, f"weight of shape {list(w.shape)} does not fit a {nd}-D convolution")
        k, s, b, e, d = self.window(node, a, x.shape[1:], default_kernel=list(w.shape[2:]))
        groups = int(a.get("group", 1))
        if list(w.shape[2:]) != k or w.shape[1] * groups != x.shape[0] or w.shape[0] % groups:
            self.fail(node, f"weight {list(w.shape)} with group={groups} does not fit input channels "
                            f"{x.shape[0]} and kernel_shape {k}")
        out = [_conv_out(n, kk, ss, bb, ee, dd) for n, kk, ss, bb, ee, dd in zip(x.shape[1:], k, s, b, e, d)]
        if min(out) < 1:
            self.fail(node, f"the kernel does not fit the input {[1, *x.shape]}")
        ints = {"kernel_size": k, "stride": s, "padding": b, "dilation": d, "groups": groups}
        if e != b:
            ints["padding_end"] = e
        data = {"weight": w}
        if bias is not None:
            data["bias"] = np.asarray(bias, dtype=np.float32).reshape(w.shape[0])
        return self.emit(node, f"conv{nd}d", [x], (w.shape[0], *out), ints, data=data)

    def _dense(self, node, x, w, bias):
        """A dense layer y = w x + bias on an {F} input; w {out, in}."""
        if len(x.shape) != 1 or w.shape[1] != x.shape[0]:
            self.fail(node, f"input {[1, *x.shape]} and weight {list(w.shape)} do not make a matrix product "
                            "of an {N, F} input (flatten first)")
        data = {"weight": np.ascontiguousarray(w, dtype=np.float32)}
        if bias is not None:
            data["bias"] = np.ascontiguousarray(bias, dtype=np.float32)
        return self.emit(node, "dense", [x], (w.shape[0],), data=data)

    def op_Gemm(self, node, a):
        if isinstance(self.values.get(node.input[1]), Act):
            self.fail(node, "B is computed at run time; only a constant B (weights) is supported")
        x = self.act(node, 0)
        if a.get("transA", 0):
            self.fail(node, "transA=1 is not supported (A is the activation, {N, K})")
        bm = np.asarray(self.const(node, 1, "B"), dtype=np.float64)
        if bm.ndim != 2:
            self.fail(node, f"B of shape {list(bm.shape)} is not a matrix")
        bm = bm.T if a.get("transB", 0) else bm  # {K, N}
        w = a.get("alpha", 1.0) * bm.T
        c = self.const(node, 2, "C", optional=True)
        bias = None
        if c is not None:
            c = np.asarray(c, dtype=np.float64)
            if c.size not in (1, w.shape[0]) or (c.ndim == 2 and c.shape[0] != 1) or c.ndim > 2:
                self.fail(node, f"C of shape {list(c.shape)}: only a scalar or {{N}} / {{1, N}} bias is supported")
            bias = a.get("beta", 1.0) * np.broadcast_to(c.reshape(-1), (w.shape[0],))
        return self._dense(node, x, w, bias)

    def op_MatMul(self, node, a):
        if isinstance(self.values.get(node.input[1]), Act):
            self.fail(node, "the second operand is computed at run time; only constant weights are supported")
        x = self.act(node, 0)
        w = np.asarray(self.const(node, 1, "weight"), dtype=np.float32)
        if w.ndim != 2:
            self.fail(node, f"weight of shape {list(w.shape)}: only a matrix {{K, N}} is supported")
        return self._dense(node, x, w.T, None)

    def op_BatchNormalization(self, node, a):
        x = self.act(node, 0)
        if a.get("training_mode", 0):
            self.fail(node, "training_mode=1 is not supported (inference statistics only)")
        if len(x.shape) < 1:
            self.fail(node, "needs a channel dimension")
        c = x.shape[0]
        p = {k: np.asarray(self.const(node, i, k), dtype=np.float64).reshape(-1)
             for i, k in ((1, "scale"), (2, "B"), (3, "mean"), (4, "var"))}
        if any(v.size != c for v in p.values()):
            self.fail(node, f"scale, B, mean, var must each hold {c} values (the channels)")
        eps = float(a.get("epsilon", 1e-5))
        prev = self.sole_consumer(node, 0)
        if prev is not None and prev.kind in ("conv2d", "conv3d", "dense"):
            scale = p["scale"] / np.sqrt(p["var"] + eps)
            wt = prev.data["weight"].astype(np.float64)
            bias = prev.data.get("bias", np.zeros(c)).astype(np.float64)
            prev.data["weight"] = (wt * scale.reshape((-1,) + (1,) * (wt.ndim - 1))).astype(np.float32)
            prev.data["bias"] = ((bias - p["mean"]) * scale + p["B"]).astype(np.float32)
            return x
        data = {"weight": p["scale"], "bias": p["B"], "running_mean": p["mean"], "running_var": p["var"]}
        return self.emit(node, "batchnorm", [x], x.shape, reals={"eps": eps}, data=data)

    def _per_channel(self, node, x, k):
        """Constant k as one value per channel of x ({C} values), or None if it is not per channel."""
        k = np.asarray(k, dtype=np.float64)
        r = len(x.shape)
        if k.ndim == r + 1:
            if k.shape[0] != 1:
                return None
            k = k[0]
        if k.ndim > r:
            return None
        k = k.reshape((1,) * (r - k.ndim) + k.shape)
        if any(n != 1 for n in k.shape[1:]) or k.shape[0] not in (1, x.shape[0]):
            return None
        return np.broadcast_to(k.reshape(-1), (x.shape[0],)).copy()

    def _const_operand(self, node, op):
        """(activation, constant) of an Add/Mul with one constant operand."""
        x0, x1 = (self.values.get(i) for i in node.input[:2])
        if isinstance(x0, Act):
            return x0, x1
        return x1, x0

    def _channelwise(self, node, x, scale, shift):
        """y = scale * x + shift per channel, as a depthwise 1x1 conv (dense for {F}): exact in float."""
        c = x.shape[0]
        if len(x.shape) == 1:
            return self._dense(node, x, np.diag(scale), shift)
        nd = len(x.shape) - 1
        if nd not in (2, 3):
            self.fail(node, f"a per-channel constant on input {[1, *x.shape]}: only {{N,F}}, 2-D and 3-D inputs")
        w = scale.reshape((c, 1) + (1,) * nd)
        ints = {"kernel_size": [1] * nd, "stride": [1] * nd, "padding": [0] * nd, "dilation": [1] * nd,
                "groups": c}
        return self.emit(node, f"conv{nd}d", [x], x.shape, ints, data={"weight": w, "bias": shift})

    def _binary(self, node, kind):
        a, b = (self.values.get(i) for i in node.input[:2])
        for v in (a, b):
            if isinstance(v, PaddedAct):
                self.act(node, [a, b].index(v))
        if a is None or b is None:
            self.fail(node, "an input is produced by no node, initializer or graph input")
        if isinstance(a, Act) and isinstance(b, Act):
            shape = _broadcast(a.shape, b.shape)
            if shape is None:
                self.fail(node, f"shapes {list(a.shape)} and {list(b.shape)} do not broadcast")
            if kind == "mul":  # Mul(x, Sigmoid(x)) is SiLU, Mul(x, HardSigmoid(x)) HardSwish
                for i, s, other in ((1, b, a), (0, a, b)):
                    sig = self.sole_consumer(node, i)
                    if sig is not None and sig.kind in FUSED and sig.inputs == [other.layer]:
                        sig.kind = FUSED[sig.kind]  # named after the Mul, which ends the fused op
                        return self.rename(sig, node)
            return self.emit(node, kind, [a, b], shape)
        x, k = self._const_operand(node, kind)
        xi = 0 if isinstance(a, Act) else 1
        per = self._per_channel(node, x, k)
        if per is None:
            self.fail(node, f"a constant of shape {list(np.shape(k))} on input {[1, *x.shape]}: only a "
                            "per-channel (or scalar) constant is supported")
        c = x.shape[0]
        if kind == "add":
            prev = self.sole_consumer(node, xi)
            if prev is not None and prev.kind in ("conv2d", "conv3d", "dense"):
                prev.data["bias"] = (prev.data.get("bias", np.zeros(c)).astype(np.float64) + per).astype(np.float32)
                return x
            return self._channelwise(node, x, np.ones(c), per)
        return self._channelwise(node, x, per, np.zeros(c))

    def op_Add(self, node, a):
        return self._binary(node, "add")

    def op_Mul(self, node, a):
        return self._binary(node, "mul")

    def op_Concat(self, node, a):
        xs = [self.act(node, i) if isinstance(self.values.get(n), Act) else self.values.get(n)
              for i, n in enumerate(node.input)]
        if any(not isinstance(v, Act) for v in xs):
            self.fail(node, "mixes constants and run-time inputs; only run-time inputs can be concatenated")
        rank = len(xs[0].shape) + 1
        axis = a["axis"] + rank if a["axis"] < 0 else a["axis"]
        if axis == 0:
            self.fail(node, "axis 0 is the batch; cdcnn concatenates along the other axes")
        shapes = [list(v.shape) for v in xs]
        for s in shapes:
            if len(s) != rank - 1 or s[:axis - 1] + s[axis:] != shapes[0][:axis - 1] + shapes[0][axis:]:
                self.fail(node, f"input shapes {shapes} differ outside axis {a['axis']}")
        if len(xs) == 1:
            return xs[0]
        out = list(shapes[0])
        out[axis - 1] = sum(s[axis - 1] for s in shapes)
        return self.emit(node, "concat", xs, out, {"axis": axis - 1})


# Mul(x, f(x)) for these kinds f is one layer (the kind f becomes).
FUSED = {"sigmoid": "silu", "hardsigmoid": "hardswish"}

# Operators that become layers (or aliases) on run-time tensors; FOLDABLE ones are computed at import
# when all their inputs are constants.
OPERATORS = {"Conv", "Gemm", "MatMul", "BatchNormalization", "Relu", "Clip", "Add", "Mul", "Concat", "Pad",
             "Sigmoid", "HardSigmoid", "HardSwish", "GlobalAveragePool", "ReduceMean", "AveragePool", "MaxPool", "Flatten",
             "Reshape", "Shape", "LRN", "Softmax", "Dropout", "Identity"}
FOLDABLE = {"Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Reshape", "Slice", "Transpose",
            "ConstantOfShape", "Add", "Sub", "Mul", "Div", "Identity", "Dropout"}


def import_onnx(path, out, name=None, input_mean=None, input_std=None):
    """Import ONNX file `path` and write the cdcnn model file `out`; returns the list of Layer records.

    Raises ImportError_ (one line) for anything it cannot express.
    """
    import onnx
    import onnx.numpy_helper  # noqa: F401 (a submodule import_onnx uses through self.onnx)
    try:
        model = onnx.load(path)
    except Exception as e:  # DecodeError for a truncated file, OSError, ...
        raise ImportError_(f"{path}: not a readable ONNX model ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else 'truncated or corrupt'})")
    if not model.HasField("graph") or not model.graph.node:
        raise ImportError_(f"{path}: not a readable ONNX model (no graph or no nodes; truncated?)")
    imp = Importer(model, path)
    layers = imp.run()
    if not layers:
        raise ImportError_(f"{path}: the graph computes nothing cdcnn would store (no layers)")
    try:
        name = name or os.path.splitext(os.path.basename(path))[0]
        cdcnn_model.write_model(out, imp.input_shape, layers, name=name,
                                input_mean=input_mean, input_std=input_std)
        cdcnn_model.load_module(out)  # shapes through the whole graph, in torch
    except cdcnn_model.ModelFileError as e:
        if os.path.exists(out):
            os.remove(out)
        raise ImportError_(f"{path}: the imported model does not load: {e}")
    return layers


def floats(text):
    return [float(v) for v in text.split(",")]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL.onnx")
    p.add_argument("--out", required=True, help="cdcnn model file to write")
    p.add_argument("--name", help="model name stored in the file (default: the ONNX file's name without .onnx)")
    p.add_argument("--input-mean", type=floats, help="per-channel mean stored for images, e.g. 0.485,0.456,0.406")
    p.add_argument("--input-std", type=floats, help="per-channel std, e.g. 0.229,0.224,0.225")
    a = p.parse_args()
    try:
        layers = import_onnx(a.model, a.out, a.name, a.input_mean, a.input_std)
    except ImportError_ as e:
        print(f"import_onnx: {e}", file=sys.stderr)
        return 1
    graph = any(l.inputs is not None for l in layers)
    print(f"wrote {a.out}: {len(layers)} layers ({'graph' if graph else 'sequential'}), "
          f"{os.path.getsize(a.out) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
