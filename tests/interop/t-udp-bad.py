#!/usr/bin/env python3
"""UDP: what the server answers, and what it must silently drop.

Malformed datagrams (truncated, bad length, mis-padded, wrong cookie, oversized,
attribute past the end, 1000 seeded random ones, 400 seeded STUN-shaped ones) get
no answer and leave the server answering the next valid Binding. Then the RFC
8489 rules (420 + UNKNOWN-ATTRIBUTES, optional attributes ignored, attributes
after MESSAGE-INTEGRITY ignored, FINGERPRINT), RFC 3489 clients, and RFC 5780
(OTHER-ADDRESS, RESPONSE-ORIGIN, CHANGE-REQUEST served from the sibling socket,
RESPONSE-PORT, PADDING) with the alternate address 127.0.0.2 configured.
"""

import os
import random
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as S  # noqa: E402

env = S.Env()
R = S.Reporter(results=env.results)
PRE = "udp-bad/"
SRV = (env.host4, env.port)
ALT = (env.alt_host, env.alt_port)
QUIET = 0.4  # seconds to wait for an answer that must not come

sock = S.udp_socket()
ME = sock.getsockname()


def binding_ok(s=None, dest=SRV, **kw):
    """A valid Binding request from s to dest must get a correct success answer."""
    s = s or sock
    req = S.build(**kw)
    m, frm = S.udp_exchange(s, req, dest)
    if m is None:
        return ["no answer to a valid Binding request sent to %s:%d" % dest]
    probs = S.check_binding_success(m, req[8:20], s.getsockname(), software=env.software)
    if frm != dest:
        probs.append("answer came from %s:%d, not %s:%d" % (frm + dest))
    return probs


def silent(datagrams, dest=SRV, s=None):
    """None of the datagrams may be answered."""
    s = s or sock
    S.udp_silence(s, 0.05)  # drain
    for i, d in enumerate(datagrams):
        s.sendto(d, dest)
        if i % 50 == 49:
            S.udp_silence(s, 0.01)  # pace a little: keep the kernel queues short
    got = S.udp_silence(s, QUIET)
    if got:
        return ["%d answer(s) to %d malformed datagram(s); first: %r" %
                (len(got), len(datagrams), got[0][0][:40])]
    return []


def drop_class(name, datagrams, dest=SRV):
    R.run(PRE + name + "-dropped", silent, datagrams, dest)
    R.run(PRE + name + "-then-valid-answered", binding_ok)


def req_and_answer(attrs=(), dest=SRV, s=None, **kw):
    s = s or sock
    req = S.build(attrs=attrs, **kw)
    m, frm = S.udp_exchange(s, req, dest)
    return req, m, frm


# ------------------------------------------------------------ baseline
R.run(PRE + "binding-ipv4", binding_ok)


def fingerprint_echo():
    req, m, _ = req_and_answer(fingerprint=True)
    if m is None:
        return "no answer"
    return S.check_binding_success(m, req[8:20], ME, fingerprint=True, software=env.software)


R.run(PRE + "fingerprint-in-response-verifies", fingerprint_echo)


def no_fingerprint_unasked():
    req, m, _ = req_and_answer()
    if m is None:
        return "no answer"
    return [] if m.get(S.FINGERPRINT) is None or m.fingerprint_ok() else "bad FINGERPRINT"


R.run(PRE + "response-without-fingerprint-request", no_fingerprint_unasked)


def bad_fingerprint_dropped():
    raw = bytearray(S.build(fingerprint=True))
    raw[-1] ^= 0xFF
    return silent([bytes(raw)])


R.run(PRE + "wrong-fingerprint-dropped", bad_fingerprint_dropped)

# ------------------------------------------------------------ malformed classes
valid = S.build(attrs=[(S.SOFTWARE, b"interop-test")])

drop_class("truncated-header", [valid[:n] for n in range(0, 20)])

drop_class("length-past-datagram", [
    S.build(length=4), S.build(length=8),
    S.build(attrs=[(S.SOFTWARE, b"abcd")], length=12),
    S.build(attrs=[(S.SOFTWARE, b"abcd")], length=0xFFFC),
])

drop_class("length-short-of-datagram", [
    S.build(attrs=[(S.SOFTWARE, b"abcd")], length=0),
    S.build(attrs=[(S.SOFTWARE, b"abcdefgh")], length=8),
    S.build() + b"\0\0\0\0",
])

