#!/usr/bin/env python3
"""Amplification by unauthenticated requests, measured (issue 16, finding 8).

Every request a spoofed source can send without credentials, over UDP to a
server on loopback, from a fresh socket each: Binding plain, with
FINGERPRINT, with CHANGE-REQUEST (no flag; and change IP + port where an
alternate address exists), with PADDING, RFC 3489 without the cookie (plain
and with CHANGE-REQUEST, as the classic `stun` client sends), Allocate
without credentials (bare, and with REQUESTED-TRANSPORT) -> 401, Allocate
with an unknown user -> 401, Refresh / CreatePermission / ChannelBind
without credentials, and a DTLS ClientHello -> HelloVerifyRequest. For
each: response bytes / request bytes (UDP payloads, every datagram that
comes back within 0.4 s), over IPv4 with and without an RFC 5780 alternate
address (127.0.0.2) and over IPv6 without one; and over IPv6 with an
alternate address in a network namespace of the test's own (`unshare
--net`, private and gone when the test ends), where 2001:db8:5::2 is put on
its lo beside ::1 (as root; skipped otherwise). The table is printed as "# "
lines.

Against ternd (TERND=...) every factor must be within the bounds stated in
docs/SECURITY.md ("Second review (issue 16)"): Binding <= BINDING_BOUND for
its family and alternate address, everything else <= CHALLENGE_BOUND (the 401 to a bare 20-byte request, with
the kit's 9-byte realm). With COTURN=1 (PATH leading to coturn's
turnserver) the same table is printed for comparison and nothing is
asserted.
"""

import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("amplification")
# Binding, by the largest answer to a 20-byte request: XOR-MAPPED-ADDRESS,
# plus RESPONSE-ORIGIN and OTHER-ADDRESS with an alternate address (RFC 3489:
# MAPPED-, SOURCE- and CHANGED-ADDRESS), 12 bytes each for IPv4, 24 for IPv6.
# IPv6 with an alternate address: 20 + 3 x 24 = 92 bytes, 4.6x.
BINDING_BOUND = {("IPv4", "alt"): 2.8, ("IPv4", "no alt"): 2.2, ("IPv6", "no alt"): 3.4,
                 ("IPv6", "alt"): 4.6}
# 20-byte request -> 401: 20 + ERROR-CODE 24 ("Unauthenticated") + REALM 16
# ("tern.test") + NONCE 52 + PASSWORD-ALGORITHMS 12 = 124 bytes
CHALLENGE_BOUND = 6.2


def client_hello():
    """A DTLS 1.2 ClientHello without a cookie (what a spoofer sends)."""
    suites = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8]
    ext = b""
    for t, v in ((0x000A, struct.pack("!HHH", 4, 0x001D, 0x0017)),   # supported_groups
                 (0x000B, b"\x01\x00"),                               # ec_point_formats
                 (0x000D, struct.pack("!HHHH", 6, 0x0403, 0x0804, 0x0401)),  # signature_algorithms
                 (0x0017, b""),                                       # extended_master_secret
                 (0xFF01, b"\x00")):                                  # renegotiation_info
        ext += struct.pack("!HH", t, len(v)) + v
    body = (b"\xfe\xfd" + os.urandom(32) + b"\x00" + b"\x00" +
            struct.pack("!H", 2 * len(suites)) + b"".join(struct.pack("!H", s) for s in suites) +
            b"\x01\x00" + struct.pack("!H", len(ext)) + ext)
    hs = bytes([1]) + len(body).to_bytes(3, "big") + b"\x00\x00" + b"\x00\x00\x00" + \
        len(body).to_bytes(3, "big") + body
    return bytes([22]) + b"\xfe\xfd" + b"\x00\x00" + b"\x00" * 6 + struct.pack("!H", len(hs)) + hs


def bare(method):
    return K.message(method, K.REQUEST, [], fingerprint=False)[1]


