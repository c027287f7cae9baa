"""An independent STUN/TURN codec (RFC 8489, 8656, 5780, 3489), written from
the RFCs and nothing else: it shares no code with ternd on purpose, so a bug
in ternd's codec cannot hide behind the same bug here. Standard library only.

Messages:  build() (raw type, any framing, optional MESSAGE-INTEGRITY and
FINGERPRINT, or deliberately malformed), message() (method + class -> (tid,
bytes)), parse() -> Msg (strict RFC 8489 framing, or lenient), Resp()
(parse, magic cookie required). Addresses: enc_addr/dec_addr, xor_addr/
unxor_addr. Checks: check_binding_success(), rfc3489_framing(). Streams:
read_exact(), read_stream_msg(). UDP: udp_socket(), udp_exchange(),
udp_silence(). Binding ping(): is a server answering there?
"""

import hashlib
import hmac
import ipaddress
import os
import socket
import struct
import time
import zlib

MAGIC = 0x2112A442
MAGIC_BYTES = struct.pack("!I", MAGIC)
FP_XOR = 0x5354554E

# methods and classes
BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND = (
    0x001, 0x003, 0x004, 0x006, 0x007, 0x008, 0x009)
REQUEST, INDICATION, SUCCESS, ERROR = 0x0000, 0x0010, 0x0100, 0x0110

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
CHANNEL_NUMBER = 0x000C
LIFETIME = 0x000D
XOR_PEER_ADDRESS = 0x0012
DATA_ATTR = 0x0013
REALM = 0x0014
NONCE = 0x0015
XOR_RELAYED_ADDRESS = 0x0016
REQUESTED_ADDRESS_FAMILY = 0x0017
EVEN_PORT = 0x0018
REQUESTED_TRANSPORT = 0x0019
MESSAGE_INTEGRITY_SHA256 = 0x001C
XOR_MAPPED_ADDRESS = 0x0020
RESERVATION_TOKEN = 0x0022
PADDING = 0x0026
RESPONSE_PORT = 0x0027
SOFTWARE = 0x8022
ALTERNATE_SERVER = 0x8023
FINGERPRINT = 0x8028
RESPONSE_ORIGIN = 0x802B
OTHER_ADDRESS = 0x802C
CHROME_LOGGING_ID = 0xFF05  # comprehension-optional, sent by Chromium

UDP_TRANSPORT = (REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))
XOR_ADDRESS_TYPES = (XOR_MAPPED_ADDRESS, XOR_PEER_ADDRESS, XOR_RELAYED_ADDRESS)

ATTR_NAMES = {
    0x0001: "MAPPED-ADDRESS", 0x0002: "RESPONSE-ADDRESS", 0x0003: "CHANGE-REQUEST",
    0x0004: "SOURCE-ADDRESS", 0x0005: "CHANGED-ADDRESS", 0x0006: "USERNAME",
    0x0008: "MESSAGE-INTEGRITY", 0x0009: "ERROR-CODE", 0x000A: "UNKNOWN-ATTRIBUTES",
    0x000C: "CHANNEL-NUMBER", 0x000D: "LIFETIME", 0x0012: "XOR-PEER-ADDRESS",
    0x0013: "DATA", 0x0014: "REALM", 0x0015: "NONCE", 0x0016: "XOR-RELAYED-ADDRESS",
    0x0017: "REQUESTED-ADDRESS-FAMILY", 0x0018: "EVEN-PORT", 0x0019: "REQUESTED-TRANSPORT",
    0x0020: "XOR-MAPPED-ADDRESS", 0x0022: "RESERVATION-TOKEN",
    0x0026: "PADDING", 0x0027: "RESPONSE-PORT", 0x8022: "SOFTWARE",
    0x8023: "ALTERNATE-SERVER", 0x8028: "FINGERPRINT", 0x802B: "RESPONSE-ORIGIN",
    0x802C: "OTHER-ADDRESS", 0x001C: "MESSAGE-INTEGRITY-SHA256",
}


class StunError(ValueError):
    """A message that does not parse (a ValueError, so callers may catch either)."""


