#!/usr/bin/env python3
"""One source address cannot take every connection slot, and a connection
must authenticate in time (issue 16, second review, finding 1).

On a TURN server with limits.max_connections_per_address = 4:
  - from 127.0.0.2, 4 TCP connections each get a Binding answered; the
    5th from that address is closed without an answer, while a connection
    from 127.0.0.3 still gets its Binding answered
  - the same with TLS (after the TCP ones are closed: TCP and TLS share
    the cap), and with DTLS sessions (`openssl s_client -dtls1_2`, as
    tests/interop/t-dtls.py makes them; their cap is counted apart)
On a TURN server with limits.allocate_timeout = 3 (idle_timeout 300):
  - a silent TCP connection and one that sends a Binding every second are
    both closed by 3 + 2 s, and so is a DTLS session that only sends
    Bindings; a TCP connection that allocated is still served after that

COTURN=1 runs the same checks against coturn (turnserver on PATH;
--max-allocate-timeout for the deadline; coturn has no per-address cap), to
record what it does (docs/SECURITY.md); TERND=... against ternd.
"""

import os
import select
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

S = K
C = K.Reporter("conn-per-address")
CAP = 4
DEADLINE = 3
A, B = "127.0.0.2", "127.0.0.3"


def server(work, tag, **opts):
    """ternd (TERND) or coturn (COTURN=1) with these limits; coturn gets
    --max-allocate-timeout for limits.allocate_timeout, and --dtls."""
    srv = K.Server(os.path.join(work.dir, tag), **opts)
    if srv.impl == "coturn":
        srv.argv.append("--dtls")  # 4.17 starts no DTLS listener without it
        if "limits.allocate_timeout" in opts:
            srv.argv.append("--max-allocate-timeout=%s" % opts["limits.allocate_timeout"])
    return srv


def main():
    K.on_sigterm()
    work = K.Work("conn-per-address")
    cap = server(work, "cap", **{"limits.max_connections_per_address": CAP,
                                 "limits.allocate_timeout": 120})
    dl = server(work, "deadline", **{"limits.allocate_timeout": DEADLINE,
                                     "limits.idle_timeout": 300})
    if not H.start(C, work, cap, dl):
        return 1
    held = []
    try:
        C.guard("cap", cap_checks, cap, held)
        C.guard("deadline", deadline_checks, dl, held)
    finally:
        for x in held:
            x.close()
        C.check("cap-server-exit", cap.stop())
        C.check("deadline-server-exit", dl.stop())
    work.done(C.failed)
    return C.exit_status()


# ---- clients ---------------------------------------------------------------

def binding_answered(s, timeout=3.0):
    """None when a Binding on stream s is answered, else why not."""
    req = S.build()
    try:
        s.sendall(req)
        m = S.read_stream_msg(s, timeout)
    except (OSError, S.StunError, ValueError) as e:
        return "no answer: %s" % (e or type(e).__name__)
    if m.type != S.BINDING_SUCCESS or m.tid != req[8:20]:
        return "got %r" % m
    return None


def tcp(srv, ip):
    return socket.create_connection(srv.addr, timeout=5, source_address=(ip, 0))


def tls(srv, ip):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=5, source_address=(ip, 0))
    try:
        return ctx.wrap_socket(raw, server_hostname="localhost")
    except OSError:
        raw.close()
        raise


