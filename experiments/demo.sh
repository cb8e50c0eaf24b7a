#!/usr/bin/env bash
# The distributed demo (README's first command): AlexNet over a master and six
# workers on this machine, the same seeded stragglers and the same dead worker
# for every code, each run verified against single-process inference; then
# one table of the four runs. Usage: experiments/demo.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
cdcnn=$build/cdcnn
[[ -x $cdcnn ]] || { echo "demo: $cdcnn not found (build first: make build)" >&2; exit 1; }
out=$build/demo
mkdir -p "$out"
rm -f "$out"/*.h5
# Open MPI as root needs these; --oversubscribe: 7 ranks on fewer cores (idle
# ranks sleep, they do not spin); --enable-recovery: a worker that dies does
# not take the job down.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
faults=(--straggler exp:mean=20 --fail stop:rank=3,inference=3 --seed 1)
echo "AlexNet, 1 master + 6 workers, stragglers exp:mean=20 ms per shard, rank 3 fail-stops at inference 3"
for code in uncoded replication:n=2 sum mds:r=2; do
  echo "running $code ..."
  mpirun -q --oversubscribe --enable-recovery -np 7 "$cdcnn" run --model alexnet --code "$code" "${faults[@]}" \
    --inferences 12 --deadline-ms 150 --policy zero-fill --verify --trace "$out/${code//[:=]/-}.h5" > "$out/${code//[:=]/-}.log"
done
"$cdcnn" report "$out"/uncoded.h5 "$out"/replication-n-2.h5 "$out"/sum.h5 "$out"/mds-r-2.h5 --csv "$out/summary.csv"
echo "traces, logs and summary.csv in $out/"

# The paper's own layout (Hadidi et al., DAC '19, Figure 3a, with CDC+2MR):
# AlexNet on 5 devices plus 4 for coverage, rank 0 feeding a stream of frames
# 4 at a time. Device C (rank 3, half of fc6) is killed for real (SIGKILL)
# mid-stream; its half is decoded from D and the parity device on E and E'.
echo
echo "AlexNet on the paper's 5-device layout with CDC+2MR (10 ranks), 40 frames 4 in flight; device C (rank 3) killed at frame 15"
mpirun -q --oversubscribe --enable-recovery -np 10 "$cdcnn" run --model alexnet \
  --plan "$(dirname "$0")/results/figure3/plans/alexnet-5-cdc2mr.plan" --in-flight 4 --inferences 40 \
  --fail crash:rank=3,inference=15 --deadline-ms 500 --frame-timeout-ms 10000 --verify --progress 0 --trace "$out/layout.h5" | tee "$out/layout.log"
