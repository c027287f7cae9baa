#!/usr/bin/env python3
"""EVEN-PORT reservations (RFC 8656 §7.2, §14.6, §14.9) that leak ports.

ternd with an 8-port relay window (4 even/odd pairs, checked free first):
  - EVEN-PORT with R: an even relay port, a RESERVATION-TOKEN, and port + 1
    held by ternd (nobody else can bind it)
  - the token claims exactly port + 1; a second claim of the same token and a
    made-up token are 508, and neither takes a port
  - EVEN-PORT without R: an even port, no token, one socket
  - a reservation whose allocation is released at once stays until it
    expires, then its port is free
  - EVEN-PORT R when no even/odd pair is free (but an even port is): 508, and
    the even port it tried is given back (ternd holds no more sockets)
  - after releasing everything and about 30 s (the reservations' life), every
    port of the window can be bound by someone else and 8 plain allocations
    fit; ternd_reservations_active says 1 while one reservation is left
    and 0 at the end, ternd_reservations_expired_total 2
A second ternd, user_quota 2: EVEN-PORT R takes both units (the allocation
and its reserved port); after the release the reservation keeps its unit, so
another EVEN-PORT R is 486 and the user never holds more relay ports than the
quota (reservations are not a way around relay.user_quota).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("even-port")
NPORTS = 8
RESERVATION_S = 30  # TURN_RESERVATION_MS in src/turn/priv.h
RESERVATIONS = r"^ternd_reservations_active$"
EXPIRED = r"^ternd_reservations_expired_total$"


def main():
    K.on_sigterm()
    work = K.Work("even")
    lo, hi = K.free_window(NPORTS)
    lo2, hi2 = K.free_window(NPORTS)
    while lo2 <= hi and lo <= hi2:
        lo2, hi2 = K.free_window(NPORTS)
    srv = H.Ternd(work, "srv", port_min=lo, port_max=hi)
    q2 = H.Ternd(work, "quota2", port_min=lo2, port_max=hi2, user_quota=2)
    if not H.start(C, work, srv, q2):
        return 1
    clients = []
    try:
        C.guard("quota-bypass", quota_bypass, q2, lo2, hi2, clients)
        C.guard("run", run, srv, lo, hi, clients)
    finally:
        for c in clients:
            c.close()
        C.check("server-exit", srv.stop())
        C.check("quota2-server-exit", q2.stop())
    work.done(C.failed)
    return C.exit_status()


def alloc_even(srv, nonce, clients, reserve=True, tries=1):
    """(client, response) of an Allocate with EVEN-PORT (R bit per reserve)."""
    r = c = None
    for _ in range(tries):
        c = K.client(srv.addr, nonce)
        clients.append(c)
        r = c.allocate(extra=[(K.EVEN_PORT, b"\x80" if reserve else b"\x00")])
        if K.is_success(r, K.ALLOCATE):
            break
    return c, r


def claim(srv, nonce, clients, token):
    c = K.client(srv.addr, nonce)
    clients.append(c)
    return c, c.allocate(extra=[(K.RESERVATION_TOKEN, token)])


def run(srv, lo, hi, clients):
    K.note("relay ports %d-%d" % (lo, hi))
    nonce = K.challenge(srv.addr)
    held = lambda: H.udp_sockets_in(srv.pid, lo, hi)  # noqa: E731

    a, r = alloc_even(srv, nonce, clients)
    if not C.check("even-port-r", K.is_success(r, K.ALLOCATE) and r.get(K.RESERVATION_TOKEN) is not None,
                   "Allocate EVEN-PORT R: %s" % K.fmt(r)):
        return
    p = K.relayed(r)[1]
    token = r.get(K.RESERVATION_TOKEN)
    C.check("even-port-is-even", p % 2 == 0 and lo <= p < hi, "relay port %d" % p)
    C.check("port-plus-one-held", (p + 1) in K.ports_bindable("127.0.0.1", p + 1, p + 1) and held() == 2,
            "after EVEN-PORT R on %d: ternd holds %d sockets in the window, %d %s" % (
                p, held(), p + 1, "busy" if K.ports_bindable("127.0.0.1", p + 1, p + 1) else "free"))

    b, r = claim(srv, nonce, clients, token)
    C.check("token-claims-port-plus-one", K.is_success(r, K.ALLOCATE) and K.relayed(r)[1] == p + 1,
            "claim: %s relayed %s (want port %d)" % (K.fmt(r), K.relayed(r), p + 1))
    _, r = claim(srv, nonce, clients, token)
    C.check("token-claimed-twice-508", K.is_error(r, K.ALLOCATE, 508), "second claim: %s" % K.fmt(r))
    _, r = claim(srv, nonce, clients, os.urandom(8))
    C.check("made-up-token-508", K.is_error(r, K.ALLOCATE, 508), "unknown token: %s" % K.fmt(r))
    C.check("failed-claims-take-no-port", held() == 2, "ternd holds %d sockets, want 2" % held())

    c, r = alloc_even(srv, nonce, clients, reserve=False)
    ok = K.is_success(r, K.ALLOCATE) and K.relayed(r)[1] % 2 == 0 and r.get(K.RESERVATION_TOKEN) is None
    C.check("even-port-without-r", ok and held() == 3,
            "%s, relayed %s, token %r, %d sockets held (want 3)" % (
                K.fmt(r), K.relayed(r), r.get(K.RESERVATION_TOKEN) if r else None, held()))
    cport = K.relayed(r)[1] if ok else None

    # a reservation outlives its allocation, then expires
    d, r = alloc_even(srv, nonce, clients, tries=5)
    if not C.check("second-even-port-r", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        return
    dport = K.relayed(r)[1]
    d.release()
    t_resv = time.monotonic()
    H.counted(C, "reservations-gauge", srv, RESERVATIONS, 0, 1, "one unclaimed reservation")
    C.check("reservation-outlives-its-allocation",
            held() == 4 and (dport + 1) in K.ports_bindable("127.0.0.1", dport + 1, dport + 1),
            "after releasing the allocation on %d: %d sockets held (want 4: %d, %d, %s and the reserved %d)" % (
                dport, held(), p, p + 1, cport, dport + 1))

    # the one fully free pair left
    e, r = alloc_even(srv, nonce, clients, tries=6)
    if C.check("last-free-pair", K.is_success(r, K.ALLOCATE), "EVEN-PORT R (6 tries): %s" % K.fmt(r)):
        t_resv = time.monotonic()
    before = held()
    # no pair is free now (the even ports left have their odd port taken)
    rs = [alloc_even(srv, nonce, clients)[1] for _ in range(3)]
    C.check("no-free-pair-508", all(K.is_error(x, K.ALLOCATE, 508) for x in rs),
            "EVEN-PORT R with no free pair: %s" % ", ".join(K.fmt(x) for x in rs))
    C.check("failed-even-port-gives-port-back", held() == before,
            "ternd holds %d sockets after the 508s, %d before" % (held(), before))

    for x in (a, b, c, e):
        x.release()
    # every reservation ends about 30 s after it was made
    free = K.wait_for(lambda: not K.ports_bindable("127.0.0.1", lo, hi),
                      RESERVATION_S + 8 - (time.monotonic() - t_resv), step=0.5)
    waited = time.monotonic() - t_resv
    K.note("window free %.1f s after the last reservation was made" % waited)
    C.check("reservations-expire-and-free-their-ports", free,
            "%.0f s after the last reservation, still bound: %s (%d sockets held by ternd)" % (
                waited, K.ports_bindable("127.0.0.1", lo, hi), held()))
    n = 0
    for _ in range(3 * NPORTS):
        x = K.client(srv.addr, nonce)
        clients.append(x)
        if K.is_success(x.allocate(), K.ALLOCATE):
            n += 1
        if n == NPORTS:
            break
    H.counted(C, "reservations-gauge-zero", srv, RESERVATIONS, 0, 0, "every reservation ended")
    H.counted(C, "reservations-expiry-counted", srv, EXPIRED, 0, (2, 2), "two reservations expired unclaimed")
    C.check("whole-window-allocatable-again", n == NPORTS,
            "%d of %d ports allocatable after the reservations ended" % (n, NPORTS))


def quota_bypass(srv, lo, hi, clients):
    """user_quota 2: a reserved port is a unit of the quota until it ends."""
    nonce = K.challenge(srv.addr)
    held = lambda: H.udp_sockets_in(srv.pid, lo, hi)  # noqa: E731
    c, r = alloc_even(srv, nonce, clients, tries=3)
    if not C.check("quota-even-port-r", K.is_success(r, K.ALLOCATE) and held() == 2,
                   "EVEN-PORT R under user_quota 2: %s, %d relay ports held (want 2)" % (K.fmt(r), held())):
        return
    c.release()
    C.check("quota-reservation-outlives-release", held() == 1,
            "after the release: %d relay ports held (want 1, the reservation)" % held())
    # one unit left: EVEN-PORT R needs two (the allocation and its reservation)
    rs = [alloc_even(srv, nonce, clients)[1] for _ in range(3)]
    C.check("reservations-bounded-by-user-quota",
            all(K.is_error(x, K.ALLOCATE, 486) for x in rs) and held() == 1,
            "EVEN-PORT R with one unit left: %s; %d relay ports held (want 486 and 1)" % (
                ", ".join(K.fmt(x) for x in rs), held()))
    c, r = alloc_even(srv, nonce, clients, reserve=False)
    C.check("quota-plain-even-port-fits", K.is_success(r, K.ALLOCATE) and held() == 2,
            "EVEN-PORT without R in the last unit: %s, %d relay ports held (want 2)" % (K.fmt(r), held()))
    d = K.client(srv.addr, nonce)
    clients.append(d)
    r = d.allocate()
    C.check("quota-full-486", K.is_error(r, K.ALLOCATE, 486) and held() == 2,
            "a third port for the user: %s, %d relay ports held" % (K.fmt(r), held()))
    K.note("user_quota 2: the user never held more than 2 relay ports")


if __name__ == "__main__":
    sys.exit(main())