def attr_name(t):
    """The RFC name of attribute type t, or its hex number."""
    return ATTR_NAMES.get(t, "0x%04X" % t)


def new_tid(legacy=False):
    """A random transaction id: 12 bytes, 16 for an RFC 3489 header."""
    return os.urandom(16 if legacy else 12)


def pad4(n):
    """n rounded up to a multiple of 4."""
    return (n + 3) & ~3


def msg_type(method, cls):
    """The 14-bit message type of method and class (RFC 8489 §5)."""
    return ((method & 0xF80) << 2) | ((method & 0x070) << 1) | (method & 0x00F) | cls


def split_type(t):
    """(method, class) of a message type; class as REQUEST/INDICATION/SUCCESS/ERROR."""
    return (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2), t & 0x0110


def enc_attr(atype, value, pad_byte=b"\0"):
    """One attribute: type, length, value, padding to 4 bytes."""
    return struct.pack("!HH", atype, len(value)) + value + pad_byte * (pad4(len(value)) - len(value))


attr = enc_attr


def enc_addr(ip, port, xor=False, tid=b""):
    """A (XOR-)MAPPED-ADDRESS style value; xor needs the 12-byte tid for IPv6."""
    a = ipaddress.ip_address(ip)
    raw = a.packed
    fam = 1 if a.version == 4 else 2
    if xor:
        port ^= MAGIC >> 16
        key = MAGIC_BYTES + tid
        raw = bytes(b ^ key[i] for i, b in enumerate(raw))
    return struct.pack("!BBH", 0, fam, port) + raw


def dec_addr(value, xor=False, tid=b""):
    """(ip string, port) of an address value. Strict: raises StunError."""
    if len(value) < 4:
        raise StunError("address attribute shorter than 4 bytes")
    _, fam, port = struct.unpack("!BBH", value[:4])
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


def xor_addr(ip, port, tid=b"\0" * 12):
    """An XOR-*-ADDRESS value for (ip, port) in the transaction tid."""
    return enc_addr(ip, port, xor=True, tid=tid)


def unxor_addr(value, tid):
    """(ip, port) of an XOR-*-ADDRESS value of transaction tid."""
    return dec_addr(value, xor=True, tid=tid)


def long_term_key(user, realm, password):
    """The RFC 8489 long-term key MD5(user:realm:password)."""
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).digest()


def build(mtype=BINDING_REQUEST, attrs=(), tid=None, cookie=True, fingerprint=False,
          length=None, legacy=False, key=None):
    """Build a message of type mtype and return its bytes.

    attrs: (type, value-bytes) pairs or raw byte chunks, in order.
    key: append MESSAGE-INTEGRITY (HMAC-SHA1 with this key) after them.
    fingerprint: append FINGERPRINT last.
    legacy: RFC 3489 header (16-byte transaction id, no magic cookie);
    cookie: True (magic), or other 4 bytes; length: override the header's
    length field (malformed tests)."""
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
    if key is not None:
        hdr = struct.pack("!HH", mtype, len(body) + 24) + head_tail
        body += enc_attr(MESSAGE_INTEGRITY, hmac.new(key, hdr + body, hashlib.sha1).digest())
    if fingerprint:
        hdr = struct.pack("!HH", mtype, len(body) + 8) + head_tail
        crc = (zlib.crc32(hdr + body) & 0xFFFFFFFF) ^ FP_XOR
        body += enc_attr(FINGERPRINT, struct.pack("!I", crc))
    ln = len(body) if length is None else length
    return struct.pack("!HH", mtype, ln) + head_tail + body


def message(method, cls, attrs, tid=None, key=None, fingerprint=True):
    """A message by method and class: returns (tid, bytes). key adds
    MESSAGE-INTEGRITY; FINGERPRINT unless fingerprint=False."""
    tid = tid or new_tid()
    return tid, build(msg_type(method, cls), attrs, tid=tid, key=key, fingerprint=fingerprint)


