#!/usr/bin/env python3
"""ternd's admin HTTP listener: /metrics, /healthz, /readyz, against real tools.

Standard library only. Starts ternd (TERND=...) with its own libconfig file:
loopback, private ports, TLS and DTLS off, one user, loopback peers allowed,
admin.port set. Checks:

  - promtool check metrics (Debian package prometheus) accepts /metrics, and
    rejects a broken exposition (negative control: the check can fail);
    Content-Type is the 0.0.4 text format
  - label names are the bounded set (transport, family, reason, code,
    direction, verdict, worker, le, version); no label value holds the user
    name or a client address, and the user name appears nowhere
  - /healthz 200 "ok", /readyz 200 "ready"; 404 for another path; 405 with
    Allow for POST; HEAD answers 200 without a body
  - with our own TURN client (t-policy.py's, written from the RFCs): a wrong
    password moves auth failures {reason="bad_integrity"} by 1 and error
    responses {code="401"} by 2 (the challenge and the refusal); an
    allocation, a permission, Send indications and ChannelData echoed by a
    UDP peer, then Refresh 0 move allocations created/active/by transport,
    permissions, channels, relayed packets and bytes both ways, allocations
    ended {reason="deleted"} and both histograms by exactly what was done
  - coturn's turnutils_uclient relaying through ternd to turnutils_peer:
    relayed packets and bytes both ways move by what uclient sent and got
  - SIGUSR1 (drain): /readyz 503 "draining", ternd_draining 1, a new
    Allocate refused and counted; SIGUSR2: /readyz 200 again
  - at most 16 connections: with 16 idle clients a 17th is not served until
    they go; an idle client is disconnected (evhttp timeout, 10 s); headers
    over 8 KB are refused
  - store = "redis" with Redis not running: /readyz 503 "redis unreachable
    from 2 of 2 workers", ternd_redis_up 0; a real redis-server started on
    that port: /readyz 200, ternd_redis_up 2
  - an admin port already in use: ternd exits 1 with one clear line

Prints "PASS admin/NAME" or "FAIL admin/NAME: why" per check (tests/ops/run
collects them); exit status 1 if anything failed.
"""

import ctypes
import http.client
import os
import re
import runpy
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
TURN_DIR = os.path.join(TOP, "tests", "interop", "turn")
sys.path.insert(0, os.path.join(TOP, "tests", "interop"))
sys.path.insert(0, TURN_DIR)
import turnsrv  # noqa: E402

# t-policy.py's independent TURN client and codec (it is a script: load it)
P = runpy.run_path(os.path.join(TURN_DIR, "t-policy.py"), run_name="ops")

USER, PASSWORD, REALM = "alice", "wonderland", "tern.test"
WORKERS = 2
LABELS = {"transport", "family", "reason", "code", "direction", "verdict", "worker", "le", "version"}
PASSED, FAILED = [], []


def report(ok, name, why=""):
    if ok:
        PASSED.append(name)
        print("PASS admin/%s" % name, flush=True)
    else:
        FAILED.append(name)
        print("FAIL admin/%s: %s" % (name, " ".join(str(why).split()) or "no reason given"), flush=True)
    return ok


