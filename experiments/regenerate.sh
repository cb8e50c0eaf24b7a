#!/usr/bin/env bash
# Regenerates every figure of experiments/results/ from the committed suites,
# in one command: builds cdcnn if needed, runs each suite through `cdcnn
# sweep` (traces and logs under BUILD/results/), redraws each PNG and CSV
# into experiments/results/<figure>/, and says how long each step took.
#
#   experiments/regenerate.sh [--fresh] [--only FIGS] [--keep-calibration] [BUILD_DIR]
#                                                         (default BUILD_DIR: build)
#   make figures                                          (the same, BUILD=build)
#
# --only takes a comma-separated subset of figure1, figure5b, tail, figure2,
# figure3 (default: all), e.g. --only figure1,figure5b,tail for the runtime
# sweeps alone. Each plot.py also writes the small per-run data it draws from
# (CSV) next to its PNG, so `plot.py --out DIR` redraws a figure from
# committed files alone, without rerunning anything.
#
# --keep-calibration skips Figure 1's calibration and fit and keeps the
# committed figure1/offset.txt and pi-wifi-arrivals.txt (which Figure 5b's
# stragglers also use): for a machine whose load changes between the
# calibration and the runs, where a new calibration would subtract a time
# the runs do not see (experiments/results/README.md).
#
# Sweeps resume: a run already finished in BUILD/results/ is not run again
# (its trace is re-read; a run's ID does not change with the contents of an
# empirical delay file, so after a new calibration of Figure 1 use --fresh).
# --fresh deletes the selected figures' sweeps under BUILD/results/ first and
# measures them anew (all of them: about 23 minutes on this 2-core machine;
# experiments/results/README.md). Figures 2 and 3 are made by
# experiments/results/figure2/regenerate.sh and figure3/regenerate.sh, run
# with BUILD_DIR as $1. experiments/wifi-arrivals (Figure 1
# over emulated WiFi) is not run: it needs root and network namespaces
# (sudo experiments/wifi-arrivals/run.sh).
set -euo pipefail

fresh=0
calibrate=1
build=build
all_figures=(figure1 figure5b tail figure2 figure3)
only=$(IFS=,; echo "${all_figures[*]}")
while (($#)); do
  case $1 in
    --fresh) fresh=1 ;;
    --keep-calibration) calibrate=0 ;;
    --only) only=${2:?regenerate.sh: --only needs a list, e.g. --only figure1,tail}; shift ;;
    --only=*) only=${1#--only=} ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "regenerate.sh: unknown option '$1' (known: --fresh, --only, --keep-calibration)" >&2; exit 1 ;;
    *) build=$1 ;;
  esac
  shift
done
IFS=, read -r -a selected <<< "$only"
for fig in "${selected[@]}"; do
  [[ " ${all_figures[*]} " == *" $fig "* ]] \
    || { echo "regenerate.sh: unknown figure '$fig' in --only (known: ${all_figures[*]})" >&2; exit 1; }
done
wanted() { [[ ",$only," == *",$1,"* ]]; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
results=$root/experiments/results
python=/usr/bin/python3
case $build in /*) ;; *) build=$PWD/$build ;; esac
out=$build/results

for tool in cmake mpirun "$python"; do
  command -v "$tool" > /dev/null || { echo "regenerate.sh: '$tool' not found (run hpc/install-deps.sh)" >&2; exit 1; }
done
"$python" -c "import numpy, h5py, matplotlib" 2> /dev/null \
  || { echo "regenerate.sh: $python lacks numpy, h5py or matplotlib (hpc/install-deps.sh)" >&2; exit 1; }

start_all=$SECONDS
step() {  # step NAME: prints the name and, at the next step or the end, its duration
  [[ -n ${step_name:-} ]] && printf '== %s: %d s\n' "$step_name" $((SECONDS - step_start))
  step_name=$1
  step_start=$SECONDS
  [[ -n $step_name ]] && printf '== %s ...\n' "$step_name"
  return 0
}

step "build cdcnn in $build"
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCDCNN_BUILD_BENCHMARKS=OFF > "$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" -j"${JOBS:-2}" --target cdcnn
cdcnn=$build/cdcnn

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if ((fresh)); then
  for fig in "${selected[@]}"; do rm -rf "$out/$fig" "$out/$fig"-*; done  # figure1-calibrate, figure5b-devices
fi
mkdir -p "$out"

sweep() {  # sweep SUITE OUT_DIR
  # From the suite's directory: cdcnn sweep checks an empirical:file= path
  # before the runs relative to where it is started (the runs themselves
  # start in the suite's directory).
  (cd "$(dirname "$1")" && "$cdcnn" sweep --suite "$(basename "$1")" --out "$2")
}

if wanted figure1; then
  step "figure1: model, calibration, fit, sweep, plot"
  [[ -f $results/figure1/model/fc6x3.h5 ]] || "$python" "$results/figure1/make_model.py" "$results/figure1/model/fc6x3.h5"
  if ((calibrate)); then
    sweep "$results/figure1/calibrate.suite" "$out/figure1-calibrate"
    "$python" "$results/figure1/fit.py" --calibration "$out/figure1-calibrate"
  else
    echo "== figure1: calibration kept (offset $(cat "$results/figure1/offset.txt") ms, figure1/offset.txt)"
  fi
  sweep "$results/figure1/figure1.suite" "$out/figure1"
  "$python" "$results/figure1/plot.py" "$out/figure1"
fi

if wanted figure5b; then
  step "figure5b: sweeps, plot"
  sweep "$results/figure5b/figure5b.suite" "$out/figure5b"
  sweep "$results/figure5b/devices.suite" "$out/figure5b-devices"
  "$python" "$results/figure5b/plot.py" "$out/figure5b" "$out/figure5b-devices"
fi

if wanted tail; then
  step "tail: sweep, plot"
  sweep "$results/tail/tail.suite" "$out/tail"
  "$python" "$results/tail/plot.py" "$out/tail" --cdcnn "$cdcnn"
fi

failed=()
for fig in figure2 figure3; do
  wanted "$fig" || continue
  script=$results/$fig/regenerate.sh
  if [[ -f $script ]]; then
    step "$fig ($script)"
    bash "$script" "$build" || failed+=("$fig")
  else
    step ""
    echo "== $fig: skipped ($script does not exist)"
  fi
done
step ""
echo "== wifi-arrivals: skipped (needs root and network namespaces: sudo experiments/wifi-arrivals/run.sh)"
printf '== all figures: %d s (%d min)\n' $((SECONDS - start_all)) $(((SECONDS - start_all + 59) / 60))
if ((${#failed[@]})); then
  echo "regenerate.sh: failed: ${failed[*]}" >&2
  exit 1
fi
