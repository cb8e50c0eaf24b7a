#!/usr/bin/env bash
# A virtual WiFi cluster on one machine: N network namespaces ("devices"),
# each with its own address on a bridge (the "access point"), every link
# delayed, jittered and lossy like WiFi. MPI runs one rank per device and its
# messages cross real TCP connections through the emulated links.
#
#   netns-cluster.sh up N [LINK]       make devices 1..N (device 1 is the master's)
#   netns-cluster.sh set I [LINK]      change device I's link
#   netns-cluster.sh cut I             take device I's link down (out of range)
#   netns-cluster.sh restore I         bring it back
#   netns-cluster.sh run PROGRAM ARGS  mpirun PROGRAM, one rank per device (rank r on device r+1)
#   netns-cluster.sh status            devices, addresses, links
#   netns-cluster.sh down              remove everything `up` made
#
# LINK options (per direction of a device's link; defaults 0 = ideal):
#   --delay MS      fixed one-way delay
#   --jitter MS     extra delay, heavy-tailed (Pareto) with this mean
#   --loss PCT      packet loss, percent
#   --rate RATE     bandwidth, tc syntax (20mbit); empty = unlimited
#
# Environment: CDCNN_NETNS_PREFIX (default cdn: namespaces cdn1..cdnN, bridge
# cdn-br), CDCNN_NETNS_SUBNET (default 10.77.66: device i is 10.77.66.i/24,
# the bridge 10.77.66.254), CDCNN_MPIRUN_FLAGS (more mpirun options for run).
# Two clusters with different prefixes and subnets can be up at once.
#
# Link emulation uses the kernel's netem qdisc when it has one. Without it
# (some container and cloud kernels, this project's CI machine) each device
# gets hpc/linkem.py, a user-space netem: iptables hands the packets arriving
# at the device to it through NFQUEUE and it holds or drops them (needs the
# iptables package; --rate then uses tbf). `up` says which one is in use.
# Traffic never leaves the bridge: the namespaces have no default route,
# only their own /24.
set -euo pipefail

HPC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=${CDCNN_NETNS_PREFIX:-cdn}
SUB=${CDCNN_NETNS_SUBNET:-10.77.66}
BR="$P-br"
STATE=/run/cdcnn-netns/$P
IF=wlan0  # the device's interface, named as on a Pi

die() { echo "netns-cluster: $*" >&2; exit 1; }
say() { echo "netns-cluster: $*" >&2; }
ns() { echo "$P$1"; }

need_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, bridges and qdiscs need CAP_NET_ADMIN)"
  command -v ip >/dev/null || die "'ip' not found: apt-get install iproute2"
}

# Whether this kernel has netem: try it on a throwaway namespace's loopback.
netem_available() {
  local probe="$P-probe$$" ok=1
  ip netns add "$probe" 2>/dev/null || return 1
  ip -n "$probe" link set lo up
  tc -n "$probe" qdisc add dev lo root netem delay 1ms >/dev/null 2>&1 && ok=0
  ip netns del "$probe"
  return $ok
}

check_device() {
  [[ -f $STATE/devices ]] || die "no cluster '$P' is up (run: $0 up N)"
  [[ $1 =~ ^[0-9]+$ ]] && ((1 <= $1 && $1 <= $(cat "$STATE/devices"))) ||
    die "no device '$1' (devices are 1..$(cat "$STATE/devices"))"
}

# parse_link ARGS: sets delay jitter loss rate from --delay/--jitter/--loss/--rate.
parse_link() {
  while (($#)); do
    case $1 in
      --delay) delay=${2:?--delay needs MS}; shift 2 ;;
      --jitter) jitter=${2:?--jitter needs MS}; shift 2 ;;
      --loss) loss=${2:?--loss needs PCT}; shift 2 ;;
      --rate) rate=${2-}; shift 2 ;;
      *) die "unknown link option '$1' (--delay MS, --jitter MS, --loss PCT, --rate RATE)" ;;
    esac
  done
  local v
  for v in "$delay" "$jitter" "$loss"; do
    [[ $v =~ ^[0-9]+([.][0-9]+)?$ ]] || die "'$v' is not a non-negative number (milliseconds or percent)"
  done
}

