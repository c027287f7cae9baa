#!/usr/bin/env python3
"""What ternd tells its log about refusals, and how it prints a client's bytes.

A ternd with users alice and bob, relay.user_quota = 1, the default peer
policy with no allow rule (so loopback peers are denied) plus a deny rule
198.51.100.0/24, and a known auth.nonce_secret. Driven with ternkit's client:
  - the start-up summary line: TURN on, realm, store, listeners, relay
    addresses and port range
  - one "auth failed:" line with user, client address, transport and reason
    for an unknown user, a wrong password (bad_integrity), an expired nonce
    (forged with the nonce secret: stale_nonce); one "auth refused:" line
    for a second Allocate over relay.user_quota (quota_user)
  - one "peer denied:" line with the rule for CreatePermission to 127.0.0.1
    (default-deny 127.0.0.0/8) and to 198.51.100.7 (deny-rule)
  - a USERNAME "evil\\nFAKE LINE ternd: root login": no log line starts with
    "FAKE", the escaped form user="evil\\x0aFAKE..." is there
  - fail2ban-regex with etc/fail2ban/filter.d/ternd.conf counts every "auth
    failed" line but the stale nonce, with host 127.0.0.1
A ternd with auth.store = "redis" and no Redis: an Allocate over TCP gets 500
and "auth refused: ... transport=tcp reason=store_down".
A ternd in REST mode (auth.secrets): a valid REST username with a newline
and a quote makes an allocation line with the name escaped, and no line
starting with "FAKE" (issue 16 finding 7). Another with log.format = "json"
and log.file:
  - an expired REST username gets "auth failed: ... reason=rest_expired"; one
    with a newline and a quote in it (expired, and valid: an allocation line)
    is printed escaped; every line of the file is a JSON object
  - the summary line is in the file; after mv + SIGHUP the new file gets the
    next lines, the old one does not

  TERND=/path/to/ternd tests/ops/t-log-lines.py
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import ternkit as K  # noqa: E402

R = K.Reporter(prefix="t-log-lines")
FILTER = os.path.join(ROOT, "etc", "fail2ban", "filter.d", "ternd.conf")
SECRET_HEX = "5a" * 32
EVIL = "evil\nFAKE LINE ternd: root login"


def forged_nonce(secret, ip, expiry, features=0):
    """A nonce as ternd makes it (src/auth/nonce.c) with our own expiry."""
    ab = bytes(int(x) for x in ip.split("."))
    mac_in = bytes([1]) + features.to_bytes(3, "big") + struct.pack("!I", expiry) + bytes([len(ab)]) + ab
    mac = hmac.new(secret, mac_in, hashlib.sha256).digest()[:12]
    feat = base64.b64encode(features.to_bytes(3, "big")).decode()
    return ("obMatJos2" + feat + "%08x" % expiry + mac.hex()).encode()


def wait_line(read, pattern, timeout=5.0):
    """The first match of pattern in read() within timeout, or None."""
    rx = re.compile(pattern, re.M)
    end = time.monotonic() + timeout
    while True:
        m = rx.search(read())
        if m or time.monotonic() > end:
            return m
        time.sleep(0.1)


def line_check(srv, name, pattern):
    m = wait_line(srv.log_text, pattern)
    R.check(name, m is not None, "no line matching %r; log tail: %s" % (pattern, srv.log_tail(4)))


def client_re(c):
    return r"client=127\.0\.0\.1:%d transport=udp" % c.local()[1]


def plain_server(w):
    srv = K.Server(os.path.join(w.dir, "plain"), users="alice:wonderland,bob:builder", user_quota=1,
                   allow_peers="", deny_peers="198.51.100.0/24", nonce_secret=SECRET_HEX)
    srv.start()
    try:
        plain_checks(srv)
    finally:
        srv.stop()
    fail2ban(srv)
    lines = srv.log_text().splitlines()
    R.check("no-forged-line", not any(ln.startswith("FAKE") for ln in lines),
            "a line starts with FAKE: a client's newline reached the log")


def plain_checks(srv):
    line_check(srv, "summary", r'serving: turn=on realm="tern\.test" store=config '
               r"listen=udp:127\.0\.0\.1:%d,tcp:127\.0\.0\.1:%d,tls:127\.0\.0\.1:%d,dtls:127\.0\.0\.1:%d,"
               r"udp:\[::1\]:%d,.* relay=127\.0\.0\.1,::1 ports=%d-%d advertise=-$"
               % (srv.port, srv.port, srv.tls_port, srv.tls_port, srv.port, srv.relay_min, srv.relay_max))
    c = K.TurnClient(srv.addr)
    r = c.allocate(user="mallory", password="x")
    R.check("unknown-user-401", r is not None and r.error() and r.error()[0] == 401, K.fmt(r))
    line_check(srv, "unknown-user", r'warn +auth failed: user="mallory" %s reason=unknown_user$' % client_re(c))
    c.close()

    c = K.TurnClient(srv.addr)
    c.allocate(user="alice", password="not-wonderland")
    line_check(srv, "bad-integrity", r'auth failed: user="alice" %s reason=bad_integrity$' % client_re(c))
    c.close()

    c = K.TurnClient(srv.addr, user="bob", password="builder")
    c.realm = srv.realm.encode()
    c.nonce = forged_nonce(bytes.fromhex(SECRET_HEX), "127.0.0.1", int(time.time()) - 7 * 86400)
    r = c.allocate()
    R.check("stale-nonce-then-ok", r is not None and r.error() is None, K.fmt(r))
    line_check(srv, "stale-nonce", r'info +auth failed: user="bob" %s reason=stale_nonce$' % client_re(c))
    c.release()
    c.close()

    a1 = K.TurnClient(srv.addr)
    r = a1.allocate()
    R.check("quota-first-ok", r is not None and r.error() is None, K.fmt(r))
    a2 = K.TurnClient(srv.addr)
    r = a2.allocate()
    R.check("quota-second-486", r is not None and r.error() and r.error()[0] == 486, K.fmt(r))
    line_check(srv, "quota-user", r'auth refused: user="alice" %s reason=quota_user$' % client_re(a2))
    a2.close()

    r = a1.permission("127.0.0.1", port=9)
    R.check("peer-loopback-403", r is not None and r.error() and r.error()[0] == 403, K.fmt(r))
    line_check(srv, "peer-default-deny", r'peer denied: user="alice" %s peer=127\.0\.0\.1:9 '
               r'rule="default-deny 127\.0\.0\.0/8"$' % client_re(a1))
    r = a1.permission("198.51.100.7", port=9)
    R.check("peer-rule-403", r is not None and r.error() and r.error()[0] == 403, K.fmt(r))
    line_check(srv, "peer-deny-rule", r'peer denied: user="alice" %s peer=198\.51\.100\.7:9 '
               r'rule="deny-rule 198\.51\.100\.0/24"$' % client_re(a1))
    a1.release()
    a1.close()

    c = K.TurnClient(srv.addr)
    c.allocate(user=EVIL, password="x")
    line_check(srv, "evil-escaped", r'auth failed: user="evil\\x0aFAKE LINE ternd: root login" %s '
               r"reason=unknown_user$" % client_re(c))
    c.close()


def fail2ban(srv):
    tool = shutil.which("fail2ban-regex")
    if not tool:
        R.skip("fail2ban", "fail2ban-regex not found (Debian: fail2ban; scripts/install-deps)")
        return
    want = len(re.findall(r"auth failed: .*reason=(?!stale_nonce)", srv.log_text()))
    r = subprocess.run([tool, "--print-all-matched", srv.log, FILTER], capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", r.stdout, re.M)
    got = int(m.group(1)) if m else -1
    R.check("fail2ban-count", r.returncode == 0 and got == want and want == 3,
            "fail2ban-regex matched %d lines, the log has %d auth failures (3 expected): %s"
            % (got, want, (r.stdout + r.stderr)[-400:]))
    hosts = re.findall(r"^\|\s+(\S+)\s+\(", r.stdout, re.M)
    R.check("fail2ban-host", "127.0.0.1" in r.stdout and "FAKE" not in "".join(hosts),
            "fail2ban-regex output: %s" % r.stdout[-400:])


def rest_user(expiry, name):
    return "%d:%s" % (expiry, name)


def rest_password(secret, user):
    return base64.b64encode(hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()).decode()


def store_down_server(w):
    """auth.store = "redis" with nothing on the Redis port: 500 and an "auth
    refused" line, here over TCP (the transport field)."""
    srv = K.Server(os.path.join(w.dir, "store-down"), store="redis", redis_port=K.free_ports(1)[0])
    srv.start()
    try:
        line_check(srv, "summary-redis", r'serving: turn=on realm="tern\.test" store=redis listen=udp:')
        c = K.TcpTurnClient(srv.addr)
        r = c.allocate()
        R.check("store-down-500", r is not None and r.error() and r.error()[0] == 500, K.fmt(r))
        line_check(srv, "store-down", r'warn +auth refused: user="alice" client=127\.0\.0\.1:%d '
                   r"transport=tcp reason=store_down$" % c.local()[1])
        c.close()
    finally:
        srv.stop()


