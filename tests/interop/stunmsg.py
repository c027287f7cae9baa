#!/usr/bin/env python3
"""A small, independent STUN codec and test helpers for the interop suite.

Written from RFC 8489 / 5780 / 3489 and nothing else: it shares no code with
ternd on purpose, so a bug in ternd's codec cannot hide behind the same bug here.
Standard library only.

Also a tiny command line, used by lib.sh and t-dtls.py:
  stunmsg.py ping udp|tcp HOST PORT [TIMEOUT]   exit 0 if a Binding success came back
  stunmsg.py request [--fingerprint]            write one Binding request to stdout
"""

import ipaddress
import os
import random
import socket
import struct
import sys
import time
import zlib

MAGIC = 0x2112A442
MAGIC_BYTES = struct.pack("!I", MAGIC)

# message types (method | class bits)
BINDING_REQUEST = 0x0001
BINDING_INDICATION = 0x0011
BINDING_SUCCESS = 0x0101
BINDING_ERROR = 0x0111

# attribute types
MAPPED_ADDRESS = 0x0001
RESPONSE_ADDRESS = 0x0002  # RFC 3489
CHANGE_REQUEST = 0x0003
SOURCE_ADDRESS = 0x0004  # RFC 3489
CHANGED_ADDRESS = 0x0005  # RFC 3489
USERNAME = 0x0006
MESSAGE_INTEGRITY = 0x0008
ERROR_CODE = 0x0009
UNKNOWN_ATTRIBUTES = 0x000A
REALM = 0x0014
NONCE = 0x0015
XOR_MAPPED_ADDRESS = 0x0020
PADDING = 0x0026
RESPONSE_PORT = 0x0027
SOFTWARE = 0x8022
ALTERNATE_SERVER = 0x8023
FINGERPRINT = 0x8028
RESPONSE_ORIGIN = 0x802B
OTHER_ADDRESS = 0x802C

ATTR_NAMES = {
    0x0001: "MAPPED-ADDRESS", 0x0002: "RESPONSE-ADDRESS", 0x0003: "CHANGE-REQUEST",
    0x0004: "SOURCE-ADDRESS", 0x0005: "CHANGED-ADDRESS", 0x0006: "USERNAME",
    0x0008: "MESSAGE-INTEGRITY", 0x0009: "ERROR-CODE", 0x000A: "UNKNOWN-ATTRIBUTES",
    0x0014: "REALM", 0x0015: "NONCE", 0x0020: "XOR-MAPPED-ADDRESS",
    0x0026: "PADDING", 0x0027: "RESPONSE-PORT", 0x8022: "SOFTWARE",
    0x8023: "ALTERNATE-SERVER", 0x8028: "FINGERPRINT", 0x802B: "RESPONSE-ORIGIN",
    0x802C: "OTHER-ADDRESS", 0x001C: "MESSAGE-INTEGRITY-SHA256",
}

FP_XOR = 0x5354554E


class StunError(Exception):
    pass


def attr_name(t):
    return ATTR_NAMES.get(t, "0x%04X" % t)


def new_tid(legacy=False):
    return os.urandom(16 if legacy else 12)


def pad4(n):
    return (n + 3) & ~3


def enc_attr(atype, value, pad_byte=b"\0"):
    return struct.pack("!HH", atype, len(value)) + value + pad_byte * (pad4(len(value)) - len(value))


def enc_addr(ip, port, xor=False, tid=b""):
    """Encode a (XOR-)MAPPED-ADDRESS style value."""
    a = ipaddress.ip_address(ip)
    raw = a.packed
    fam = 1 if a.version == 4 else 2
    if xor:
        port ^= MAGIC >> 16
        key = MAGIC_BYTES + tid
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    return struct.pack("!BBH", 0, fam, port) + raw


def dec_addr(value, xor=False, tid=b""):
    """Decode a (XOR-)address value; returns (ip-string, port). Strict."""
    if len(value) < 4:
        raise StunError("address attribute shorter than 4 bytes")
    zero, fam, port = struct.unpack("!BBH", value[:4])
    if fam == 1:
        alen = 4
    elif fam == 2:
        alen = 16
    else:
        raise StunError("address family 0x%02x" % fam)
    if len(value) != 4 + alen:
        raise StunError("address attribute length %d for family %d" % (len(value), fam))
    raw = value[4:]
    if xor:
        port ^= MAGIC >> 16
        key = MAGIC_BYTES + tid
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    return str(ipaddress.ip_address(raw)), port


