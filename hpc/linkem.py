#!/usr/bin/env python3
"""linkem: a user-space stand-in for `tc netem` on the virtual WiFi cluster.

hpc/netns-cluster.sh uses it when the kernel has no sch_netem (as on the
machine CI runs on). One linkem runs inside each device's network namespace;
iptables hands it every packet arriving on the device's interface (NFQUEUE,
only the first 20 bytes, the IP header, are copied) and linkem lets each one
go after its delay, or drops it.

A packet from device A to device B crosses A's uplink and B's downlink, so B's
linkem applies both: A's parameters (looked up by the packet's source
address) and its own. Every link direction has, per packet:
  * loss with probability LOSS_PCT/100;
  * delay = DELAY_MS + X, X heavy-tailed with mean JITTER_MS: a Pareto
    variable (shape --shape, default 2.5) shifted to start at 0 (a Lomax
    distribution), capped at 50 times the mean.
Packets from one source leave in order, at max(arrival + delay, previous
departure), like WiFi's link-layer retransmissions: a packet held long holds
those behind it. (netem's `delay D J distribution pareto` spreads delays
around D instead of above it, and reorders.)

Why only on arrival: a packet held on its sender's side still counts against
the sending socket (TCP Small Queues), which then stops sending: a 2 ms delay
held there made a 100 KB transfer 3 times slower than the same delay held on
arrival, which is what a radio link does. Arrival in another namespace
releases the sender's accounting.

--links FILE has one line per device, `ADDRESS DELAY_MS JITTER_MS LOSS_PCT`;
linkem reads it again whenever it changes (netns-cluster.sh set), so links
change during a run. A source not in the file (the bridge's own address)
adds nothing. The random stream is seeded (--seed). Only the standard library
is used (raw netlink).

The iptables rule netns-cluster.sh puts in each device's namespace:
  iptables -t mangle -A INPUT -i wlan0 -j NFQUEUE --queue-num 1 --queue-bypass
"""

import argparse
import collections
import errno
import os
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD = 1, 2, 10
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQA_CFG_MASK, NFQA_CFG_FLAGS = 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NFQA_CFG_F_FAIL_OPEN = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_DROP, NF_ACCEPT = 0, 1
PACKET_TYPE = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET


