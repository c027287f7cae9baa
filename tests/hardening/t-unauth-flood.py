#!/usr/bin/env python3
"""Unauthenticated floods: no per-client state before authentication or before
a DTLS cookie, and the 401 rate limit holds.

ternd (2 workers) with limits.challenge_rate = 50 and challenge_burst = 100.
From 500 UDP sockets on 127.0.0.2-127.0.0.5 (125 ports per address):
  - warm-up: 2000 unauthenticated Allocates, then a pause
  - flood: 20000 unauthenticated Allocates in about 4 s
      * resident memory (VmRSS) grows by at most 1 MiB over the flood, and the
        open descriptors do not change (skipped under ASan, whose allocator
        quarantine makes RSS meaningless: the reason is printed)
      * 401s per source address stay within burst + rate x duration, and the
        burst is served (the limit is per address, not a global off switch)
      * a legitimate client on 127.0.0.1 gets its 401 and then its allocation
        during the flood
      * the drops are counted (ternd_auth_failures_total{reason="rate_limited"},
        when the admin /metrics endpoint exists; the test says when not)
  - DTLS: 5000 ClientHellos from the same sockets: answered with a
    HelloVerifyRequest no larger than the ClientHello (counted), resident
    memory grows by at most 1 MiB, no descriptor and no session is created
"""

import os
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("unauth-flood")
RATE, BURST = 50, 100
ADDRS = ["127.0.0.%d" % i for i in range(2, 6)]
PORTS_PER_ADDR = 125
RSS_LIMIT_KB = 1024
RATE_LIMITED = r'^ternd_auth_failures_total\{reason="rate_limited"\}$'
COOKIES = r"^ternd_dtls_cookies_sent_total$"
SESSIONS = r"^ternd_dtls_sessions_total$"


def main():
    K.on_sigterm()
    work = K.Work("unauth")
    srv = H.Ternd(work, "srv", **{"limits.challenge_rate": RATE, "limits.challenge_burst": BURST})
    return H.serve(C, work, srv, flood)


def flood(srv, held):
    run(srv, H.udp_sockets(held, [(ip, PORTS_PER_ADDR) for ip in ADDRS]))


class Receiver(H.SocketReader):
    """Counts the answers classify accepts, per local address."""

    def __init__(self, socks, classify):
        super().__init__(socks)
        self.classify = classify
        self.per_ip = {}
        self.sizes = []

    def on_data(self, ip, data):
        if self.classify(data):
            self.per_ip[ip] = self.per_ip.get(ip, 0) + 1
            self.sizes.append(len(data))


def is_401(data):
    try:
        r = K.Resp(data)
    except (ValueError, struct.error):
        return False
    return K.is_error(r, K.ALLOCATE, 401)


def blast(socks, dest, n, seconds, make):
    """n datagrams from make() round-robin over socks, paced over about seconds."""
    t0 = time.monotonic()
    chunk = 200
    for i in range(0, n, chunk):
        for j in range(i, min(n, i + chunk)):
            try:
                socks[j % len(socks)].sendto(make(), dest)
            except BlockingIOError:
                pass
        ahead = t0 + seconds * (i + chunk) / n - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return time.monotonic() - t0


def allocate_req():
    return K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT], fingerprint=False)[1]


def rss_check(name, before, after, asan):
    grew = after - before
    K.note("%s: VmRSS %d kB before, %d kB after (%+d kB)" % (name, before, after, grew))
    if asan:
        K.note("%s: not checked under AddressSanitizer (its quarantine keeps freed memory "
               "resident, so RSS says nothing about ternd's own state)" % name)
        return
    C.check(name, grew <= RSS_LIMIT_KB, "resident memory grew by %d kB (limit %d kB)" % (grew, RSS_LIMIT_KB))