def build(mtype=BINDING_REQUEST, attrs=(), tid=None, cookie=True, fingerprint=False,
          length=None, legacy=False):
    """Build a message. attrs: list of (type, value-bytes) or raw bytes chunks.

    legacy=True: RFC 3489 header (16-byte transaction id, no magic cookie).
    length: override the header length field (for malformed tests)."""
    if tid is None:
        tid = new_tid(legacy)
    body = b""
    for a in attrs:
        body += a if isinstance(a, (bytes, bytearray)) else enc_attr(a[0], a[1])
    if legacy:
        head_tail = tid
        assert len(tid) == 16
    else:
        head_tail = (MAGIC_BYTES if cookie is True else (cookie or b"\0\0\0\0")) + tid
        assert len(tid) == 12
    if fingerprint:
        ln = len(body) + 8
        hdr = struct.pack("!HH", mtype, ln) + head_tail
        crc = (zlib.crc32(hdr + body) & 0xFFFFFFFF) ^ FP_XOR
        body += enc_attr(FINGERPRINT, struct.pack("!I", crc))
    ln = len(body) if length is None else length
    return struct.pack("!HH", mtype, ln) + head_tail + body


class Msg:
    def __init__(self, raw, mtype, cookie, tid, attrs):
        self.raw = raw
        self.type = mtype
        self.cookie = cookie
        self.tid = tid  # 12 bytes (cookie separate) or 16 bytes legacy
        self.attrs = attrs  # list of (type, value, offset)
        self.legacy = cookie != MAGIC_BYTES

    @property
    def cls(self):
        return ((self.type >> 7) & 2) | ((self.type >> 4) & 1)

    @property
    def method(self):
        t = self.type
        return (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)

    def get(self, atype):
        for t, v, _ in self.attrs:
            if t == atype:
                return v
        return None

    def types(self):
        return [t for t, _, _ in self.attrs]

    def addr(self, atype):
        v = self.get(atype)
        if v is None:
            return None
        xor = atype in (XOR_MAPPED_ADDRESS,)
        return dec_addr(v, xor=xor, tid=self.tid if not self.legacy else b"")

    def error_code(self):
        v = self.get(ERROR_CODE)
        if v is None:
            return None
        if len(v) < 4:
            raise StunError("ERROR-CODE shorter than 4")
        return (v[2] & 7) * 100 + v[3], v[4:].decode("utf-8", "replace")

    def unknown_attributes(self):
        v = self.get(UNKNOWN_ATTRIBUTES)
        if v is None:
            return None
        if len(v) % 2:
            raise StunError("UNKNOWN-ATTRIBUTES odd length")
        return [struct.unpack("!H", v[i:i + 2])[0] for i in range(0, len(v), 2)]

    def fingerprint_ok(self):
        """None if absent, True/False otherwise."""
        for t, v, off in self.attrs:
            if t == FINGERPRINT:
                want = (zlib.crc32(self.raw[:off]) & 0xFFFFFFFF) ^ FP_XOR
                return len(v) == 4 and struct.unpack("!I", v)[0] == want
        return None

    def __repr__(self):
        return "<STUN type=0x%04x %s>" % (self.type, ",".join(attr_name(t) for t in self.types()))


def parse(data, strict=True):
    """Parse one whole message. strict: every RFC 8489 framing rule a response must obey."""
    if len(data) < 20:
        raise StunError("shorter than a header (%d bytes)" % len(data))
    mtype, ln = struct.unpack("!HH", data[:4])
    if mtype & 0xC000:
        raise StunError("top two bits of the type are not zero")
    if ln + 20 != len(data):
        raise StunError("length field %d but %d bytes after the header" % (ln, len(data) - 20))
    if ln % 4:
        raise StunError("length %d not a multiple of 4" % ln)
    cookie = data[4:8]
    tid = data[8:20] if cookie == MAGIC_BYTES else data[4:20]
    attrs = []
    off = 20
    seen_fp = False
    while off < len(data):
        if len(data) - off < 4:
            raise StunError("attribute header cut at offset %d" % off)
        t, al = struct.unpack("!HH", data[off:off + 4])
        if off + 4 + al > len(data):
            raise StunError("attribute %s length %d runs past the end" % (attr_name(t), al))
        if strict and seen_fp:
            raise StunError("attribute %s after FINGERPRINT" % attr_name(t))
        v = data[off + 4:off + 4 + al]
        end = off + 4 + pad4(al)
        if end > len(data):
            raise StunError("padding of %s runs past the end" % attr_name(t))
        attrs.append((t, v, off))
        if t == FINGERPRINT:
            seen_fp = True
        off = end
    return Msg(data, mtype, cookie, tid, attrs)