def attr(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * (-len(a) % 4)


def parse(data):
    """(type, seq, body) of each netlink message in `data`."""
    offset = 0
    while offset + 16 <= len(data):
        length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
        if length < 16:
            break
        yield kind, seq, data[offset + 16: offset + length]
        offset += (length + 3) & ~3


class Queue:
    """One NFQUEUE, bound over a netlink socket."""

    def __init__(self, number, maxlen):
        self.number = number
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((0, 0))
        self.seq = 0
        self.config(attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, 0)))
        self.config(attr(NFQA_CFG_PARAMS, struct.pack("!IB", 20, NFQNL_COPY_PACKET)))  # the IP header
        self.config(attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen)))
        # If linkem falls behind and the kernel's queue fills, let packets through rather than drop them.
        self.config(attr(NFQA_CFG_MASK, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN)) +
                    attr(NFQA_CFG_FLAGS, struct.pack("!I", NFQA_CFG_F_FAIL_OPEN)))

    def message(self, msg_type, payload, flags=NLM_F_REQUEST):
        self.seq += 1
        body = struct.pack("!BBH", socket.AF_UNSPEC, 0, self.number) + payload
        header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, flags, self.seq, 0)
        return header + body

    def config(self, payload):
        self.sock.send(self.message(NFQNL_MSG_CONFIG, payload, NLM_F_REQUEST | NLM_F_ACK))
        while True:  # until the acknowledgement of this request
            for kind, seq, body in parse(self.sock.recv(65536)):
                if kind == NLMSG_ERROR and seq == self.seq:
                    (code,) = struct.unpack_from("=i", body, 0)
                    if code != 0:
                        raise OSError(-code, f"NFQUEUE {self.number}: {os.strerror(-code)}")
                    return

    def verdict(self, packet_id, verdict):
        self.sock.send(self.message(NFQNL_MSG_VERDICT, attr(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet_id))))

    def packets(self):
        """(packet id, source address) of every packet the kernel has queued for us."""
        while True:
            try:
                data = self.sock.recv(1 << 20, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.ENOBUFS:  # fell behind; fail-open let those packets pass
                    continue
                raise
            for kind, _seq, body in parse(data):
                if kind != PACKET_TYPE:
                    continue
                packet_id, source, offset = None, None, 4
                while offset + 4 <= len(body):
                    length, a_type = struct.unpack_from("=HH", body, offset)
                    if length < 4:
                        break
                    a_type &= 0x7FFF
                    if a_type == NFQA_PACKET_HDR:
                        (packet_id,) = struct.unpack_from("!I", body, offset + 4)
                    elif a_type == NFQA_PAYLOAD and length >= 4 + 16:
                        source = socket.inet_ntoa(body[offset + 16: offset + 20])
                    offset += (length + 3) & ~3
                if packet_id is not None:
                    yield packet_id, source


class Links:
    """The links file, read again when it changes."""

    def __init__(self, path):
        self.path, self.stamp, self.table, self.checked = path, None, {}, 0.0

    def get(self, now):
        if now - self.checked >= 0.1:
            self.checked = now
            try:
                st = os.stat(self.path)
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
                if stamp != self.stamp:
                    table = {}
                    with open(self.path) as f:
                        for line in f:
                            fields = line.split()
                            if len(fields) >= 4 and not fields[0].startswith("#"):
                                table[fields[0]] = tuple(float(v) for v in fields[1:4])
                    self.stamp, self.table = stamp, table
            except (OSError, ValueError) as e:
                print(f"linkem: cannot read {self.path}: {e}; keeping the previous links", file=sys.stderr)
        return self.table


def main():
    p = argparse.ArgumentParser(description="user-space netem for netns-cluster.sh (see the file's header)")
    p.add_argument("--links", required=True, help="file of `ADDRESS DELAY_MS JITTER_MS LOSS_PCT` lines")
    p.add_argument("--self", required=True, dest="me", help="this device's address in that file")
    p.add_argument("--shape", type=float, default=2.5, help="Pareto shape (> 1; smaller is heavier-tailed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--queue", type=int, default=1, help="NFQUEUE number")
    p.add_argument("--maxlen", type=int, default=20000, help="packets the kernel may hold for us")
    p.add_argument("--pidfile", help="write this process's id here once the queue is bound")
    a = p.parse_args()
    if a.shape <= 1.0:
        p.error("--shape must be greater than 1")
    rng = random.Random(a.seed)
    links = Links(a.links)

    def one_way(link):
        """Delay in seconds of one link direction, or None if the packet is lost."""
        delay_ms, jitter_ms, loss_pct = link
        if loss_pct > 0 and rng.random() * 100.0 < loss_pct:
            return None
        if jitter_ms > 0:  # paretovariate(s) - 1 >= 0 has mean 1/(s-1)
            delay_ms += min(50.0 * jitter_ms, jitter_ms * (a.shape - 1.0) * (rng.paretovariate(a.shape) - 1.0))
        return delay_ms / 1000.0

    nfq = Queue(a.queue, a.maxlen)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(a.pidfile + ".tmp", a.pidfile)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    held = collections.defaultdict(collections.deque)  # source -> (departure, packet id), in order
    last = collections.defaultdict(float)
    poller = select.poll()
    poller.register(nfq.sock, select.POLLIN)
    none = (0.0, 0.0, 0.0)
    while True:
        now = time.monotonic()
        for q in held.values():
            while q and q[0][0] <= now:
                nfq.verdict(q.popleft()[1], NF_ACCEPT)
        nxt = min((q[0][0] for q in held.values() if q), default=None)
        timeout = -1 if nxt is None else max(0, int((nxt - time.monotonic()) * 1000.0 + 0.999))
        if nxt is None and links.table:
            timeout = 1000  # still look at the links file now and then
        poller.poll(timeout)
        now = time.monotonic()
        table = links.get(now)
        down = table.get(a.me, none)
        for packet_id, source in nfq.packets():
            up_s = one_way(table.get(source, none))
            down_s = one_way(down)
            if up_s is None or down_s is None:
                nfq.verdict(packet_id, NF_DROP)
                continue
            if up_s + down_s <= 0 and not held[source]:
                nfq.verdict(packet_id, NF_ACCEPT)
                continue
            t = max(now + up_s + down_s, last[source])
            last[source] = t
            held[source].append((t, packet_id))


if __name__ == "__main__":
    main()
