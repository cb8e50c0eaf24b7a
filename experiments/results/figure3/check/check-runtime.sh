#!/usr/bin/env bash
# Checks Figure 3's end points in the distributed runtime, with the paper's
# AlexNet on 5 devices: with the layout as it is (alexnet-5-star.plan: the
# runtime keeps the input on rank 0, so device A is left out) every single
# failure of devices B..E degrades the answer; with the 4 devices CDC+2MR adds
# (alexnet-5-cdc2mr.plan) every single failure, added devices included, is
# decoded around or met by a copy, and the answer equals single-process
# inference (relative error below 1e-4). Device A (rank 1) and its replica
# (rank 7) hold the input, which the runtime does not place yet: not checked.
#   check-runtime.sh [BUILD_DIR]    (default: the checkout's build/)
# One `cdcnn run` per failed device (11 runs of 6 or 10 ranks, about 5 minutes
# on 2 cores). Prints a line per run; exits 1 if any run disagrees.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../../../../build}
cdcnn=$build/cdcnn
[[ -x $cdcnn ]] || { echo "check-runtime.sh: no cdcnn executable at $cdcnn" >&2; exit 1; }
if [[ $(id -u) == 0 ]]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
log=$(mktemp); trap 'rm -f "$log"' EXIT
status=0
run() {  # run PLAN RANKS FAILED EXPECTED-REGEX
  local plan=$1 ranks=$2 failed=$3 expected=$4
  mpirun --oversubscribe -q -n "$ranks" "$cdcnn" run --model alexnet --plan "$plan" --inferences 2 \
    --fail "stop:rank=$failed,inference=0" --deadline-ms 1000 --policy zero-fill --verify >"$log" 2>&1 || true
  local outcome error
  outcome=$(grep -Eo 'exact [0-9]+, recovered by decoding [0-9]+, degraded [0-9]+, failed [0-9]+' "$log" || echo "no summary")
  # --verify: exact and recovered answers against single-process inference (none when all degraded)
  error=$(grep -Eo 'vs single-process: [0-9.e+-]+' "$log" | awk '{print $3}' || true)
  [[ -n $error ]] && outcome="$outcome; max rel. error $error"
  if grep -Eq "$expected" <<<"$outcome" && { [[ -z $error ]] || awk -v e="$error" 'BEGIN { exit !(e < 1e-4) }'; }; then
    printf '%-22s device %-2s fails: %s\n' "$(basename "$plan")" "$failed" "$outcome"
  else
    printf '%-22s device %-2s fails: %s   <- expected /%s/\n' "$(basename "$plan")" "$failed" "$outcome" "$expected"
    tail -5 "$log"; status=1
  fi
}
for d in 2 3 4 5; do run "$here/alexnet-5-star.plan" 6 "$d" 'degraded 2, failed 0'; done
for d in 2 3 4 5 6 8 9; do run "$here/alexnet-5-cdc2mr.plan" 10 "$d" 'exact [0-9]+, recovered by decoding [0-9]+, degraded 0, failed 0'; done
exit $status
