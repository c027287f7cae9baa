#!/usr/bin/env python3
"""TURN authentication, allocation and peer policy, with our own minimal client.

The kit's independent TURN client over UDP (tests/lib/ternkit: written from
RFC 8489 and RFC 8656, sharing no code with ternd): message encoder and
parser, XOR addresses, MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the MD5
long-term key), FINGERPRINT. The server under test (TERND=... or COTURN=1, see
tests/lib/ternkit/server.py) runs with allow_peers EMPTY, so its default peer
deny list is what is checked.

Checks:
  - Allocate without credentials (as Chromium sends it) -> 401 with REALM + NONCE
  - Allocate with credentials -> success with XOR-RELAYED-ADDRESS (in the relay
    port range), XOR-MAPPED-ADDRESS (= our socket), LIFETIME; the success carries
    a MESSAGE-INTEGRITY valid under the same key, and a valid FINGERPRINT if any
  - a second Allocate from the same 5-tuple -> 437 (the existing allocation)
  - wrong password -> 401, then the correct password from the SAME 5-tuple
    succeeds: the refused Allocate left no allocation behind (else 437)
  - IPv4 and IPv6 allocations (REQUESTED-ADDRESS-FAMILY)
  - CreatePermission -> 403 for each default-denied peer, on the allocation of its
    family so it reaches the policy check: 0.0.0.0, 127.0.0.1, 127.1.2.3,
    169.254.169.254, 224.0.0.1 (IPv4); ::, ::1, fe80::1, ::ffff:127.0.0.1 (IPv6;
    the mapped address also on the IPv4 allocation: 403 or 443, never success)
  - ChannelBind to a denied peer -> 403; a Send indication to a denied loopback
    peer (without a permission) is not delivered
  - a Send indication to a peer that HAS a permission is stopped by the deny
    rule alone (ternd; a second server): with allow_peers 127.0.0.1/32 a
    permission for 127.0.0.1 is installed and a Send to a sink there arrives
    (positive control); after a reload to allow_peers EMPTY (permissions
    survive a reload; CreatePermission 127.0.0.1 now gets 403, so the worker
    runs the new policy) the same Send to the same sink does not arrive
  - CreatePermission to 192.0.2.1 and 2001:db8::1 -> success; a comprehension-
    optional attribute (0xFF05, as Chromium sends) is ignored
  - Refresh LIFETIME 0 -> success; a new Allocate from that 5-tuple then
    succeeds; after a second release, Refresh -> 437 (coturn 4.6 answers success)
  - a port where nothing listens gets no answer (negative control)
"""

import ipaddress
import os
import re
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
import ternkit as K  # noqa: E402
from ternkit import (ALLOCATE, CHANNEL_BIND, CHANNEL_NUMBER, CHROME_LOGGING_ID,  # noqa: E402
                     CREATE_PERMISSION, DATA_ATTR, ERROR, INDICATION, LIFETIME, NONCE, REALM, REFRESH,
                     REQUEST, REQUESTED_TRANSPORT, SEND, XOR_MAPPED_ADDRESS, XOR_PEER_ADDRESS,
                     XOR_RELAYED_ADDRESS, Client, fmt, is_error, is_success, unxor_addr, xor_addr)

USER, PASSWORD = K.USER, K.PASSWORD
R = K.Reporter("policy")


def report(ok, name, why=""):
    """One check (ok: a truth value) through the kit's reporter."""
    return R.check(name, ok, why or "check failed")


# ----------------------------------------------------------------- checks

