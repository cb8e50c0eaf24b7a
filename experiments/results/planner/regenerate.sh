#!/usr/bin/env bash
# The planner against the plans one would otherwise run, measured: for each
# model and device count, `cdcnn plan --validate` runs the planner's plan and
# every alternative (splitting nothing, all uncoded, 2MR, the best single
# code, cdcnn run's default plan) under the same stragglers, and prints
# predicted against measured p50/p99. plot.py draws measured p99 per plan
# against the device count, the prediction beside it, into planner.png, and
# collects every validation.csv into planner.csv.
#
#   regenerate.sh [BUILD_DIR]    (default: the checkout's build/)
#
# Settings (environment): MODELS (default "alexnet"), DEVICES (default
# "5 7 9"), STRAGGLER (default the paper's Figure 1 fit,
# lognormal:mu=3.1,sigma=1.93), INFERENCES per run (default 100),
# DEADLINE_MS (default 1000). A model is a zoo name or a torchvision name
# (resnet18: exported with tools/export_pytorch.py, random weights). Runs go
# to BUILD_DIR/results/planner/MODEL-DEVICES/ and resume as any sweep.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
cdcnn=$build/cdcnn
[[ -x $cdcnn ]] || { echo "regenerate.sh: no cdcnn executable at $cdcnn (build it first)" >&2; exit 1; }
models=${MODELS:-alexnet}
devices=${DEVICES:-5 7 9}
straggler=${STRAGGLER:-lognormal:mu=3.1,sigma=1.93}
inferences=${INFERENCES:-100}
deadline=${DEADLINE_MS:-1000}
out=$build/results/planner
mkdir -p "$out"
launcher="mpirun -q --oversubscribe --enable-recovery"

for model in $models; do
  source=$model
  if ! "$cdcnn" inspect "$model" > /dev/null 2>&1; then  # not in the zoo: a torchvision network
    source=$out/$model.h5
    [[ -f $source ]] || /usr/bin/python3 "$root/tools/export_pytorch.py" --torchvision "$model" --out "$source"
  fi
  profile=$out/$model.profile.h5
  [[ -f $profile ]] || "$cdcnn" profile --model "$source" --k 1,2,3,4,5,6,8 --out "$profile"
  for d in $devices; do
    echo "== $model on $d devices"
    "$cdcnn" plan --model "$source" --profile "$profile" --devices "$d" --straggler "$straggler" \
      --deadline-ms "$deadline" --out "$out/$model-$d.plan" --validate "$out/$model-$d" \
      --inferences "$inferences" --mpirun "$launcher"
  done
done
/usr/bin/python3 "$here/plot.py" "$out" --out "$here"
