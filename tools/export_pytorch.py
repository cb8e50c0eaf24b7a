#!/usr/bin/python3
"""Export a PyTorch network to a cdcnn model file (docs/model-file.md).

    # any torchvision classification network: random init from --seed, or weights from a state dict
    tools/export_pytorch.py --torchvision alexnet --out alexnet.h5 --seed 0
    tools/export_pytorch.py --torchvision resnet18 --out resnet18.h5
    tools/export_pytorch.py --torchvision vgg16 --state-dict vgg16.pth --out vgg16.h5

    # any supported module returned by a factory function in a Python file
    tools/export_pytorch.py --module mynet.py:build --input-shape 3,32,32 --out mynet.h5

nn.Sequential, torchvision AlexNet and VGG are written directly, layer by
layer (layer names are the module paths: features.0, classifier.1). Any
other module goes through torch.onnx.export (opset 13) and
tools/import_onnx.py (layer names are the ONNX node names); --via-onnx
forces that route, --keep-onnx FILE keeps the ONNX file. Torchvision models
get ImageNet input_mean / input_std, and 3x299x299 inputs for inception_v3
(3x224x224 for the others). No weights are ever downloaded: torchvision
models are built with weights=None, GoogLeNet and Inception v3 without their
auxiliary classifiers (which eval mode does not run).
"""

import argparse
import importlib.util
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdcnn_model  # noqa: E402


def torchvision_classifiers():
    """The classification networks of torchvision.models (not detection, segmentation, video...)."""
    import torchvision
    return torchvision.models.list_models(module=torchvision.models)


def build_torchvision(name):
    """torchvision network `name`, random init, no download; (module, input shape)."""
    import torchvision
    kwargs = {}
    if name in ("googlenet", "inception_v3"):
        kwargs = {"aux_logits": False, "init_weights": True}
    return torchvision.models.get_model(name, weights=None, **kwargs), \
        ((3, 299, 299) if name == "inception_v3" else (3, 224, 224))


def export_via_onnx(module, shape, out, name, mean, std, keep_onnx=None):
    """torch.onnx.export to a temporary (or kept) file, then tools/import_onnx.py; the list of Layer."""
    import import_onnx
    with tempfile.TemporaryDirectory() as tmp:
        path = keep_onnx or os.path.join(tmp, "model.onnx")
        x = torch.zeros((1,) + tuple(shape))
        with torch.no_grad():
            torch.onnx.export(module, x, path, opset_version=13, do_constant_folding=True,
                              input_names=["input"], output_names=["output"])
        try:
            return import_onnx.import_onnx(path, out, name, mean, std)
        except import_onnx.ImportError_ as e:  # name the network, not a temporary file
            raise import_onnx.ImportError_(str(e).replace(path, f"{name} (through ONNX)")) from None


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
    src.add_argument("--torchvision", metavar="NAME",
                     help="a torchvision classification network, e.g. resnet18 (random init unless --state-dict)")
    src.add_argument("--module", metavar="FILE.py:FUNC", help="factory function returning the torch module")
    p.add_argument("--out", required=True, help="model file to write")
    p.add_argument("--state-dict", metavar="FILE", help="torch.save'd state dict to load into the model")
    p.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building the model (default 0)")
    p.add_argument("--input-shape", help="input shape without batch, e.g. 3,224,224 (required with --module)")
    p.add_argument("--name", help="model name stored in the file (default: torchvision name or factory name)")
    p.add_argument("--input-mean", type=floats, help="per-channel mean, e.g. 0.5,0.5,0.5")
    p.add_argument("--input-std", type=floats, help="per-channel std")
    p.add_argument("--via-onnx", action="store_true", help="export through ONNX even for a Sequential / AlexNet / VGG")
    p.add_argument("--keep-onnx", metavar="FILE", help="keep the ONNX file of the ONNX route here")
    a = p.parse_args()

    torch.manual_seed(a.seed)
    mean, std = a.input_mean, a.input_std
    if a.torchvision:
        known = torchvision_classifiers()
        if a.torchvision not in known:
            p.error(f"--torchvision: '{a.torchvision}' is not a torchvision classification network; "
                    f"known: {', '.join(known)}")
        module, shape = build_torchvision(a.torchvision)
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
    import import_onnx
    import torchvision
    direct = isinstance(module, (torch.nn.Sequential, torchvision.models.AlexNet, torchvision.models.VGG))
    try:
        if direct and not a.via_onnx and not a.keep_onnx:
            layers = cdcnn_model.export_module(module, shape, a.out, name=name, input_mean=mean, input_std=std)
        else:
            layers = export_via_onnx(module, shape, a.out, name, mean, std, a.keep_onnx)
    except (cdcnn_model.ModelFileError, import_onnx.ImportError_) as e:
        print(f"export_pytorch: {e}", file=sys.stderr)
        return 1
    params = sum(t.numel() for t in module.state_dict().values() if t.is_floating_point())
    print(f"wrote {a.out}: '{name}', input {list(shape)}, {len(layers)} layers, "
          f"{os.path.getsize(a.out) / 1e6:.1f} MB ({params} stored floats in the module)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
