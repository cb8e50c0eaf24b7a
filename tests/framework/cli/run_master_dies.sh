#!/usr/bin/env bash
# run_master_dies.sh CDCNN MPIEXEC [MPIEXEC FLAGS...]
# The master is the single point of failure. Kill it (SIGKILL) in the middle
# of a run under mpirun --enable-recovery: every worker must notice within
# --master-timeout-s, say so in one line, and exit — no worker left waiting.
# KILL_AFTER (seconds after the master process appears, default 2) of 0.2
# kills it while the job starts: the workers are then blocked in MPI_Init, and
# leave through --startup-timeout-s instead.
set -u
cdcnn=$1; shift
log=$(mktemp)
# The seed makes this job's command line its own (tests may run side by side).
run_args="run --model mlp --code sum --min-mflops 0 --inferences 1000000 --seed $$"
"$@" --enable-recovery -q -n 4 "$cdcnn" $run_args \
  --straggler exp:mean=2 --master-timeout-s 2 --startup-timeout-s 4 > "$log" 2>&1 &
launcher=$!
# Rank 0 is the cdcnn process whose environment says OMPI_COMM_WORLD_RANK=0.
master=""
for _ in $(seq 1 100); do
  for pid in $(pgrep -f "$cdcnn $run_args"); do
    if tr '\0' '\n' < /proc/$pid/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=0; then master=$pid; fi
  done
  [[ -n $master ]] && break
  sleep 0.1
done
[[ -n $master ]] || { echo "FAIL: no master process found"; kill $launcher; cat "$log"; exit 1; }
sleep "${KILL_AFTER:-2}"   # let it start, or run inferences
kill -9 "$master"
start=$(date +%s)
# The job must end on its own; if it has not after 20 s, say who is left.
for _ in $(seq 1 200); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
if kill -0 $launcher 2>/dev/null; then
  echo "FAIL: the job has not ended 20 s after the master died; left:"
  pgrep -af "$cdcnn $run_args"
  pkill -9 -f "$cdcnn $run_args"; kill $launcher; cat "$log"; exit 1
fi
wait $launcher
elapsed=$(( $(date +%s) - start ))
cat "$log"
workers=$(grep -c "presumed dead, leaving" "$log")
rm -f "$log"
left=$(pgrep -f "$cdcnn $run_args" | wc -l)
[[ $left -eq 0 ]] || { echo "FAIL: $left cdcnn processes still running after the job ended"; exit 1; }
[[ $elapsed -le 15 ]] || { echo "FAIL: the job took ${elapsed} s to end after the master died"; exit 1; }
# Mid-run, every worker must notice and say so. At start-up mpirun itself
# sometimes ends the job when the master dies before MPI_Init is done (the
# workers are then killed, silently): gone is what matters there.
if [[ "${KILL_AFTER:-2}" == 2 ]]; then
  [[ $workers -eq 3 ]] || { echo "FAIL: $workers of 3 workers said they left"; exit 1; }
fi
echo "ok: the job ended ${elapsed} s after the master died; $workers of 3 workers said they left, none is left running"
