#!/usr/bin/env python3
"""Predictable nonces or relay ports (a weak PRNG, a counter, a structure).

Nonces. ternd's nonces are stateless (docs/ARCHITECTURE.md, src/auth/nonce.c):
"obMatJos2" (the RFC 8489 §9.2 cookie), 4 base64 characters of security
feature bits, the expiry as 8 hex digits (seconds), and a 96-bit
HMAC-SHA256 (24 hex digits) over features, expiry and the client's IP
address, keyed with a secret drawn at start. So two 401s to one address in
the same second carry the same nonce by design; what must hold is that the
MAC part cannot be predicted or forged. About 1000 nonces from 200 source
addresses (127.1.x.y) and several ports each:
  - format: 45 characters, the cookie prefix, lower-case hex, expiry = now +
    nonce_lifetime
  - one nonce per (address, expiry second), distinct across them
  - the MAC part has no structure: no hex position constant, every one of the
    96 bits set in about half the samples, neighbouring addresses' MACs differ
    in about half their bits
  - a nonce is bound to its address: used from another address it is 401,
    from its own address (another port) the Allocate succeeds; an edited
    expiry or MAC digit is 401
  - the secret is random per start: a nonce from one ternd is refused (401)
    by a second one started with the same configuration
Relay ports: 200 IPv4 and 50 IPv6 allocations held at once in a 2000-port
range: no runs of neighbouring ports in allocation order, no fixed stride,
spread over the whole range.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("predictable")
COOKIE = b"obMatJos2"
LIFETIME = 600


def main():
    K.on_sigterm()
    work = K.Work("predict")
    srv = H.Ternd(work, "srv", nonce_lifetime=LIFETIME)
    other = H.Ternd(work, "other", nonce_lifetime=LIFETIME)
    if not H.start(C, work, srv, other):
        return 1
    try:
        C.guard("nonces", nonces, srv, other)
        C.guard("relay-ports", relay_ports, srv)
    finally:
        C.check("server-exit", srv.stop())
        C.check("second-server-exit", other.stop())
    work.done(C.failed)
    return C.exit_status()


# ----------------------------------------------------------------- nonces

def collect(server, ips, per_ip=5):
    """[(ip, nonce bytes)]: per_ip unauthenticated Allocates from each ip,
    each from its own socket (port)."""
    socks = []
    pending = {}
    for ip in ips:
        for _ in range(per_ip):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((ip, 0))
            socks.append(s)
            tid, data = K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT])
            pending[tid] = (s, ip, data)
    out = []
    try:
        for attempt in range(3):
            for tid, (s, ip, data) in pending.items():
                s.sendto(data, server)
            end = time.monotonic() + 1.0
            while pending and time.monotonic() < end:
                for tid in list(pending):
                    s, ip, _ = pending[tid]
                    s.setblocking(False)
                    try:
                        raw = s.recv(2048)
                    except BlockingIOError:
                        continue
                    r = K.Resp(raw)
                    if r.tid in pending and r.get(K.NONCE) is not None:
                        out.append((ip, r.get(K.NONCE)))
                        del pending[r.tid]
                time.sleep(0.01)
            if not pending:
                break
    finally:
        for s in socks:
            s.close()
    return out


def split(n):
    """(features, expiry int, mac hex str) or None if the format is not ternd's."""
    if len(n) != 45 or not n.startswith(COOKIE):
        return None
    exp, mac = n[13:21], n[21:45]
    if any(ch not in b"0123456789abcdef" for ch in exp + mac):
        return None
    return n[9:13], int(exp, 16), mac.decode()


def bits(h):
    v = int(h, 16)
    return [(v >> (95 - i)) & 1 for i in range(96)]


