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
