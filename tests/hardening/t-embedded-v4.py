#!/usr/bin/env python3
"""Peer policy: IPv4 addresses hidden inside IPv6 ones (issue 16, finding 2).

A client with an IPv6 relay names a peer such as 64:ff9b::7f00:1: a NAT64,
6to4 or Teredo gateway on the server's path (or a stack that speaks SIIT)
turns it into 127.0.0.1, so each such form must be judged as the IPv4 it
carries. For 127.0.0.1, 169.254.169.254 and 10.0.0.1 (deny_peers =
10.0.0.0/8), every form must get 403 on CreatePermission:
  mapped ::ffff:a.b.c.d, SIIT ::ffff:0:a.b.c.d, IPv4-compatible ::a.b.c.d,
  NAT64 64:ff9b::/96, the local-use 64:ff9b:1::/48 (at /48 and /96),
  6to4 2002:AABB:CCDD::/48, Teredo 2001:0::/32 (as server, and as client:
  the last 32 bits XOR 0xffffffff behind a global server address)
and so must AWS's IPv6 metadata, DNS and time endpoints (fd00:ec2::254,
::253, ::123) and Google's (fd20:ce::254), the twins of 169.254.169.254.
Positive controls: 2001:db8::1 (not Teredo: that is 2001:0::/32 exactly),
and the NAT64 (64:ff9b::/96), 6to4 and Teredo forms of the global 192.0.2.1
are allowed.
COTURN=1 runs the same checks against coturn (docs/SECURITY.md records the
answers); there the metadata checks are informative.
"""

import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("embedded-v4")

TARGETS = {"loopback": "127.0.0.1", "metadata": "169.254.169.254", "private": "10.0.0.1"}
GLOBAL_SERVER = "192.0.2.1"  # a Teredo server that is not itself denied


def v6(b):
    return str(ipaddress.IPv6Address(bytes(b)))


def forms(v4):
    """(form name, IPv6 text) for every way to write v4 inside IPv6."""
    a = ipaddress.IPv4Address(v4).packed
    s = ipaddress.IPv4Address(GLOBAL_SERVER).packed
    nat = bytes([0x00, 0x64, 0xff, 0x9b])
    return [
        ("mapped", "::ffff:" + v4),
        ("siit", "::ffff:0:" + v4),
        ("compatible", "::" + v4),
        ("nat64", v6(nat + bytes(8) + a)),
        ("nat64-local-96", v6(nat + b"\x00\x01" + bytes(6) + a)),
        ("nat64-local-48", v6(nat + b"\x00\x01" + a[:2] + b"\x00" + a[2:] + bytes(5))),
        ("6to4", v6(b"\x20\x02" + a + bytes(9) + b"\x01")),
        ("teredo-server", v6(b"\x20\x01\x00\x00" + a + bytes(7) + b"\x01")),
        ("teredo-client", v6(b"\x20\x01\x00\x00" + s + bytes(4) + bytes(x ^ 0xff for x in a))),
    ]


def main():
    K.on_sigterm()
    work = K.Work("embedded")
    opts = dict(allow_peers="", deny_peers="10.0.0.0/8")
    if K.impl() == "coturn":  # the reference: no /metrics
        srv = K.Server(os.path.join(work.dir, "srv"), **opts)
    else:
        srv = H.Ternd(work, "srv", **opts)
    return H.serve(C, work, srv, run)


def judge(name, r, want, peer):
    if want == "ok":
        C.check(name, K.is_success(r, K.CREATE_PERMISSION),
                "CreatePermission %s: %s (want success)" % (peer, K.fmt(r)))
    else:
        C.check(name, K.is_error(r, K.CREATE_PERMISSION, 403),
                "CreatePermission %s: %s (want 403)" % (peer, K.fmt(r)))


def run(srv, held):
    c6 = K.client(srv.addr, K.challenge(srv.addr))
    held.append(c6)
    r = c6.allocate(family=2)
    if not C.check("allocation-ipv6", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        return
    for tname, v4 in TARGETS.items():
        for fname, peer in forms(v4):
            judge("%s-%s" % (tname, fname), c6.permission(peer, port=9), 403, peer)
    for name, peer in (("aws-metadata", "fd00:ec2::254"), ("aws-dns", "fd00:ec2::253"),
                       ("aws-ntp", "fd00:ec2::123"), ("gcp-metadata", "fd20:ce::254")):
        judge(name, c6.permission(peer, port=9), 403, peer)
    judge("control-2001-db8-not-teredo", c6.permission("2001:db8::1", port=9), "ok", "2001:db8::1")
    # not the local-use 64:ff9b:1::/48 forms: its prefix length is the
    # operator's, so every RFC 6052 position is judged, and the zeros of
    # one form read as 0.x.y.z (denied) at another
    for fname, peer in forms(GLOBAL_SERVER)[3:]:
        if fname.startswith("nat64-local"):
            continue
        judge("control-global-" + fname, c6.permission(peer, port=9), "ok", peer)
    c6.release()


if __name__ == "__main__":
    sys.exit(main())
