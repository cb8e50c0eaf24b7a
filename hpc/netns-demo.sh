#!/usr/bin/env bash
# The virtual-cluster demo in one command (as root):
#
#   hpc/netns-demo.sh [CDCNN_BINARY]      (default: build/cdcnn)
#
# Five emulated WiFi devices (hpc/netns-cluster.sh: 3 ms one way, Pareto
# jitter of mean 3 ms, 0.5% loss per link direction), the Fashion-MNIST CNN
# split over the four workers with an MDS code (k=2, r=2), 60 inferences
# verified against single-process inference. Device 3's link is cut after 20
# inferences and restored at the end. Prints cdcnn's summary and, per device,
# what became of its shards before and during the cut. Removes the cluster
# on the way out, whatever happens. DEMO_* variables change the settings.
set -euo pipefail
hpc=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cdcnn=${1:-$hpc/../build/cdcnn}
[[ -x $cdcnn ]] || { echo "netns-demo: $cdcnn not found: build first (make build, or cmake --build build)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "netns-demo: run as root (network namespaces)" >&2; exit 1; }
export CDCNN_NETNS_PREFIX=${CDCNN_NETNS_PREFIX:-cdemo} CDCNN_NETNS_SUBNET=${CDCNN_NETNS_SUBNET:-10.77.68}
inferences=${DEMO_INFERENCES:-60} cut_after=${DEMO_CUT_AFTER:-20} device=${DEMO_CUT_DEVICE:-3}
work=$(mktemp -d /tmp/cdcnn-netns-demo.XXXXXX)
watcher=""
cleanup() {
  [[ -n $watcher ]] && kill "$watcher" 2>/dev/null || true
  "$hpc/netns-cluster.sh" down 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$hpc/netns-cluster.sh" up 5 --delay "${DEMO_DELAY:-3}" --jitter "${DEMO_JITTER:-3}" --loss "${DEMO_LOSS:-0.5}"
"$hpc/netns-cluster.sh" status
"$hpc/cut-mid-run.py" --trace "$work/trace.h5" --device "$device" --after "$cut_after" --report "$work/cut.json" &
watcher=$!
echo
echo "+ cdcnn run across devices 1-5 (rank r on device r+1); device $device is cut after $cut_after inferences"
"$hpc/netns-cluster.sh" run "$cdcnn" run --model fmnist-cnn --code "${DEMO_CODE:-mds:r=2}" --min-mflops 0.1 \
  --deadline-ms "${DEMO_DEADLINE_MS:-300}" --inferences "$inferences" --verify --trace "$work/trace.h5" \
  --master-timeout-s 5  # the cut worker gives up 5 s after it last heard from the master (default 60)
wait "$watcher" || true
watcher=""
echo
/usr/bin/python3 "$hpc/fates-by-rank.py" "$work/trace.h5" --cut "$work/cut.json"
echo
echo "trace kept: $work/trace.h5 (tables inferences, layers, shards, late, health, ranks; h5py or h5dump)"
