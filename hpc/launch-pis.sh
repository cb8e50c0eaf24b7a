#!/usr/bin/env bash
# Runs `cdcnn run` across a cluster of Raspberry Pis (one rank per Pi), after
# checking that every Pi is reachable over ssh and has the same build.
# Run it on the camera Pi, the first host of the hostfile (rank 0, the master).
#
#   hpc/launch-pis.sh [options] [--] CDCNN_RUN_ARGS...
#
#   --hostfile FILE  hosts, one per line, first = master (default hpc/pi/hostfile);
#                    mpirun places rank r on line r+1 (--map-by node)
#   --rankfile FILE  place ranks by an Open MPI rankfile instead (rank 0 = the
#                    master): its hosts are checked, -np is its number of
#                    ranks, and mpirun gets --rankfile without --hostfile and
#                    --map-by (Open MPI 4.1 refuses --map-by with a rankfile)
#   --mca-params F   Open MPI settings passed to mpirun, one `name = value` a
#                    line (default hpc/pi/openmpi-mca-params.conf); the
#                    interface named in it is replaced by --iface
#   --binary PATH    the cdcnn binary, at the same absolute path on every Pi
#                    (default: build/cdcnn of this checkout)
#   --need FILE      another file every Pi must have, identical (repeatable;
#                    e.g. the coded-weight file with --weights-from file)
#   --sync           copy the binary and --need files (scp) to Pis that differ
#   --check          check only; do not start mpirun
#   --iface IF       the wireless interface (default wlan0)
#
# Example:
#   hpc/launch-pis.sh -- --model alexnet --code mds:r=2 --inferences 100 \
#       --deadline-ms 2000 --verify --trace run.h5
#
# Checks, per host: ssh answers (BatchMode: keys, no password prompt); the
# binary's SHA-256 and the Open MPI version match this Pi's. Any mismatch
# stops before mpirun with a table saying which host differs and how.
# CDCNN_PI_SSH replaces "ssh -o BatchMode=yes -o ConnectTimeout=5" (the
# same command is mpirun's launch agent); CDCNN_MPIRUN_FLAGS adds options.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hostfile=$here/pi/hostfile
rankfile=""
mca_params=$here/pi/openmpi-mca-params.conf
binary=$here/../build/cdcnn
iface=wlan0
sync=0 check_only=0
need=()
while (($#)); do
  case $1 in
    --hostfile) hostfile=${2:?}; shift 2 ;;
    --rankfile) rankfile=${2:?}; shift 2 ;;
    --mca-params) mca_params=${2:?}; shift 2 ;;
    --binary) binary=${2:?}; shift 2 ;;
    --need) need+=("$(realpath "${2:?}")"); shift 2 ;;
    --sync) sync=1; shift ;;
    --check) check_only=1; shift ;;
    --iface) iface=${2:?}; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
die() { echo "launch-pis: $*" >&2; exit 1; }
ssh_cmd=${CDCNN_PI_SSH:-ssh -o BatchMode=yes -o ConnectTimeout=5}
read -r -a ssh_argv <<<"$ssh_cmd"

[[ -x $binary ]] || die "$binary is not an executable (build first, or --binary PATH)"
binary=$(realpath "$binary")
[[ -f $mca_params ]] || die "no Open MPI settings file $mca_params (--mca-params FILE)"
if [[ -n $rankfile ]]; then
  [[ -f $rankfile ]] || die "no rankfile $rankfile"
  placement=$rankfile
  # `rank N=HOST slot=...` lines; the hosts in rank order, each once (rank 0's first).
  ranks=$(sed 's/#.*//' "$rankfile" | grep -cE '^[[:space:]]*rank[[:space:]]' || true)
  mapfile -t hosts < <(sed 's/#.*//' "$rankfile" | sed -nE 's/^[[:space:]]*rank[[:space:]]+([0-9]+)[[:space:]]*=[[:space:]]*([^[:space:]]+).*/\1 \2/p' |
    sort -n | awk '!seen[$2]++ {print $2}')
