#!/usr/bin/env python3
"""STUN Binding over DTLS 1.2 (RFC 7350) with a client that is not ours:
`openssl s_client -dtls1_2`, fed binary Binding requests on stdin, its stdout
(the decrypted application data) decoded by our own codec.

Checks the answer (XOR-MAPPED-ADDRESS = the source s_client was bound to), the
server certificate verification (-verify_return_error against the suite CA), and
the cookie exchange in s_client's -trace: the server answered the first
ClientHello with a HelloVerifyRequest and the second ClientHello carried the
cookie, before any ServerHello.
"""

import os
import re
import select
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as S  # noqa: E402

env = S.Env()
R = S.Reporter(results=env.results)
PRE = "dtls/"
RUN = 0


def free_udp_port(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


def s_client(host, port, requests, gap=0.3, timeout=6.0, expect=None):
    """Run s_client, send each request as its own write (one DTLS record each),
    collect the answers. Returns (answers, local (host, port), trace text, stderr)."""
    global RUN
    RUN += 1
    lport = free_udp_port(host)
    bracket = "[%s]" % host if ":" in host else host
    trace = os.path.join(env.dir, "s_client-%d.trace" % RUN)
    cmd = ["openssl", "s_client", "-dtls1_2", "-connect", "%s:%d" % (bracket, port),
           "-bind", "%s:%d" % (bracket, lport), "-quiet",
           "-CAfile", env.ca, "-verify_return_error", "-servername", "localhost",
           "-trace", "-msgfile", trace]
    if os.environ.get("SSLKEYLOGFILE"):
        cmd += ["-keylogfile", os.environ["SSLKEYLOGFILE"]]
    if ":" in host:
        cmd.insert(2, "-6")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    expect = len(requests) if expect is None else expect
    answers = []
    buf = b""
    try:
        deadline = time.monotonic() + timeout
        for r in requests:
            p.stdin.write(r)
            p.stdin.flush()
            time.sleep(gap)
        while len(answers) < expect and time.monotonic() < deadline:
            rd, _, _ = select.select([p.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not rd:
                break
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 20:
                ln = int.from_bytes(buf[2:4], "big")
                if len(buf) < 20 + ln:
                    break
                answers.append(S.parse(buf[:20 + ln]))
                buf = buf[20 + ln:]
    finally:
        p.kill()  # our own child, by its handle
        _, err = p.communicate(timeout=5)
    with open(trace, errors="replace") as f:
        tr = f.read()
    return answers, (host, lport), tr, err.decode(errors="replace")


def binding(host, fingerprint=False, n=1):
    reqs = [S.build(fingerprint=fingerprint) for _ in range(n)]
    answers, me, tr, err = s_client(host, env.tls_port, reqs)
    if len(answers) < n:
        return ["%d of %d answers came back through s_client; stderr: %s" % (len(answers), n, err[-300:])]
    probs = []
    for i, (r, m) in enumerate(zip(reqs, answers)):
        probs += ["#%d: %s" % (i, p) for p in
                  S.check_binding_success(m, r[8:20], me, fingerprint=fingerprint, software=env.software)]
    return probs


R.run(PRE + "binding-ipv4", binding, env.host4)
R.run(PRE + "binding-ipv4-fingerprint", binding, env.host4, True)
R.run(PRE + "two-bindings-one-session", binding, env.host4, False, 2)
R.run(PRE + "binding-ipv6", binding, env.host6)


def cookie_exchange():
    answers, me, tr, err = s_client(env.host4, env.tls_port, [S.build()])
    msgs = re.findall(r"^\s+(ClientHello|HelloVerifyRequest|ServerHello)\b", tr, re.M)
    cookies = re.findall(r"cookie \(len=(\d+)\)", tr)
    probs = []
    if msgs[:4] != ["ClientHello", "HelloVerifyRequest", "ClientHello", "ServerHello"]:
        probs.append("handshake went %s, expected ClientHello, HelloVerifyRequest, "
                     "ClientHello (with cookie), ServerHello" % msgs[:4])
    if len(cookies) < 2 or cookies[0] != "0" or cookies[1] == "0":
        probs.append("ClientHello cookie lengths %s: the second one must carry the server's cookie" % cookies)
    if not answers:
        probs.append("no Binding answer in this session")
    return probs


R.run(PRE + "cookie-exchange-hello-verify-request", cookie_exchange)


def garbage_then_binding():
    s = S.udp_socket()
    rng = __import__("random").Random(7350)
    for _ in range(200):
        n = rng.randint(1, 300)
        d = bytes(rng.getrandbits(8) for _ in range(n))
        if rng.random() < 0.5:  # DTLS-looking: handshake record header, junk inside
            d = b"\x16\xfe\xfd" + d
        s.sendto(d, (env.host4, env.tls_port))
    got = S.udp_silence(s, 0.5)
    s.close()
    probs = []
    # A HelloVerifyRequest to a junk ClientHello is allowed; anything else is not.
    for pkt, _ in got:
        if not (len(pkt) > 13 and pkt[0] == 0x16 and pkt[13] == 3):
            probs.append("answered junk with %r" % pkt[:16])
            break
    return probs + binding(env.host4)


R.run(PRE + "junk-datagrams-then-binding", garbage_then_binding)


def verify_is_real():
    # The same client against a CA that did not sign the server's certificate
    # must refuse: proves -verify_return_error is doing its job above.
    other = os.path.join(env.dir, "other-ca.pem")
    key = os.path.join(env.dir, "other-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=other",
                    "-keyout", key, "-out", other], check=True, capture_output=True)
    saved = env.ca
    env.ca = other
    try:
        answers, _, _, err = s_client(env.host4, env.tls_port, [S.build()], timeout=3.0)
    finally:
        env.ca = saved
    if answers:
        return "s_client got an answer although it could not verify the certificate"
    return [] if "verify" in err.lower() else "no verification error reported: %s" % err[-200:]


R.run(PRE + "certificate-verification-is-real", verify_is_real)
R.run(PRE + "final-binding", binding, env.host4)
R.exit()
