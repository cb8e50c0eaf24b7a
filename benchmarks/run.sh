#!/usr/bin/env bash
# Runs the benchmarks and prints ratios measured in one run:
#   engine: AlexNet/VGG16 batch-1 latency vs PyTorch (one thread), and on
#           THREADS threads (default 2) vs one thread and vs PyTorch on as
#           many (torch.set_num_threads, OPENBLAS_NUM_THREADS); ResNet-18,
#           ResNet-50, MobileNetV2 and GoogLeNet on one thread vs PyTorch
#           (torchvision.sh); a depthwise
#           layer's direct kernel vs its GEMM path and vs PyTorch, conv GEMM
#           GFLOP/s vs this core's peak, dense GB/s vs read bandwidth;
#   codes:  decode time vs the layer block's compute time, per code;
#   runtime: p50/p99 of uncoded, replication, sum and mds on identical
#           stragglers vs each other and vs the ideal, and the overhead per
#           layer, on 7 ranks (light tail, then the paper's Figure 1 spread)
#           and on 9 ranks (2 cores: idle ranks must not spin).
# Usage: [THREADS=N] benchmarks/run.sh [BUILD_DIR]   (make bench runs it)
set -euo pipefail
build=${1:-build}
threads=${THREADS:-2}
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
pt=()
for m in alexnet vgg16; do
  line=$(/usr/bin/python3 tools/bench_pytorch.py --torchvision "$m" --threads 1 | tail -n 1)
  echo "$line"
  ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  pt+=("$m:$ms")
  line=$(OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads \
         /usr/bin/python3 tools/bench_pytorch.py --torchvision "$m" --threads "$threads" | tail -n 1)
  echo "$line"
  ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  pt+=("$m@$threads:$ms")
done
# A MobileNet-like depthwise layer (3x3, 96 channels, 56x56), stride 1 and 2:
# cdcnn's direct kernel against PyTorch's (engine_bench's dw96s1/dw96s2).
for s in 1 2; do
  line=$(/usr/bin/python3 tools/bench_pytorch.py --depthwise "$s" --threads 1 --repeats 200 | tail -n 1)
  echo "$line"
  ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$line")
  pt+=("dw96s$s:$ms")
done
"$build/benchmarks/engine_bench" "--threads=$threads" "--pytorch_ms=$(IFS=,; echo "${pt[*]}")"
# torchvision's graph networks against PyTorch, through the ONNX importer.
bash benchmarks/torchvision.sh "$build"
if [[ -x "$build/benchmarks/decode_bench" ]]; then "$build/benchmarks/decode_bench"; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bench_dir=$(mktemp -d)
bench_bin=$(cd "$build" && pwd)/benchmarks/latency_bench
(cd "$bench_dir" && mpirun -q --oversubscribe -np 7 "$bench_bin" --inferences 200)
(cd "$bench_dir" && mpirun -q --oversubscribe -np 7 "$bench_bin" --inferences 100 \
   --straggler lognormal:mu=3.1,sigma=1.93)
TIMEFORMAT="9 ranks on this host: %R s wall, %U s user + %S s system CPU"
time (cd "$bench_dir" && mpirun -q --oversubscribe -np 9 "$bench_bin" --inferences 100)
rm -rf "$bench_dir"
