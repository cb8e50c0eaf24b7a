#!/usr/bin/env bash
# `cdcnn sweep --mpirun` appends mpirun's `-np N` to its launcher; srun reads
# `-np` as `-n p`. This wrapper is srun taking -np:
#   srun-np.sh [SRUN_OPTIONS] -np N PROGRAM ARGS...  ->  srun [SRUN_OPTIONS] --ntasks=N PROGRAM ARGS...
set -euo pipefail
args=()
while (($#)); do
  case $1 in
    -np) args+=("--ntasks=${2:?-np needs a number}"); shift 2; break ;;
    *) args+=("$1"); shift ;;
  esac
done
exec srun "${args[@]}" "$@"
