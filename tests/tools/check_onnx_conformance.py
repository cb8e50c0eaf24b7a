#!/usr/bin/python3
"""ONNX's own operator tests through tools/import_onnx.py and `cdcnn infer`.

    tests/tools/check_onnx_conformance.py --cdcnn build/cdcnn --out DIR
        [--data /usr/share/libonnx-testdata/data/node] [--cases REGEX] [--markdown FILE]

Debian's libonnx-testdata holds, per case, a model (model.onnx) and data
sets (test_data_set_N/input_K.pb, output_0.pb) written by ONNX itself. Every
case whose operators are all ones the importer handles (import_onnx.OPERATORS
and FOLDABLE) is run:

- as layers: inputs after the first become initializers (cdcnn stores
  weights, shapes and pads in the model, it does not take them at run time),
  the model is imported and run by `cdcnn infer --input in.npy --save-output
  out.npy` on input_0 without its batch dimension; the output must be within
  1e-4 relative error (max|a-e| / max|e|) of ONNX's output_0. cdcnn runs
  batch 1, so a case of batch n > 1 whose output keeps the batch as its
  first dimension is imported with batch 1 and run on each sample, the
  outputs stacked;
- or, when the importer refuses it as layers and all its operators are ones
  it folds on constants (Shape, Gather, Unsqueeze, Reshape, Add, ...): with
  every input an initializer, the importer's folded output must equal ONNX's
  (exactly for integers, 1e-4 for floats).

A case the importer refuses both ways is "not expressible", with the
importer's one-line reason. Exits 1 if any expressible case fails. With
--markdown it writes the table of not-expressible cases; with --readme
tests/README.md it fails unless that file holds exactly this table under
"### ONNX cases cdcnn cannot express" (so the reasons listed there stay the
importer's own).
"""

import argparse
import copy
import glob
import os
import re
import subprocess
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402
import import_onnx  # noqa: E402
import onnx  # noqa: E402
import onnx.numpy_helper  # noqa: E402

TOLERANCE = 1e-4
README_HEADING = "### ONNX cases cdcnn cannot express"
DATA = "/usr/share/libonnx-testdata/data/node"


def read_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def runtime_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def with_initializers(model, inputs, first):
    """A copy of `model` whose run-time inputs from index `first` on are initializers holding `inputs`."""
    m = copy.deepcopy(model)
    for vi, value in list(zip(runtime_inputs(model), inputs))[first:]:
        m.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), vi.name))
    return m


def relative_error(actual, expected):
    if np.shape(actual) != np.shape(expected):
        return float("inf")
    return cdcnn_model.max_relative_error(actual, expected)


def batch_of_one(model, n):
    """A copy of `model` whose run-time input has batch 1 instead of n (for per-sample runs)."""
    m = copy.deepcopy(model)
    inp = runtime_inputs(m)[0]
    dim = inp.type.tensor_type.shape.dim[0]
    dim.ClearField("dim_param")
    dim.dim_value = 1
    del m.graph.value_info[:]
    return m