def rest_plain_server(w):
    """Issue 16 finding 7: a valid REST username with a newline once forged a
    line through the allocation lines."""
    srv = K.Server(os.path.join(w.dir, "rest-plain"), secrets="s3cret")
    srv.start()
    try:
        c = K.TurnClient(srv.addr)
        u = rest_user(int(time.time()) + 3600, 'q"u\nFAKE LINE ternd: root login')
        r = c.allocate(user=u, password=rest_password("s3cret", u))
        R.check("rest-plain-ok", r is not None and r.error() is None, K.fmt(r))
        line_check(srv, "rest-plain-escaped",
                   r'allocation new: user=\d+:q\\"u\\x0aFAKE LINE ternd: root login client=')
        c.release(user=u, password=rest_password("s3cret", u))
        c.close()
    finally:
        srv.stop()
    lines = srv.log_text().splitlines()
    R.check("rest-plain-no-forged-line", not any(ln.startswith("FAKE") for ln in lines),
            "a line starts with FAKE: a client's newline reached the log")


def json_server(w):
    d = os.path.join(w.dir, "json")
    srv = K.Server(d, secrets="s3cret")
    logf = os.path.join(d, "ternd.log")
    with open(srv.conf) as f:
        conf = f.read()
    conf = conf.replace('target = "stderr"; };', 'target = "stderr"; format = "json"; file = "%s"; };' % logf)
    with open(srv.conf, "w") as f:
        f.write(conf)
    srv.start()
    try:
        json_checks(srv, logf)
    finally:
        srv.stop()
    problems = []
    for path in (logf + ".1", logf):
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except OSError as e:
            problems.append(str(e))
            continue
        for ln in lines:
            try:
                obj = json.loads(ln)
                if obj.get("msg", "").startswith("FAKE"):
                    problems.append("a message starts with FAKE")
            except ValueError:
                problems.append("%s: not JSON: %r" % (os.path.basename(path), ln[:120]))
    R.check("json-every-line", problems[:3])


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def json_checks(srv, logf):
    def msgs():
        out = []
        for ln in read(logf).splitlines():
            try:
                out.append(json.loads(ln).get("msg", ""))
            except ValueError:
                out.append(ln)
        return "\n".join(out)

    m = wait_line(msgs, r'^serving: turn=on realm="tern\.test" store=config listen=udp:')
    R.check("file-summary", m is not None, "no summary line in %s: %s" % (logf, read(logf)[-300:]))
    c = K.TurnClient(srv.addr)
    u = rest_user(1000, "eve")
    c.allocate(user=u, password=rest_password("s3cret", u))
    m = wait_line(msgs, r'^auth failed: user="1000:eve" %s reason=rest_expired$' % client_re(c))
    R.check("rest-expired", m is not None, "no rest_expired line: %s" % msgs()[-300:])
    u = rest_user(1000, 'x"y\nFAKE LINE')
    c.allocate(user=u, password=rest_password("s3cret", u))
    m = wait_line(msgs, r'^auth failed: user="1000:x\\"y\\x0aFAKE LINE" %s reason=rest_expired$'
                  % client_re(c))
    R.check("rest-expired-escaped", m is not None, "no escaped line: %s" % msgs()[-300:])
    c.close()

    c = K.TurnClient(srv.addr)
    u = rest_user(int(time.time()) + 3600, 'q"u\nFAKE LINE')
    r = c.allocate(user=u, password=rest_password("s3cret", u))
    R.check("rest-valid-ok", r is not None and r.error() is None, K.fmt(r))
    m = wait_line(msgs, r'allocation new: user=\d+:q\\"u\\x0aFAKE LINE client=')
    R.check("alloc-line-escaped", m is not None, "no escaped allocation line: %s" % msgs()[-300:])
    c.release(user=u, password=rest_password("s3cret", u))
    c.close()

    os.rename(logf, logf + ".1")
    srv.signal(signal.SIGHUP)
    m = wait_line(lambda: read(logf), r"log file .* reopened")
    R.check("reopen-new-file", m is not None, "no line in the new %s after SIGHUP" % logf)
    c = K.TurnClient(srv.addr)
    c.allocate(user="mallory", password="x")
    m = wait_line(msgs, r'^auth failed: user="mallory" %s reason=' % client_re(c))
    R.check("reopen-lines-go-on", m is not None, "no auth line in the new file: %s" % read(logf)[-300:])
    c.close()
    R.check("reopen-old-file-quiet", "mallory" not in read(logf + ".1"),
            "the rotated file still gets lines")


def main():
    if not os.environ.get("TERND"):
        R.fail("tools", "TERND is not set")
        return R.finish()
    w = K.Work("log-lines")
    R.guard("plain", plain_server, w)
    R.guard("store-down", store_down_server, w)
    R.guard("rest-plain", rest_plain_server, w)
    R.guard("json", json_server, w)
    w.done(R.failed > 0)
    return R.finish()


if __name__ == "__main__":
    K.on_sigterm()
    sys.exit(main())
