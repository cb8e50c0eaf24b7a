#!/usr/bin/env bash
# run_master_dies.sh CDCNN MPIEXEC [MPIEXEC FLAGS...]
# The master is the single point of failure. Kill it (SIGKILL) in the middle
# of a run under mpirun --enable-recovery: every worker must notice within
# --master-timeout-s, say so in one line, and exit — no worker left waiting.
# It dies at a random moment once its trace holds inferences; with
# STARTUP=1, 0.2 s after its process appears, while the job starts: the workers are then blocked in
# MPI_Init, and leave through --startup-timeout-s instead. SIGNAL (default KILL; TERM too)
# is what the master gets. Mid-run, its trace must still open and hold at
# least the inferences seen in it before the kill.
set -u
cdcnn=$1; shift
log=$(mktemp)
trace=$(mktemp -u --suffix .h5)
# The seed makes this job's command line its own (tests may run side by side).
run_args="run --model mlp --code sum --min-mflops 0 --inferences 1000000 --seed $$"
"$@" --enable-recovery -q -n 4 "$cdcnn" $run_args \
  --straggler exp:mean=2 --master-timeout-s 2 --startup-timeout-s 4 --trace "$trace" > "$log" 2>&1 &
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
inferences_of() { "$cdcnn" report "$1" --csv - 2>/dev/null | tail -1 | cut -d, -f4; }
before=0
if [[ -n "${STARTUP:-}" ]]; then
  kill_after=0.2
else
  # Mid-run: once the trace (read while written, SWMR) holds inferences, at a random moment up to 1.5 s later.
  for _ in $(seq 1 300); do
    before=$(inferences_of "$trace"); [[ "$before" =~ ^[0-9]+$ && $before -ge 1 ]] && break; before=0; sleep 0.1
  done
  [[ $before -ge 1 ]] || { echo "FAIL: no inference in the trace after 30 s"; kill $launcher; cat "$log"; exit 1; }
  ms=$((RANDOM % 1500)); kill_after=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
fi
echo "killing the master with SIG${SIGNAL:-KILL} ${kill_after} s after it appeared (its trace then held $before inferences)"
sleep "$kill_after"
kill -"${SIGNAL:-KILL}" "$master"
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
if [[ -z "${STARTUP:-}" ]]; then
  [[ $workers -eq 3 ]] || { echo "FAIL: $workers of 3 workers said they left"; exit 1; }
  # The trace, written by the process that died: every flushed inference is there.
  summary=$("$cdcnn" report "$trace" --csv - 2>&1) || { echo "FAIL: the dead master's trace: $summary"; exit 1; }
  rm -f "$trace"
  inferences=$(echo "$summary" | tail -1 | cut -d, -f4)
  [[ "$inferences" =~ ^[0-9]+$ && $inferences -ge $before ]] ||
    { echo "FAIL: the trace held $before inferences before the kill, now: $summary"; exit 1; }
  echo "the dead master's trace holds $inferences inferences"
fi
rm -f "$trace"
echo "ok: the job ended ${elapsed} s after the master died; $workers of 3 workers said they left, none is left running"
