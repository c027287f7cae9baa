#!/usr/bin/env python3
"""TURN authentication, allocation and peer policy, with our own minimal client.

An independent TURN client over UDP (standard library only; written from RFC 8489
and RFC 8656, sharing no code with ternd): message encoder and parser, XOR
addresses, MESSAGE-INTEGRITY (HMAC-SHA1 keyed with the MD5 long-term key),
FINGERPRINT. The server under test (TERND=... or COTURN=1, see turnsrv.py) runs
with allow_peers EMPTY, so its default peer deny list is what is checked.

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
    peer is not delivered
  - CreatePermission to 192.0.2.1 and 2001:db8::1 -> success; a comprehension-
    optional attribute (0xFF05, as Chromium sends) is ignored
  - Refresh LIFETIME 0 -> success; a new Allocate from that 5-tuple then
    succeeds; after a second release, Refresh -> 437 (coturn 4.6 answers success)
  - a port where nothing listens gets no answer (negative control)
"""

import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import turnsrv  # noqa: E402

MAGIC = 0x2112A442
# methods
ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = 0x003, 0x004, 0x006, 0x007, 0x008, 0x009
REQUEST, INDICATION, SUCCESS, ERROR = 0x0000, 0x0010, 0x0100, 0x0110
# attributes
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = 0x0006, 0x0008, 0x0009
CHANNEL_NUMBER, LIFETIME, XOR_PEER_ADDRESS, DATA_ATTR = 0x000C, 0x000D, 0x0012, 0x0013
REALM, NONCE, XOR_RELAYED_ADDRESS, REQUESTED_ADDRESS_FAMILY = 0x0014, 0x0015, 0x0016, 0x0017
REQUESTED_TRANSPORT, XOR_MAPPED_ADDRESS, SOFTWARE, FINGERPRINT = 0x0019, 0x0020, 0x8022, 0x8028
CHROME_LOGGING_ID = 0xFF05  # comprehension-optional, sent by Chromium

USER, PASSWORD = "alice", "wonderland"
FAILED = []
PASSED = []


def report(ok, name, why=""):
    if ok:
        PASSED.append(name)
        print("PASS policy/%s" % name, flush=True)
    else:
        FAILED.append(name)
        print("FAIL policy/%s: %s" % (name, " ".join(str(why).split()) or "no reason given"), flush=True)
    return ok


# ----------------------------------------------------------------- codec

def msg_type(method, cls):
    return ((method & 0xF80) << 2) | ((method & 0x070) << 1) | (method & 0x00F) | cls


def split_type(t):
    cls = t & 0x0110
    method = (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)
    return method, cls


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def xor_addr(ip, port, tid):
    a = ipaddress.ip_address(ip)
    xport = port ^ (MAGIC >> 16)
    if a.version == 4:
        x = int(a) ^ MAGIC
        return struct.pack("!BBH", 0, 1, xport) + x.to_bytes(4, "big")
    key = struct.pack("!I", MAGIC) + tid
    raw = bytes(b ^ k for b, k in zip(a.packed, key))
    return struct.pack("!BBH", 0, 2, xport) + raw


def unxor_addr(v, tid):
    fam, xport = v[1], struct.unpack("!H", v[2:4])[0]
    port = xport ^ (MAGIC >> 16)
    if fam == 1:
        return str(ipaddress.IPv4Address(int.from_bytes(v[4:8], "big") ^ MAGIC)), port
    key = struct.pack("!I", MAGIC) + tid
    return str(ipaddress.IPv6Address(bytes(b ^ k for b, k in zip(v[4:20], key)))), port


def long_term_key(user, realm, password):
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).digest()


def build(method, cls, attrs, tid=None, key=None, fingerprint=True):
    tid = tid or os.urandom(12)
    body = b"".join(attr(t, v) for t, v in attrs)
    t = msg_type(method, cls)
    if key is not None:
        hdr = struct.pack("!HHI", t, len(body) + 24, MAGIC) + tid
        mac = hmac.new(key, hdr + body, hashlib.sha1).digest()
        body += attr(MESSAGE_INTEGRITY, mac)
    if fingerprint:
        hdr = struct.pack("!HHI", t, len(body) + 8, MAGIC) + tid
        crc = (zlib.crc32(hdr + body) & 0xFFFFFFFF) ^ 0x5354554E
        body += attr(FINGERPRINT, struct.pack("!I", crc))
    return tid, struct.pack("!HHI", t, len(body), MAGIC) + tid + body


class Resp:
    def __init__(self, raw):
        if len(raw) < 20:
            raise ValueError("short message")
        t, ln, cookie = struct.unpack("!HHI", raw[:8])
        if cookie != MAGIC or ln + 20 != len(raw) or ln % 4:
            raise ValueError("bad header (cookie %08x, length %d of %d)" % (cookie, ln, len(raw)))
        self.raw, self.type, self.tid = raw, t, raw[8:20]
        self.method, self.cls = split_type(t)
        self.attrs = []  # (type, value, offset of the attribute)
        off = 20
        while off < len(raw):
            at, al = struct.unpack("!HH", raw[off:off + 4])
            if off + 4 + al > len(raw):
                raise ValueError("attribute 0x%04x overruns the message" % at)
            self.attrs.append((at, raw[off + 4:off + 4 + al], off))
            off += 4 + al + (-al % 4)

    def get(self, t):
        for at, v, _ in self.attrs:
            if at == t:
                return v
        return None

    def error(self):
        v = self.get(ERROR_CODE)
        if v is None or len(v) < 4:
            return None
        return (v[2] & 7) * 100 + v[3], v[4:].decode("utf-8", "replace")

    def check_fingerprint(self):
        """None if absent, else True/False."""
        for at, v, off in self.attrs:
            if at == FINGERPRINT:
                hdr = struct.pack("!HH", self.type, off + 8 - 20) + self.raw[4:20]
                crc = (zlib.crc32(hdr + self.raw[20:off]) & 0xFFFFFFFF) ^ 0x5354554E
                return struct.pack("!I", crc) == v
        return None

    def check_integrity(self, key):
        """None if absent, else True/False."""
        for at, v, off in self.attrs:
            if at == MESSAGE_INTEGRITY:
                hdr = struct.pack("!HH", self.type, off + 24 - 20) + self.raw[4:20]
                return hmac.compare_digest(hmac.new(key, hdr + self.raw[20:off], hashlib.sha1).digest(), v)
        return None

    def describe(self):
        e = self.error()
        cls = {SUCCESS: "success", ERROR: "error", REQUEST: "request", INDICATION: "indication"}[self.cls]
        return "method 0x%03x %s%s" % (self.method, cls, " %d %s" % e if e else "")