drop_class("mis-padded", [
    # one 5-byte attribute and no padding: length 9, not a multiple of 4
    S.build(attrs=[struct.pack("!HH", S.SOFTWARE, 5) + b"abcde"]),
    # 5-byte attribute unpadded, then a 3-byte tail: length is a multiple of 4,
    # but the attributes do not line up with their padding
    S.build(attrs=[struct.pack("!HH", S.SOFTWARE, 5) + b"abcde"
                   + struct.pack("!HH", 0x8FFF, 3) + b"xyz"]),
    # header length field not a multiple of 4, datagram matching it
    S.build(attrs=[b"\x80\x22\x00\x01a"]),
    S.build(length=2) + b"\0\0",
])

drop_class("wrong-cookie-non-binding", [
    S.build(mtype=0x0003, cookie=b"\xde\xad\xbe\xef", attrs=[(0x0019, b"\x11\0\0\0")]),  # Allocate
    S.build(mtype=0x0003, cookie=b"\0\0\0\0", attrs=[(0x0019, b"\x11\0\0\0")]),
    S.build(mtype=0x0004, cookie=b"\x21\x12\xa4\x43"),  # Refresh, cookie off by one
    S.build(mtype=0x0008, cookie=b"\xde\xad\xbe\xef"),  # CreatePermission
    S.build(mtype=0x0016, cookie=b"\xde\xad\xbe\xef"),  # Send indication
])

drop_class("not-a-request", [
    S.build(mtype=S.BINDING_INDICATION),  # keepalive: never answered
    S.build(mtype=S.BINDING_SUCCESS, attrs=[(S.XOR_MAPPED_ADDRESS, S.enc_addr("127.0.0.1", 1, True, os.urandom(12)))]),
    S.build(mtype=S.BINDING_ERROR, attrs=[(S.ERROR_CODE, b"\0\0\x04\x00Bad!")]),
])


def oversized(n):
    """A well-formed Binding request of n bytes (n > 2048)."""
    body = n - 20 - 4
    return S.build(attrs=[(0x8FFF, os.urandom(body))])


drop_class("oversized", [oversized(2052), oversized(2100), oversized(4096),
                         oversized(9000), oversized(60000)])

drop_class("attribute-past-end", [
    S.build(attrs=[struct.pack("!HH", S.SOFTWARE, 100) + b"abcd"]),
    S.build(attrs=[struct.pack("!HH", S.XOR_MAPPED_ADDRESS, 8)]),
    S.build(attrs=[(S.SOFTWARE, b"okok"), struct.pack("!HH", 0x8FFF, 0xFFFF)]),
    S.build(attrs=[b"\x80\x22"]) + b"\0\0",  # half an attribute header
])

rng = random.Random(8489)
rand = []
for _ in range(1000):
    n = rng.choice((rng.randint(0, 19), rng.randint(20, 120), rng.randint(120, 2100)))
    rand.append(bytes(rng.getrandbits(8) for _ in range(n)))
drop_class("random-1000", rand)

# STUN-shaped fuzz: a valid Binding header and cookie, random attribute soup.
# Answers are allowed here (some of these are valid requests), but every answer
# must be a well-formed STUN response to that transaction, and the server must
# keep going. RESPONSE-PORT and RESPONSE-ADDRESS are left out so that no answer
# is sent to a port this test does not own.
FUZZ_TYPES = [0x0001, 0x0003, 0x0006, 0x0008, 0x0009, 0x000A, 0x0014, 0x0015, 0x0020,
              0x0026, 0x8022, 0x8028, 0x802B, 0x802C, 0x7FFF, 0xFF05, 0x0019, 0x000D]


def fuzz_one(rng):
    attrs = b""
    for _ in range(rng.randint(0, 6)):
        t = rng.choice(FUZZ_TYPES) if rng.random() < 0.8 else rng.randrange(0x10000)
        if t in (S.RESPONSE_PORT, S.RESPONSE_ADDRESS):
            t = 0x8FFE
        ln = rng.choice((0, 1, 2, 4, 8, 12, 20, rng.randint(0, 64)))
        pad = S.pad4(ln) - ln if rng.random() < 0.9 else 0
        attrs += struct.pack("!HH", t, ln) + bytes(rng.getrandbits(8) for _ in range(ln + pad))
    length = len(attrs) if rng.random() < 0.9 else rng.randrange(0x10000) & ~3
    mtype = S.BINDING_REQUEST if rng.random() < 0.9 else rng.randrange(0x4000)
    tid = bytes(rng.getrandbits(8) for _ in range(12))
    return struct.pack("!HH", mtype, length) + S.MAGIC_BYTES + tid + attrs


