#!/usr/bin/env python3
"""Peer policy after a reload (issue 16, finding 4): a tightened policy
reaches the permissions and channels made under the old one at once, not
when they expire.

ternd starts with allow_peers = 127.0.0.1/32, 127.0.0.2/32. One client binds
channel 0x4001 to a peer on 127.0.0.1 and 0x4002 to a peer on 127.0.0.2;
both relay both ways. The configuration then drops 127.0.0.1 from
allow_peers and ternd gets SIGHUP. Then:
  - a fresh ChannelBind to the 127.0.0.1 peer gets 403;
  - ChannelData on 0x4001 no longer reaches the peer, and what the peer
    sends to the relay no longer reaches the client;
  - channel 0x4002 (still allowed) keeps relaying both ways (positive control).
"""

import os
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("policy-reload")

BEFORE = "127.0.0.1/32,127.0.0.2/32"


def main():
    K.on_sigterm()
    work = K.Work("policy-reload")
    srv = H.Ternd(work, "srv", allow_peers=BEFORE)
    return H.serve(C, work, srv, run)


def peer_sock(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    s.settimeout(1.0)
    return s


def peer_got(s, want, timeout=1.0):
    """Did s receive want within timeout?"""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            return False
        if data == want:
            return True
    return False


def client_got(c, num, want, timeout=1.0):
    """Did the client receive ChannelData num carrying want within timeout?"""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        raw = c.recv_raw(left)
        if raw is None:
            return False
        if len(raw) >= 4 and raw[0] & 0xC0 == 0x40:
            n, ln = struct.unpack("!HH", raw[:4])
            if n == num and raw[4:4 + ln] == want:
                return True


def both_ways(c, relay, num, p, tag):
    c.send_channel(num, b"to-peer-" + tag)
    up = peer_got(p, b"to-peer-" + tag)
    p.sendto(b"to-client-" + tag, relay)
    down = client_got(c, num, b"to-client-" + tag)
    return up, down


def run(srv, held):
    p1, p2 = peer_sock("127.0.0.1"), peer_sock("127.0.0.2")
    held += [p1, p2]
    c = K.client(srv.addr, K.challenge(srv.addr))
    held.append(c)
    r = c.allocate()
    if not C.check("allocation", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        return
    relay = K.relayed(r)
    for num, p in ((0x4001, p1), (0x4002, p2)):
        r = c.channel_bind(num, p.getsockname())
        if not C.check("bind-%x" % num, K.is_success(r, K.CHANNEL_BIND), K.fmt(r)):
            return
    up, down = both_ways(c, relay, 0x4001, p1, b"1a")
    if not C.check("before-relays", up and down, "127.0.0.1 channel: to peer %s, to client %s" % (up, down)):
        return

    with open(srv.conf) as f:
        text = f.read()
    old = 'allow_peers = [ "127.0.0.1/32", "127.0.0.2/32" ];'
    if not C.check("conf-rewritten", old in text, "allow_peers line not found in %s" % srv.conf):
        return
    with open(srv.conf, "w") as f:
        f.write(text.replace(old, 'allow_peers = [ "127.0.0.2/32" ];'))
    srv.signal(signal.SIGHUP)
    r, end = None, time.monotonic() + 10
    while time.monotonic() < end:  # until every worker took the reload
        if "reloaded configuration" in srv.log_text():
            r = c.channel_bind(0x4003, ("127.0.0.1", p1.getsockname()[1] + 1))
            if K.is_error(r, K.CHANNEL_BIND, 403):
                break
        time.sleep(0.1)
    C.check("fresh-bind-403", K.is_error(r, K.CHANNEL_BIND, 403), "ChannelBind to 127.0.0.1 after the reload: %s"
            % K.fmt(r))
    r = c.channel_bind(0x4001, p1.getsockname())
    C.check("rebind-403", K.is_error(r, K.CHANNEL_BIND, 403), "ChannelBind refresh of 0x4001: %s" % K.fmt(r))
    up, down = both_ways(c, relay, 0x4001, p1, b"1b")
    C.check("denied-channel-to-peer-stops", not up, "ChannelData on 0x4001 still reached 127.0.0.1 after the reload")
    C.check("denied-peer-to-client-stops", not down,
            "data from 127.0.0.1 still reached the client on 0x4001 after the reload")
    up, down = both_ways(c, relay, 0x4002, p2, b"2")
    C.check("allowed-channel-keeps-relaying", up and down,
            "127.0.0.2 channel: to peer %s, to client %s" % (up, down))
    c.release()


if __name__ == "__main__":
    sys.exit(main())