def nonces(srv, other):
    ips = ["127.1.%d.%d" % (i // 100 + 1, i % 100 + 1) for i in range(200)]
    t0 = int(time.time())
    got = collect(srv.addr, ips)
    t1 = int(time.time())
    K.note("%d nonces from %d addresses" % (len(got), len(ips)))
    C.check("got-nonces", len(got) >= 950, "only %d of 1000 challenges answered with a NONCE" % len(got))
    bad = [n for _, n in got if split(n) is None]
    C.check("format", not bad, "%d nonces not 'obMatJos2' + 4 + 8 hex + 24 hex, e.g. %r" % (
        len(bad), bad[:1]))
    parts = [(ip, n, split(n)) for ip, n in got if split(n)]
    if not parts:
        return
    exp_bad = [p[1] for _, _, p in parts if not t0 + LIFETIME - 1 <= p[1] <= t1 + LIFETIME + 1]
    C.check("expiry-is-now-plus-lifetime", not exp_bad,
            "%d expiries outside now + %d s, e.g. %s (now %d)" % (len(exp_bad), LIFETIME, exp_bad[:2], t0))
    groups = {}
    for ip, n, (_, exp, _) in parts:
        groups.setdefault((ip, exp), set()).add(n)
    multi = [k for k, v in groups.items() if len(v) > 1]
    distinct = {n for _, n, _ in parts}
    C.check("one-nonce-per-address-and-second", not multi,
            "%d (address, expiry) pairs got several nonces, e.g. %s" % (len(multi), multi[:1]))
    C.check("distinct-across-addresses-and-seconds", len(distinct) == len(groups),
            "%d distinct nonces for %d (address, expiry) pairs" % (len(distinct), len(groups)))
    macs = sorted({p[2] for _, _, p in parts})
    C.check("distinct-macs", len(macs) == len(distinct), "%d MACs for %d nonces" % (len(macs), len(distinct)))
    const = [i for i in range(24) if len({m[i] for m in macs}) == 1]
    C.check("no-constant-mac-position", len(macs) >= 100 and not const,
            "%d MACs; hex positions that never change: %s" % (len(macs), const))
    n = len(macs)
    ones = [sum(col) for col in zip(*(bits(m) for m in macs))]
    sigma = (n * 0.25) ** 0.5
    skew = [(i, c) for i, c in enumerate(ones) if abs(c - n / 2) > 5 * sigma]
    K.note("MAC bits set: %d..%d of %d samples per bit (expected %d +- %.0f)" % (
        min(ones), max(ones), n, n // 2, sigma))
    C.check("mac-bits-balanced", not skew, "bits set far from half of %d samples: %s" % (n, skew[:5]))
    by_ip = {}
    for ip, _, (_, exp, mac) in parts:
        by_ip.setdefault(exp, {})[ip] = mac
    dists = []
    for exp, m in by_ip.items():
        for i in range(len(ips) - 1):
            if ips[i] in m and ips[i + 1] in m:
                dists.append(sum(a != b for a, b in zip(bits(m[ips[i]]), bits(m[ips[i + 1]]))))
    mean = sum(dists) / len(dists) if dists else 0
    K.note("neighbouring addresses, same expiry: MACs differ in %.1f of 96 bits on average (%d pairs)" % (
        mean, len(dists)))
    C.check("neighbour-addresses-unrelated", len(dists) >= 50 and 42 <= mean <= 54,
            "mean Hamming distance %.1f over %d pairs (want about 48)" % (mean, len(dists)))

    bound_to_address(srv)
    per_start(srv, other)


def auth_with(srv, ip, realm, nonce):
    c = K.client(srv.addr, (realm, nonce), bind_ip=ip)
    try:
        attrs = [K.UDP_TRANSPORT]
        key = K.long_term_key(K.USER, realm.decode(), K.PASSWORD)
        tid, data = K.message(K.ALLOCATE, K.REQUEST, attrs + [
            (K.USERNAME, K.USER.encode()), (K.REALM, realm), (K.NONCE, nonce)], key=key)
        r = c.transact(tid, data)
        if K.is_success(r, K.ALLOCATE):
            c.release()
        return r
    finally:
        c.close()


def bound_to_address(srv):
    realm, nonce = K.challenge(srv.addr, "127.1.9.1")
    r = auth_with(srv, "127.1.9.1", realm, nonce)
    C.check("nonce-works-from-its-address", K.is_success(r, K.ALLOCATE),
            "Allocate from the nonce's own address (another port): %s" % K.fmt(r))
    r = auth_with(srv, "127.1.9.2", realm, nonce)
    C.check("nonce-refused-from-another-address", K.is_error(r, K.ALLOCATE, 401),
            "127.1.9.1's nonce used from 127.1.9.2: %s (want 401)" % K.fmt(r))
    exp = int(nonce[13:21], 16)
    later = nonce[:13] + b"%08x" % (exp + 3600) + nonce[21:]
    r = auth_with(srv, "127.1.9.1", realm, later)
    C.check("edited-expiry-refused", K.is_error(r, K.ALLOCATE, 401),
            "nonce with its expiry moved an hour on: %s (want 401)" % K.fmt(r))
    d = nonce[30:31]
    flipped = nonce[:30] + (b"0" if d != b"0" else b"1") + nonce[31:]
    r = auth_with(srv, "127.1.9.1", realm, flipped)
    C.check("edited-mac-refused", K.is_error(r, K.ALLOCATE, 401),
            "nonce with one MAC digit changed: %s (want 401)" % K.fmt(r))


def per_start(srv, other):
    """Each start draws its own secret: a nonce from one ternd is no good at
    another started the same way (a built-in or reused secret would be)."""
    realm, nonce = K.challenge(srv.addr, "127.1.9.3")
    r = auth_with(other, "127.1.9.3", realm, nonce)
    C.check("secret-random-per-start", K.is_error(r, K.ALLOCATE, 401),
            "a nonce from one ternd (no auth.nonce_secret) used at a second one from the same "
            "address: %s (want 401: each start must draw its own secret)" % K.fmt(r))


# ----------------------------------------------------------------- relay ports

def relay_ports(srv):
    lo, hi = srv.relay_min, srv.relay_max
    for fam, ip, n in ((None, "127.0.0.1", 200), (2, "::1", 50)):
        nonce = K.challenge(srv.addr)
        cs, ports = [], []
        try:
            for _ in range(n):
                c = K.client(srv.addr, nonce)
                cs.append(c)
                r = c.allocate(family=fam)
                if K.is_success(r, K.ALLOCATE):
                    ports.append(K.relayed(r)[1])
            for c in cs:
                c.release()
        finally:
            for c in cs:
                c.close()
        tag = "ipv4" if fam is None else "ipv6"
        if not C.check("%s-allocations" % tag, len(ports) == n, "%d of %d allocations succeeded" % (
                len(ports), n)):
            continue
        diffs = [b - a for a, b in zip(ports, ports[1:])]
        near = sum(1 for d in diffs if abs(d) <= 2)
        K.note("%s relay ports: %d allocations, range %d-%d, lowest %d highest %d, %d neighbours "
               "in a row, %d distinct steps" % (tag, n, lo, hi, min(ports), max(ports), near,
                                                len(set(diffs))))
        C.check("%s-ports-not-sequential" % tag, near <= max(3, n // 20),
                "%d of %d successive relay ports within 2 of the previous one: %s..." % (
                    near, len(diffs), ports[:12]))
        C.check("%s-ports-no-fixed-stride" % tag, len(set(diffs)) >= 0.7 * len(diffs),
                "only %d distinct steps between %d successive ports" % (len(set(diffs)), len(diffs)))
        if n >= 200:
            bins = [0] * 10
            for p in ports:
                bins[min(9, (p - lo) * 10 // (hi - lo + 1))] += 1
            spread = min(bins) >= 5 and min(ports) - lo < (hi - lo) // 20 and hi - max(ports) < (hi - lo) // 20
            C.check("ports-spread-over-the-range", spread,
                    "ports per tenth of %d-%d: %s; lowest %d, highest %d" % (lo, hi, bins, min(ports),
                                                                            max(ports)))


if __name__ == "__main__":
    sys.exit(main())