def rfc3489_framing(resp):
    """RFC 3489 has no attribute padding: every attribute length must be a
    multiple of 4 (ERROR-CODE reason phrases and SERVER padded with spaces,
    UNKNOWN-ATTRIBUTES with a repeated entry, RFC 3489 §11.2.9-11.2.10), or a
    classic client reads the next attribute header at the wrong offset."""
    return ["%s length %d is not a multiple of 4 (an RFC 3489 client misparses the rest)"
            % (attr_name(t), len(v)) for t, v, _ in resp.attrs if len(v) % 4]


def check_binding_success(resp, req_tid, want_addr, fingerprint=False, legacy=False,
                          software=None):
    """Return a list of problems with a Binding success response (empty = fine).

    want_addr: (ip, port) the server must report as our reflexive address."""
    probs = []
    if resp.type != BINDING_SUCCESS:
        probs.append("type 0x%04x, not Binding success" % resp.type)
        if resp.type == BINDING_ERROR:
            probs.append("error %r" % (resp.error_code(),))
        return probs
    if legacy:
        if resp.raw[4:20] != req_tid:
            probs.append("cookie field + transaction id not echoed")
    elif resp.tid != req_tid or resp.cookie != MAGIC_BYTES:
        probs.append("transaction id / cookie not echoed")
    want = (str(ipaddress.ip_address(want_addr[0])), want_addr[1])
    try:
        ma = resp.addr(MAPPED_ADDRESS)
    except StunError as e:
        ma = None
        probs.append("MAPPED-ADDRESS: %s" % e)
    if ma is None:
        probs.append("no MAPPED-ADDRESS")
    elif ma != want:
        probs.append("MAPPED-ADDRESS %s:%d, expected %s:%d" % (ma + want))
    if legacy:
        if resp.get(XOR_MAPPED_ADDRESS) is not None:
            probs.append("XOR-MAPPED-ADDRESS sent to an RFC 3489 client")
        probs += rfc3489_framing(resp)
    else:
        try:
            xa = resp.addr(XOR_MAPPED_ADDRESS)
        except StunError as e:
            xa = None
            probs.append("XOR-MAPPED-ADDRESS: %s" % e)
        if xa is None:
            probs.append("no XOR-MAPPED-ADDRESS")
        elif xa != want:
            probs.append("XOR-MAPPED-ADDRESS %s:%d, expected %s:%d" % (xa + want))
    fp = resp.fingerprint_ok()
    if fingerprint:
        if fp is None:
            probs.append("request had FINGERPRINT but response has none")
        elif not fp:
            probs.append("response FINGERPRINT does not verify")
        elif resp.types()[-1] != FINGERPRINT:
            probs.append("FINGERPRINT is not the last attribute")
    elif fp is False:
        probs.append("response FINGERPRINT does not verify")
    sw = resp.get(SOFTWARE)
    if software is not None:
        if sw is None:
            probs.append("no SOFTWARE")
        elif sw.decode("utf-8", "replace") != software:
            probs.append("SOFTWARE %r, expected %r" % (sw, software))
    if sw is not None:
        try:
            s = sw.decode("utf-8")
            if len(s) >= 128:
                probs.append("SOFTWARE longer than 127 characters")
        except UnicodeDecodeError:
            probs.append("SOFTWARE not UTF-8")
    return probs


# ----------------------------------------------------------------- streams

def read_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out after %d of %d bytes" % (len(buf), n))
        sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_stream_msg(sock, timeout=3.0):
    """Read exactly one STUN message from a byte stream (RFC 8489 framing)."""
    deadline = time.monotonic() + timeout
    hdr = read_exact(sock, 20, deadline)
    ln = struct.unpack("!H", hdr[2:4])[0]
    body = read_exact(sock, ln, deadline)
    return parse(hdr + body)


