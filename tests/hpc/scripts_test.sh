#!/usr/bin/env bash
# Checks the command lines hpc/'s launch scripts build, without a cluster:
# stand-ins for ssh, mpirun, srun and cdcnn record what they were given.
#   bash tests/hpc/scripts_test.sh       # prints "ok: N checks" or the first failure, exit 1
# - launch-pis.sh: every setting of pi/openmpi-mca-params.conf reaches mpirun
#   (comment lines skipped, the interface replaced by --iface); with a
#   hostfile: --hostfile, -np hosts, --map-by node; with --rankfile: the
#   rankfile's hosts are checked in rank order, -np = its ranks, and neither
#   --hostfile nor --map-by is passed (Open MPI 4.1 refuses --map-by with it).
# - slurm/srun-np.sh turns the sweep's -np N into --ntasks=N.
# - slurm/run-suite.sbatch hands cdcnn sweep a suite with min_mflops and
#   ranks = the allocation's tasks, and the launcher it was asked for.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../hpc" && pwd)
root=$(cd "$here/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
checks=0
fail() { echo "FAIL: $*" >&2; exit 1; }
# has FILE TEXT: TEXT (several lines: consecutive lines) is in FILE; lacks: it is not.
has() { [[ $(cat "$1") == *"$2"* ]] || fail "$1 lacks '$2':"$'\n'"$(cat "$1")"; checks=$((checks + 1)); }
lacks() { [[ $(cat "$1") != *"$2"* ]] || fail "$1 has '$2':"$'\n'"$(cat "$1")"; checks=$((checks + 1)); }

mkdir "$tmp/bin"
# mpirun: answers --version like Open MPI, else writes its arguments one a line.
cat >"$tmp/bin/mpirun" <<EOF
#!/bin/sh
[ "\$1" = --version ] && { echo "mpirun (Open MPI) 4.1.4"; exit 0; }
printf '%s\n' "\$@" >"$tmp/mpirun.args"
EOF
# ssh: logs the host, runs the command here.
cat >"$tmp/bin/ssh" <<EOF
#!/bin/sh
echo "\$1" >>"$tmp/ssh.hosts"; shift; exec sh -c "\$*"
EOF
# srun and cdcnn: write their arguments one a line; cdcnn sweep keeps its suite.
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/srun.args"\n' "$tmp" >"$tmp/bin/srun"
cat >"$tmp/bin/cdcnn" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/cdcnn.args"
[ "\$1" = sweep ] && cp "\$3" "$tmp/suite"
exit 0
EOF
chmod +x "$tmp/bin/"*
export PATH=$tmp/bin:$PATH CDCNN_PI_SSH=$tmp/bin/ssh

printf 'pi-cam slots=1\npi-w1 slots=1  # a comment\n\npi-w2 slots=1\n' >"$tmp/hostfile"
"$here/launch-pis.sh" --hostfile "$tmp/hostfile" --binary "$tmp/bin/cdcnn" --iface wlp1s0 -- --model m >/dev/null
a=$tmp/mpirun.args
has "$a" $'--hostfile\n'"$tmp/hostfile"
has "$a" $'-np\n3\n--map-by\nnode'
has "$a" $'--mca\nbtl_tcp_if_include\nwlp1s0'
has "$a" $'--mca\noob_tcp_if_include\nwlp1s0'
lacks "$a" wlan0
has "$a" $'--mca\nplm_rsh_agent\n'"$tmp/bin/ssh"
has "$a" "--enable-recovery"
has "$a" $'run\n--model\nm'
# Every setting of the file, in the file's words; its commented-out ports not.
while IFS= read -r line; do
  [[ $line =~ ^([a-z0-9_]+)\ =\ (.*)$ ]] || continue
  [[ ${BASH_REMATCH[1]} == *_if_include ]] && continue
  has "$a" $'--mca\n'"${BASH_REMATCH[1]}"$'\n'"${BASH_REMATCH[2]}"
done <"$here/pi/openmpi-mca-params.conf"
has "$a" $'--mca\nosc\n^ucx,pt2pt'
lacks "$a" port
has "$tmp/ssh.hosts" $'pi-w1\npi-w2'

rm -f "$tmp/ssh.hosts"
printf '# placement\nrank 0=pi-cam slot=0-3\nrank 2=pi-w9 slot=0-3\nrank 1=pi-w5 slot=0-3   # best signal\n' >"$tmp/rankfile"
"$here/launch-pis.sh" --rankfile "$tmp/rankfile" --binary "$tmp/bin/cdcnn" -- --model m >/dev/null
has "$a" $'--rankfile\n'"$tmp/rankfile"$'\n-np\n3'
lacks "$a" "--map-by"
lacks "$a" "--hostfile"
has "$tmp/ssh.hosts" $'pi-w5\npi-w9'

"$here/slurm/srun-np.sh" --mpi=pmix -np 4 /x/cdcnn run --fail "a b" -np 2
has "$tmp/srun.args" $'--mpi=pmix\n--ntasks=4\n/x/cdcnn\nrun\n--fail\na b\n-np\n2'

SLURM_JOB_ID=1 SLURM_NTASKS=7 SLURM_SUBMIT_DIR=$root CDCNN=$tmp/bin/cdcnn OUT=$tmp/out MODEL=mlp \
  CODES="sum mds:r=2" STRAGGLERS="none pareto:scale=5,shape=1.5" bash "$here/slurm/run-suite.sbatch" >/dev/null
has "$tmp/suite" "ranks       = 7"
has "$tmp/suite" "min_mflops  = 0.1"
has "$tmp/suite" "code        = sum,mds:r=2"
has "$tmp/suite" "straggler   = none,pareto:scale=5,shape=1.5"
has "$tmp/cdcnn.args" $'--out\n'"$tmp/out"$'\n--mpirun\nmpirun -q --enable-recovery --map-by node'
LAUNCHER=srun SLURM_JOB_ID=1 SLURM_NTASKS=7 SLURM_SUBMIT_DIR=$root CDCNN=$tmp/bin/cdcnn OUT=$tmp/out \
  SUITE=$root/experiments/suites/ci-tiny.suite bash "$here/slurm/run-suite.sbatch" >/dev/null
has "$tmp/cdcnn.args" "ci-tiny.suite"
has "$tmp/cdcnn.args" "$here/slurm/srun-np.sh --mpi=pmix --kill-on-bad-exit=0"
echo "ok: $checks checks"
