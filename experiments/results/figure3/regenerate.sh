#!/usr/bin/env bash
# The paper's Figure 3 from the five plans in plans/: coverage of one device
# failure against the number of additional devices, 2MR and CDC+2MR.
#   regenerate.sh [BUILD_DIR]    (default: the checkout's build/)
# Writes csv/NAME.csv and tables/NAME.txt (cdcnn coverage), then figure3.png
# (plot.py). Takes a few seconds, most of it building the zoo models that the
# plans are checked against.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../../../build}
cdcnn=$build/cdcnn
if [[ ! -x $cdcnn ]]; then
  echo "regenerate.sh: no cdcnn executable at $cdcnn (build it: cmake --build $build --target cdcnn)" >&2
  exit 1
fi
mkdir -p "$here/csv" "$here/tables"
# name and the model its layer names are checked against ("-": none in the zoo)
plans=("alexnet-5 alexnet" "action-8 -" "c3d-7 c3d" "c3d-9 c3d" "vgg16-8 vgg16")
for entry in "${plans[@]}"; do
  read -r name model <<<"$entry"
  args=(coverage --plan "$here/plans/$name.plan" --csv "$here/csv/$name.csv")
  [[ $model != - ]] && args+=(--model "$model")
  "$cdcnn" "${args[@]}" >"$here/tables/$name.txt"
  echo "== $name"
  cat "$here/tables/$name.txt"
done
/usr/bin/python3 "$here/plot.py" "$here"