def note(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def _pdeathsig():
    """In a child: die with the test, even when it is killed (SIGKILL)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def spawn(argv, logf):
    return subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=_pdeathsig)


def wait_for(fn, timeout, step=0.2):
    """fn() until it returns something true, or timeout seconds; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# ----------------------------------------------------------------- ternd

class Ternd:
    """ternd with a config written here; admin on 127.0.0.1:admin_port."""

    def __init__(self, work, tag, admin_port=None, store="config", redis_port=0):
        self.dir = os.path.join(work, tag)
        os.makedirs(self.dir, exist_ok=True)
        ports = turnsrv.free_ports(2)
        turnsrv._taken.update(ports)
        self.port = ports[0]
        self.admin_port = admin_port or ports[1]
        rmin = turnsrv.random.SystemRandom().randrange(16400, 30500, 100)
        self.relay = (rmin, rmin + 999)
        self.conf = os.path.join(self.dir, "ternd.conf")
        self.log = os.path.join(self.dir, "ternd.log")
        auth = ['  realm = "%s";' % REALM, '  store = "%s";' % store]
        if store == "redis":
            auth.append("};")
            auth.append('redis = { address = "127.0.0.1"; port = %d; timeout = 1; };' % redis_port)
        else:
            auth.append('  users = ( { name = "%s"; password = "%s"; } );' % (USER, PASSWORD))
            auth.append("};")
        conf = [
            "# written by tests/ops/t-admin-metrics.py",
            "workers = %d;" % WORKERS,
            'log = { level = "info"; target = "stderr"; };',
            'listen = ( { address = "127.0.0.1"; } );',
            "ports = { udp = %d; tcp = %d; tls = 0; dtls = 0; };" % (self.port, self.port),
            "auth = {",
        ] + auth + [
            "relay = {",
            '  addresses = [ "127.0.0.1" ];',
            "  port_min = %d; port_max = %d;" % self.relay,
            '  allow_peers = [ "127.0.0.1/32" ];',
            # turnutils_uclient binds channels from the RFC 5766 range
            "  rfc5766_channels = true;",
            "};",
            'admin = { address = "127.0.0.1"; port = %d; };' % self.admin_port,
        ]
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.proc = None
        self.logf = None

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = spawn([os.environ["TERND"], "-c", self.conf], self.logf)
        return self

    def wait_ready(self, timeout=20):
        def up():
            if self.proc.poll() is not None:
                return "exited"
            try:
                return http_get(self.admin_port, "/healthz", timeout=1)[0] == 200
            except OSError:
                return False
        return wait_for(up, timeout) is True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=4):
        return " | ".join(self.log_text().splitlines()[-n:])

    def stop(self):
        """SIGTERM (SIGKILL after 10 s); the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        return rc


# ----------------------------------------------------------------- HTTP

def http_req(port, method, path, headers=None, timeout=5):
    """(status, {header: value}, body) of one request on a new connection."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def http_get(port, path, timeout=5):
    return http_req(port, "GET", path, timeout=timeout)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """{'name{labels}': value} and [(label, value), ...] of every sample."""
    values, labels = {}, []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("not a sample line: %r" % line)
        key = m.group(1) + ("{%s}" % m.group(2) if m.group(2) else "")
        values[key] = float(m.group(3))
        labels += LABEL.findall(m.group(2) or "")
    return values, labels


def metrics(port):
    st, _, body = http_get(port, "/metrics")
    if st != 200:
        raise RuntimeError("/metrics answered %d" % st)
    return parse(body.decode())[0]


def expect_deltas(name, port, before, want, timeout=6):
    """Wait until every series moved by exactly want[series] from before
    (counters are published once a second); report either way."""
    last = {}

    def moved():
        m = metrics(port)
        last.clear()
        last.update({k: m.get(k, 0) - before.get(k, 0) for k in want})
        return all(abs(last[k] - v) < 1e-9 for k, v in want.items())
    ok = wait_for(moved, timeout, step=0.25)
    bad = ["%s moved %g, want %g" % (k, last[k], v) for k, v in want.items() if abs(last[k] - v) >= 1e-9]
    return report(ok, name, "; ".join(bad))


# ----------------------------------------------------------------- TURN

class Client(P["Client"]):
    """t-policy.py's UDP client, patient: a retransmission would be counted
    twice by the server and spoil the exact deltas."""

    def transact(self, tid, data, timeout=3.0, tries=1):
        return super().transact(tid, data, timeout=timeout, tries=tries)


def xpeer(ip, port, tid):
    return P["xor_addr"](ip, port, tid)


def send_indication(c, peer, payload):
    tid = os.urandom(12)
    _, data = P["build"](P["SEND"], P["INDICATION"], [(P["XOR_PEER_ADDRESS"], xpeer(peer[0], peer[1], tid)),
                                                      (P["DATA_ATTR"], payload)], tid=tid, fingerprint=False)
    c.sock.sendto(data, c.server)


def recv_relayed(c, timeout=3.0):
    """The payload of the next Data indication or ChannelData, or None."""
    c.sock.settimeout(timeout)
    try:
        raw, _ = c.sock.recvfrom(65535)
    except socket.timeout:
        return None
    if raw and 0x40 <= raw[0] <= 0x7F:
        n = struct.unpack("!H", raw[2:4])[0]
        return raw[4:4 + n]
    try:
        return P["Resp"](raw).get(P["DATA_ATTR"])
    except ValueError:
        return None


EchoPeer = turnsrv.EchoPeer


# ----------------------------------------------------------------- checks

