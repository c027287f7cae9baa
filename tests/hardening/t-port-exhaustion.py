#!/usr/bin/env python3
"""Relay ports exhausted: 508, and recovery once allocations are released.

ternd with relay.port_min..port_max spanning 8 ports (a window no other test
uses, checked free first). Allocations from fresh 5-tuples until 508:
  - exactly 8 succeed, on 8 distinct ports of the window, then 508
    (ternd draws ports at random, 32 tries: "until 508" means three 508s in a
    row, so a near-full range that was merely unlucky is not mistaken for full)
  - ternd holds exactly those 8 sockets; STUN Binding is still answered
  - "cannot open a relay" is logged, a bounded number of times (rate-limited);
    the 508s are counted (ternd_quota_refusals_total{reason="ports"}) and the
    ternd_allocations_active gauge says 8
  - releasing one (Refresh LIFETIME 0): the next Allocate succeeds
  - releasing all: every port of the window can be bound by someone else at
    once, and 8 allocations fit again (nothing leaked)
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("port-exhaustion")
NPORTS = 8
NO_PORT = r'^ternd_quota_refusals_total\{reason="ports"\}$'
ACTIVE = r"^ternd_allocations_active$"


def main():
    K.on_sigterm()
    work = K.Work("ports")
    lo, hi = K.free_window(NPORTS)
    srv = H.Ternd(work, "srv", port_min=lo, port_max=hi, **{"limits.log_interval": 10})
    return H.serve(C, work, srv, run, lo, hi)


SEEN = {"508": 0}


def fill(srv, nonce, clients, limit=3 * NPORTS):
    """Allocate until three 508s in a row: (allocated clients, their ports, last error)."""
    got, ports, fails, last = [], [], 0, None
    for _ in range(limit):
        c = K.client(srv.addr, nonce)
        clients.append(c)
        r = c.allocate()
        if K.is_success(r, K.ALLOCATE):
            got.append(c)
            ports.append(K.relayed(r)[1])
            fails = 0
            continue
        last = r
        if not K.is_error(r, K.ALLOCATE, 508):
            break
        SEEN["508"] += 1
        fails += 1
        if fails == 3:
            break
    return got, ports, last


def run(srv, lo, hi, clients):
    K.note("relay ports %d-%d" % (lo, hi))
    nonce = K.challenge(srv.addr)
    nport0 = srv.metric(NO_PORT)
    got, ports, last = fill(srv, nonce, clients)
    probs = []
    if len(got) != NPORTS:
        probs.append("%d allocations succeeded before 508, the range has %d ports" % (len(got), NPORTS))
    if sorted(set(ports)) != list(range(lo, hi + 1)):
        probs.append("relay ports %s, want each of %d-%d once" % (sorted(ports), lo, hi))
    C.check("range-fills-exactly", probs)
    C.check("then-508", K.is_error(last, K.ALLOCATE, 508),
            "after the range filled: %s (want 508 Insufficient Capacity)" % K.fmt(last))
    n = H.udp_sockets_in(srv.pid, lo, hi)
    C.check("holds-one-socket-per-allocation", n == len(got),
            "ternd holds %d sockets in %d-%d for %d allocations" % (n, lo, hi, len(got)))
    C.check("binding-still-answered", K.ping("udp", srv.port), "no Binding answer")
    H.counted(C, "refusals-counted", srv, NO_PORT, nport0, SEEN["508"],
              "%d 508s for want of a port" % SEEN["508"])
    H.counted(C, "allocations-gauge", srv, ACTIVE, 0, len(got), "%d allocations held" % len(got))
    log = srv.log_text()
    nlog = log.count("cannot open a relay")
    C.check("logged-rate-limited", 1 <= nlog <= 4,
            "%d 'cannot open a relay' lines for the 508s (want at least one, rate-limited)" % nlog)
    if not got:
        return

    # release one: the next Allocate succeeds (ports are drawn at random:
    # allow three fresh 5-tuples)
    r = got.pop().release()
    C.check("release-one", K.is_success(r, K.REFRESH), K.fmt(r))
    tries, r = 0, None
    for tries in range(1, 4):
        c = K.client(srv.addr, nonce)
        clients.append(c)
        r = c.allocate()
        if K.is_success(r, K.ALLOCATE):
            got.append(c)
            break
    if tries > 1:
        K.note("the freed port was found on attempt %d (random port draws)" % tries)
    C.check("allocate-after-release", K.is_success(r, K.ALLOCATE),
            "3 Allocates after one release: last %s" % K.fmt(r))

    # release everything: every port free for anyone, and the range fills again
    bad = [K.fmt(r) for r in (c.release() for c in got) if not K.is_success(r, K.REFRESH)]
    C.check("release-all", bad)
    busy = K.wait_for(lambda: not K.ports_bindable("127.0.0.1", lo, hi), 2.0)
    C.check("every-port-free-after-release", busy,
            "still bound 2 s after releasing everything: %s" % K.ports_bindable("127.0.0.1", lo, hi))
    got2, ports2, last2 = fill(srv, nonce, clients)
    C.check("range-fills-again", len(got2) == NPORTS and K.is_error(last2, K.ALLOCATE, 508),
            "%d allocations then %s (want %d then 508)" % (len(got2), K.fmt(last2), NPORTS))
    for c in got2:
        c.release()
    time.sleep(0.2)
    n = H.udp_sockets_in(srv.pid, lo, hi)
    C.check("no-socket-left", n == 0, "ternd still holds %d sockets in %d-%d" % (n, lo, hi))
    H.counted(C, "allocations-gauge-zero", srv, ACTIVE, 0, 0, "everything released")


if __name__ == "__main__":
    sys.exit(main())
