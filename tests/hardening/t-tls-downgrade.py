#!/usr/bin/env python3
"""TLS and DTLS downgrade: old protocol versions and anonymous suites are
refused, and tls.min_version = "1.3" means it.

Every refusal is paired with a positive control on this machine (a local
TLS server from Python's ssl module, and `openssl s_server -dtls1`, both
configured to allow the old thing): the client used here really does offer
it, so a refusal is ternd's doing, not the client's.
  - ternd with the default tls.min_version ("1.2"): TLS 1.0 and 1.1 clients
    are refused; an anonymous (aNULL: AECDH) suite is refused; TLS 1.2 and
    1.3 work and carry STUN; DTLS 1.0 is refused and DTLS 1.2 works
  - ternd with tls.min_version = "1.3": a TLS 1.2-only client is refused,
    TLS 1.3 works
"""

import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

S = K
C = K.Reporter("tls-downgrade")
warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 / TLSv1_1 on purpose
V = ssl.TLSVersion
OLD = "DEFAULT:@SECLEVEL=0"  # lets OpenSSL 3 offer TLS 1.0/1.1 at all


def main():
    K.on_sigterm()
    work = K.Work("tls")
    srv = H.Ternd(work, "srv", metrics=False)
    srv13 = H.Ternd(work, "tls13", metrics=False, tls_min_version="1.3")
    if not H.start(C, work, srv, srv13):
        return 1
    try:
        C.guard("tls", tls_checks, srv, srv13)
        C.guard("dtls", dtls_checks, srv, work)
    finally:
        C.check("server-exit", srv.stop())
        C.check("tls13-server-exit", srv13.stop())
    work.done(C.failed)
    return C.exit_status()


def client_ctx(lo, hi, ciphers=OLD):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.set_ciphers(ciphers)
    c.minimum_version, c.maximum_version = lo, hi
    return c


def handshake(port, lo, hi, ciphers=OLD, stun=False):
    """(negotiated version, cipher) or (None, error text)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=3)
    try:
        t = client_ctx(lo, hi, ciphers).wrap_socket(raw)
    except (ssl.SSLError, OSError) as e:
        raw.close()
        return None, str(e)
    try:
        if stun:
            req = S.build()
            t.sendall(req)
            m = S.read_stream_msg(t, 3)
            if m.type != S.BINDING_SUCCESS:
                return None, "no Binding success over %s" % t.version()
        return t.version(), t.cipher()[0]
    finally:
        t.close()


def control(lo, hi, ciphers=OLD):
    """The same client against a local server that allows everything."""
    sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sc.load_cert_chain(os.path.join(os.environ["TURN_CERT_DIR"], "cert.pem"),
                       os.path.join(os.environ["TURN_CERT_DIR"], "key.pem"))
    sc.set_ciphers("ALL:aNULL:@SECLEVEL=0")
    sc.minimum_version = V.TLSv1
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(5)

    def serve():
        try:
            a, _ = ls.accept()
            a.settimeout(5)
            sc.wrap_socket(a, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        return handshake(ls.getsockname()[1], lo, hi, ciphers)
    finally:
        th.join(6)
        ls.close()


def refused(name, port, lo, hi, ciphers=OLD, what=""):
    ctl = control(lo, hi, ciphers)
    if not C.check("%s-control" % name, ctl[0] is not None,
                   "this machine's client cannot even do %s against a permissive server: %s" % (what, ctl[1])):
        return
    got = handshake(port, lo, hi, ciphers)
    C.check(name, got[0] is None, "ternd accepted %s: negotiated %s with %s" % (what, got[0], got[1]))


def tls_checks(srv, srv13):
    p, p13 = srv.tls_port, srv13.tls_port
    refused("tls-1.0-refused", p, V.TLSv1, V.TLSv1, what="a TLS 1.0-only client")
    refused("tls-1.1-refused", p, V.TLSv1, V.TLSv1_1, what="a TLS 1.0/1.1-only client")
    refused("anonymous-suite-refused", p, V.TLSv1_2, V.TLSv1_2, "AECDH-AES128-SHA:@SECLEVEL=0",
            what="only an anonymous (unauthenticated) suite")
    for name, port, lo, hi in (("tls-1.2-works", p, V.TLSv1_2, V.TLSv1_2), ("tls-1.3-works", p, V.TLSv1_3, V.TLSv1_3),
                               ("min-1.3-tls-1.3-works", p13, V.TLSv1_3, V.TLSv1_3)):
        got = handshake(port, lo, hi, "DEFAULT", stun=True)
        C.check(name, got[0] is not None, "handshake or STUN failed: %s" % got[1])
    refused("min-1.3-refuses-tls-1.2", p13, V.TLSv1_2, V.TLSv1_2, "DEFAULT", what="TLS 1.2 with min_version 1.3")


def s_client(port, proto, ciphers=None):
    args = ["openssl", "s_client", proto, "-brief", "-connect", "127.0.0.1:%d" % port]
    if ciphers:
        args += ["-cipher", ciphers]
    feed = subprocess.Popen(["sleep", "2"], stdout=subprocess.PIPE)
    try:
        r = subprocess.run(args, stdin=feed.stdout, capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return False, "s_client hung"
    finally:
        feed.kill()
        feed.wait()
    out = r.stdout + r.stderr
    return "CONNECTION ESTABLISHED" in out, " ".join(out.split())[:300]


def dtls_checks(srv, work):
    if not shutil.which("openssl"):
        C.fail("dtls-openssl", "openssl not found")
        return
    port = K.free_ports(1)[0]
    cert = os.environ["TURN_CERT_DIR"]
    feed = subprocess.Popen(["sleep", "8"], stdout=subprocess.PIPE)
    server = subprocess.Popen(["openssl", "s_server", "-dtls1", "-cipher", OLD, "-cert",
                               os.path.join(cert, "cert.pem"), "-key", os.path.join(cert, "key.pem"),
                               "-accept", "127.0.0.1:%d" % port, "-naccept", "1"],
                              stdin=feed.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=K.pdeathsig)
    try:
        time.sleep(1.0)
        ok, out = s_client(port, "-dtls1", OLD)
    finally:
        K.stop_proc(server)
        feed.kill()
        feed.wait()
    if C.check("dtls-1.0-control", ok, "s_client -dtls1 cannot reach a permissive s_server: %s" % out):
        ok, out = s_client(srv.tls_port, "-dtls1", OLD)
        C.check("dtls-1.0-refused", not ok, "ternd accepted DTLS 1.0: %s" % out)
    ok, out = s_client(srv.tls_port, "-dtls1_2")
    C.check("dtls-1.2-works", ok, "s_client -dtls1_2: %s" % out)


if __name__ == "__main__":
    sys.exit(main())