# ----------------------------------------------------------------- env, results

class Env:
    """What run-all tells a test about the server under test."""

    def __init__(self):
        e = os.environ
        self.impl = e.get("TERN_IMPL", "ternd")
        self.host4 = e.get("TERN_HOST4", "127.0.0.1")
        self.alt_host = e.get("TERN_ALT_HOST", "127.0.0.2")
        self.host6 = e.get("TERN_HOST6", "::1")
        self.port = int(e.get("TERN_PORT", "3478"))
        self.tls_port = int(e.get("TERN_TLS_PORT", "5349"))
        self.alt_port = int(e.get("TERN_ALT_PORT", "3479"))
        self.dead_port = int(e.get("TERN_DEAD_PORT", "9"))
        self.ca = e.get("TERN_CA", "")
        self.software = e.get("TERN_SOFTWARE") or None
        self.frame_timeout = float(e.get("TERN_FRAME_TIMEOUT", "10"))
        self.max_connections = int(e.get("TERN_MAX_CONNECTIONS", "4096"))
        self.dir = e.get("TERN_DIR", "/tmp")
        self.results = e.get("TERN_RESULTS")
        self.test = e.get("TERN_TEST", os.path.basename(sys.argv[0]))


class Reporter:
    def __init__(self, env):
        self.env = env
        self.passed = 0
        self.failed = 0

    def _out(self, line):
        print(line, flush=True)
        if self.env.results:
            with open(self.env.results, "a") as f:
                f.write(line + "\n")

    def ok(self, name):
        self.passed += 1
        self._out("PASS %s" % name)

    def fail(self, name, why):
        self.failed += 1
        why = " ".join(str(why).split())
        self._out("FAIL %s: %s" % (name, why))

    def check(self, name, probs):
        """probs: list of problem strings, or a string, or None/[] for success."""
        if isinstance(probs, str):
            probs = [probs]
        if probs:
            self.fail(name, "; ".join(probs))
        else:
            self.ok(name)

    def run(self, name, fn, *a, **kw):
        """Run fn; it returns problems (see check). Exceptions are failures."""
        try:
            probs = fn(*a, **kw)
        except Exception as e:  # noqa: BLE001 - a test must never die on one check
            probs = ["%s: %s" % (type(e).__name__, e)]
        self.check(name, probs)

    def exit(self):
        sys.exit(1 if self.failed else 0)


# ----------------------------------------------------------------- udp helpers

def udp_socket(family=socket.AF_INET, bind=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(bind or (("127.0.0.1" if family == socket.AF_INET else "::1"), 0))
    return s


def udp_exchange(sock, data, dest, timeout=1.0, tries=3):
    """Send data, wait for a datagram; retransmit (RFC 8489 style) a few times.

    Returns (msg, from_addr) or (None, None) on timeout. Datagrams whose tid does
    not match are skipped."""
    for _ in range(tries):
        sock.sendto(data, dest)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                pkt, frm = sock.recvfrom(65535)
            except socket.timeout:
                break
            try:
                m = parse(pkt, strict=False)
            except StunError:
                continue
            if m.raw[4:20] == data[4:20]:
                return m, frm
    return None, None


def udp_silence(sock, timeout):
    """Return the list of datagrams that arrived within timeout (should be empty)."""
    got = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return got
        sock.settimeout(left)
        try:
            pkt, frm = sock.recvfrom(65535)
            got.append((pkt, frm))
        except socket.timeout:
            return got


def _main(argv):
    if len(argv) >= 4 and argv[0] == "ping":
        proto, host, port = argv[1], argv[2], int(argv[3])
        timeout = float(argv[4]) if len(argv) > 4 else 0.5
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        req = build()
        try:
            if proto == "udp":
                s = socket.socket(fam, socket.SOCK_DGRAM)
                m, _ = udp_exchange(s, req, (host, port), timeout=timeout, tries=1)
            else:
                s = socket.create_connection((host, port), timeout=timeout)
                s.sendall(req)
                m = read_stream_msg(s, timeout)
            s.close()
        except (OSError, StunError):
            return 1
        return 0 if m is not None and m.type == BINDING_SUCCESS else 1
    if argv and argv[0] == "request":
        sys.stdout.buffer.write(build(fingerprint="--fingerprint" in argv))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    random.seed()
    sys.exit(_main(sys.argv[1:]))