def check_alloc_success(name, c, r, want_family, srv):
    if not is_success(r, ALLOCATE):
        return report(False, name, "Allocate with credentials: %s" % fmt(r)), None
    why = []
    rel = r.get(XOR_RELAYED_ADDRESS)
    mapped = r.get(XOR_MAPPED_ADDRESS)
    life = r.get(LIFETIME)
    relayed = None
    if rel is None:
        why.append("no XOR-RELAYED-ADDRESS")
    else:
        relayed = unxor_addr(rel, r.tid)
        fam = ipaddress.ip_address(relayed[0]).version
        if fam != want_family:
            why.append("relayed address %s is not IPv%d" % (relayed[0], want_family))
        lo, hi = int(srv.info["SRV_RELAY_MIN"]), int(srv.info["SRV_RELAY_MAX"])
        if not lo <= relayed[1] <= hi:
            why.append("relayed port %d outside the configured %d-%d" % (relayed[1], lo, hi))
    if mapped is None:
        why.append("no XOR-MAPPED-ADDRESS")
    elif unxor_addr(mapped, r.tid) != tuple(c.local()):
        why.append("XOR-MAPPED-ADDRESS %s:%d is not our socket %s:%d" % (unxor_addr(mapped, r.tid) + tuple(c.local())))
    if life is None or len(life) != 4:
        why.append("no LIFETIME")
    elif struct.unpack("!I", life)[0] == 0:
        why.append("LIFETIME 0")
    mi = r.check_integrity(c.key)
    if mi is not True:
        why.append("MESSAGE-INTEGRITY %s" % ("missing" if mi is None else "does not verify with the long-term key"))
    if r.check_fingerprint() is False:
        why.append("FINGERPRINT wrong")
    return report(not why, name, "; ".join(why)), relayed


def main():
    work = K.Work("policy")
    srv = K.Server(os.path.join(work.dir, "srv"), allow_peers="", users="%s:%s" % (USER, PASSWORD))
    try:
        srv.start()
    except RuntimeError as e:
        report(False, "server-start", e)
        work.done(True)
        return 1
    try:
        R.guard("run", run, srv)
    finally:
        R.check("server-exit", srv.stop())
    if srv.impl == "ternd":
        R.guard("send-with-permission", send_with_permission, work)
    else:
        R.skip("deny-send-indication-with-permission",
               "needs a reload of the peer policy under a live permission (ternd's SIGHUP)")
    work.done(R.failed)
    return R.exit_status()


def send_with_permission(work):
    """A Send indication to a peer that HAS a permission: only the deny rule
    can stop it. Server 2 allows 127.0.0.1/32, the permission is installed,
    a Send reaches the sink (positive control); then a reload empties
    allow_peers (permissions survive it) and the same Send must not arrive."""
    srv = K.Server(os.path.join(work.dir, "srv-send"), allow_peers="127.0.0.1/32",
                   users="%s:%s" % (USER, PASSWORD))
    try:
        srv.start()
    except RuntimeError as e:
        report(False, "send-server-start", e)
        return
    c = Client(srv.addr)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sink.bind(("127.0.0.1", 0))
        dest = sink.getsockname()[:2]
        r = c.allocate()
        if not report(is_success(r, ALLOCATE), "send-allocate", "Allocate: %s" % fmt(r)):
            return
        r = c.permission("127.0.0.1")
        if not report(is_success(r, CREATE_PERMISSION), "send-permission-127.0.0.1-installed",
                      "CreatePermission 127.0.0.1 with allow_peers 127.0.0.1/32: %s" % fmt(r)):
            return

        def delivered(payload, seconds):
            for _ in range(3):
                c.send(dest, payload)
            sink.settimeout(seconds)
            try:
                while True:
                    got, frm = sink.recvfrom(2048)
                    if got == payload:
                        return frm
            except socket.timeout:
                return None

        frm = delivered(b"permitted, must be relayed", 2.0)
        report(frm is not None, "send-indication-with-permission-delivered",
               "a Send indication to permitted peer %s:%d never arrived (positive control)" % dest)
        if frm is None:
            return
        with open(srv.conf) as f:
            text = f.read()
        new, n = re.subn(r"allow_peers = \[[^]]*\];", "allow_peers = [ ];", text)
        with open(srv.conf, "w") as f:
            f.write(new)
        srv.signal(signal.SIGHUP)
        ok = K.wait_for(lambda: "reloaded configuration" in srv.log_text(), 10)
        if not report(n == 1 and ok, "send-policy-reloaded",
                      "reload to allow_peers EMPTY not logged (%d rules rewritten): %s" % (n, srv.log_tail())):
            return
        # the worker of this 5-tuple runs the new policy once it refuses 127.0.0.1
        r = K.wait_for(lambda: (lambda x: x if is_error(x, CREATE_PERMISSION, 403) else None)(
            c.permission("127.0.0.1")), 5, step=0.2)
        if not report(r is not None, "send-deny-in-force",
                      "CreatePermission 127.0.0.1 after the reload: want 403, got %s" % fmt(r)):
            return
        frm = delivered(b"denied peer with a permission, must not be relayed", 1.0)
        report(frm is None, "deny-send-indication-with-permission",
               "a Send indication to denied peer %s:%d, which holds a permission, was relayed from %s:%d"
               % (dest + (frm or ("", 0))[:2]))
    finally:
        sink.close()
        c.close()
        R.check("send-server-exit", srv.stop())


