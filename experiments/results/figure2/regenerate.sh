#!/usr/bin/env bash
# The paper's Figure 2 on the two trained Fashion-MNIST networks of the zoo:
# top-1 accuracy on the whole 10,000-image test set when part of ONE layer's
# output is lost, lost blocks zero-filled (the runtime's --policy zero-fill),
# then the same losses under a code that covers them.
#
#   experiments/results/figure2/regenerate.sh [BUILD_DIR]    (default: build/ of this checkout)
#
# Writes, next to this script, for fmnist-cnn figure2.csv (one row per loss
# pattern: `cdcnn accuracy --csv`), figure2.png and table.md, and for
# fmnist-resnet figure2-resnet.csv, figure2-resnet.png and table-resnet.md.
# Environment: MODELS (default "fmnist-cnn fmnist-resnet"), DATASET (default
# /usr/share/datasets/fashion-mnist), SETS (loss sets per point when C(k,J)
# is larger; default 5), CODED_SETS (the same for the coded points; the unit
# tests check every loss set a code survives, at k = 4; default 2), JOBS (parallel cdcnn
# processes; default 2), LIMIT (images; default 0 = all 10,000 — set it for
# a quick look).
#
# Points: each layer's output rows are split into k blocks as the runtime
# splits them, and J = 0..k of the k data shards are lost: every one of the
# C(k,J) sets when there are at most SETS, else SETS distinct sets drawn from
# a fixed seed (the same sets on every run). fmnist-cnn: its four linear
# layers, k=8 for conv 0, conv 3 and dense 7, k=10 (one logit per block) for
# dense 10. fmnist-resnet: two convs inside residual blocks, whose loss the
# block's shortcut goes around — block2.conv2 (32 channels: lost channels of
# the branch, while the shortcut still brings them to the add) and
# block3.conv1 (64 channels, mixed by block3.conv2 before the add) — k=8
# each, and the logits fc, k=10. The coded points lose the same
# data shards (CODED_SETS of those sets: the first drawn from the same seed)
# under `mds:r=J` (any J losses decodable; the stored, well-conditioned parity
# blocks for J <= 4; mds:r=5 and beyond are refused at k = 8 and 10 as
# ill-conditioned) and, beyond J = 4, under `replication:n=2` (every data
# block has a replica, which arrives). README.md explains every column.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:-$root/build}
cdcnn=$build/cdcnn
[[ -x $cdcnn ]] || { echo "figure2: $cdcnn not found (build it: cmake --build $build --target cdcnn)" >&2; exit 1; }
data=${DATASET:-/usr/share/datasets/fashion-mnist}
[[ -d $data ]] || { echo "figure2: $data not found (hpc/install-deps.sh installs dataset-fashion-mnist)" >&2; exit 1; }
sets=${SETS:-5}
coded_sets=${CODED_SETS:-2}
jobs=${JOBS:-2}
limit=${LIMIT:-0}
work=$(mktemp -d /tmp/cdcnn-figure2.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The code that covers the loss of J of k data shards.
covering_code() {
  local j=$1
  if ((j <= 4)); then echo "mds:r=$j"; else echo "replication:n=2"; fi
}

# model: its layers ("name k" each) and the suffix of its files.
declare -A points=([fmnist-cnn]="0:8 3:8 7:8 10:10" [fmnist-resnet]="block2.conv2:8 block3.conv1:8 fc:10")
declare -A suffix=([fmnist-cnn]="" [fmnist-resnet]="-resnet")

for model in ${MODELS:-fmnist-cnn fmnist-resnet}; do
  [[ -n ${points[$model]+x} ]] || { echo "figure2: unknown model '$model' in MODELS (fmnist-cnn, fmnist-resnet)" >&2; exit 1; }
  # One cdcnn accuracy per line: "OUTPUT.csv ARGS...", run JOBS at a time.
  rm -f "$work"/*
  : >"$work/jobs"
  index=0
  job() { printf '%s/%03d.csv %s\n' "$work" "$index" "$*" >>"$work/jobs"; index=$((index + 1)); }
  for point in ${points[$model]}; do
    layer=${point%:*} k=${point#*:}
    common="--model $model --dataset $data --layer $layer --k $k --limit $limit"
    job "$common --lose-data all --sets $sets"
    for ((j = 1; j <= k; j++)); do
      job "$common --code $(covering_code "$j") --lose-data $j --sets $coded_sets"
    done
  done
  echo "figure2: $model: $index runs of cdcnn accuracy, $jobs at a time, in $work"
  start=$(date +%s)
  # shellcheck disable=SC2016
  xargs -P "$jobs" -L 1 sh -c 'out=$1; shift; "$0" accuracy "$@" --csv "$out" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 255; }' "$cdcnn" \
    <"$work/jobs"
  echo "figure2: $model: done in $(($(date +%s) - start)) s"

  # Concatenate in job order, one header.
  s=${suffix[$model]}
  first=1
  for f in "$work"/[0-9][0-9][0-9].csv; do
    if ((first)); then cat "$f"; first=0; else tail -n +2 "$f"; fi
  done >"$here/figure2$s.csv"
  /usr/bin/python3 "$here/plot.py" "$here/figure2$s.csv" --out "$here/figure2$s.png" --table "$here/table$s.md"
done
