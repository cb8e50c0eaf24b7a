#!/usr/bin/python3
"""Batch-1 inference latency of PyTorch, the baseline for cdcnn's own numbers.

    tools/bench_pytorch.py --torchvision alexnet
    tools/bench_pytorch.py --torchvision vgg16 --repeats 10
    tools/bench_pytorch.py --torchvision resnet50     # any classification network, as export_pytorch.py builds it
    tools/bench_pytorch.py --model layers/zoo/fmnist-cnn.h5 --threads 1
    tools/bench_pytorch.py --depthwise 1 --repeats 200

Prints one parseable line:
    pytorch alexnet median_ms=44.1 min_ms=43.0 threads=1 repeats=20 cpu_ms=44.0
(cpu_ms: the median of the process's CPU time, all threads, per inference: a busy
machine disturbs it less than the wall time.)

--depthwise STRIDE times one MobileNet-like depthwise conv, nn.Conv2d(96, 96,
3, STRIDE, padding=1, groups=96) on a 96x56x56 input, named dw96s<STRIDE> as
benchmarks/engine/engine_bench.cpp names its own (pass the median to it with
--pytorch_ms=dw96s1:...).

The thread count is fixed before torch is imported (OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS are set to --threads unless already set)
and again with torch.set_num_threads. For a clean single-thread number run
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 tools/bench_pytorch.py ...
on an otherwise idle machine.
"""

import argparse
import os
import sys
import time


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--torchvision", metavar="NAME",
                     help="any torchvision classification network, random init (as export_pytorch.py builds it)")
    src.add_argument("--model", metavar="FILE", help="cdcnn model file, run through cdcnn_model.load_module")
    src.add_argument("--depthwise", type=int, choices=(1, 2), metavar="STRIDE",
                     help="one depthwise 3x3 conv, 96 channels, 56x56, at this stride")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--repeats", type=int, default=20, help="timed runs (default 20)")
    p.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    if a.repeats < 1 or a.threads < 1:
        p.error("--repeats and --threads must be positive")

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(a.threads))
    import torch  # after the environment is set

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.torchvision:
        import export_pytorch
        if a.torchvision not in export_pytorch.torchvision_classifiers():
            p.error(f"--torchvision: '{a.torchvision}' is not a torchvision classification network")
        model, shape = export_pytorch.build_torchvision(a.torchvision)
        model, name = model.eval(), a.torchvision
    elif a.depthwise:
        model = torch.nn.Conv2d(96, 96, 3, a.depthwise, padding=1, groups=96).eval()
        shape, name = (96, 56, 56), f"dw96s{a.depthwise}"
    else:
        import cdcnn_model
        model, shape, attrs = cdcnn_model.load_module(a.model)
        name = attrs.get("name", os.path.splitext(os.path.basename(a.model))[0])
    x = torch.randn((1,) + tuple(shape))
    times, cpu_times = [], []
    with torch.no_grad():
        for _ in range(a.warmup):
            model(x)
        for _ in range(a.repeats):
            t, c = time.perf_counter(), time.process_time()
            model(x)
            cpu_times.append((time.process_time() - c) * 1e3)
            times.append((time.perf_counter() - t) * 1e3)
    times.sort()
    cpu_times.sort()
    n = len(times)
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    digits = 3 if a.depthwise else 1
    print(f"pytorch {name} median_ms={median:.{digits}f} min_ms={times[0]:.{digits}f} threads={torch.get_num_threads()} "
          f"repeats={n} cpu_ms={cpu_times[n // 2]:.{digits}f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
