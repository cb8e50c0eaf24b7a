#!/usr/bin/python3
"""The layer kinds agree everywhere, and each one's example is written out.

    tests/layers/check_layer_kinds.py --out DIR

Checks that tools/cdcnn_model.py's KINDS table and the "Layer kinds" table of
docs/model-file.md name the same kinds with the same integer attributes (and
their number of values), real attributes and datasets (and which are
optional), and that tests/fuzz/model_file.dict holds every one of those
names. Then, for every kind, exports its example (Kind.example, seeded) as
DIR/<kind>.h5, a model file of that one layer, checks that it holds exactly
one layer of that kind and that torch computes the same from the file
(validate_file, run_reference), and writes DIR/<kind>.io.h5 with float32
datasets `input` and `output` (no batch dimension). CTest runs this as the
fixture of tests/layers/layer_kinds_test.cpp, which requires every kind of
the C++ registry to have such a file and to compute what torch computed.
Exits 1 after listing every disagreement.
"""

import argparse
import os
import re
import sys

import h5py
import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import cdcnn_model  # noqa: E402

DOC = os.path.join(ROOT, "docs", "model-file.md")
DICT = os.path.join(ROOT, "tests", "fuzz", "model_file.dict")
GUIDE = os.path.join(ROOT, "layers", "README.md")
TOLERANCE = 1e-6  # torch against torch: only the file's float32 in between


def table_rows(path, section):
    """The cells of each row of the table under `section` whose first cell is a `kind`."""
    text = open(path, encoding="utf-8").read()
    if section not in text:
        raise SystemExit(f"{path} has no section {section!r}")
    table = text.split(section, 1)[1].split("\n## ", 1)[0]
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].startswith("`"):
            yield cells


def documented_kinds(path=DOC):
    """{kind: (ints {name: count, 0 for a scalar}, reals set, required set, optional set)} from the table."""
    kinds = {}
    for cells in table_rows(path, "## Layer kinds"):
        kind = cells[0].strip("`")
        as_other = re.match(r"as (\w+) with (\d) values", cells[1])
        if as_other:  # "as conv2d with 3 values": conv2d's names, each list of that many values
            base, n = kinds[as_other.group(1)][0], int(as_other.group(2))
            ints = {name: (n if count else 0) for name, count in base.items()}
        else:
            ints = {m.group(1): int(m.group(2) or 0) for m in re.finditer(r"`(\w+)`(?:\[(\d)\])?", cells[1])}
        reals = set(re.findall(r"`(\w+)`", cells[2]))
        required, optional = set(), set()
        # A dataset is optional when "(optional)" follows it before the next one.
        for m in re.finditer(r"`(\w+)`([^`]*)", cells[3]):
            (optional if "(optional)" in m.group(2) else required).add(m.group(1))
        kinds[kind] = (ints, reals, required, optional)
    return kinds


def tool_kinds():
    return {name: (dict(k.ints), set(k.reals), set(k.required), set(k.optional))
            for name, k in cdcnn_model.KINDS.items()}


def check_tables():
    """Disagreements between the tool's table, the documentation and the fuzz dictionary."""
    problems = []
    doc, tool = documented_kinds(), tool_kinds()
    for kind in sorted(set(doc) - set(tool)):
        problems.append(f"'{kind}' is in docs/model-file.md but not in KINDS of tools/cdcnn_model.py")
    for kind in sorted(set(tool) - set(doc)):
        problems.append(f"'{kind}' is in KINDS of tools/cdcnn_model.py but not in docs/model-file.md")
    what = ("integer attributes {name: values}", "real attributes", "required datasets", "optional datasets")
    for kind in sorted(set(doc) & set(tool)):
        for label, d, t in zip(what, doc[kind], tool[kind]):
            if d != t:
                problems.append(f"'{kind}': {label} are {sorted(d.items()) if isinstance(d, dict) else sorted(d)} "
                                f"in docs/model-file.md but {sorted(t.items()) if isinstance(t, dict) else sorted(t)} "
                                "in tools/cdcnn_model.py")
    guide = [cells[0].strip("`") for cells in table_rows(GUIDE, "## The built-in kinds")]
    if sorted(guide) != sorted(tool):
        problems.append(f"layers/README.md's table of built-in kinds {sorted(guide)} is not tools/cdcnn_model.py's "
                        f"{sorted(tool)}")
    words = set(re.findall(r'^"([^"]*)"', open(DICT, encoding="utf-8").read(), re.M))
    for kind, (ints, reals, required, optional) in tool.items():
        for name in sorted({kind} | set(ints) | reals | required | optional):
            if name not in words:
                problems.append(f"'{name}' (of kind '{kind}') is missing from tests/fuzz/model_file.dict")
    return problems


def write_example(kind, out_dir, seed=0):
    """Exports KINDS[kind].example to out_dir/<kind>.h5 and its input and output to <kind>.io.h5."""
    torch.manual_seed(seed)
    module, input_shape = cdcnn_model.KINDS[kind].example()
    module.eval()
    x = torch.randn(input_shape)
    with torch.no_grad():
        y = module(x.unsqueeze(0))[0]
    path = os.path.join(out_dir, kind + ".h5")
    layers = cdcnn_model.export_module(module, input_shape, path, name=kind)
    if [k for _, k in layers] != [kind]:
        return f"'{kind}': the example exports as {layers}, not as one layer of kind '{kind}'"
    cdcnn_model.validate_file(path, structure=False)
    again = cdcnn_model.run_reference(path, x.numpy())
    err = cdcnn_model.max_relative_error(again, y.numpy())
    if err >= TOLERANCE:
        return f"'{kind}': torch rebuilt from the file differs from the example by {err:.3g}"
    with h5py.File(os.path.join(out_dir, kind + ".io.h5"), "w") as f:
        f.create_dataset("input", data=x.numpy().astype(np.float32))
        f.create_dataset("output", data=y.numpy().astype(np.float32))
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory for <kind>.h5 and <kind>.io.h5 (created)")
    a = p.parse_args()
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    for stale in os.listdir(a.out):  # a kind removed from the table must not leave its file behind
        if stale.endswith(".h5"):
            os.remove(os.path.join(a.out, stale))
    problems = check_tables()
    for kind in cdcnn_model.KINDS:
        try:
            problem = write_example(kind, a.out)
        except Exception as e:  # report every kind, then fail
            problem = f"'{kind}': {type(e).__name__}: {e}"
        if problem:
            problems.append(problem)
    for problem in problems:
        print(problem)
    if problems:
        print(f"layer kinds: {len(problems)} disagreement(s)")
        return 1
    print(f"layer kinds agree: {len(cdcnn_model.KINDS)} kinds in docs/model-file.md, tools/cdcnn_model.py, "
          f"layers/README.md and tests/fuzz/model_file.dict; examples written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
