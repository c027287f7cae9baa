#!/usr/bin/env python3
"""Soak: allocation churn with traffic for a bounded time; memory and
descriptors stay flat and nothing is left behind.

SOAK_SECONDS (default 120) of churn by 4 clients in parallel (127.0.0.20-23),
each at most 10 cycles a second. A cycle: Allocate, CreatePermission,
ChannelBind to a local UDP echo peer, 5 ChannelData and 5 Send indications
echoed back, Refresh, then Refresh LIFETIME 0; every fifth cycle runs over
TCP instead and ends by closing the connection without a release. ternd's
resident memory (VmRSS) and open descriptors are sampled every 5 s.
Pass when, after the warm-up (the first fifth of the run, at least 10 s):
  - resident memory grows by at most 1 MiB above the first sample after the
    warm-up (not checked under ASan: its quarantine holds freed memory; the
    reason is printed)
  - the open descriptors never exceed the start by more than the relays
    and connections the 4 clients can hold at once (4 x 2)
  - at the end, all allocations deleted: the descriptors are back to the
    start exactly and ternd holds no relay socket
  - at least 99% of cycles and of echoed packets succeed; on /metrics,
    ternd_allocations_created_total grew by the cycles and
    ternd_allocations_active is 0 at the end
The figures are printed for docs/SECURITY.md.
"""

import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("soak")
SECONDS = int(os.environ.get("SOAK_SECONDS", "120"))
CLIENTS = 4
SAMPLE_S = 5
RSS_TOL_KB = 1024
PKTS = 5
ACTIVE = r"^ternd_allocations_active$"
CREATED = r"^ternd_allocations_created_total$"


def main():
    K.on_sigterm()
    work = K.Work("soak")
    srv = H.Ternd(work, "srv")
    peer = K.EchoPeer()
    if not H.start(C, work, srv):
        peer.close()
        return 1
    try:
        C.guard("run", run, srv, peer)
    finally:
        peer.close()
        C.check("server-exit", srv.stop())
    work.done(C.failed)
    return C.exit_status()


class Churn(threading.Thread):
    def __init__(self, k, srv, peer, deadline):
        super().__init__(daemon=True)
        self.ip = "127.0.0.%d" % (20 + k)
        self.srv, self.peer, self.deadline = srv, peer, deadline
        self.cycles = self.failed = self.sent = self.echoed = 0
        self.errors = []
        self.nonce = K.challenge(srv.addr, self.ip)

    def run(self):
        while time.monotonic() < self.deadline:
            t0 = time.monotonic()
            self.cycles += 1
            try:
                why = self.cycle(tcp=self.cycles % 5 == 0)
            except (OSError, ConnectionError, ValueError) as e:
                why = "%s: %s" % (type(e).__name__, e)
            if why:
                self.failed += 1
                if len(self.errors) < 5:
                    self.errors.append(why)
            rest = 0.1 - (time.monotonic() - t0)
            if rest > 0:
                time.sleep(rest)

    def cycle(self, tcp):
        if tcp:
            c = K.TcpClient(self.srv.addr, bind_host=self.ip)
            c.realm, c.nonce = self.nonce
        else:
            c = K.client(self.srv.addr, self.nonce, bind_ip=self.ip)
        try:
            r = c.allocate()
            if not K.is_success(r, K.ALLOCATE):
                return "Allocate: %s" % K.fmt(r)
            self.nonce = (c.realm, c.nonce)
            r = c.permission(self.peer.addr[0])
            if not K.is_success(r, K.CREATE_PERMISSION):
                return "CreatePermission: %s" % K.fmt(r)
            ch = 0x4000 + self.cycles % 0x1000
            r = c.channel_bind(ch, self.peer.addr)
            if not K.is_success(r, K.CHANNEL_BIND):
                return "ChannelBind: %s" % K.fmt(r)
            self.traffic(c, ch, tcp)
            r = c.request(K.REFRESH, [(K.LIFETIME, struct.pack("!I", 600))])
            if not K.is_success(r, K.REFRESH):
                return "Refresh: %s" % K.fmt(r)
            if not tcp:
                r = c.release()
                if not K.is_success(r, K.REFRESH):
                    return "Refresh LIFETIME 0: %s" % K.fmt(r)
            return None
        finally:
            c.close()

    def traffic(self, c, ch, tcp):
        out = [K.channel_data(ch, b"soak %d cd %d" % (self.cycles, i)) for i in range(PKTS)]
        out += [K.send_indication(self.peer.addr, b"soak %d si %d" % (self.cycles, i)) for i in range(PKTS)]
        for m in out:
            if tcp:
                c.sock.sendall(m + b"\0" * (-len(m) % 4))
            else:
                c.sock.sendto(m, self.srv.addr)
        self.sent += len(out)
        end = time.monotonic() + 1.0
        got = 0
        while got < len(out) and time.monotonic() < end:
            left = end - time.monotonic()
            if tcp:
                raw = c.read_frame(left)
            else:
                c.sock.settimeout(max(0.01, left))
                try:
                    raw = c.sock.recv(4096)
                except socket.timeout:
                    raw = None
            if raw is None:
                break
            if raw[:2] == struct.pack("!H", ch) or K.parse_data_indication(raw) is not None:
                got += 1
        self.echoed += got


