#!/usr/bin/env python3
"""STUN over TCP and TLS (RFC 8489 §6.2.2, RFC 7350 framing), IPv4 and IPv6.

Hand-built Binding requests through Python's socket and ssl modules (TLS verified
against the suite's throwaway CA, with SNI). Framing: two and ten messages in one
send, one message split over three sends, a message larger than one read.
Connection policing: garbage is disconnected within 2 s, a client trickling one
byte a second is disconnected after frame_timeout, a silent TLS client after
handshake_timeout, and with max_connections = 5 a 6th connection is closed at
once while the first five are still answered (and a slot frees when one leaves).

ALPN (RFC 7443): offering "stun.turn" must work (the server selects it or none);
offering only "h2" must either work without selecting h2 or fail the handshake
cleanly with a TLS alert. Both are accepted; hanging or selecting h2 is not.
"""
# ternd-config: frame_timeout=2 handshake_timeout=2 max_connections=5

import os
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as S  # noqa: E402

env = S.Env()
R = S.Reporter(results=env.results)
PRE = "streams/"
TCP4 = (env.host4, env.port)
TCP6 = (env.host6, env.port)
TLS4 = (env.host4, env.tls_port)
TLS6 = (env.host6, env.tls_port)


def tcp(dest, timeout=3.0):
    return socket.create_connection(dest, timeout=timeout)


def tls_ctx(alpn=None):
    ctx = ssl.create_default_context(cafile=env.ca)  # honours SSLKEYLOGFILE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def tls(dest, server_hostname, alpn=None, timeout=3.0):
    raw = tcp(dest, timeout)
    try:
        return tls_ctx(alpn).wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def answer_ok(s, req, fingerprint=False):
    m = S.read_stream_msg(s)
    me = s.getsockname()[:2]
    return S.check_binding_success(m, req[8:20], me, fingerprint=fingerprint, software=env.software)


def one_binding(make, *a, fingerprint=False, **kw):
    s = make(*a, **kw)
    try:
        req = S.build(fingerprint=fingerprint)
        s.sendall(req)
        return answer_ok(s, req, fingerprint)
    finally:
        s.close()


def wait_closed(s, timeout):
    """Seconds until the peer closed (EOF or RST), or None if still open."""
    t0 = time.monotonic()
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            return None
        try:
            s.settimeout(left)
            d = s.recv(4096)
            if not d:
                return time.monotonic() - t0
        except (socket.timeout, TimeoutError):
            return None
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, ssl.SSLEOFError):
            return time.monotonic() - t0
        except OSError:
            return time.monotonic() - t0


# ------------------------------------------------------------ plain answers
R.run(PRE + "tcp-binding-ipv4", one_binding, tcp, TCP4)
R.run(PRE + "tcp-binding-ipv6", one_binding, tcp, TCP6)
R.run(PRE + "tcp-binding-fingerprint", one_binding, tcp, TCP4, fingerprint=True)
R.run(PRE + "tls-binding-ipv4-sni-localhost", one_binding, tls, TLS4, "localhost")
R.run(PRE + "tls-binding-ipv4-ip-san", one_binding, tls, TLS4, "127.0.0.1")
R.run(PRE + "tls-binding-ipv6", one_binding, tls, TLS6, "::1")
R.run(PRE + "tls-binding-fingerprint", one_binding, tls, TLS4, "localhost", fingerprint=True)


def tls_version():
    s = tls(TLS4, "localhost")
    try:
        v = s.version()
        return [] if v in ("TLSv1.2", "TLSv1.3") else "negotiated %s" % v
    finally:
        s.close()


R.run(PRE + "tls-version-1.2-or-1.3", tls_version)


def tls_wrong_name():
    try:
        s = tls(TLS4, "not-this-host.example")
    except ssl.SSLCertVerificationError:
        return []
    s.close()
    return "certificate verified for a name it does not carry: the client check is not working"


R.run(PRE + "tls-verification-is-real", tls_wrong_name)

# ------------------------------------------------------------ framing


def pipelined(make, *a, n=2):
    s = make(*a)
    try:
        reqs = [S.build(fingerprint=bool(i % 2)) for i in range(n)]
        s.sendall(b"".join(reqs))
        probs = []
        for i, r in enumerate(reqs):
            probs += ["#%d: %s" % (i, p) for p in answer_ok(s, r, bool(i % 2))]
        return probs
    finally:
        s.close()


