#!/usr/bin/env bash
# The paper's Figure 1 (arrival times of one split dense layer's results at the
# master) measured over emulated WiFi links (hpc/netns-cluster.sh) instead of
# injected delays. As root:
#
#   experiments/wifi-arrivals/run.sh [CDCNN_BINARY]     (default: build/cdcnn)
#
# Three devices: the master and two workers, each computing 2048 of AlexNet's
# fc6 outputs (the paper's layout: fc_1 split 2 ways, 2048 outputs each), no
# code, no injected delay, a 5 s deadline so that every result is waited for.
# Each worker reads its shard from a coded-weight file (no 75 MB shards sent
# over the emulated links at start-up). Writes results/trace.h5,
# results/arrivals.csv, results/summary.txt and results/fig1-wifi.png.
# LINK="--delay 1 --jitter 3 --loss 0.5 --rate 94mbit" and INFERENCES=300
# are the defaults.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cdcnn=$(realpath "${1:-$root/build/cdcnn}")
[[ -x $cdcnn ]] || { echo "wifi-arrivals: $cdcnn not found (make build)" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "wifi-arrivals: run as root (network namespaces)" >&2; exit 1; }
read -r -a link <<<"${LINK:---delay 1 --jitter 3 --loss 0.5 --rate 94mbit}"
inferences=${INFERENCES:-300}
out=$here/results
mkdir -p "$out"
work=$(mktemp -d /tmp/cdcnn-wifi-arrivals.XXXXXX)
export CDCNN_NETNS_PREFIX=cdfig CDCNN_NETNS_SUBNET=10.77.69
trap '"$root/hpc/netns-cluster.sh" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "classifier.1 2 uncoded 1 2" >"$work/fc6.plan"
"$cdcnn" encode --model alexnet --plan "$work/fc6.plan" --out "$work/alexnet-fc6.h5" >/dev/null
"$root/hpc/netns-cluster.sh" up 3 "${link[@]}"
"$root/hpc/netns-cluster.sh" run "$cdcnn" run --model alexnet --plan "$work/fc6.plan" \
  --weights-from file --coded "$work/alexnet-fc6.h5" --deadline-ms 5000 --policy wait \
  --inferences "$inferences" --trace "$out/trace.h5" | tee "$work/run.txt"
/usr/bin/python3 "$here/plot.py" "$out/trace.h5" --link "${link[*]}" --out "$out"