def check_exposition(srv, when):
    st, hdr, body = http_get(srv.admin_port, "/metrics")
    ctype = hdr.get("content-type", "")
    report(st == 200 and ctype == "text/plain; version=0.0.4; charset=utf-8", "metrics-content-type-" + when,
           "status %d, Content-Type %r" % (st, ctype))
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode(errors="replace").strip()
    report(r.returncode == 0 and not out, "promtool-accepts-metrics-" + when,
           "promtool check metrics: exit %d: %s" % (r.returncode, out[:600]))
    return body.decode()


def check_promtool_bites():
    bad = b"# HELP ternd_x_bytes A counter without _total\n# TYPE ternd_x_bytes counter\nternd_x_bytes 1\n"
    r = subprocess.run(["promtool", "check", "metrics"], input=bad, capture_output=True, timeout=60)
    report(r.returncode != 0, "promtool-rejects-a-bad-counter",
           "promtool check metrics accepted a counter without _total: the checks with it prove nothing")


def check_labels(text, clients):
    """No label outside the bounded set; no user name or client address."""
    try:
        _, labels = parse(text)
    except ValueError as e:
        return report(False, "labels-bounded", e)
    names = {k for k, _ in labels}
    report(names <= LABELS, "labels-bounded", "label names outside the bounded set: %s" % sorted(names - LABELS))
    leaks = sorted({v for _, v in labels if any(s in v for s in clients)})
    report(not leaks and USER not in text, "no-user-or-address-in-labels",
           "label values %s; user name in the text: %s" % (leaks, USER in text))


def check_pages(srv):
    port = srv.admin_port
    st, hdr, body = http_get(port, "/healthz")
    report(st == 200 and body == b"ok\n", "healthz-200", "status %d body %r" % (st, body))
    st, hdr, body = http_get(port, "/readyz")
    report(st == 200 and body == b"ready\n", "readyz-200", "status %d body %r" % (st, body))
    st, hdr, body = http_get(port, "/nothing-here")
    report(st == 404, "unknown-path-404", "status %d" % st)
    st, hdr, body = http_req(port, "POST", "/metrics")
    report(st == 405 and hdr.get("allow") == "GET, HEAD", "post-405-with-allow",
           "status %d, Allow %r" % (st, hdr.get("allow")))
    st, hdr, body = http_req(port, "HEAD", "/metrics")
    report(st == 200 and body == b"" and hdr.get("content-type", "").startswith("text/plain; version=0.0.4"),
           "head-metrics", "status %d, %d body bytes, Content-Type %r" % (st, len(body), hdr.get("content-type")))


def check_auth_failure(srv):
    before = metrics(srv.admin_port)
    c = Client(("127.0.0.1", srv.port))
    try:
        r = c.allocate(password="not-" + PASSWORD)
        ok = P["is_error"](r, P["ALLOCATE"], 401)
        report(ok, "wrong-password-refused", "Allocate with a wrong password: %s" % P["fmt"](r))
    finally:
        c.close()
    expect_deltas("auth-failure-counted", srv.admin_port, before, {
        'ternd_auth_failures_total{reason="bad_integrity"}': 1,
        'ternd_auth_failures_total{reason="challenge"}': 1,
        'ternd_error_responses_total{code="401"}': 2,
        "ternd_auth_success_total": 0,
        "ternd_allocations_created_total": 0,
    })


def relay_some(c, peer, srv):
    """Permission, 3 Send indications of 100 bytes, a channel, 2 ChannelData
    of 50 bytes, all echoed back. Returns the list of problems."""
    why = []
    tid = os.urandom(12)
    r = c.request(P["CREATE_PERMISSION"], [(P["XOR_PEER_ADDRESS"], xpeer(peer[0], 0, tid))], tid=tid)
    if not P["is_success"](r, P["CREATE_PERMISSION"]):
        return ["CreatePermission: %s" % P["fmt"](r)]
    for i in range(3):
        send_indication(c, peer, bytes([i]) * 100)
        got = recv_relayed(c)
        if got != bytes([i]) * 100:
            why.append("Send indication %d: echoed %r" % (i, got and got[:8]))
    tid = os.urandom(12)
    r = c.request(P["CHANNEL_BIND"], [(P["CHANNEL_NUMBER"], struct.pack("!HH", 0x4000, 0)),
                                      (P["XOR_PEER_ADDRESS"], xpeer(peer[0], peer[1], tid))], tid=tid)
    if not P["is_success"](r, P["CHANNEL_BIND"]):
        return why + ["ChannelBind: %s" % P["fmt"](r)]
    for i in range(2):
        c.sock.sendto(struct.pack("!HH", 0x4000, 50) + bytes([0x80 + i]) * 50, c.server)
        got = recv_relayed(c)
        if got != bytes([0x80 + i]) * 50:
            why.append("ChannelData %d: echoed %r" % (i, got and got[:8]))
    return why