def run_layers(case, model, inputs, expected, work, cdcnn):
    """(passed, detail) running the case as cdcnn layers; raises ImportError_ if it cannot be expressed.

    cdcnn runs batch 1: an input of batch n > 1 runs as n inferences of one sample each, stacked, which
    is what the batch means when the output keeps it as its first dimension (the importer refuses what
    would mix samples: a flatten or softmax over the batch, a per-sample constant, ...).
    """
    if not inputs:
        raise import_onnx.ImportError_(f"{case}: the model has no run-time input")
    m = with_initializers(model, inputs, 1)
    x = np.asarray(inputs[0])
    e = np.asarray(expected)
    n = x.shape[0] if x.ndim >= 2 else 1
    if n > 1:
        if e.ndim < 1 or e.shape[0] != n:
            raise import_onnx.ImportError_(f"input of batch {n}, output of shape {list(e.shape)}: the output does "
                                           "not keep the batch, so samples cannot run one at a time")
        m = batch_of_one(m, n)
    onnx_path = os.path.join(work, case + ".onnx")
    h5, x_path, y_path = (os.path.join(work, case + ext) for ext in (".h5", ".in.npy", ".out.npy"))
    onnx.save(m, onnx_path)
    import_onnx.import_onnx(onnx_path, h5)
    if x.dtype != np.float32 or e.dtype != np.float32:
        return False, f"input {x.dtype} / output {e.dtype} imported as float32"
    ys = []
    for i in range(n):
        np.save(x_path, x[i])
        r = subprocess.run([cdcnn, "infer", "--model", h5, "--input", x_path, "--save-output", y_path,
                            "--repeat", "1", "--top", "1"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            return False, f"cdcnn infer failed: {' '.join((r.stderr or r.stdout).strip().splitlines()[-1:])}"
        ys.append(np.load(y_path))
    y = np.stack(ys)
    err = relative_error(y, e)
    how = f"{n} samples one at a time" if n > 1 else "batch 1"
    return err < TOLERANCE, f"layers through cdcnn infer ({how}), relative error {err:.2g}"


def run_folded(case, model, inputs, expected):
    """(passed, detail) folding the whole case at import; raises ImportError_ if the importer cannot."""
    m = with_initializers(model, inputs, 0)
    v = import_onnx.Importer(m, case).constant_output()
    if v is None or isinstance(v, import_onnx.Act):
        raise import_onnx.ImportError_(f"{case}: the output is not a constant")
    e = np.asarray(expected)
    if e.dtype.kind not in "biuf":
        raise import_onnx.ImportError_(f"{case}: output of type {e.dtype} (only numbers)")
    if e.dtype.kind == "f":
        err = relative_error(np.asarray(v, dtype=np.float64), e)
        return err < TOLERANCE, f"folded at import, relative error {err:.2g}"
    same = np.shape(v) == e.shape and np.array_equal(np.asarray(v), e)
    return same, "folded at import, " + ("equal" if same else f"got {np.asarray(v).tolist()}")


def selected_cases(data, pattern):
    handled = import_onnx.OPERATORS | import_onnx.FOLDABLE
    for d in sorted(glob.glob(os.path.join(data, "test_*"))):
        case = os.path.basename(d)
        if pattern and not re.search(pattern, case):
            continue
        model = onnx.load(os.path.join(d, "model.onnx"))
        ops = {n.op_type for n in model.graph.node}
        if ops and ops <= handled:
            yield case, d, model, ops


def check_case(case, d, model, ops, work, cdcnn):
    """(status, detail): status 'pass', 'FAIL' or 'not expressible'."""
    results = []
    for vi in list(model.graph.input) + list(model.graph.output):
        if not vi.type.HasField("tensor_type"):
            return "not expressible", f"'{vi.name}' is not a tensor (a sequence or optional value)"
        t = vi.type.tensor_type.elem_type
        if t in (onnx.TensorProto.BFLOAT16, onnx.TensorProto.STRING):
            return "not expressible", f"'{vi.name}' is of type {onnx.TensorProto.DataType.Name(t)} (numbers only, " \
                                      "and numpy has no bfloat16)"
    for ds in sorted(glob.glob(os.path.join(d, "test_data_set_*"))):
        n_in = len(glob.glob(os.path.join(ds, "input_*.pb")))
        inputs = [read_tensor(os.path.join(ds, f"input_{i}.pb")) for i in range(n_in)]
        expected = read_tensor(os.path.join(ds, "output_0.pb"))
        try:
            results.append(run_layers(case, model, inputs, expected, work, cdcnn))
            continue
        except import_onnx.ImportError_ as e:
            reason = str(e)
        if ops <= import_onnx.FOLDABLE:
            try:
                results.append(run_folded(case, model, inputs, expected))
                continue
            except import_onnx.ImportError_ as e:
                reason = f"{reason}; folding: {e}"
        return "not expressible", reason.replace(os.path.join(work, "") + case + ".onnx: ", "")
    if not results:
        return "FAIL", "no test_data_set"
    ok = all(p for p, _ in results)
    return ("pass" if ok else "FAIL"), "; ".join(sorted({detail for _, detail in results}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cdcnn", required=True, help="the cdcnn executable")
    p.add_argument("--out", required=True, help="work directory (created)")
    p.add_argument("--data", default=DATA, help=f"ONNX node test cases (default {DATA})")
    p.add_argument("--cases", help="only cases whose name matches this regular expression")
    p.add_argument("--markdown", help="write the table of cases that are not expressible here")
    p.add_argument("--readme", help="require this file's table under the heading README_HEADING to be that table")
    a = p.parse_args()
    if not os.path.isdir(a.data):
        print(f"{a.data}: no ONNX test data (Debian's libonnx-testdata; hpc/install-deps.sh installs it)")
        return 1
    os.makedirs(a.out, exist_ok=True)
    counts, failed, refused = {}, [], []
    for case, d, model, ops in selected_cases(a.data, a.cases):
        status, detail = check_case(case, d, model, ops, a.out, a.cdcnn)
        counts[status] = counts.get(status, 0) + 1
        print(f"{status:15} {case}: {detail}")
        if status == "FAIL":
            failed.append(case)
        elif status == "not expressible":
            refused.append((case, ", ".join(sorted(ops)), detail))
    table = "| case | operators | why not (the importer's message) |\n|---|---|---|\n" + "".join(
        f"| `{case}` | {ops} | {why.replace('|', '/')} |\n" for case, ops, why in refused)
    if a.markdown:
        with open(a.markdown, "w", encoding="utf-8") as f:
            f.write(table)
    stale = False
    if a.readme and not a.cases:
        text = open(a.readme, encoding="utf-8").read()
        section = text.split(README_HEADING, 1)[1] if README_HEADING in text else ""
        documented = [l for l in section.splitlines() if l.startswith("| `test_")]
        if documented != table.splitlines()[2:]:
            stale = True
            print(f"{a.readme}: the table under '{README_HEADING}' is not this run's (regenerate it with "
                  "--markdown FILE and paste it there)")
    print(f"ONNX conformance: {counts.get('pass', 0)} pass, {counts.get('not expressible', 0)} not expressible, "
          f"{counts.get('FAIL', 0)} FAIL" + (f" ({', '.join(failed)})" if failed else ""))
    return 1 if failed or stale or not counts.get("pass") else 0


if __name__ == "__main__":
    sys.exit(main())