stop_linkem() {
  local pidfile=$STATE/linkem$1.pid
  if [[ -f $pidfile ]]; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    rm -f "$pidfile"
  fi
}

start_linkem() {
  local i=$1
  ip netns exec "$(ns "$i")" setsid /usr/bin/python3 "$HPC/linkem.py" --links "$STATE/links" --self "$SUB.$i" \
    --seed "$i" --pidfile "$STATE/linkem$i.pid" </dev/null >"$STATE/linkem$i.log" 2>&1 &
  for _ in $(seq 100); do [[ -s $STATE/linkem$i.pid ]] && break; sleep 0.05; done
  [[ -s $STATE/linkem$i.pid ]] || die "linkem did not start on device $i: $(cat "$STATE/linkem$i.log")"
}

# apply_link I: puts device I's link parameters ($delay $jitter $loss $rate) in
# place, in both directions. Every qdisc sits where the packet has already
# left its sender's namespace (a packet held in its sender's qdisc would
# throttle the sending TCP socket through TCP Small Queues, unlike a radio):
# the uplink on an ifb fed by the bridge-side veth's ingress, the downlink on
# that veth's egress.
apply_link() {
  local i=$1 veth="$P-v$i" ifb="$P-u$i" mode
  mode=$(cat "$STATE/mode")
  # The links file, rewritten whole so that a reader never sees half of it.
  awk -v a="$SUB.$i" -v l="$SUB.$i $delay $jitter $loss ${rate:--}" \
    '$1 == a {print l; found = 1; next} {print} END {if (!found) print l}' "$STATE/links" >"$STATE/links.tmp"
  mv "$STATE/links.tmp" "$STATE/links"
  tc qdisc del dev "$ifb" root 2>/dev/null || true
  tc qdisc del dev "$veth" root 2>/dev/null || true
  local spec=()
  if [[ $mode == netem ]]; then
    [[ $delay != 0 || $jitter != 0 ]] && spec+=(delay "${delay}ms" "${jitter}ms")
    [[ $jitter != 0 ]] && spec+=(distribution pareto)
    [[ $loss != 0 ]] && spec+=(loss "${loss}%")
    [[ -n $rate ]] && spec+=(rate "$rate")
    ((${#spec[@]})) && spec=(netem "${spec[@]}")
  elif [[ -n $rate ]]; then
    spec=(tbf rate "$rate" burst 32kbit latency 500ms)  # linkem does the rest
  fi
  if ((${#spec[@]})); then
    tc qdisc add dev "$ifb" root "${spec[@]}"
    tc qdisc add dev "$veth" root "${spec[@]}"
  fi
}

cmd_up() {
  need_root
  local n=${1:-}
  [[ $n =~ ^[0-9]+$ ]] && ((2 <= n && n <= 250)) || die "usage: $0 up N [LINK] with 2 <= N <= 250"
  shift
  delay=0 jitter=0 loss=0 rate=""
  parse_link "$@"
  [[ $SUB =~ ^[0-9]+[.][0-9]+[.][0-9]+$ ]] || die "CDCNN_NETNS_SUBNET must be three octets like 10.77.66, got '$SUB'"
  ((${#P} <= 8)) || die "CDCNN_NETNS_PREFIX must be at most 8 characters (interface names), got '$P'"
  if [[ -d $STATE ]] || ip link show "$BR" >/dev/null 2>&1; then
    die "cluster '$P' is already up (run: $0 down)"
  fi
  if ip -4 -o addr show | grep -q " $SUB[.]"; then
    die "subnet $SUB.0/24 is already in use on this machine; choose another with CDCNN_NETNS_SUBNET"
  fi
  ip netns add "$P-probe$$" 2>/dev/null || die "cannot create network namespaces here (not root, or no CAP_SYS_ADMIN in this container)"
  ip netns del "$P-probe$$"

  mkdir -p "$STATE"
  trap 'say "up failed: removing what was made"; cmd_down >/dev/null 2>&1 || true' EXIT
  local mode=none
  if netem_available; then
    mode=netem
  elif command -v iptables >/dev/null && [[ -x /usr/bin/python3 ]]; then
    mode=linkem
  fi
  echo "$mode" >"$STATE/mode"

  ip link add "$BR" type bridge
  ip addr add "$SUB.254/24" dev "$BR"
  ip link set "$BR" up
  # A host firewall that drops forwarded packets would also drop bridged ones
  # (br_netfilter): let the cluster's own traffic through, and only it.
  if command -v iptables >/dev/null && [[ $(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null) == 1 ]] &&
    iptables -S FORWARD 2>/dev/null | grep -q -- '-P FORWARD DROP'; then
    iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT
    touch "$STATE/forward-rule"
  fi
  : >"$STATE/hostfile"
  : >"$STATE/hosts"
  : >"$STATE/links"
  local i
  for ((i = 1; i <= n; i++)); do
    local d; d=$(ns "$i")
    ip netns add "$d"
    ip link add "$P-v$i" type veth peer name "$P-p$i"
    ip link set "$P-p$i" netns "$d"
    ip -n "$d" link set "$P-p$i" name $IF
    ip -n "$d" addr add "$SUB.$i/24" dev $IF
    ip -n "$d" link set lo up
    ip -n "$d" link set $IF up
    ip link set "$P-v$i" master "$BR"
    ip link set "$P-v$i" up
    # The uplink's qdisc: everything the device sends goes through an ifb.
    ip link add "$P-u$i" type ifb
    ip link set "$P-u$i" up
    tc qdisc add dev "$P-v$i" handle ffff: ingress
    tc filter add dev "$P-v$i" parent ffff: protocol all u32 match u32 0 0 action mirred egress redirect dev "$P-u$i"
    if [[ $mode == linkem ]]; then
      ip netns exec "$d" iptables -t mangle -A INPUT -i $IF -j NFQUEUE --queue-num 1 --queue-bypass
    fi
    echo "$SUB.$i slots=1" >>"$STATE/hostfile"
    echo "$SUB.$i $d" >>"$STATE/hosts"
  done
  echo "$n" >"$STATE/devices"
  for ((i = 1; i <= n; i++)); do apply_link "$i"; done
  if [[ $mode == linkem ]]; then
    for ((i = 1; i <= n; i++)); do start_linkem "$i"; done
  fi
  trap - EXIT
  case $mode in
    netem) say "link emulation: tc netem on both ends of every link" ;;
    linkem) say "link emulation: hpc/linkem.py in user space (this kernel has no sch_netem)" ;;
    none) say "WARNING: no link emulation: this kernel has no sch_netem and iptables is missing" \
      "(apt-get install iptables); links are ideal, only cut/restore work" ;;
  esac
  say "up: $n devices $SUB.1-$SUB.$n on bridge $BR ($SUB.254); link: delay ${delay} ms, jitter ${jitter} ms, loss ${loss}%${rate:+, rate $rate}"
  say "hostfile: $STATE/hostfile"
}

cmd_set() {
  need_root
  local i=${1:-}
  check_device "$i"
  shift
  read -r _ delay jitter loss rate < <(awk -v a="$SUB.$i" '$1 == a' "$STATE/links")
  [[ $rate == - ]] && rate=""
  parse_link "$@"
  apply_link "$i"
  say "device $i: delay ${delay} ms, jitter ${jitter} ms, loss ${loss}%${rate:+, rate $rate}"
}

cmd_cut() {
  need_root
  check_device "${1:-}"
  ip link set "$P-v$1" down
  say "device $1 ($SUB.$1) cut"
}

cmd_restore() {
  need_root
  check_device "${1:-}"
  ip link set "$P-v$1" up
  say "device $1 ($SUB.$1) restored"
}

cmd_status() {
  [[ -f $STATE/devices ]] || { echo "no cluster '$P' is up"; return 0; }
  echo "cluster '$P': bridge $BR $SUB.254, emulation $(cat "$STATE/mode"), hostfile $STATE/hostfile"
  printf '%-7s %-15s %-10s %-5s %-9s %-10s %-7s %s\n' device address namespace link delay_ms jitter_ms loss_% rate
  local i
  for ((i = 1; i <= $(cat "$STATE/devices"); i++)); do
    local state=up delay jitter loss rate
    ip link show "$P-v$i" 2>/dev/null | grep -q 'state UP\|,UP' || state=cut
    read -r _ delay jitter loss rate < <(awk -v a="$SUB.$i" '$1 == a' "$STATE/links")
    printf '%-7s %-15s %-10s %-5s %-9s %-10s %-7s %s\n' "$i" "$SUB.$i" "$(ns "$i")" "$state" "$delay" "$jitter" "$loss" "$rate"
  done
}

cmd_run() {
  [[ -f $STATE/devices ]] || die "no cluster '$P' is up (run: $0 up N)"
  (($#)) || die "usage: $0 run PROGRAM [ARGS...]"
  # mpirun --enable-recovery waits forever for a program that does not exist.
  local program
  program=$(command -v -- "$1" || true)
  [[ -n $program && -x $program && -f $program ]] || die "'$1' is not an executable file"
  program=$(realpath "$program")
  shift
  local np=${CDCNN_NETNS_NP:-$(cat "$STATE/devices")}
  local flags=(--hostfile "$STATE/hostfile" -np "$np" --map-by node -q
    --mca plm_rsh_agent "$HPC/netns-agent.sh" --mca plm_rsh_no_tree_spawn 1
    --mca btl tcp,self --mca btl_tcp_if_include "$SUB.0/24" --mca oob_tcp_if_include "$SUB.0/24"
    --enable-recovery)
  [[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)
  # shellcheck disable=SC2206  # the user's extra flags, split on spaces on purpose
  [[ -n ${CDCNN_MPIRUN_FLAGS:-} ]] && flags+=($CDCNN_MPIRUN_FLAGS)
  export CDCNN_NETNS_PREFIX=$P
  exec mpirun "${flags[@]}" "$program" "$@"
}

cmd_down() {
  need_root
  local i
  for f in "$STATE"/linkem*.pid; do
    [[ -f $f ]] || continue
    i=${f##*/linkem}; stop_linkem "${i%.pid}"
  done
  # Every namespace named PREFIX<number>: processes left in it (a hung orted
  # or rank of an interrupted run) are ended, then the namespace goes, and
  # with it the veth pair.
  for d in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P[0-9]+$" || true); do
    local pids; pids=$(ip netns pids "$d" 2>/dev/null || true)
    [[ -n $pids ]] && kill -9 $pids 2>/dev/null || true
    ip netns del "$d" 2>/dev/null || true
  done
  if [[ -f $STATE/forward-rule ]]; then iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || true; fi
  ip link del "$BR" 2>/dev/null || true
  for v in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$P-[uv][0-9]+$" || true); do
    ip link del "$v" 2>/dev/null || true
  done
  rm -rf "$STATE" /tmp/cdcnn-netns/"$P"[0-9]*  # and the devices' temporary directories (netns-agent.sh)
  rmdir /tmp/cdcnn-netns 2>/dev/null || true
  say "down: cluster '$P' removed"
}

case ${1:-} in
  up | set | cut | restore | run | status | down) c=$1; shift; "cmd_$c" "$@" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
