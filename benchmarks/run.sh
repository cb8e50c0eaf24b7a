#!/usr/bin/env bash
# Runs the benchmarks and prints ratios measured in one run:
#   engine: AlexNet/VGG16 batch-1 latency vs PyTorch (one thread), conv GEMM
#           GFLOP/s vs this core's peak, dense GB/s vs read bandwidth;
#   codes:  decode time vs the layer block's compute time, per code.
# Usage: benchmarks/run.sh [BUILD_DIR]   (make bench runs it)
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
pt=()
for m in alexnet vgg16; do
  line=$(/usr/bin/python3 tools/bench_pytorch.py --torchvision "$m" --threads 1 | tail -n 1)
  echo "$line"
  ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  pt+=("$m:$ms")
done
"$build/benchmarks/engine_bench" "--pytorch_ms=$(IFS=,; echo "${pt[*]}")"
if [[ -x "$build/benchmarks/decode_bench" ]]; then "$build/benchmarks/decode_bench"; fi