class Msg:
    """A parsed message: type, method, cls (REQUEST/INDICATION/SUCCESS/ERROR),
    tid (12 bytes, or 16 for RFC 3489), cookie, legacy, attrs [(type, value,
    offset)], raw."""

    def __init__(self, raw, mtype, cookie, tid, attrs):
        self.raw = raw
        self.type = mtype
        self.cookie = cookie
        self.tid = tid
        self.attrs = attrs
        self.legacy = cookie != MAGIC_BYTES
        self.method, self.cls = split_type(mtype)

    @property
    def class_number(self):
        """The class as 0 (request), 1 (indication), 2 (success), 3 (error)."""
        return ((self.type >> 7) & 2) | ((self.type >> 4) & 1)

    def get(self, atype):
        """The value of the first attribute of that type, or None."""
        for t, v, _ in self.attrs:
            if t == atype:
                return v
        return None

    def types(self):
        """Attribute types in order."""
        return [t for t, _, _ in self.attrs]

    def addr(self, atype):
        """(ip, port) of an address attribute (XOR-decoded for XOR-* types), or None."""
        v = self.get(atype)
        if v is None:
            return None
        return dec_addr(v, xor=atype in XOR_ADDRESS_TYPES, tid=self.tid if not self.legacy else b"")

    def error_code(self):
        """(code, reason) of ERROR-CODE, or None. Raises StunError when shorter than 4."""
        v = self.get(ERROR_CODE)
        if v is None:
            return None
        if len(v) < 4:
            raise StunError("ERROR-CODE shorter than 4")
        return (v[2] & 7) * 100 + v[3], v[4:].decode("utf-8", "replace")

    def error(self):
        """(code, reason) of ERROR-CODE, or None (also when malformed)."""
        try:
            return self.error_code()
        except StunError:
            return None

    def unknown_attributes(self):
        """The UNKNOWN-ATTRIBUTES list, or None."""
        v = self.get(UNKNOWN_ATTRIBUTES)
        if v is None:
            return None
        if len(v) % 2:
            raise StunError("UNKNOWN-ATTRIBUTES odd length")
        return [struct.unpack("!H", v[i:i + 2])[0] for i in range(0, len(v), 2)]

    def fingerprint_ok(self):
        """None if there is no FINGERPRINT, else whether it verifies."""
        for t, v, off in self.attrs:
            if t == FINGERPRINT:
                hdr = struct.pack("!HH", self.type, off + 8 - 20) + self.raw[4:20]
                want = (zlib.crc32(hdr + self.raw[20:off]) & 0xFFFFFFFF) ^ FP_XOR
                return len(v) == 4 and struct.unpack("!I", v)[0] == want
        return None

    check_fingerprint = fingerprint_ok

    def integrity_ok(self, key):
        """None if there is no MESSAGE-INTEGRITY, else whether it verifies with key."""
        for t, v, off in self.attrs:
            if t == MESSAGE_INTEGRITY:
                if key is None:
                    return False
                hdr = struct.pack("!HH", self.type, off + 24 - 20) + self.raw[4:20]
                return hmac.compare_digest(hmac.new(key, hdr + self.raw[20:off], hashlib.sha1).digest(), v)
        return None

    check_integrity = integrity_ok

    def describe(self):
        """"method 0x003 error 401 Unauthorized" and the like."""
        e = self.error()
        cls = {SUCCESS: "success", ERROR: "error", REQUEST: "request", INDICATION: "indication"}[self.cls]
        return "method 0x%03x %s%s" % (self.method, cls, " %d %s" % e if e else "")

    def __repr__(self):
        return "<STUN type=0x%04x %s>" % (self.type, ",".join(attr_name(t) for t in self.types()))


def parse(data, strict=True):
    """Parse one whole message into a Msg; raises StunError.
    strict: every RFC 8489 framing rule a response must obey (nothing after
    FINGERPRINT)."""
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
        end = off + 4 + pad4(al)
        if end > len(data):
            raise StunError("padding of %s runs past the end" % attr_name(t))
        attrs.append((t, data[off + 4:off + 4 + al], off))
        seen_fp = seen_fp or t == FINGERPRINT
        off = end
    return Msg(data, mtype, cookie, tid, attrs)


