#!/usr/bin/python3
"""Writes the fuzz targets' seed corpus into tests/fuzz/corpus/<target>/.

    tests/fuzz/make_corpus.py CDCNN_BINARY

Model files: three tiny networks written with h5py that between them use
every layer kind, scalar and list attributes, variable- and fixed-length
strings and an input normalisation (docs/model-file.md). Coded-weight files:
those models encoded by `cdcnn encode` with a few codes. Plans and specs:
short valid texts. Every seed is a valid input, a few KB at most.
"""

import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
rng = np.random.default_rng(0)


def weights(*shape):
    return (rng.standard_normal(shape) * 0.5).astype(np.float32)


def write_model(path, input_shape, layers, fixed_strings=False, norm=None):
    """layers: (kind, name, ints, reals, datasets) in order."""
    def text(value):
        return np.bytes_(value) if fixed_strings else value

    with h5py.File(path, "w") as f:
        f.attrs["format"] = text("cdcnn-model")
        f.attrs["format_version"] = np.int64(1)
        f.attrs["input_shape"] = np.array(input_shape, dtype=np.int64)
        f.attrs["name"] = text(os.path.splitext(os.path.basename(path))[0])
        if norm:
            f.attrs["input_mean"] = np.array(norm[0], dtype=np.float64)
            f.attrs["input_std"] = np.array(norm[1], dtype=np.float64)
        group = f.create_group("layers")
        group.attrs["count"] = np.int64(len(layers))
        for i, (kind, name, ints, reals, data) in enumerate(layers):
            g = group.create_group(str(i))
            g.attrs["kind"] = text(kind)
            g.attrs["name"] = text(name)
            for key, value in ints.items():
                g.attrs[key] = np.int64(value) if np.isscalar(value) else np.array(value, dtype=np.int64)
            for key, value in reals.items():
                g.attrs[key] = np.float64(value)
            for key, value in data.items():
                g[key] = value


def models(out):
    os.makedirs(out, exist_ok=True)
    paths = {}
    paths["mlp"] = os.path.join(out, "mlp.h5")
    write_model(paths["mlp"], [6], [
        ("dense", "fc1", {}, {}, {"weight": weights(4, 6), "bias": weights(4)}),
        ("relu", "act", {}, {}, {}),
        ("dropout", "drop", {}, {"p": 0.25}, {}),
        ("dense", "fc2", {}, {}, {"weight": weights(3, 4)}),
        ("softmax", "prob", {}, {}, {}),
    ])
    paths["cnn2d"] = os.path.join(out, "cnn2d.h5")
    write_model(paths["cnn2d"], [2, 6, 6], [
        ("conv2d", "conv", {"kernel_size": [3, 3], "padding": 1, "groups": 1}, {},
         {"weight": weights(4, 2, 3, 3), "bias": weights(4)}),
        ("batchnorm", "bn", {}, {"eps": 1e-5},
         {"weight": weights(4), "bias": weights(4), "running_mean": weights(4),
          "running_var": np.abs(weights(4)) + 0.5}),
        ("relu", "act", {}, {}, {}),
        ("lrn", "lrn", {"size": 3}, {"alpha": 1e-4, "beta": 0.75, "k": 1.0}, {}),
        ("maxpool2d", "pool", {"kernel_size": [2, 2], "stride": [2, 2], "ceil_mode": 0}, {}, {}),
        ("avgpool2d", "avg", {"kernel_size": 2, "stride": 1, "padding": 1, "count_include_pad": 0}, {}, {}),
        ("adaptiveavgpool2d", "adapt", {"output_size": [2, 2]}, {}, {}),
        ("flatten", "flat", {}, {}, {}),
        ("dense", "fc", {}, {}, {"weight": weights(3, 16), "bias": weights(3)}),
    ], norm=([0.5, 0.4], [0.2, 0.25]))
    paths["cnn3d"] = os.path.join(out, "cnn3d.h5")
    write_model(paths["cnn3d"], [1, 4, 4, 4], [
        ("conv3d", "conv", {"kernel_size": [2, 2, 2], "stride": 1, "dilation": [1, 1, 1]}, {},
         {"weight": weights(2, 1, 2, 2, 2)}),
        ("maxpool3d", "pool", {"kernel_size": 3, "stride": 1}, {}, {}),
        ("flatten", "flat", {}, {}, {}),
        ("dense", "fc", {}, {}, {"weight": weights(2, 2), "bias": weights(2)}),
    ], fixed_strings=True)
    return paths


def coded(out, cdcnn, model_paths):
    os.makedirs(out, exist_ok=True)
    for model, split, name in [("mlp", "fc1 2 sum", "mlp-sum"),
                               ("mlp", "fc2 3 mds:r=2", "mlp-mds"),
                               ("cnn2d", "conv 2 replication:n=2", "cnn2d-replication"),
                               ("cnn3d", "fc 2 pairwise", "cnn3d-pairwise")]:
        subprocess.run([cdcnn, "encode", "--model", model_paths[model], "--split", split,
                        "--out", os.path.join(out, name + ".h5")], check=True, stdout=subprocess.DEVNULL)


def texts(out, items):
    os.makedirs(out, exist_ok=True)
    for name, content in items.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(content if isinstance(content, bytes) else content.encode())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    paths = models(os.path.join(CORPUS, "model_file"))
    coded(os.path.join(CORPUS, "coded_file"), sys.argv[1], paths)
    # fuzz_plan encodes into conv (6 rows), fc (10 rows) and out (4 rows).
    texts(os.path.join(CORPUS, "plan"), {
        "two-layers.plan": "# layer k code [ranks]\nfc 4 mds:r=2 1 2 3 4 5 6\nout 2 sum\n",
        "conv.plan": "conv 3 grouped-sum:g=2\n\n   # comment\nout 4 pairwise 1 2 3 4 5 6\n",
        "replication.plan": "fc 2 replication:n=3\nconv 6 uncoded\n",
        "input.plan": "input 1 4\nfc 2 sum 2 3 5\n",
    })
    # fuzz_spec: selector byte (0 spec string, 1 delay, 2 injector, 3 code), parameter byte, text.
    texts(os.path.join(CORPUS, "spec"), {
        "spec-string": b"\x00\x00mds:r=2,a=1.5,b=x",
        "delay-exp": b"\x01\x00exp:mean=20",
        "delay-shifted": b"\x01\x00shifted-exp:shift=10,mean=20",
        "delay-pareto": b"\x01\x00pareto:scale=5,shape=1.5",
        "delay-lognormal": b"\x01\x00lognormal:mu=3.1,sigma=1.93",
        "delay-empirical": b"\x01\x00empirical:file=x\n1.5, 2\n# comment\n30 4e1\n",
        "injector": b"\x02\x07exp:mean=5\n2-4@pareto:scale=1,shape=2\n\nstop:rank=2,inference=3\n"
                    b"intermittent:rank=3,from=1,to=4\ndrop:p=0.1\ncrash:rank=1,at_ms=50\n"
                    b"corrupt:rank=4,kind=bitflip,p=0.5",
        "code-mds": b"\x03\x03mds:r=2",
        "code-grouped-sum": b"\x03\x05grouped-sum:g=2",
        "code-replication": b"\x03\x02replication:n=3",
        "code-sum": b"\x03\x07sum",
    })
    print(f"corpus written to {CORPUS}")


if __name__ == "__main__":
    main()