R.run(PRE + "tcp-two-messages-one-send", pipelined, tcp, TCP4)
R.run(PRE + "tcp-ten-messages-one-send", pipelined, tcp, TCP4, n=10)
R.run(PRE + "tls-two-messages-one-record", pipelined, tls, TLS4, "localhost")


def records(make, *a, n=10):
    """n requests in one record are answered in n records, one message each:
    clients such as coturn's turnutils_uclient take one SSL_read for one
    message and lose the rest of a shared record. (Python's recv on a TLS
    socket is one SSL_read, which returns one record at most.) coturn 4.6.1
    puts the ten answers in one record: this check fails against it."""
    s = make(*a)
    try:
        s.sendall(b"".join(S.build() for _ in range(n)))
        time.sleep(0.3)  # let every answer be queued before the first read
        probs, got = [], 0
        while got < n:
            data = s.recv(65536)
            if not data:
                return probs + ["EOF after %d answers" % got]
            want = 20 + int.from_bytes(data[2:4], "big") if len(data) >= 4 else -1
            if len(data) != want:
                probs.append("read #%d: %d bytes, not one message (%d bytes)" % (got, len(data), want))
                return probs
            got += 1
        return probs
    finally:
        s.close()


R.run(PRE + "tls-one-record-per-answer", records, tls, TLS4, "localhost")


def split(make, *a, cuts=(7, 26), delay=0.3):
    s = make(*a)
    try:
        req = S.build(attrs=[(S.SOFTWARE, b"split-over-three-sends")], fingerprint=True)
        parts = [req[:cuts[0]], req[cuts[0]:cuts[1]], req[cuts[1]:]]
        for i, p in enumerate(parts):
            s.sendall(p)
            if i < 2:
                time.sleep(delay)
        return answer_ok(s, req, True)
    finally:
        s.close()


R.run(PRE + "tcp-one-message-three-sends", split, tcp, TCP4)
R.run(PRE + "tcp-split-inside-header", split, tcp, TCP4, cuts=(1, 19))
R.run(PRE + "tls-one-message-three-records", split, tls, TLS4, "localhost")


def big_frame():
    s = tcp(TCP4)
    try:
        req = S.build(attrs=[(0x8FFF, os.urandom(1200))])
        s.sendall(req)
        return answer_ok(s, req)
    finally:
        s.close()


R.run(PRE + "tcp-1200-byte-message", big_frame)


def tcp_420():
    s = tcp(TCP4)
    try:
        req = S.build(attrs=[(0x7FFF, b"abcd")])
        s.sendall(req)
        m = S.read_stream_msg(s)
        ec = m.error_code()
        if m.type != S.BINDING_ERROR or not ec or ec[0] != 420 or 0x7FFF not in (m.unknown_attributes() or []):
            return "expected 420 listing 0x7FFF, got type 0x%04x %r" % (m.type, ec)
        # and the connection still works afterwards
        req = S.build()
        s.sendall(req)
        return answer_ok(s, req)
    finally:
        s.close()


R.run(PRE + "tcp-420-then-next-message", tcp_420)

# ------------------------------------------------------------ policing


def garbage(make, data, *a):
    s = make(*a)
    try:
        s.sendall(data)
        t = wait_closed(s, 2.0)
        if t is None:
            return "connection still open 2 s after %r" % data[:16]
        print("garbage %r: closed after %.2f s" % (data[:8], t))
        return []
    finally:
        s.close()


R.run(PRE + "tcp-garbage-0xff-closed", garbage, tcp, b"\xff" * 64, TCP4)
R.run(PRE + "tcp-garbage-http-closed", garbage, tcp, b"POST / HTTP/1.0\r\n\r\n", TCP4)
R.run(PRE + "tcp-garbage-bad-stun-length-closed", garbage, tcp,
      b"\x00\x01\x00\x05" + S.MAGIC_BYTES + os.urandom(12) + b"\x80\x22\x00\x01x", TCP4)
R.run(PRE + "tcp-garbage-ipv6-closed", garbage, tcp, b"\xc0" + os.urandom(63), TCP6)
R.run(PRE + "tls-garbage-inside-tls-closed", garbage, tls, b"\xff" * 64, TLS4, "localhost")
R.run(PRE + "tls-port-plain-garbage-closed", garbage, tcp, b"\xff" * 64, TLS4)
R.run(PRE + "tcp-after-garbage-still-answers", one_binding, tcp, TCP4)


