#!/usr/bin/env python3
"""relay.advertise (issue 15, public address behind 1:1 NAT), on loopback.

ternd binds 127.0.0.1 (alternate 127.0.0.2) and ::1 and is told the provider
maps 203.0.113.10 onto the first (203.0.113.11 onto the alternate,
2001:db8::10 onto ::1):
  - XOR-RELAYED-ADDRESS of an Allocate carries 203.0.113.10 with the port of
    the relay socket ternd bound on 127.0.0.1;
  - a Binding's RESPONSE-ORIGIN and OTHER-ADDRESS (RFC 5780) carry the
    advertised addresses, XOR-MAPPED-ADDRESS the client's own;
  - the relay still works: data sent to the bound relay address reaches the
    client (peer traffic uses the bound socket);
  - the own-address check refuses the advertised form of the listener
    (ChannelBind to 203.0.113.10:<listen port> gets 403) as well as the bound
    one, while another port on that address is an ordinary peer.
Control: the same server without relay.advertise announces 127.0.0.1 and
lets the ChannelBind to 203.0.113.10:<listen port> through, so the checks
above distinguish.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("advertise")
PUB, PUB_ALT, PUB6 = "203.0.113.10", "203.0.113.11", "2001:db8::10"


def binding(srv):
    """RESPONSE-ORIGIN and OTHER-ADDRESS of a Binding to the primary address."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", 0))
        tid, data = K.message(K.BINDING, K.REQUEST, [])
        r, _ = K.udp_exchange(s, data, srv.addr)
        if r is None:
            return None, None, None
        return r.addr(K.RESPONSE_ORIGIN), r.addr(K.OTHER_ADDRESS), r.addr(K.XOR_MAPPED_ADDRESS)
    finally:
        s.close()


def relay_works(c, relay_port):
    """A datagram from a peer to the bound relay address reaches the client."""
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        peer.bind(("127.0.0.1", 0))
        if not K.is_success(c.permission("127.0.0.1"), K.CREATE_PERMISSION):
            return False
        peer.sendto(b"through the relay", ("127.0.0.1", relay_port))
        raw = c.recv_raw(2.0)
        return raw is not None and K.parse_data_indication(raw) == b"through the relay"
    finally:
        peer.close()


def mapped(srv):
    port = srv.addr[1]
    want = "advertise=%s/127.0.0.1,%s/127.0.0.2,%s/::1" % (PUB, PUB_ALT, PUB6)
    summary = [ln for ln in srv.log_text().splitlines() if "serving: " in ln]
    C.check("summary-names-advertised", bool(summary) and summary[-1].endswith(want),
            "start-up summary %r, want it to end %r" % (summary[-1:] or None, want))
    origin, other, xmapped = binding(srv)
    C.check("binding-response-origin", origin is not None and origin[0] == PUB and origin[1] == port,
            "RESPONSE-ORIGIN %s, want %s:%d" % (origin, PUB, port))
    C.check("binding-other-address", other is not None and other[0] == PUB_ALT,
            "OTHER-ADDRESS %s, want %s:<alternate port>" % (other, PUB_ALT))
    C.check("binding-mapped-is-client", xmapped is not None and xmapped[0] == "127.0.0.1",
            "XOR-MAPPED-ADDRESS %s, want the client's 127.0.0.1" % (xmapped,))
    c = K.client(srv.addr)
    try:
        r = c.allocate()
        rel = K.relayed(r)
        if not C.check("allocate", rel is not None, K.fmt(r)):
            return
        lo, hi = int(srv.info["SRV_RELAY_MIN"]), int(srv.info["SRV_RELAY_MAX"])
        C.check("relayed-is-advertised", rel[0] == PUB and lo <= rel[1] <= hi,
                "XOR-RELAYED-ADDRESS %s:%d, want %s:<%d-%d>" % (rel + (PUB, lo, hi)))
        C.check("relay-still-on-bound-socket", relay_works(c, rel[1]),
                "a datagram to 127.0.0.1:%d never reached the client" % rel[1])
        r = c.channel_bind(0x4001, (PUB, port))
        C.check("self-advertised-form-denied", K.is_error(r, K.CHANNEL_BIND, 403),
                "ChannelBind to %s:%d (ternd's own listener, advertised form): %s, want 403"
                % (PUB, port, K.fmt(r)))
        r = c.channel_bind(0x4002, ("127.0.0.1", port))
        C.check("self-bound-form-denied", K.is_error(r, K.CHANNEL_BIND, 403),
                "ChannelBind to 127.0.0.1:%d: %s, want 403" % (port, K.fmt(r)))
        r = c.channel_bind(0x4003, (PUB, port + 1 if port < 65535 else port - 1))
        C.check("other-port-is-a-peer", K.is_success(r, K.CHANNEL_BIND),
                "ChannelBind to another port of %s: %s, want success" % (PUB, K.fmt(r)))
        c.release()
    finally:
        c.close()
    c6 = K.client(srv.addr)
    try:
        rel = K.relayed(c6.allocate(family=2))
        C.check("relayed-ipv6-is-advertised", rel is not None and rel[0] == PUB6,
                "IPv6 XOR-RELAYED-ADDRESS %s, want %s (relay.advertise \"%s/::1\")" % (rel, PUB6, PUB6))
        c6.release()
    finally:
        c6.close()


def control(srv):
    """Without relay.advertise: the bound address, and 203.0.113.10 is a peer."""
    c = K.client(srv.addr)
    try:
        rel = K.relayed(c.allocate())
        C.check("control-relayed-is-bound", rel is not None and rel[0] == "127.0.0.1",
                "XOR-RELAYED-ADDRESS %s, want 127.0.0.1 without relay.advertise" % (rel,))
        r = c.channel_bind(0x4001, (PUB, srv.addr[1]))
        C.check("control-public-form-is-a-peer", K.is_success(r, K.CHANNEL_BIND),
                "ChannelBind to %s:%d: %s" % (PUB, srv.addr[1], K.fmt(r)))
        c.release()
    finally:
        c.close()


def main():
    K.on_sigterm()
    work = K.Work("advertise")
    srv = H.Ternd(work, "mapped", metrics=False, alternate="127.0.0.2",
                  advertise="%s/127.0.0.1,%s/127.0.0.2,%s/::1" % (PUB, PUB_ALT, PUB6))
    if not H.start(C, work, srv):
        return 1
    try:
        C.guard("mapped", mapped, srv)
    finally:
        C.check("server-exit", srv.stop())
    ctl = H.Ternd(work, "control", metrics=False)
    if not H.start(C, work, ctl, name="control-start"):
        return 1
    try:
        C.guard("control", control, ctl)
    finally:
        C.check("control-exit", ctl.stop())
    work.done(C.failed)
    return C.exit_status()


if __name__ == "__main__":
    sys.exit(main())