def free_udp_port(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Dtls:
    """A DTLS 1.2 session to the server from ip: `openssl s_client`, fed
    Binding requests on stdin, the answers read from its stdout."""

    def __init__(self, srv, ip):
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-dtls1_2", "-quiet", "-connect", "127.0.0.1:%d" % srv.tls_port,
             "-bind", "%s:%d" % (ip, free_udp_port(ip))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""

    def binding(self, timeout=3.0):
        """None when a Binding is answered within timeout, else why not."""
        req = S.build()
        try:
            self.p.stdin.write(req)
            self.p.stdin.flush()
        except OSError as e:
            return "s_client gone: %s" % e
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            while len(self.buf) >= 20:
                n = 20 + int.from_bytes(self.buf[2:4], "big")
                if len(self.buf) < n:
                    break
                m, self.buf = S.parse(self.buf[:n]), self.buf[n:]
                if m.type == S.BINDING_SUCCESS and m.tid == req[8:20]:
                    return None
            rd, _, _ = select.select([self.p.stdout], [], [], max(0.0, end - time.monotonic()))
            if not rd:
                break
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return "session ended (s_client exited %s)" % self.p.poll()
            self.buf += chunk
        return "no answer in %.0f s" % timeout

    def ended(self, timeout):
        """Did the session end (server's close_notify: s_client exits)
        within timeout seconds?"""
        try:
            self.p.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def closed_by_server(s, timeout):
    """Did the server close s (EOF or reset) within timeout seconds?"""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


# ---- the per-address cap -----------------------------------------------------

def fill(name, srv, held, make):
    """CAP connections from A, each answered; then the next from A must be
    refused and one from B answered. All are left in held."""
    bad = []
    for i in range(CAP):
        try:
            c = make(srv, A)
        except OSError as e:
            bad.append("#%d: %s" % (i + 1, e))
            continue
        held.append(c)
        why = binding_answered(c)
        if why:
            bad.append("#%d: %s" % (i + 1, why))
    C.check("%s-under-cap-served" % name, not bad,
            "%d %s connections from %s: %s" % (CAP, name, A, "; ".join(bad)))
    try:
        c = make(srv, A)
        held.append(c)
        why = binding_answered(c, 2.0)
    except OSError as e:
        why = "refused: %s" % e
    C.check("%s-over-cap-refused" % name, why is not None,
            "connection #%d from %s got its Binding answered (want it closed: "
            "limits.max_connections_per_address = %d)" % (CAP + 1, A, CAP))
    try:
        c = make(srv, B)
        held.append(c)
        why = binding_answered(c)
    except OSError as e:
        why = str(e)
    C.check("%s-other-address-served" % name, why is None,
            "a connection from %s while %s is at its cap: %s" % (B, A, why))


def drop(held):
    """Close every connection held so far."""
    while held:
        held.pop().close()


def cap_checks(srv, held):
    fill("tcp", srv, held, tcp)
    drop(held)
    time.sleep(0.5)  # the server sees the FINs and gives the places back
    fill("tls", srv, held, tls)
    drop(held)
    dtls_cap(srv, held)


def dtls_cap(srv, held):
    bad = []
    for i in range(CAP):
        d = Dtls(srv, A)
        held.append(d)
        why = d.binding()
        if why:
            bad.append("#%d: %s" % (i + 1, why))
    C.check("dtls-under-cap-served", not bad,
            "%d DTLS sessions from %s: %s" % (CAP, A, "; ".join(bad)))
    d = Dtls(srv, A)
    held.append(d)
    why = d.binding(3.0)
    C.check("dtls-over-cap-refused", why is not None,
            "DTLS session #%d from %s got its Binding answered (want no session: "
            "limits.max_connections_per_address = %d)" % (CAP + 1, A, CAP))
    d = Dtls(srv, B)
    held.append(d)
    why = d.binding()
    C.check("dtls-other-address-served", why is None,
            "a DTLS session from %s while %s is at its cap: %s" % (B, A, why))


# ---- the allocate deadline ---------------------------------------------------

def deadline_checks(srv, held):
    silent = tcp(srv, "127.0.0.1")
    held.append(silent)
    chatty = tcp(srv, "127.0.0.1")
    held.append(chatty)
    alloc = K.TcpTurnClient(srv.addr)
    held.append(alloc)
    r = alloc.allocate()
    C.check("allocate-over-tcp", K.is_success(r, K.ALLOCATE), "Allocate over TCP: %s" % K.fmt(r))
    d = Dtls(srv, "127.0.0.1")
    held.append(d)
    t0 = time.monotonic()
    why = binding_answered(chatty) or d.binding()
    C.check("bindings-answered-before-deadline", why is None, why or "")
    # Bindings every second until the deadline has passed by 2 s
    chatty_closed = dtls_closed = False
    while time.monotonic() - t0 < DEADLINE + 2 and not (chatty_closed and dtls_closed):
        time.sleep(1)
        if not chatty_closed and binding_answered(chatty, 1.0):
            chatty_closed = True
        if not dtls_closed and d.binding(1.0):
            dtls_closed = True
    took = time.monotonic() - t0
    C.check("binding-only-tcp-closed", chatty_closed,
            "a TCP connection sending a Binding every second was still served %.1f s after it "
            "opened (limits.allocate_timeout = %d)" % (took, DEADLINE))
    C.check("binding-only-dtls-closed", dtls_closed,
            "a DTLS session sending a Binding every second was still served %.1f s after it "
            "opened (limits.allocate_timeout = %d)" % (took, DEADLINE))
    C.check("silent-tcp-closed", closed_by_server(silent, max(0.1, t0 + DEADLINE + 2 - time.monotonic())),
            "a silent TCP connection was still open %d s after it opened (limits.allocate_timeout = %d)"
            % (DEADLINE + 2, DEADLINE))
    why = binding_answered(alloc.sock)
    C.check("allocated-tcp-stays", why is None,
            "the TCP connection that allocated, %.1f s after it opened: %s" % (time.monotonic() - t0, why))


if __name__ == "__main__":
    sys.exit(main())