def fuzz_answers_well_formed():
    frng = random.Random(5780)
    msgs = [fuzz_one(frng) for _ in range(400)]
    tids = {m[8:20] for m in msgs}
    S.udp_silence(sock, 0.05)
    got = []
    for i, d in enumerate(msgs):
        sock.sendto(d, SRV)
        if i % 25 == 24:
            got += S.udp_silence(sock, 0.02)
    got += S.udp_silence(sock, QUIET)
    probs = []
    for pkt, frm in got:
        try:
            m = S.parse(pkt)
        except S.StunError as e:
            probs.append("malformed answer (%s): %r" % (e, pkt[:32]))
            continue
        if m.tid not in tids:
            probs.append("answer with a transaction id we never sent")
        if m.class_number not in (2, 3):
            probs.append("answer of class %d" % m.class_number)
        if m.class_number == 3:
            try:
                if m.error_code() is None:
                    probs.append("error response without ERROR-CODE")
            except S.StunError as e:
                probs.append(str(e))
    print("fuzz: %d of %d STUN-shaped datagrams answered" % (len(got), len(msgs)))
    return probs[:3]


R.run(PRE + "fuzz-400-answers-well-formed", fuzz_answers_well_formed)
R.run(PRE + "fuzz-400-then-valid-answered", binding_ok)

# ------------------------------------------------------------ RFC 8489 attribute rules


def unknown_required_420():
    req, m, _ = req_and_answer(attrs=[(0x7FFF, b"abcd"), (0x7FFE, b"")], fingerprint=True)
    if m is None:
        return "no answer"
    probs = []
    if m.type != S.BINDING_ERROR:
        return "type 0x%04x, expected a Binding error response" % m.type
    if m.tid != req[8:20]:
        probs.append("transaction id not echoed")
    ec = m.error_code()
    if not ec or ec[0] != 420:
        probs.append("ERROR-CODE %r, expected 420" % (ec,))
    ua = m.unknown_attributes() or []
    for t in (0x7FFF, 0x7FFE):
        if t not in ua:
            probs.append("UNKNOWN-ATTRIBUTES %s lacks 0x%04X" % ([hex(x) for x in ua], t))
    if m.fingerprint_ok() is not True:
        probs.append("no valid FINGERPRINT in the 420 though the request had one")
    if m.get(S.XOR_MAPPED_ADDRESS) is not None:
        probs.append("error response carries XOR-MAPPED-ADDRESS")
    return probs


R.run(PRE + "unknown-comprehension-required-420", unknown_required_420)


def unknown_optional_ignored():
    req, m, _ = req_and_answer(attrs=[(0xFF05, b"\x00\x01\x02\x03\x04\x05"), (0x8FFF, b"x")])
    if m is None:
        return "no answer"
    return S.check_binding_success(m, req[8:20], ME, software=env.software)


R.run(PRE + "unknown-comprehension-optional-ignored", unknown_optional_ignored)


def after_integrity_ignored():
    # An unknown comprehension-required attribute after MESSAGE-INTEGRITY must be
    # ignored (RFC 8489 §14.5): acting on it would mean a 420 listing 0x7FFF.
    req, m, _ = req_and_answer(attrs=[(S.MESSAGE_INTEGRITY, os.urandom(20)), (0x7FFF, b"abcd")])
    if m is None:
        return "no answer at all"
    if m.type == S.BINDING_ERROR:
        ec = m.error_code()
        ua = m.unknown_attributes() or []
        if ec and ec[0] == 420 and 0x7FFF in ua:
            return "420 listing 0x7FFF: the attribute after MESSAGE-INTEGRITY was acted on"
        print("after-integrity: error %r (accepted: not acting on the attribute)" % (ec,))
        return []
    return S.check_binding_success(m, req[8:20], ME, software=env.software)


R.run(PRE + "attribute-after-message-integrity-ignored", after_integrity_ignored)

# ------------------------------------------------------------ RFC 3489