def check_allocation(srv, peer):
    port = srv.admin_port
    before = metrics(port)
    c = Client(("127.0.0.1", srv.port))
    try:
        r = c.allocate()
        if not report(P["is_success"](r, P["ALLOCATE"]), "allocate", "Allocate: %s" % P["fmt"](r)):
            return
        expect_deltas("allocation-counted", port, before, {
            "ternd_allocations_created_total": 1,
            "ternd_allocations_active": 1,
            'ternd_allocations{transport="udp",family="ipv4"}': 1,
            'ternd_error_responses_total{code="401"}': 1,
            'ternd_auth_failures_total{reason="challenge"}': 1,
            "ternd_auth_success_total": 1,
        })
        why = relay_some(c, peer, srv)
        report(not why, "relay-through-ternd", "; ".join(why))
        expect_deltas("relay-counted", port, before, {
            'ternd_relayed_packets_total{direction="to_peer"}': 5,
            'ternd_relayed_packets_total{direction="to_client"}': 5,
            'ternd_relayed_bytes_total{direction="to_peer"}': 400,
            'ternd_relayed_bytes_total{direction="to_client"}': 400,
            "ternd_permissions_active": 1,
            "ternd_channels_active": 1,
        })
        mid = metrics(port)
        r = c.request(P["REFRESH"], [(P["LIFETIME"], struct.pack("!I", 0))])
        report(P["is_success"](r, P["REFRESH"]), "refresh-0", "Refresh LIFETIME 0: %s" % P["fmt"](r))
    finally:
        c.close()
    expect_deltas("allocation-end-counted", port, before, {
        "ternd_allocations_active": 0,
        'ternd_allocations{transport="udp",family="ipv4"}': 0,
        "ternd_permissions_active": 0,
        "ternd_channels_active": 0,
        'ternd_allocations_ended_total{reason="deleted"}': 1,
        "ternd_allocation_relayed_bytes_count": 1,
        "ternd_allocation_relayed_bytes_sum": 800,
        'ternd_allocation_relayed_bytes_bucket{le="1000"}': 1,
        'ternd_allocation_relayed_bytes_bucket{le="+Inf"}': 1,
        "ternd_allocation_lifetime_seconds_count": 1,
        'ternd_allocation_lifetime_seconds_bucket{le="+Inf"}': 1,
    })
    after = metrics(port)
    life = after["ternd_allocation_lifetime_seconds_sum"] - mid["ternd_allocation_lifetime_seconds_sum"]
    report(0 < life < 600, "lifetime-sum-in-seconds",
           "the allocation lived a few seconds; the sum moved by %g" % life)


def check_uclient(srv, work):
    for tool in ("turnutils_uclient", "turnutils_peer"):
        if not shutil.which(tool):
            return report(False, "uclient-relay-counted", "%s not found (Debian: coturn)" % tool)
    (pport,) = turnsrv.free_ports(1)
    plog = open(os.path.join(work, "peer.log"), "wb")
    peer = spawn(["turnutils_peer", "-L", "127.0.0.1", "-p", str(pport)], plog)
    clients, msgs, ln = 4, 10, 120
    try:
        time.sleep(0.3)
        before = metrics(srv.admin_port)
        r = subprocess.run(["turnutils_uclient", "-m", str(clients), "-n", str(msgs), "-l", str(ln), "-c",
                            "-u", USER, "-w", PASSWORD, "-p", str(srv.port), "-e", "127.0.0.1",
                            "-r", str(pport), "127.0.0.1"], capture_output=True, timeout=120)
        out = (r.stdout + r.stderr).decode(errors="replace")
        with open(os.path.join(work, "uclient.out"), "w") as f:
            f.write(out)
        want = clients * msgs
        tot = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)$", out, re.M)
        if r.returncode != 0 or not tot or tot[-1] != (str(want), str(want)):
            return report(False, "uclient-relay-counted", "turnutils_uclient exit %d, totals %s (want %d each)"
                          % (r.returncode, tot[-1:] or "none", want))
        expect_deltas("uclient-relay-counted", srv.admin_port, before, {
            'ternd_relayed_packets_total{direction="to_peer"}': want,
            'ternd_relayed_packets_total{direction="to_client"}': want,
            'ternd_relayed_bytes_total{direction="to_peer"}': want * ln,
            'ternd_relayed_bytes_total{direction="to_client"}': want * ln,
        })
        m = metrics(srv.admin_port)
        made = m["ternd_allocations_created_total"] - before.get("ternd_allocations_created_total", 0)
        report(made >= clients, "uclient-allocations-counted", "%g allocations created for %d clients" % (made, clients))
    finally:
        peer.terminate()
        peer.wait(5)
        plog.close()


