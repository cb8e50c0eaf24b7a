#!/usr/bin/env bash
# Batch-1 latency of torchvision's graph networks, cdcnn against PyTorch, one
# thread each (THREADS=N: N each), ratios measured in one run. Each network is exported with
# random weights (tools/export_pytorch.py, through ONNX), then timed in
# ROUNDS interleaved rounds — PyTorch (tools/bench_pytorch.py) then
# `cdcnn infer`, REPEATS timed runs each — and the median of the round
# medians is kept, so that a busy moment of the machine hits both sides.
# Usage: benchmarks/torchvision.sh [BUILD_DIR] [NAME...]
#   (default: resnet18 resnet50 mobilenet_v2 googlenet; ROUNDS=3 REPEATS=5 THREADS=1)
set -euo pipefail
build=${1:-build}; shift || true
names=("$@"); [[ ${#names[@]} -gt 0 ]] || names=(resnet18 resnet50 mobilenet_v2 googlenet)
rounds=${ROUNDS:-3}; repeats=${REPEATS:-5}; threads=${THREADS:-1}
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
printf '%-14s %12s %12s %8s %14s %14s %8s\n' network "pytorch ms" "cdcnn ms" ratio "pytorch CPU ms" "cdcnn CPU ms" "CPU ratio"
for name in "${names[@]}"; do
  /usr/bin/python3 tools/export_pytorch.py --torchvision "$name" --out "$work/$name.h5" > /dev/null
  pt=(); us=(); ptc=(); usc=()
  for ((r = 0; r < rounds; ++r)); do
    line=$(/usr/bin/python3 tools/bench_pytorch.py --torchvision "$name" --threads "$threads" --repeats "$repeats")
    pt+=("$(sed -n 's/.* median_ms=\([0-9.]*\).*/\1/p' <<< "$line")")
    ptc+=("$(sed -n 's/.*cpu_ms=\([0-9.]*\).*/\1/p' <<< "$line")")
    out=$("$build/cdcnn" infer --model "$work/$name.h5" --repeat "$repeats" --threads "$threads")
    us+=("$(sed -n 's/^time per inference: median \([0-9.]*\) ms.*/\1/p' <<< "$out")")
    usc+=("$(sed -n 's/^CPU time per inference (all threads): median \([0-9.]*\) ms.*/\1/p' <<< "$out")")
  done
  p=$(printf '%s\n' "${pt[@]}" | median); c=$(printf '%s\n' "${us[@]}" | median)
  pc=$(printf '%s\n' "${ptc[@]}" | median); cc=$(printf '%s\n' "${usc[@]}" | median)
  awk -v n="$name" -v p="$p" -v c="$c" -v pc="$pc" -v cc="$cc" \
    'BEGIN { printf "%-14s %12.1f %12.1f %8.2f %14.1f %14.1f %8.2f\n", n, p, c, c / p, pc, cc, cc / pc }'
  echo "  (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