def rfc3489_binding():
    tid = os.urandom(16)
    req = S.build(tid=tid, legacy=True)
    m, frm = S.udp_exchange(sock, req, SRV)
    if m is None:
        return "no answer to an RFC 3489 Binding request"
    probs = S.check_binding_success(m, tid, ME, legacy=True)
    src = m.addr(S.SOURCE_ADDRESS)
    if src != SRV:
        probs.append("SOURCE-ADDRESS %r, expected %s:%d" % ((src,) + SRV))
    ch = m.addr(S.CHANGED_ADDRESS)
    if ch != ALT:
        probs.append("CHANGED-ADDRESS %r, expected %s:%d" % ((ch,) + ALT))
    if m.get(S.FINGERPRINT) is not None:
        probs.append("FINGERPRINT sent to an RFC 3489 client")
    return probs


R.run(PRE + "rfc3489-mapped-source-changed-address", rfc3489_binding)


def rfc3489_change_request():
    tid = os.urandom(16)
    req = S.build(tid=tid, legacy=True, attrs=[(S.CHANGE_REQUEST, b"\0\0\0\x06")])
    m, frm = S.udp_exchange(sock, req, SRV)
    if m is None:
        return "no answer to an RFC 3489 CHANGE-REQUEST(ip+port)"
    probs = S.check_binding_success(m, tid, ME, legacy=True)
    if frm != ALT:
        probs.append("answer came from %s:%d, expected %s:%d" % (frm + ALT))
    if m.addr(S.SOURCE_ADDRESS) != frm:
        probs.append("SOURCE-ADDRESS %r is not where the answer came from %r" % (m.addr(S.SOURCE_ADDRESS), frm))
    return probs


R.run(PRE + "rfc3489-change-request", rfc3489_change_request)


def rfc3489_420():
    tid = os.urandom(16)
    req = S.build(tid=tid, legacy=True, attrs=[(0x7FFF, b"abcd")])
    m, frm = S.udp_exchange(sock, req, SRV)
    if m is None:
        return "no answer to an RFC 3489 request with an unknown comprehension-required attribute"
    probs = []
    if m.type != S.BINDING_ERROR:
        return "type 0x%04x, expected a Binding error response" % m.type
    if m.raw[4:20] != tid:
        probs.append("transaction id not echoed")
    ec = m.error_code()
    if not ec or ec[0] != 420:
        probs.append("ERROR-CODE %r, expected 420" % (ec,))
    probs += S.rfc3489_framing(m)
    if not probs and 0x7FFF not in (m.unknown_attributes() or []):
        probs.append("UNKNOWN-ATTRIBUTES does not list 0x7FFF")
    return probs


R.run(PRE + "rfc3489-420-in-rfc3489-framing", rfc3489_420)

# ------------------------------------------------------------ RFC 5780
OTHER = {SRV: ALT, ALT: SRV, (env.host4, env.alt_port): (env.alt_host, env.port),
         (env.alt_host, env.port): (env.host4, env.alt_port)}


def rfc5780_socket(dest):
    req, m, frm = req_and_answer(dest=dest, fingerprint=True)
    if m is None:
        return "no answer from %s:%d" % dest
    probs = S.check_binding_success(m, req[8:20], ME, fingerprint=True, software=env.software)
    if frm != dest:
        probs.append("answer came from %s:%d" % frm)
    if m.addr(S.RESPONSE_ORIGIN) != dest:
        probs.append("RESPONSE-ORIGIN %r, expected %s:%d" % ((m.addr(S.RESPONSE_ORIGIN),) + dest))
    if m.addr(S.OTHER_ADDRESS) != OTHER[dest]:
        probs.append("OTHER-ADDRESS %r, expected %s:%d" % ((m.addr(S.OTHER_ADDRESS),) + OTHER[dest]))
    return probs


for d, nm in ((SRV, "primary"), ((env.host4, env.alt_port), "primary-addr-alt-port"),
              ((env.alt_host, env.port), "alt-addr-primary-port"), (ALT, "alt-addr-alt-port")):
    R.run(PRE + "rfc5780-origin-other-via-" + nm, rfc5780_socket, d)


def change_request(flags, want_from):
    req, m, frm = req_and_answer(attrs=[(S.CHANGE_REQUEST, struct.pack("!I", flags))])
    if m is None:
        return "no answer"
    probs = S.check_binding_success(m, req[8:20], ME, software=env.software)
    if frm != want_from:
        probs.append("answer came from %s:%d, expected %s:%d" % (frm + want_from))
    if m.addr(S.RESPONSE_ORIGIN) != frm:
        probs.append("RESPONSE-ORIGIN %r is not where the answer came from %r" % (m.addr(S.RESPONSE_ORIGIN), frm))
    return probs


