#!/usr/bin/env bash
# CTest `netns`: a coded run across a virtual WiFi cluster of five network
# namespaces (hpc/netns-cluster.sh) whose links are delayed, jittered and
# lossy; one device's link is cut after a third of the inferences and
# restored when the run is over. check_netns_run.py then checks that every
# inference was still exact (or recovered by decoding) within its deadline
# and that the trace shows the cut device's shards decoded around (then
# skipped, once the master suspects it). --master-timeout-s 5: the cut
# worker's backlog, the stop included, may never reach it (the master leaves
# without waiting for it), so it gives up 5 s after it last heard from the
# master instead of the default 60.
#
#   netns_test.sh CDCNN_BINARY HPC_DIR
#
# Exits 77 (CTest's SKIP_RETURN_CODE) when namespaces cannot be made here:
# not root, no iproute2, or a container without CAP_SYS_ADMIN.
set -euo pipefail

cdcnn=${1:?usage: netns_test.sh CDCNN_BINARY HPC_DIR}
hpc=$(cd "${2:?usage: netns_test.sh CDCNN_BINARY HPC_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
devices=5 cut_device=3 inferences=30 cut_after=10

skip() { echo "SKIPPED: $* (the netns test needs root and network namespaces)"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "not root"
command -v ip >/dev/null || skip "no 'ip' command (iproute2)"
probe="cdt-probe$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace here"
ip netns del "$probe"
[[ -x $cdcnn ]] || { echo "FAIL: $cdcnn is not an executable"; exit 1; }

# Its own prefix and subnet: a user's cluster (cdn, 10.77.66) can stay up.
export CDCNN_NETNS_PREFIX=cdt CDCNN_NETNS_SUBNET=10.77.67
work=$(mktemp -d /tmp/cdcnn-netns-test.XXXXXX)
watcher=""
cleanup() {
  local status=$?
  [[ -n $watcher ]] && kill "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null || true
  "$hpc/netns-cluster.sh" down >/dev/null 2>&1 || true
  if ip netns list | grep -qE '^cdt[0-9]+'; then echo "FAIL: namespaces left behind"; status=1; fi
  if ((status != 0 && status != 77)); then
    local keep=/tmp/cdcnn-netns-test-failed.$$
    mv "$work" "$keep" && echo "trace, output and cut report kept in $keep"
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM
"$hpc/netns-cluster.sh" down >/dev/null 2>&1 || true  # leftovers of a killed run

start_ns=$(date +%s%N)
"$hpc/netns-cluster.sh" up $devices --delay 2 --jitter 2 --loss 0.2
"$hpc/netns-cluster.sh" status

"$hpc/cut-mid-run.py" --trace "$work/trace.h5" --device $cut_device --after $cut_after \
  --report "$work/cut.json" --timeout 100 &
watcher=$!

echo "+ netns-cluster.sh run cdcnn run ... (device $cut_device is cut after $cut_after of $inferences inferences)"
status=0
timeout 100 "$hpc/netns-cluster.sh" run "$cdcnn" run --model fmnist-cnn --code mds:r=2 --min-mflops 0.1 \
  --deadline-ms 300 --inferences $inferences --verify --trace "$work/trace.h5" --master-timeout-s 5 \
  >"$work/out.txt" 2>&1 || status=$?
cat "$work/out.txt"
wait "$watcher" || true
watcher=""
if ((status != 0)); then echo "FAIL: the run exited with status $status"; exit 1; fi
/usr/bin/python3 "$here/check_netns_run.py" --trace "$work/trace.h5" --report "$work/cut.json" \
  --output "$work/out.txt" --inferences $inferences
echo "netns test: $(( ($(date +%s%N) - start_ns) / 1000000 )) ms"