def check_drain(srv):
    port = srv.admin_port
    before = metrics(port)
    os.kill(srv.proc.pid, signal.SIGUSR1)

    def draining():
        st, _, body = http_get(port, "/readyz")
        return (st, body) == (503, b"draining\n")
    ok = wait_for(draining, 5)
    st, _, body = http_get(port, "/readyz")
    report(ok and srv.alive(), "readyz-503-when-draining",
           "after SIGUSR1: /readyz %d %r, ternd %s" % (st, body, "running" if srv.alive() else "exited"))
    if not srv.alive():
        return
    m = metrics(port)
    report(m.get("ternd_draining") == 1, "draining-gauge", "ternd_draining %s" % m.get("ternd_draining"))
    st, _, body = http_get(port, "/healthz")
    report(st == 200, "healthz-200-while-draining", "status %d %r" % (st, body))
    c = Client(("127.0.0.1", srv.port))
    try:
        r = c.allocate()
        refused = r is not None and r.cls == P["ERROR"] and r.error()[0] in (300, 508)
        report(refused, "allocate-refused-while-draining", "Allocate: %s" % P["fmt"](r))
    finally:
        c.close()
    expect_deltas("drain-refusal-counted", port, before, {"ternd_drain_refused_total": 1,
                                                          "ternd_allocations_created_total": 0})
    os.kill(srv.proc.pid, signal.SIGUSR2)
    ok = wait_for(lambda: http_get(port, "/readyz")[0] == 200, 5)
    report(ok, "readyz-200-after-drain-ends", "after SIGUSR2: /readyz %d" % http_get(port, "/readyz")[0])


def check_connection_cap(srv):
    """16 idle connections hold every slot: a 17th waits until they close."""
    port = srv.admin_port
    idle = []
    try:
        for _ in range(16):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", port), timeout=2)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        extra.settimeout(2.0)
        try:
            early = extra.recv(100)
        except socket.timeout:
            early = None
        report(early is None, "connection-cap-holds",
               "with 16 idle connections a 17th was answered at once: %r" % early)
        for s in idle:
            s.close()
        idle = []
        extra.settimeout(8.0)
        try:
            late = extra.recv(100)
        except socket.timeout:
            late = None
        extra.close()
        report(late is not None and late.startswith(b"HTTP/1.1 200"), "served-after-others-close",
               "the waiting 17th connection got %r" % late)
    finally:
        for s in idle:
            s.close()


def check_big_headers(srv):
    s = socket.create_connection(("127.0.0.1", srv.admin_port), timeout=5)
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000 + b"\r\n\r\n")
        got = b""
        try:
            while len(got) < 64:
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
    finally:
        s.close()
    report(not got.startswith(b"HTTP/1.1 200"), "oversized-headers-refused",
           "a request with 10 KB of headers got %r" % got[:40])


def check_idle_closed(sock, opened):
    """An idle connection opened at `opened` is closed by the server."""
    sock.settimeout(max(0.1, opened + 20 - time.monotonic()))
    try:
        d = sock.recv(100)
        why = "" if d == b"" else "got %r" % d
    except socket.timeout:
        why = "still open after %.0f s" % (time.monotonic() - opened)
    except OSError as e:
        why = ""  # reset: closed too
        note("idle connection: %s" % e)
    sock.close()
    report(not why, "idle-connection-closed", why)