# ----------------------------------------------------------------- client

class Client:
    """One UDP 5-tuple talking to the TURN server."""

    def __init__(self, server, family=socket.AF_INET, bind_host=None):
        self.server = server
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((bind_host or ("127.0.0.1" if family == socket.AF_INET else "::1"), 0))
        self.realm = self.nonce = None
        self.key = None

    def local(self):
        return self.sock.getsockname()[:2]

    def close(self):
        self.sock.close()

    def transact(self, tid, data, timeout=0.5, tries=4):
        """Send (with retransmissions) until a response with this tid comes back."""
        for _ in range(tries):
            self.sock.sendto(data, self.server)
            end = time.monotonic() + timeout
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                try:
                    raw, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    break
                try:
                    r = Resp(raw)
                except ValueError:
                    continue
                if r.tid == tid:
                    return r
        return None

    def request(self, method, attrs, auth=True, password=PASSWORD, user=USER, tid=None):
        """One request; with auth, carries USERNAME/REALM/NONCE/MESSAGE-INTEGRITY
        (learning REALM and NONCE first from a 401) and retries once on 438."""
        if not auth:
            tid, data = build(method, REQUEST, attrs, tid=tid)
            return self.transact(tid, data)
        for _ in range(3):
            if self.nonce is None:
                tid0, data = build(method, REQUEST, attrs)
                r = self.transact(tid0, data)
                if r is None or r.error() is None or r.error()[0] != 401:
                    return r
                self.realm, self.nonce = r.get(REALM), r.get(NONCE)
                if self.realm is None or self.nonce is None:
                    return r
            key = long_term_key(user, self.realm.decode(), password)
            tid1, data = build(method, REQUEST, list(attrs) + [
                (USERNAME, user.encode()), (REALM, self.realm), (NONCE, self.nonce)], tid=tid, key=key)
            r = self.transact(tid1, data)
            if r is not None and r.error() and r.error()[0] == 438 and r.get(NONCE):
                self.nonce = r.get(NONCE)
                tid = None
                continue
            self.key = key
            return r
        return r

    def allocate(self, family=None, password=PASSWORD, extra=()):
        attrs = [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))]
        if family is not None:
            attrs.append((REQUESTED_ADDRESS_FAMILY, bytes([family, 0, 0, 0])))
        return self.request(ALLOCATE, attrs + list(extra), password=password)


def fmt(r):
    return "no answer" if r is None else r.describe()


def is_success(r, method):
    return r is not None and r.method == method and r.cls == SUCCESS


def is_error(r, method, code):
    return r is not None and r.method == method and r.cls == ERROR and r.error() and r.error()[0] == code


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
    work = os.environ.get("TURN_WORK")
    work = os.path.join(work, "policy") if work else tempfile.mkdtemp(prefix="tern-turn-policy.")
    os.makedirs(work, exist_ok=True)
    cert = os.environ.get("TURN_CERT_DIR")
    if not cert or not os.path.exists(os.path.join(cert, "cert.pem")):
        subprocess_cert(work)
        os.environ["TURN_CERT_DIR"] = work
    srv = turnsrv.Server(os.path.join(work, "srv"), allow_peers="", users="%s:%s" % (USER, PASSWORD))
    try:
        srv.start()
    except RuntimeError as e:
        report(False, "server-start", e)
        return 1
    try:
        run(srv)
    finally:
        rc = srv.stop()
        ok = rc == 0 or (srv.impl == "coturn" and rc in (-15, 143))
        report(ok, "server-exit", "exit status %s after SIGTERM (log %s)" % (rc, srv.log))
    return 1 if FAILED or not PASSED else 0


def subprocess_cert(d):
    import subprocess
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                    "-keyout", os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem")],
                   check=True, capture_output=True)


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
        tid, data = build(ALLOCATE, REQUEST, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))], fingerprint=False)
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
        def _perm(c, ip, extra):
            # XOR-PEER-ADDRESS depends on the transaction id: build it per attempt
            tid = os.urandom(12)
            return c.request(CREATE_PERMISSION, [(XOR_PEER_ADDRESS, xor_addr(ip, 0, tid))] + list(extra), tid=tid)

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
                _, data = build(SEND, INDICATION, [(XOR_PEER_ADDRESS, xor_addr("127.0.0.1", sport, tid)),
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
        dead = turnsrv.free_ports(1)[0]
        cd = Client(("127.0.0.1", dead))
        clients.append(cd)
        tid, data = build(ALLOCATE, REQUEST, [(REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))])
        r = cd.transact(tid, data, timeout=0.2, tries=2)
        report(r is None, "dead-port-no-answer", "an answer came from a port where nothing listens")
        report(srv.alive(), "server-alive", "the server died during the test: %s" % srv.log_tail())
    finally:
        for c in clients:
            c.close()


if __name__ == "__main__":
    sys.exit(main())