def requests(srv, host, alt):
    """[(name, class, datagram, port)]; class "binding" or "other"."""
    change = lambda f: [(K.CHANGE_REQUEST, struct.pack("!I", f))]  # noqa: E731
    reqs = [
        ("binding", "binding", K.build(), srv.port),
        ("binding+fingerprint", "binding", K.build(fingerprint=True), srv.port),
        ("binding+change-request(none)", "binding", K.build(attrs=change(0)), srv.port),
        ("binding+padding(100)", "binding", K.build(attrs=[(K.PADDING, bytes(100))]), srv.port),
        ("rfc3489-binding", "binding", K.build(legacy=True), srv.port),
        ("rfc3489-binding+change-request", "binding", K.build(legacy=True, attrs=change(0)), srv.port),
    ]
    if alt:
        reqs.append(("binding+change-request(ip,port)", "binding", K.build(attrs=change(6)), srv.port))
    realm, nonce = challenge(host, srv.port)
    key = K.long_term_key("mallory", realm.decode(), "guess")
    unknown = K.build(K.msg_type(K.ALLOCATE, K.REQUEST), [K.UDP_TRANSPORT, (K.USERNAME, b"mallory"),
                                                         (K.REALM, realm), (K.NONCE, nonce)], key=key)
    reqs += [
        ("allocate(bare)->401", "other", bare(K.ALLOCATE), srv.port),
        ("allocate(transport)->401", "other",
         K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT], fingerprint=False)[1], srv.port),
        ("allocate(unknown-user)->401", "other", unknown, srv.port),
        ("refresh->401", "other", bare(K.REFRESH), srv.port),
        ("create-permission->401", "other", bare(K.CREATE_PERMISSION), srv.port),
        ("channel-bind->401", "other", bare(K.CHANNEL_BIND), srv.port),
        ("dtls-client-hello", "other", client_hello(), srv.tls_port),
    ]
    return reqs


def sock_for(host):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    return s


def challenge(host, port):
    """(REALM, NONCE) of the 401 to an Allocate from host (either family)."""
    s = sock_for(host)
    try:
        tid, data = K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT])
        r = K.udp_exchange(s, data, (host, port))[0]
        if r is None or r.get(K.NONCE) is None:
            raise RuntimeError("no 401 with a NONCE from [%s]:%d: %s" % (host, port, K.fmt(r)))
        return r.get(K.REALM), r.get(K.NONCE)
    finally:
        s.close()


def measure(host, port, data):
    """Bytes of every datagram answering data within 0.4 s (0: none)."""
    s = sock_for(host)
    try:
        s.sendto(data, (host, port))
        got = 0
        s.settimeout(0.4)
        while True:
            try:
                got += len(s.recvfrom(65535)[0])
            except socket.timeout:
                return got
    finally:
        s.close()


def table(srv, alt, rows, hosts=("127.0.0.1", "::1")):
    for host in hosts:
        fam = "IPv6" if ":" in host else "IPv4"
        a = alt and (fam == "IPv4" or len(hosts) == 1)
        for name, cls, data, port in requests(srv, host, a):
            got = measure(host, port, data)
            rows.append((fam, "alt" if a else "no alt", name, cls, len(data), got, got / len(data)))