def Resp(raw):  # noqa: N802 - reads like the class it returns
    """parse(raw, strict=False), but only an RFC 8489 message (magic cookie):
    StunError (a ValueError) otherwise."""
    m = parse(raw, strict=False)
    if m.legacy:
        raise StunError("bad header (cookie %s)" % m.cookie.hex())
    return m


def fmt(r):
    """A response (or None) in a few words for a FAIL reason."""
    return "no answer" if r is None else r.describe()


def is_success(r, method):
    """r is a success response of method."""
    return r is not None and r.method == method and r.cls == SUCCESS


def is_error(r, method, code, reason=None):
    """r is an error response of method with this code (and, if given,
    exactly this reason phrase)."""
    e = r.error() if r is not None else None
    return (r is not None and r.method == method and r.cls == ERROR and e is not None
            and e[0] == code and (reason is None or e[1] == reason))


def rfc3489_framing(resp):
    """RFC 3489 has no attribute padding: every attribute length must be a
    multiple of 4 (ERROR-CODE reason phrases and SERVER padded with spaces,
    UNKNOWN-ATTRIBUTES with a repeated entry, RFC 3489 §11.2.9-11.2.10), or a
    classic client reads the next attribute header at the wrong offset."""
    return ["%s length %d is not a multiple of 4 (an RFC 3489 client misparses the rest)"
            % (attr_name(t), len(v)) for t, v, _ in resp.attrs if len(v) % 4]


def check_binding_success(resp, req_tid, want_addr, fingerprint=False, legacy=False,
                          software=None):
    """Problems with a Binding success response (empty = fine).
    want_addr: (ip, port) the server must report as our reflexive address.
    MAPPED-ADDRESS is required of an RFC 3489 answer only (ternd leaves it
    out of a plain RFC 8489 answer, docs/SECURITY.md: amplification), and
    checked when present; software: the SOFTWARE expected when there is one
    (a Binding answer may leave it out)."""
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
        if legacy:
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
    if software is not None and sw is not None:
        if sw.decode("utf-8", "replace") != software:
            probs.append("SOFTWARE %r, expected %r" % (sw, software))
    if sw is not None:
        try:
            if len(sw.decode("utf-8")) >= 128:
                probs.append("SOFTWARE longer than 127 characters")
        except UnicodeDecodeError:
            probs.append("SOFTWARE not UTF-8")
    return probs


# ----------------------------------------------------------------- streams

def read_exact(sock, n, deadline):
    """n bytes from a stream socket before deadline (monotonic), or raise."""
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
    """Exactly one STUN message from a byte stream (RFC 8489 framing), parsed."""
    deadline = time.monotonic() + timeout
    hdr = read_exact(sock, 20, deadline)
    ln = struct.unpack("!H", hdr[2:4])[0]
    return parse(hdr + read_exact(sock, ln, deadline))


# ----------------------------------------------------------------- UDP

def udp_socket(family=socket.AF_INET, bind=None):
    """A UDP socket bound to bind (default: loopback of family, any port)."""
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(bind or (("127.0.0.1" if family == socket.AF_INET else "::1"), 0))
    return s


def udp_exchange(sock, data, dest, timeout=1.0, tries=3):
    """Send data, wait for the answer with its transaction id; retransmit up
    to tries times. Returns (Msg, from_addr) or (None, None)."""
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
    """The datagrams [(data, from)] that arrived within timeout (should be empty)."""
    got = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return got
        sock.settimeout(left)
        try:
            got.append(sock.recvfrom(65535))
        except socket.timeout:
            return got


def ping(proto, port, host="127.0.0.1", timeout=0.5):
    """True when a Binding request over proto ("udp" or "tcp") to host:port
    gets a Binding success."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    req = build()
    try:
        if proto == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                m, _ = udp_exchange(s, req, (host, port), timeout=timeout, tries=1)
            finally:
                s.close()
        else:
            s = socket.create_connection((host, port), timeout=timeout)
            try:
                s.sendall(req)
                m = read_stream_msg(s, timeout)
            finally:
                s.close()
    except (OSError, StunError):
        return False
    return m is not None and m.type == BINDING_SUCCESS
