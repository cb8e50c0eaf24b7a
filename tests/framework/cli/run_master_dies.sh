#!/usr/bin/env bash
# run_master_dies.sh CDCNN MPIEXEC [MPIEXEC FLAGS...]
# The master is the single point of failure. Kill it (SIGKILL) in the middle
# of a run under mpirun --enable-recovery: every worker must notice within
# --master-timeout-s, say so in one line, and exit — no worker left waiting.
set -u
cdcnn=$1; shift
log=$(mktemp)
"$@" --enable-recovery -q -n 4 "$cdcnn" run --model mlp --code sum --min-mflops 0 --inferences 1000000 \
  --straggler exp:mean=2 --master-timeout-s 2 > "$log" 2>&1 &
launcher=$!
# Rank 0 is the cdcnn process whose environment says OMPI_COMM_WORLD_RANK=0.
master=""
for _ in $(seq 1 100); do
  for pid in $(pgrep -f "$cdcnn run --model mlp --code sum --min-mflops 0 --inferences 1000000"); do
    if tr '\0' '\n' < /proc/$pid/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=0; then master=$pid; fi
  done
  [[ -n $master ]] && break
  sleep 0.1
done
[[ -n $master ]] || { echo "FAIL: no master process found"; kill $launcher; cat "$log"; exit 1; }
sleep 2   # let it run inferences
kill -9 "$master"
start=$(date +%s)
wait $launcher
elapsed=$(( $(date +%s) - start ))
cat "$log"
workers=$(grep -c "nothing from the master for 2 s: it is presumed dead, leaving" "$log")
rm -f "$log"
[[ $workers -eq 3 ]] || { echo "FAIL: $workers of 3 workers said they left"; exit 1; }
[[ $elapsed -le 15 ]] || { echo "FAIL: the job took ${elapsed} s to end after the master died"; exit 1; }
echo "ok: all 3 workers left ${elapsed} s after the master died"