def trickle():
    s = tcp(TCP4)
    req = S.build()
    ft = env.frame_timeout
    t0 = time.monotonic()
    closed_at = None
    try:
        for i in range(20):
            try:
                s.sendall(req[i:i + 1])
            except OSError:
                closed_at = time.monotonic() - t0
                break
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    closed_at = time.monotonic() - t0
                    break
                return "the server answered a message that took %.0f s to arrive" % (time.monotonic() - t0)
            if time.monotonic() - t0 > ft + 4:
                break
    finally:
        s.close()
    if closed_at is None:
        return "still open %.1f s after the first byte (frame_timeout = %g)" % (time.monotonic() - t0, ft)
    print("trickle: closed %.2f s after the first byte (frame_timeout %g)" % (closed_at, ft))
    if closed_at < ft - 1.0:
        return "closed after %.2f s, before frame_timeout = %g" % (closed_at, ft)
    if closed_at > ft + 2.0:
        return "closed after %.2f s, long after frame_timeout = %g" % (closed_at, ft)
    return []


R.run(PRE + "tcp-trickle-closed-after-frame-timeout", trickle)


def tls_silent():
    # TCP connect to the TLS port and never send a ClientHello.
    s = tcp(TLS4)
    try:
        t = wait_closed(s, 6.0)
        if t is None:
            return "silent client on the TLS port still connected after 6 s (handshake_timeout = 2)"
        print("silent TLS client closed after %.2f s" % t)
        return [] if t >= 1.0 else "closed after %.2f s, before handshake_timeout" % t
    finally:
        s.close()


R.run(PRE + "tls-silent-client-closed-after-handshake-timeout", tls_silent)


def alpn_stun_turn():
    s = tls(TLS4, "localhost", alpn=["stun.turn"])
    try:
        sel = s.selected_alpn_protocol()
        if sel not in (None, "stun.turn"):
            return "server selected ALPN %r" % sel
        req = S.build()
        s.sendall(req)
        return answer_ok(s, req)
    finally:
        s.close()


R.run(PRE + "tls-alpn-stun.turn", alpn_stun_turn)


def alpn_wrong():
    try:
        s = tls(TLS4, "localhost", alpn=["h2"])
    except ssl.SSLError as e:
        # a clean refusal: a TLS alert (no_application_protocol, RFC 7301 §3.2)
        print("wrong ALPN refused: %s" % e)
        return [] if "ALERT" in str(e).upper() or "APPLICATION" in str(e).upper() else \
            "handshake failed without an alert: %s" % e
    except (socket.timeout, TimeoutError):
        return "handshake with ALPN h2 hung"
    try:
        sel = s.selected_alpn_protocol()
        if sel == "h2":
            return "server claims to speak h2"
        req = S.build()
        s.sendall(req)
        print("wrong ALPN accepted, selected %r" % sel)
        return answer_ok(s, req)
    finally:
        s.close()


R.run(PRE + "tls-alpn-h2-only-works-or-clean-alert", alpn_wrong)
R.run(PRE + "tls-after-alpn-still-answers", one_binding, tls, TLS4, "localhost")

# ------------------------------------------------------------ max_connections


def max_connections():
    n = env.max_connections
    if n > 64:
        return "needs a small max_connections in the config (is %d)" % n
    time.sleep(0.5)  # let the server notice the connections closed above
    socks = []
    try:
        for _ in range(n):
            socks.append(tcp(TCP4))
            time.sleep(0.05)
        extra = tcp(TCP4)
        socks.append(extra)
        probs = []
        t = wait_closed(extra, 1.0)
        if t is None:
            probs.append("connection #%d still open 1 s later (max_connections = %d)" % (n + 1, n))
        for i, s in enumerate(socks[:n]):
            req = S.build()
            try:
                s.sendall(req)
                probs += ["connection #%d: %s" % (i + 1, p) for p in answer_ok(s, req)]
            except (OSError, S.StunError) as e:
                probs.append("connection #%d (within the limit): %s" % (i + 1, e))
        # one leaves: its slot must be free again
        socks[0].close()
        time.sleep(0.5)
        try:
            probs += ["after one left: %s" % p for p in one_binding(tcp, TCP4)]
        except (OSError, S.StunError) as e:
            probs.append("after one of %d left, a new connection failed: %s" % (n, e))
        return probs
    finally:
        for s in socks:
            s.close()


R.run(PRE + "max-connections-6th-closed-first-5-answered", max_connections)
time.sleep(0.3)
R.run(PRE + "final-tcp-binding", one_binding, tcp, TCP4)
R.exit()
