#!/usr/bin/env python3
"""Peer policy: address ranges compared wrongly (bytes instead of bits,
families mixed, IPv4-mapped rules that never match).

t-policy.py (tests/interop/turn) checks the default deny list. Here the
operator's own rules, written so that a byte-wise or family-blind compare
would let a peer through:
  deny_peers  = 2001:db8::/32, 198.51.100.0/24
  allow_peers = 2001:db8:0:2::/63, 2001:db8:1:0:8000::/65, 7f00::/8,
                198.51.100.128/25
CreatePermission on an IPv6 and an IPv4 allocation must give 403 or success
exactly as the prefixes say, bit by bit:
  - the /63 allows its two /64s and not the neighbouring /64 on either side
  - the /65 allows its half of the /64 and not the other half
  - an IPv6 rule never matches an IPv4 address with the same leading bytes
    (7f00::/8 must not allow 127.0.0.1; 2001:db8::/32 must not deny
    32.1.13.184), nor an IPv4 rule an IPv6 address (198.51.100.0/24 must not
    deny c633:6405::1)
  - ::ffff:198.51.100.5 and ::198.51.100.5 (IPv4-compatible) are never allowed
A second configuration writes a deny rule in IPv4-mapped form,
deny_peers = ::ffff:203.0.113.0/120. Peers are unmapped before the policy
check, so such a rule can never match as written: ternd must either refuse
the configuration or apply the rule to 203.0.113.0/24.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("peer-ranges")

DENY = "2001:db8::/32,198.51.100.0/24"
ALLOW = "2001:db8:0:2::/63,2001:db8:1:0:8000::/65,7f00::/8,198.51.100.128/25"

V6 = [  # (check name, peer, expected: "ok" or 403; "never" = anything but success)
    ("slash63-first-64", "2001:db8:0:2::1", "ok"),
    ("slash63-second-64", "2001:db8:0:3:ffff:ffff:ffff:ffff", "ok"),
    ("slash63-neighbour-below", "2001:db8:0:1:ffff:ffff:ffff:ffff", 403),
    ("slash63-neighbour-above", "2001:db8:0:4::1", 403),
    ("slash65-its-half", "2001:db8:1:0:8000::1", "ok"),
    ("slash65-other-half", "2001:db8:1:0:7fff:ffff:ffff:ffff", 403),
    ("slash32-deny", "2001:db8:ffff::1", 403),
    ("outside-slash32-above", "2001:db9::1", "ok"),
    ("outside-slash32-below", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "ok"),
    ("ipv4-rule-not-ipv6", "c633:6405::1", "ok"),
    ("mapped-denied-ipv4", "::ffff:198.51.100.5", "never"),
    ("compatible-denied-ipv4", "::198.51.100.5", "never"),
]
V4 = [
    ("ipv6-allow-not-ipv4-loopback", "127.0.0.1", 403),
    ("ipv6-allow-not-ipv4-127-x", "127.0.5.9", 403),
    ("ipv6-deny-not-ipv4", "32.1.13.184", "ok"),
    ("slash25-allow", "198.51.100.200", "ok"),
    ("slash25-boundary-in", "198.51.100.128", "ok"),
    ("slash25-boundary-out", "198.51.100.127", 403),
    ("slash24-deny", "198.51.100.1", 403),
]


def main():
    K.on_sigterm()
    work = K.Work("ranges")
    srv = H.Ternd(work, "srv", allow_peers=ALLOW, deny_peers=DENY)
    if not H.start(C, work, srv):
        return 1
    try:
        C.guard("ranges", ranges, srv)
    finally:
        C.check("server-exit", srv.stop())
    mapped_rule(work)
    work.done(C.failed)
    return C.exit_status()


def judge(name, r, want, peer):
    if want == "ok":
        C.check(name, K.is_success(r, K.CREATE_PERMISSION),
                "CreatePermission %s: %s (want success)" % (peer, K.fmt(r)))
    elif want == "never":
        C.check(name, r is not None and not K.is_success(r, K.CREATE_PERMISSION),
                "CreatePermission %s: %s (want an error)" % (peer, K.fmt(r)))
    else:
        C.check(name, K.is_error(r, K.CREATE_PERMISSION, want),
                "CreatePermission %s: %s (want %d)" % (peer, K.fmt(r), want))


def ranges(srv):
    nonce = K.challenge(srv.addr)
    c4 = K.client(srv.addr, nonce)
    c6 = K.client(srv.addr, nonce)
    try:
        r4 = c4.allocate()
        r6 = c6.allocate(family=2)
        if not C.check("allocations", K.is_success(r4, K.ALLOCATE) and K.is_success(r6, K.ALLOCATE),
                       "IPv4: %s, IPv6: %s" % (K.fmt(r4), K.fmt(r6))):
            return
        for name, peer, want in V6:
            judge(name, c6.permission(peer), want, peer)
        for name, peer, want in V4:
            judge(name, c4.permission(peer), want, peer)
        c4.release()
        c6.release()
    finally:
        c4.close()
        c6.close()


def mapped_rule(work):
    srv = H.Ternd(work, "mapped", deny_peers="::ffff:203.0.113.0/120")
    ok, out = srv.check_config()
    if not ok:
        K.note("ternd refuses the mapped-form rule: %s" % out)
        C.ok("mapped-form-deny-rule-refused-or-applied")
        return
    try:
        srv.start()
    except RuntimeError as e:
        C.fail("mapped-server-start", e)
        return
    try:
        nonce = K.challenge(srv.addr)
        c4 = K.client(srv.addr, nonce)
        try:
            r = c4.allocate()
            if C.check("mapped-allocation", K.is_success(r, K.ALLOCATE), K.fmt(r)):
                r = c4.permission("203.0.113.7")
                C.check("mapped-form-deny-rule-refused-or-applied", K.is_error(r, K.CREATE_PERMISSION, 403),
                        "deny_peers = [\"::ffff:203.0.113.0/120\"] was accepted by --check-config, yet "
                        "CreatePermission 203.0.113.7 got %s: the rule never matches because peers are "
                        "unmapped before the check (refuse or unmap such rules when loading)" % K.fmt(r))
                c4.release()
        finally:
            c4.close()
    finally:
        C.check("mapped-server-exit", srv.stop())


if __name__ == "__main__":
    sys.exit(main())