def run(srv, socks):
    asan = H.is_asan(os.environ["TERND"])
    pid = srv.pid
    dest = srv.addr

    # warm-up: whatever ternd allocates lazily is allocated now
    rx = Receiver(socks, is_401)
    rx.start()
    blast(socks, dest, 2000, 1.0, allocate_req)
    rx.stop(0.5)  # answers still in flight
    time.sleep(BURST / RATE + 0.5)  # the buckets fill up again
    rss0, fds0 = H.rss_kb(pid), H.nfds(pid)
    time.sleep(1.1)  # counters are published once a second
    rl0 = srv.metric(RATE_LIMITED)

    # the flood, and a legitimate client in the middle of it
    legit = {}

    def legit_client():
        time.sleep(1.0)
        c = K.client(dest, bind_ip="127.0.0.1")
        try:
            legit["r"] = c.allocate()
            if K.is_success(legit["r"], K.ALLOCATE):
                c.release()
        finally:
            c.close()

    rx = Receiver(socks, is_401)
    rx.start()
    lt = threading.Thread(target=legit_client, daemon=True)
    lt.start()
    sent = 20000
    dur = blast(socks, dest, sent, 4.0, allocate_req)
    lt.join(10)
    rx.stop(0.5)  # answers still in flight
    time.sleep(0.5)
    rss1, fds1 = H.rss_kb(pid), H.nfds(pid)
    answered = sum(rx.per_ip.values())
    K.note("flood: %d unauthenticated Allocates from %d sockets on %d addresses in %.1f s; %d answered "
           "with 401 (%s)" % (sent, len(socks), len(ADDRS), dur, answered,
                              ", ".join("%s: %d" % kv for kv in sorted(rx.per_ip.items()))))
    limit = BURST + RATE * (dur + 0.5) + 2
    over = {ip: n for ip, n in rx.per_ip.items() if n > limit}
    C.check("401-rate-limit-per-address", not over,
            "401s per address above burst %d + rate %d/s x %.1f s = %d: %s" % (BURST, RATE, dur, limit, over))
    short = [ip for ip in ADDRS if rx.per_ip.get(ip, 0) < BURST // 2]
    C.check("burst-served-per-address", not short,
            "addresses that got fewer than %d 401s (the burst is per address): %s" % (
                BURST // 2, {ip: rx.per_ip.get(ip, 0) for ip in short}))
    r = legit.get("r")
    C.check("legitimate-client-allocates-during-flood", K.is_success(r, K.ALLOCATE),
            "Allocate from 127.0.0.1 (401, then credentials) during the flood: %s" % K.fmt(r))
    rss_check("rss-flat-over-allocate-flood", rss0, rss1, asan)
    C.check("no-descriptor-per-client", fds1 == fds0, "open descriptors %d before, %d after" % (fds0, fds1))
    H.counted(C, "drops-counted", srv, RATE_LIMITED, rl0, (int((sent - answered) * 0.98), sent - answered),
              "%d unanswered Allocates" % (sent - answered))
    cookies0, sessions0 = srv.metric(COOKIES), srv.metric(SESSIONS)

    # DTLS ClientHellos: a cookie costs no state
    rx = Receiver(socks, lambda d: len(d) > 13 and d[0] == 22 and d[13] == 3)
    rx.start()
    blast(socks, ("127.0.0.1", srv.tls_port), 5000, 2.0, client_hello)
    rx.stop(0.5)  # answers still in flight
    time.sleep(0.5)
    rss2, fds2 = H.rss_kb(pid), H.nfds(pid)
    hvr = sum(rx.per_ip.values())
    K.note("DTLS: 5000 ClientHellos (%d bytes each), %d HelloVerifyRequests back (largest %d bytes)" % (
        len(client_hello()), hvr, max(rx.sizes or [0])))
    C.check("dtls-cookie-answered", hvr >= 4000, "%d HelloVerifyRequests for 5000 ClientHellos" % hvr)
    C.check("dtls-cookie-no-amplification", max(rx.sizes or [0]) <= len(client_hello()),
            "a HelloVerifyRequest of %d bytes for a %d-byte ClientHello" % (max(rx.sizes), len(client_hello())))
    rss_check("rss-flat-over-dtls-flood", rss1, rss2, asan)
    C.check("dtls-no-descriptor-per-client", fds2 == fds0, "open descriptors %d before, %d after" % (fds0, fds2))
    H.counted(C, "dtls-cookies-counted", srv, COOKIES, cookies0, (hvr, 5000),
              "%d HelloVerifyRequests received" % hvr)
    H.counted(C, "dtls-no-session-before-cookie", srv, SESSIONS, sessions0, 0, "no cookie returned")
    C.check("server-alive", srv.alive(), "ternd died: %s" % srv.log_tail())


def client_hello():
    """A DTLS 1.2 ClientHello without a cookie (RFC 6347 §4.2.1), ECDHE suites."""
    suites = [0xC02B, 0xC02F, 0xC00A, 0xC014, 0x009C]
    groups = struct.pack("!HH", 2, 23)  # secp256r1
    sigalgs = struct.pack("!HHH", 4, 0x0403, 0x0804)
    ext = (struct.pack("!HH", 10, len(groups)) + groups + struct.pack("!HHBB", 11, 2, 1, 0) +
           struct.pack("!HH", 13, len(sigalgs)) + sigalgs)
    body = (b"\xfe\xfd" + os.urandom(32) + b"\x00" + b"\x00" + struct.pack("!H", 2 * len(suites)) +
            b"".join(struct.pack("!H", s) for s in suites) + b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    n = len(body).to_bytes(3, "big")
    hs = b"\x01" + n + b"\x00\x00" + b"\x00\x00\x00" + n + body
    return struct.pack("!BHH", 22, 0xFEFF, 0) + bytes(6) + struct.pack("!H", len(hs)) + hs


if __name__ == "__main__":
    sys.exit(main())