R.run(PRE + "rfc5780-change-ip-and-port", change_request, 0x06, ALT)
R.run(PRE + "rfc5780-change-port", change_request, 0x02, (env.host4, env.alt_port))
R.run(PRE + "rfc5780-change-ip", change_request, 0x04, (env.alt_host, env.port))
R.run(PRE + "rfc5780-change-nothing", change_request, 0x00, SRV)


def response_port():
    other = S.udp_socket()
    q = other.getsockname()[1]
    req = S.build(attrs=[(S.RESPONSE_PORT, struct.pack("!HH", q, 0))])
    S.udp_silence(sock, 0.05)
    sock.sendto(req, SRV)
    got = S.udp_silence(other, 1.0)
    stray = S.udp_silence(sock, 0.1)
    probs = []
    if stray:
        probs.append("an answer also came back to the sending port")
    if not got:
        probs.append("nothing arrived at RESPONSE-PORT %d" % q)
        return probs
    pkt, frm = got[0]
    m = S.parse(pkt)
    probs += S.check_binding_success(m, req[8:20], ME, software=env.software)
    if frm != SRV:
        probs.append("answer came from %s:%d" % frm)
    other.close()
    return probs


R.run(PRE + "rfc5780-response-port", response_port)


def padding():
    req, m, frm = req_and_answer(attrs=[(S.PADDING, b"\0" * 1000)])
    if m is None:
        return "no answer to a Binding with 1000 bytes of PADDING"
    return S.check_binding_success(m, req[8:20], ME, software=env.software)


R.run(PRE + "rfc5780-padding-answered", padding)

# ------------------------------------------------------------ IPv6 (::1 has no alternate)
sock6 = S.udp_socket(socket.AF_INET6)
SRV6 = (env.host6, env.port)


def binding6():
    req = S.build(fingerprint=True)
    m, frm = S.udp_exchange(sock6, req, SRV6)
    if m is None:
        return "no answer over IPv6"
    probs = S.check_binding_success(m, req[8:20], sock6.getsockname()[:2], fingerprint=True,
                                    software=env.software)
    if frm[:2] != SRV6:
        probs.append("answer came from %r" % (frm,))
    if m.get(S.OTHER_ADDRESS) is not None:
        probs.append("OTHER-ADDRESS on ::1, which has no alternate configured")
    return probs


R.run(PRE + "binding-ipv6", binding6)


def change_request6():
    req = S.build(attrs=[(S.CHANGE_REQUEST, b"\0\0\0\x06")])
    m, frm = S.udp_exchange(sock6, req, SRV6)
    if m is None:
        return "no answer"
    if m.type != S.BINDING_ERROR:
        return "type 0x%04x: a CHANGE-REQUEST where no alternate exists must be a 420 (RFC 5780 §6.1)" % m.type
    ec = m.error_code()
    ua = m.unknown_attributes() or []
    if not ec or ec[0] != 420 or S.CHANGE_REQUEST not in ua:
        return "expected 420 listing CHANGE-REQUEST, got %r %r" % (ec, ua)
    return []


R.run(PRE + "rfc5780-change-request-without-alternate-420", change_request6)


def change_request_zero6(legacy):
    # Classic RFC 3489 clients (Debian's `stun`, for one) put CHANGE-REQUEST with
    # no flag set in every plain Binding. Asking for no change can always be
    # honoured, alternate or not: it must get an ordinary answer, not a 420.
    tid = os.urandom(16 if legacy else 12)
    req = S.build(tid=tid, legacy=legacy, attrs=[(S.CHANGE_REQUEST, b"\0\0\0\0")])
    m, frm = S.udp_exchange(sock6, req, SRV6)
    if m is None:
        return "no answer"
    return S.check_binding_success(m, tid, sock6.getsockname()[:2], legacy=legacy,
                                   software=None if legacy else env.software)


R.run(PRE + "change-request-no-flags-without-alternate-answered", change_request_zero6, False)
R.run(PRE + "rfc3489-change-request-no-flags-without-alternate-answered", change_request_zero6, True)
R.run(PRE + "malformed-ipv6-dropped", silent, [valid[:10], S.build(length=40), rand[5]], SRV6, sock6)
R.run(PRE + "final-binding-ipv4", binding_ok)
R.exit()
