#!/usr/bin/python3
"""Export a PyTorch network to a cdcnn model file (docs/model-file.md).

    # torchvision AlexNet / VGG16: random init from --seed, or weights from a state dict
    tools/export_pytorch.py --torchvision alexnet --out alexnet.h5 --seed 0
    tools/export_pytorch.py --torchvision vgg16 --state-dict vgg16.pth --out vgg16.h5

    # any supported module returned by a factory function in a Python file
    tools/export_pytorch.py --module mynet.py:build --input-shape 3,32,32 --out mynet.h5

Torchvision models get ImageNet input_mean / input_std. No weights are ever
downloaded: torchvision models are built with weights=None.
"""

import argparse
import importlib.util
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdcnn_model  # noqa: E402

TORCHVISION = ("alexnet", "vgg16")


def floats(text):
    return [float(v) for v in text.split(",")]


def load_factory(spec):
    path, sep, func = spec.rpartition(":")
    if not sep or not path or not func:
        raise SystemExit(f"--module: expected python_file:factory_function, got '{spec}'")
    if not os.path.exists(path):
        raise SystemExit(f"--module: no such file '{path}'")
    mod_spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    mod = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    mod_spec.loader.exec_module(mod)
    if not hasattr(mod, func):
        raise SystemExit(f"--module: '{path}' has no function '{func}'")
    return getattr(mod, func)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--torchvision", choices=TORCHVISION, help="a torchvision model (random init unless --state-dict)")
    src.add_argument("--module", metavar="FILE.py:FUNC", help="factory function returning the torch module")
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument("--state-dict", metavar="FILE", help="torch.save'd state dict to load into the model")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building the model (default 0)")
    p.add_argument("--input-shape", help="input shape without batch, e.g. 3,224,224 (required with --module)")
    p.add_argument("--name", help="model name stored in the file (default: torchvision name or factory name)")
    p.add_argument("--input-mean", type=floats, help="per-channel mean, e.g. 0.5,0.5,0.5")
    p.add_argument("--input-std", type=floats, help="per-channel std")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    mean, std = a.input_mean, a.input_std
    if a.torchvision:
        import torchvision
        module = getattr(torchvision.models, a.torchvision)(weights=None)
        shape = (3, 224, 224)
        if a.input_shape:
            shape = tuple(int(v) for v in a.input_shape.split(","))
        name = a.name or a.torchvision
        if mean is None and std is None:
            mean, std = cdcnn_model.IMAGENET_MEAN, cdcnn_model.IMAGENET_STD
    else:
        if not a.input_shape:
            p.error("--module needs --input-shape, e.g. --input-shape 3,224,224")
        factory = load_factory(a.module)
        module = factory()
        if not isinstance(module, torch.nn.Module):
            p.error(f"--module: {a.module} returned {type(module).__name__}, not a torch.nn.Module")
        shape = tuple(int(v) for v in a.input_shape.split(","))
        name = a.name or a.module.rpartition(":")[2]
    if a.state_dict:
        state = torch.load(a.state_dict, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
            state = state["state_dict"]
        module.load_state_dict(state)
    module.eval()
    try:
        layers = cdcnn_model.export_module(module, shape, a.out, name=name, input_mean=mean, input_std=std)
    except cdcnn_model.ModelFileError as e:
        print(f"export_pytorch: {e}", file=sys.stderr)
        return 1
    params = sum(t.numel() for t in module.state_dict().values() if t.is_floating_point())
    print(f"wrote {a.out}: '{name}', input {list(shape)}, {len(layers)} layers, "
          f"{os.path.getsize(a.out) / 1e6:.1f} MB ({params} stored floats in the module)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