def run(srv, peer):
    asan = H.is_asan(os.environ["TERND"])
    pid = srv.pid
    time.sleep(0.5)  # the readiness probe's connections close
    fds0, rss0 = H.nfds(pid), H.rss_kb(pid)
    created0 = srv.metric(CREATED)
    start = time.monotonic()
    deadline = start + SECONDS
    warm = max(10, SECONDS // 5)
    churn = [Churn(k, srv, peer, deadline) for k in range(CLIENTS)]
    for t in churn:
        t.start()
    samples = []  # (t, rss kB, fds, relay sockets, cycles)
    while time.monotonic() < deadline:
        time.sleep(min(SAMPLE_S, max(0, deadline - time.monotonic())))
        samples.append((time.monotonic() - start, H.rss_kb(pid), H.nfds(pid),
                        H.udp_sockets_in(pid, srv.relay_min, srv.relay_max), sum(t.cycles for t in churn)))
        s = samples[-1]
        K.note("t=%4.0fs  VmRSS %6d kB  fds %3d  relays %2d  cycles %6d" % s)
    for t in churn:
        t.join(10)
    time.sleep(1.0)
    fds_end, rss_end = H.nfds(pid), H.rss_kb(pid)
    relays_end = H.udp_sockets_in(pid, srv.relay_min, srv.relay_max)
    cycles = sum(t.cycles for t in churn)
    failed = sum(t.failed for t in churn)
    sent = sum(t.sent for t in churn)
    echoed = sum(t.echoed for t in churn)
    after = [s for s in samples if s[0] >= warm]
    K.note("soak %d s, %d clients: %d cycles (%d allocations), %d failed; %d packets relayed and echoed "
           "of %d" % (SECONDS, CLIENTS, cycles, cycles, failed, echoed, sent))
    K.note("VmRSS %d kB at start, %s kB after the %d s warm-up, %s kB at most after it, %d kB at the end; "
           "fds %d at start, at most %d during, %d at the end" % (
               rss0, after[0][1] if after else "?", warm, max(s[1] for s in after) if after else "?", rss_end,
               fds0, max(s[2] for s in samples) if samples else fds0, fds_end))
    errs = [e for t in churn for e in t.errors]
    C.check("cycles-succeed", cycles > 0 and failed <= cycles // 100,
            "%d of %d cycles failed, e.g. %s" % (failed, cycles, errs[:3]))
    C.check("traffic-echoed", sent > 0 and echoed >= sent * 0.99, "%d of %d packets came back" % (echoed, sent))
    if len(after) < 2:
        C.fail("enough-samples", "only %d samples after the warm-up: SOAK_SECONDS=%d is too short" % (
            len(after), SECONDS))
        return
    grew = max(s[1] for s in after) - after[0][1]
    if asan:
        K.note("resident memory not checked under AddressSanitizer (its quarantine keeps freed memory "
               "resident)")
    else:
        C.check("rss-flat-after-warm-up", grew <= RSS_TOL_KB,
                "VmRSS grew %d kB after the warm-up (%d -> %d kB; tolerance %d kB)" % (
                    grew, after[0][1], max(s[1] for s in after), RSS_TOL_KB))
    hi = max(s[2] for s in samples)
    C.check("fds-bounded-during", hi <= fds0 + 2 * CLIENTS,
            "up to %d descriptors during the churn, %d at start (at most %d allocations and "
            "connections are held at once)" % (hi, fds0, 2 * CLIENTS))
    C.check("fds-back-to-start", fds_end == fds0, "%d descriptors at the end, %d at start" % (fds_end, fds0))
    C.check("no-relay-left", relays_end == 0, "ternd still holds %d relay sockets" % relays_end)
    H.counted(C, "allocations-gauge-zero", srv, ACTIVE, 0, 0, "every allocation ended")
    H.counted(C, "allocations-counted", srv, CREATED, created0, cycles - failed, "%d cycles allocated" % (
        cycles - failed))


if __name__ == "__main__":
    sys.exit(main())