def run(srv):
    server = ("127.0.0.1", srv.port)
    clients = []

    def new(**kw):
        c = Client(server, **kw)
        clients.append(c)
        return c

    try:
        # ---- 401 challenge, exactly as Chromium's first Allocate
        c4 = new()
        tid, data = K.message(ALLOCATE, REQUEST, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))], fingerprint=False)
        r = c4.transact(tid, data)
        realm = r.get(REALM) if r else None
        ok = is_error(r, ALLOCATE, 401) and realm is not None and r.get(NONCE) is not None
        report(ok, "allocate-unauthenticated-401",
               "want 401 with REALM and NONCE, got %s%s" % (fmt(r), "" if r is None else
                                                            " REALM=%r NONCE=%r" % (realm, r.get(NONCE))))
        report(realm == srv.info["SRV_REALM"].encode(), "401-realm",
               "REALM %r, configured %r" % (realm, srv.info["SRV_REALM"]))

        # ---- authenticated IPv4 allocation
        r = c4.allocate()
        ok4, relay4 = check_alloc_success("allocate-ipv4", c4, r, 4, srv)

        # same 5-tuple, new transaction: the allocation exists -> 437
        r = c4.allocate()
        report(is_error(r, ALLOCATE, 437), "second-allocate-same-5-tuple-437", "got %s" % fmt(r))

        # ---- wrong password: 401, and no allocation is left behind
        cw = new()
        r = cw.allocate(password="not-" + PASSWORD)
        report(is_error(r, ALLOCATE, 401), "wrong-password-401", "got %s" % fmt(r))
        r = cw.allocate()
        report(is_success(r, ALLOCATE), "wrong-password-left-no-allocation",
               "the correct password from the same 5-tuple then got %s (437 = the refused Allocate "
               "created an allocation)" % fmt(r))
        # unknown user
        cu = new()
        r = cu.request(ALLOCATE, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))], user="mallory")
        report(is_error(r, ALLOCATE, 401), "unknown-user-401", "got %s" % fmt(r))

        # ---- IPv6 allocation (from the IPv4 5-tuple of a new client)
        c6 = new()
        r = c6.allocate(family=2)
        ok6, relay6 = check_alloc_success("allocate-ipv6", c6, r, 6, srv)

        # ---- peer policy: default deny list
        def _perm(c, ip, extra, port=9):
            # XOR-PEER-ADDRESS depends on the transaction id: build it per attempt
            tid = os.urandom(12)
            return c.request(CREATE_PERMISSION, [(XOR_PEER_ADDRESS, xor_addr(ip, port, tid))] + list(extra), tid=tid)

        denied4 = ["0.0.0.0", "127.0.0.1", "127.1.2.3", "169.254.169.254", "224.0.0.1"]
        denied6 = ["::", "::1", "fe80::1", "::ffff:127.0.0.1"]
        if ok4:
            for ip in denied4:
                r = _perm(c4, ip, ())
                report(is_error(r, CREATE_PERMISSION, 403), "deny-%s" % ip,
                       "CreatePermission %s on an IPv4 allocation: want 403, got %s" % (ip, fmt(r)))
            r = _perm(c4, "::ffff:127.0.0.1", ())
            ok = r is not None and r.method == CREATE_PERMISSION and r.cls == ERROR and r.error()[0] in (403, 443)
            report(ok, "deny-::ffff:127.0.0.1-on-ipv4-allocation",
                   "want 403 (unmapped, then denied) or 443 (family), got %s" % fmt(r))
            r = _perm(c4, "192.0.2.1", ())
            report(is_success(r, CREATE_PERMISSION), "permit-192.0.2.1", "got %s" % fmt(r))
            # port 0 names no peer (issue 16, finding 9); coturn ignores it
            r = _perm(c4, "192.0.2.1", (), port=0)
            if srv.impl == "ternd":
                report(is_error(r, CREATE_PERMISSION, 400), "port-0-refused-400",
                       "CreatePermission 192.0.2.1:0: want 400, got %s" % fmt(r))
            else:
                R.skip("port-0-refused-400", "%s answered %s (RFC 8656 lets a server ignore the port)" % (
                    srv.impl, fmt(r)))
            r = _perm(c4, "192.0.2.2", [(CHROME_LOGGING_ID, b"\x00\x01\x02\x03\x04\x05")])
            report(is_success(r, CREATE_PERMISSION), "comprehension-optional-0xff05-ignored",
                   "CreatePermission 192.0.2.2 with attribute 0xFF05: got %s" % fmt(r))
            # ChannelBind to a denied peer
            tid = os.urandom(12)
            r = c4.request(CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", 0x4000, 0)),
                                          (XOR_PEER_ADDRESS, xor_addr("127.0.0.1", 9, tid))], tid=tid)
            report(is_error(r, CHANNEL_BIND, 403), "deny-channel-bind-127.0.0.1", "got %s" % fmt(r))
            # Send indication to a denied loopback peer: must not arrive
            sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("127.0.0.1", 0))
            sport = sink.getsockname()[1]
            for _ in range(3):
                tid = os.urandom(12)
                _, data = K.message(SEND, INDICATION, [(XOR_PEER_ADDRESS, xor_addr("127.0.0.1", sport, tid)),
                                                   (DATA_ATTR, b"must not be relayed")], tid=tid)
                c4.sock.sendto(data, server)
            sink.settimeout(1.0)
            try:
                got, frm = sink.recvfrom(2048)
                report(False, "deny-send-indication-127.0.0.1",
                       "a Send indication to denied peer 127.0.0.1:%d was relayed from %s:%d" % ((sport,) + frm[:2]))
            except socket.timeout:
                report(True, "deny-send-indication-127.0.0.1")
            sink.close()
        if ok6:
            for ip in denied6:
                r = _perm(c6, ip, ())
                report(is_error(r, CREATE_PERMISSION, 403), "deny-%s" % ip,
                       "CreatePermission %s on an IPv6 allocation: want 403, got %s" % (ip, fmt(r)))
            r = _perm(c6, "2001:db8::1", ())
            report(is_success(r, CREATE_PERMISSION), "permit-2001:db8::1", "got %s" % fmt(r))
            if ok4:
                r = _perm(c4, "2001:db8::1", ())
                report(is_error(r, CREATE_PERMISSION, 443), "family-mismatch-443",
                       "CreatePermission 2001:db8::1 on an IPv4 allocation: want 443, got %s" % fmt(r))

        # ---- Refresh LIFETIME 0 deletes
        if ok4:
            r = c4.request(REFRESH, [(LIFETIME, struct.pack("!I", 0))])
            report(is_success(r, REFRESH), "refresh-lifetime-0", "got %s" % fmt(r))
            time.sleep(1.0)
            r = c4.allocate()
            report(is_success(r, ALLOCATE), "allocate-again-after-delete",
                   "Allocate from the same 5-tuple 1 s after Refresh LIFETIME 0: got %s" % fmt(r))
            r = c4.request(REFRESH, [(LIFETIME, struct.pack("!I", 0))])
            report(is_success(r, REFRESH), "release-again", "got %s" % fmt(r))
            time.sleep(1.0)
            r = c4.request(REFRESH, [(LIFETIME, struct.pack("!I", 600))])
            report(is_error(r, REFRESH, 437), "refresh-after-delete-437",
                   "Refresh 1 s after Refresh LIFETIME 0: want 437, got %s" % fmt(r))

        # ---- negative control: nothing listens there
        dead = K.free_ports(1)[0]
        cd = Client(("127.0.0.1", dead))
        clients.append(cd)
        tid, data = K.message(ALLOCATE, REQUEST, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))])
        r = cd.transact(tid, data, timeout=0.2, tries=2)
        report(r is None, "dead-port-no-answer", "an answer came from a port where nothing listens")
        report(srv.alive(), "server-alive", "the server died during the test: %s" % srv.log_tail())
    finally:
        for c in clients:
            c.close()


if __name__ == "__main__":
    sys.exit(main())