def check(rows, impl, least=40):
    C.note("%-5s %-7s %-32s %7s %8s %6s" % ("", "", "request", "req B", "resp B", "factor"))
    for fam, alt, name, cls, q, r, f in rows:
        C.note("%-5s %-7s %-32s %7d %8d %6.2f" % (fam, alt, name, q, r, f))
    if not C.check("measured", len(rows) >= least, "only %d rows measured" % len(rows)):
        return
    if impl != "ternd":
        C.skip("bounds", "%s: measured for comparison, nothing asserted" % impl)
        return
    def bound(fam, alt, cls):
        return BINDING_BOUND[(fam, alt)] if cls == "binding" else CHALLENGE_BOUND

    over = ["%s %s %s: %.2f > %.1f" % (fam, alt, name, f, bound(fam, alt, cls))
            for fam, alt, name, cls, q, r, f in rows if f > bound(fam, alt, cls) + 1e-9]
    C.check("binding-within-bounds", [o for o in over if "binding" in o.split(":")[0]])
    C.check("others-within-%.1fx" % CHALLENGE_BOUND, [o for o in over if "binding" not in o.split(":")[0]])
    C.check("every-stun-request-answered", ["%s %s %s: no answer (the measurement would mean nothing)" % (
        fam, alt, n) for fam, alt, n, cls, q, r, f in rows if r == 0 and "dtls" not in n])
    fam0 = rows[0][0]
    C.check("binding-answered-%s-alt" % fam0.lower(), any(
        r > 0 for fam, alt, n, cls, q, r, f in rows
        if fam == fam0 and alt == "alt" and n == "binding+change-request(ip,port)"))


INNER = "TERN_AMPLIFICATION_NETNS"
ALT6 = "2001:db8:5::2"


def inner():
    """In the private namespace: ::1 with the alternate ALT6 on lo."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "-6", "addr", "add", ALT6 + "/128", "dev", "lo", "nodad"], check=True)
    work = K.Work("amplification-v6alt")
    srv = H.Ternd(work, "alt6", metrics=False, alternate6=ALT6)

    def run(srv, held):
        rows = []
        C.guard("measure-v6-alt", table, srv, True, rows, ("::1",))
        check(rows, srv.impl, least=14)
    return H.serve(C, work, srv, run)


def v6_alternate():
    """The IPv6-with-alternate rows, measured by this script again in a
    network namespace of its own; its lines are reported here."""
    # its lines come back through this reporter, not into the results file
    env = {k: v for k, v in os.environ.items() if k != "TERN_RESULTS"}
    env[INNER] = "1"
    try:
        p = subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__)],
                           env=env, timeout=90, capture_output=True, text=True)
    except (OSError, subprocess.TimeoutExpired) as e:
        C.skip("v6-alt", "cannot run in a network namespace: %s" % e)
        return
    lines = p.stdout.splitlines()
    seen = 0
    for ln in lines:
        kind, _, rest = ln.partition(" ")
        name, _, why = rest.partition(": ")
        name = name.split("/", 1)[-1]
        if kind == "PASS":
            C.ok("v6-alt/" + name)
        elif kind == "FAIL":
            C.fail("v6-alt/" + name, why)
        elif kind == "SKIP":
            C.skip("v6-alt/" + name, why)
        elif ln.startswith("# "):
            C.note(ln[2:])
            continue
        else:
            continue
        seen += 1
    if not seen:
        if p.returncode != 0 and os.geteuid() != 0:
            C.skip("v6-alt", "unshare --net needs root")
        else:
            C.fail("v6-alt", "the namespace run reported nothing (exit %d): %s" % (
                p.returncode, (p.stderr or "").strip()[-300:]))


def main():
    K.on_sigterm()
    if os.environ.get(INNER):
        return inner()
    work = K.Work("amplification")
    if os.environ.get("COTURN", "0") != "0":  # the kit's coturn mode
        new = lambda tag, **kw: K.Server(os.path.join(work.dir, tag), **kw)  # noqa: E731
    else:
        new = lambda tag, **kw: H.Ternd(work, tag, metrics=False, **kw)  # noqa: E731
    servers = {"alt": new("alt", alternate="127.0.0.2"), "plain": new("plain")}

    def run(srv, held):
        rows = []
        C.guard("measure-alt", table, srv["alt"], True, rows)
        C.guard("measure-plain", table, srv["plain"], False, rows)
        check(rows, srv["alt"].impl)
    rc = H.serve_many(C, work, servers, run)
    if servers["alt"].impl == "ternd":
        v6_alternate()
        rc = C.exit_status()
    return rc


if __name__ == "__main__":
    sys.exit(main())
