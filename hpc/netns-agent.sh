#!/usr/bin/env bash
# mpirun's launch agent for the virtual cluster (hpc/netns-cluster.sh): used
# instead of ssh (--mca plm_rsh_agent), it is called as
#   netns-agent.sh [ssh-style options] HOST COMMAND...
# and runs COMMAND (Open MPI's orted) inside the network namespace whose
# device has address HOST, so every rank's sockets live behind that device's
# emulated link.
set -euo pipefail
while [[ ${1:-} == -* ]]; do shift; done  # options meant for ssh (-x, -T, ...)
host=${1:?usage: netns-agent.sh HOST COMMAND...}
shift
ns=""
# The cluster's own table first (netns-cluster.sh writes it), then any namespace with that address.
for hosts in /run/cdcnn-netns/"${CDCNN_NETNS_PREFIX:-}"*/hosts; do
  [[ -f $hosts ]] || continue
  ns=$(awk -v h="$host" '$1 == h {print $2}' "$hosts")
  [[ -n $ns ]] && break
done
if [[ -z $ns ]]; then
  for candidate in $(ip netns list | awk '{print $1}'); do
    if ip -n "$candidate" -4 -o addr show 2>/dev/null | grep -q " inet $host/"; then ns=$candidate; break; fi
  done
fi
[[ -n $ns ]] || { echo "netns-agent: no network namespace has address '$host'" >&2; exit 255; }
# Each device gets its own temporary directory, as a real one would: Open MPI's
# session directory and PMIx's shared-memory store live there, named after the
# host name, which every namespace shares; daemons sharing them fail at
# random (PMIX ERROR in dstore_base.c, then an orted that never reports and
# an mpirun --enable-recovery that waits for it forever).
export TMPDIR=/tmp/cdcnn-netns/$ns
mkdir -p "$TMPDIR"
if [[ -n ${CDCNN_NETNS_AGENT_LOG:-} ]]; then  # debugging a launch: what orted said before it daemonized
  echo "$(date +%T.%N) $host -> $ns: $*" >>"$CDCNN_NETNS_AGENT_LOG"
  exec ip netns exec "$ns" /bin/sh -c "$*" 2>>"$CDCNN_NETNS_AGENT_LOG"
fi
exec ip netns exec "$ns" /bin/sh -c "$*"