def check_redis_readiness(work):
    if not shutil.which("redis-server"):
        return report(False, "redis-readiness", "redis-server not found (Debian: redis-server)")
    (rport,) = turnsrv.free_ports(1)
    srv = Ternd(work, "redis", store="redis", redis_port=rport).start()
    redis = None
    try:
        if not report(srv.wait_ready(), "redis-ternd-start", "ternd with store = redis: %s" % srv.log_tail()):
            return
        port = srv.admin_port

        def down():
            st, _, body = http_get(port, "/readyz")
            return (st, body) == (503, b"redis unreachable from %d of %d workers\n" % (WORKERS, WORKERS))
        ok = wait_for(down, 5)
        st, _, body = http_get(port, "/readyz")
        m = metrics(port)
        report(ok and m.get("ternd_redis_up") == 0 and m.get("ternd_redis_configured_workers") == WORKERS,
               "readyz-503-redis-down", "/readyz %d %r, ternd_redis_up %s, configured %s"
               % (st, body, m.get("ternd_redis_up"), m.get("ternd_redis_configured_workers")))
        report(http_get(port, "/healthz")[0] == 200, "healthz-200-redis-down", "liveness must not hang on Redis")
        rdir = os.path.join(work, "redis-data")
        os.makedirs(rdir, exist_ok=True)
        rlog = open(os.path.join(work, "redis.log"), "wb")
        redis = spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                       "--appendonly", "no", "--dir", rdir], rlog)
        ok = wait_for(lambda: http_get(port, "/readyz")[0] == 200, 20, step=0.5)
        m = metrics(port)
        report(ok and m.get("ternd_redis_up") == WORKERS, "readyz-200-redis-up",
               "redis-server on %d: /readyz %d, ternd_redis_up %s" % (rport, http_get(port, "/readyz")[0],
                                                                    m.get("ternd_redis_up")))
    finally:
        rc = srv.stop()
        report(rc == 0, "redis-ternd-exit", "exit status %s after SIGTERM (%s)" % (rc, srv.log))
        if redis:
            redis.terminate()
            redis.wait(10)
            rlog.close()


def check_port_in_use(work):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    busy = holder.getsockname()[1]
    srv = Ternd(work, "busy", admin_port=busy).start()
    try:
        try:
            rc = srv.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        line = "cannot bind admin HTTP 127.0.0.1:%d: Address already in use" % busy
        report(rc == 1 and line in srv.log_text(), "admin-port-in-use-exit-1",
               "exit status %s; want 1 and a line '%s'; log: %s" % (rc, line, srv.log_tail()))
    finally:
        srv.stop()
        holder.close()


def run(work):
    if not shutil.which("promtool"):
        report(False, "promtool", "promtool not found (Debian: prometheus; scripts/install-deps)")
    srv = Ternd(work, "main").start()
    peer = EchoPeer()
    idle = None
    try:
        if not report(srv.wait_ready(), "ternd-start", "ternd with admin.port: %s" % srv.log_tail()):
            return
        check_connection_cap(srv)
        idle, opened = socket.create_connection(("127.0.0.1", srv.admin_port), timeout=5), time.monotonic()
        check_pages(srv)
        check_big_headers(srv)
        if shutil.which("promtool"):
            check_promtool_bites()
            check_exposition(srv, "at-start")
        check_auth_failure(srv)
        check_allocation(srv, peer.addr)
        check_uclient(srv, work)
        text = check_exposition(srv, "after-traffic") if shutil.which("promtool") else http_get(srv.admin_port, "/metrics")[2].decode()
        check_labels(text, ["127.0.0.1", "::1", REALM])
        check_idle_closed(idle, opened)
        idle = None
        check_drain(srv)
    finally:
        if idle:
            idle.close()
        peer.close()
        rc = srv.stop()
        report(rc == 0, "ternd-exit", "exit status %s after SIGTERM (log %s)" % (rc, srv.log))
    check_port_in_use(work)
    check_redis_readiness(work)


def main():
    if not os.environ.get("TERND"):
        print("FAIL admin/setup: set TERND=/path/to/ternd", flush=True)
        return 1
    base = os.environ.get("OPS_WORK")
    work = tempfile.mkdtemp(prefix="admin-metrics.", dir=base) if base else tempfile.mkdtemp(prefix="tern-admin.")
    # the runner's timeout sends SIGTERM: still stop the servers (finally)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        run(work)
    except Exception as e:  # noqa: BLE001 - one FAIL line, not a traceback
        report(False, "unexpected-error", "%s: %s" % (type(e).__name__, e))
    finally:
        if not base and not FAILED and os.environ.get("TERN_KEEP", "0") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            note("work directory: %s" % work)
    return 1 if FAILED or not PASSED else 0


if __name__ == "__main__":
    sys.exit(main())