else
  [[ -f $hostfile ]] || die "no hostfile $hostfile (copy hpc/pi/hostfile.example and edit it)"
  placement=$hostfile
  mapfile -t hosts < <(sed 's/#.*//' "$hostfile" | awk 'NF {print $1}')
  ranks=${#hosts[@]}
fi
((${#hosts[@]} >= 2)) || die "$placement names ${#hosts[@]} host(s); need a master and at least one worker"
for f in "${need[@]}"; do [[ -f $f ]] || die "--need $f: no such file here"; done

files=("$binary" "${need[@]}")
# What one host has: the Open MPI version, then each file's SHA-256 (or "missing").
probe='mpirun --version 2>/dev/null | head -n1 | tr -d "\r"; for f in "$@"; do if [ -f "$f" ]; then sha256sum "$f" | cut -d" " -f1; else echo missing; fi; done'
local_state=$(sh -c "$probe" probe "${files[@]}")
quoted=$(printf ' %q' "${files[@]}")

echo "launch-pis: checking ${#hosts[@]} hosts from $placement"
printf '%-20s %-10s %s\n' host ssh state
bad=0
for i in "${!hosts[@]}"; do
  h=${hosts[$i]}
  if ((i == 0)); then
    state=$local_state; status=local
  elif state=$("${ssh_argv[@]}" "$h" "sh -c '$probe' probe$quoted" </dev/null 2>/dev/null); then
    status=ok
  else
    printf '%-20s %-10s %s\n' "$h" FAILED "not reachable with: $ssh_cmd $h"
    bad=1; continue
  fi
  if [[ $state == "$local_state" ]]; then
    printf '%-20s %-10s %s\n' "$h" "$status" "same Open MPI, same files"
    continue
  fi
  mapfile -t mine <<<"$local_state"; mapfile -t theirs <<<"$state"
  diffs=()
  [[ ${theirs[0]-} == "${mine[0]}" ]] || diffs+=("Open MPI '${theirs[0]-none}' (here: '${mine[0]}')")
  stale=()
  for j in "${!files[@]}"; do
    if [[ ${theirs[$((j + 1))]-} != "${mine[$((j + 1))]}" ]]; then
      diffs+=("${files[$j]##*/}: ${theirs[$((j + 1))]:0:12}${theirs[$((j + 1))]:+…} (here ${mine[$((j + 1))]:0:12}…)")
      stale+=("${files[$j]}")
    fi
  done
  if ((sync)) && [[ ${theirs[0]-} == "${mine[0]}" ]] && ((${#stale[@]})); then
    for f in "${stale[@]}"; do
      "${ssh_argv[@]}" "$h" "mkdir -p '$(dirname "$f")'" </dev/null
      scp -q -o BatchMode=yes "$f" "$h:$f" || { bad=1; diffs+=("copy of $f failed"); }
    done
    printf '%-20s %-10s %s\n' "$h" "$status" "copied: ${stale[*]##*/}"
    continue
  fi
  printf '%-20s %-10s %s\n' "$h" "$status" "DIFFERS: ${diffs[*]}"
  bad=1
done
if ((bad)); then
  die "not every Pi is ready (see above). Same build everywhere: build on one Pi and --sync, or check out the same commit and build with the same options on each"
fi
((check_only)) && { echo "launch-pis: all ${#hosts[@]} hosts ready"; exit 0; }

# The settings file, line by line, as --mca options; the interface is --iface.
# Read as Open MPI reads it: a comment is a whole line starting with '#'.
mca=()
while IFS= read -r line; do
  [[ $line =~ ^[[:space:]]*# ]] && continue
  [[ $line =~ ^[[:space:]]*([A-Za-z0-9_]+)[[:space:]]*=[[:space:]]*(.*[^[:space:]])[[:space:]]*$ ]] || continue
  name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
  [[ $name == btl_tcp_if_include || $name == oob_tcp_if_include ]] && value=$iface
  mca+=(--mca "$name" "$value")
done <"$mca_params"
if [[ -n $rankfile ]]; then
  flags=(--rankfile "$rankfile" -np "$ranks")
else
  flags=(--hostfile "$hostfile" -np "$ranks" --map-by node)
fi
flags+=(-q --mca plm_rsh_agent "$ssh_cmd" "${mca[@]}" --enable-recovery)
[[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)
# shellcheck disable=SC2206  # the user's extra flags, split on spaces on purpose
[[ -n ${CDCNN_MPIRUN_FLAGS:-} ]] && flags+=($CDCNN_MPIRUN_FLAGS)
echo "+ mpirun ${flags[*]} $binary run $*"
exec mpirun "${flags[@]}" "$binary" run "$@"
