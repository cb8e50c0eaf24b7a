#!/usr/bin/env bash
# Distributed inference with no faults against single-process inference, as
# ratios taken in one run (benchmarks/README.md, "Distributed against
# single-process"). Each round, for each model: `cdcnn infer` (the median of
# its timed runs) with the first build, then for every build `cdcnn run
# --code uncoded` on rank 0 + 2 workers and on rank 0 + 1 worker (p50 of the
# inferences, and the framework's overhead per split layer from the trace).
# Builds alternate within a round, so a change of load hits all of them.
#
# Usage: benchmarks/runtime/distributed_vs_single.sh [ROUNDS] [BUILD_DIR...]
#   ROUNDS (default 3), BUILD_DIR (default build; give a second one to
#   compare a change against its base). MODELS="alexnet vgg16" and
#   INFERENCES=10 in the environment change what runs.
set -euo pipefail
rounds=${1:-3}
shift || true
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=(build)
models=${MODELS:-alexnet vgg16}
inferences=${INFERENCES:-10}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); $(getconf _NPROCESSORS_ONLN) cores"
printf '%-5s %-8s %-24s %-6s %10s %8s %12s\n' round model build ranks ms ratio overhead_ms
for ((r = 1; r <= rounds; ++r)); do
  for m in $models; do
    single=$("${builds[0]}/cdcnn" infer --model "$m" --repeat "$inferences" |
             sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
    printf '%-5s %-8s %-24s %-6s %10.1f %8s %12s\n' "$r" "$m" "${builds[0]}" 1 "$single" 1.00 -
    for np in 3 2; do
      for b in "${builds[@]}"; do
        trace="$scratch/$m-$np.h5"
        p50=$(mpirun -q --oversubscribe -np "$np" "$b/cdcnn" run --model "$m" --code uncoded \
                --inferences "$inferences" --progress 0 --trace "$trace" 2>&1 |
              sed -n 's/.*latency p50 \([0-9.]*\) ms.*/\1/p')
        overhead=$("$b/cdcnn" report "$trace" --csv - | tail -n 1 | awk -F, '{print $NF}')
        printf '%-5s %-8s %-24s %-6s %10.1f %8.2f %12s\n' "$r" "$m" "$b" "$np" "$p50" \
          "$(echo "$p50 / $single" | bc -l)" "$overhead"
        rm -f "$trace"
      done
    done
  done
done
echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
