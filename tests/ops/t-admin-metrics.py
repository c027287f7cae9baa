#!/usr/bin/env python3
"""ternd's admin HTTP listener: /metrics, /healthz, /readyz, against real tools.

Standard library and the kit (tests/lib/ternkit) only. Starts the kit's ternd
(TERND=...: loopback, private ports, one user, loopback peers allowed, RFC
5766 channels) with admin.port set. Checks:

  - promtool check metrics (Debian package prometheus) accepts /metrics, and
    rejects a broken exposition (negative control: the check can fail);
    Content-Type is the 0.0.4 text format
  - label names are the bounded set (transport, family, reason, code,
    direction, verdict, worker, le, version); no label value holds the user
    name or a client address, and the user name appears nowhere
  - /healthz 200 "ok", /readyz 200 "ready"; 404 for another path; 405 with
    Allow for POST; HEAD answers 200 without a body
  - with the kit's TURN client (written from the RFCs): a wrong
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

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ternkit as K  # noqa: E402

USER, PASSWORD, REALM = "alice", "wonderland", "tern.test"
WORKERS = 2
LABELS = {"transport", "family", "reason", "code", "direction", "verdict", "worker", "le", "version"}
R = K.Reporter("admin")


def report(ok, name, why=""):
    return R.check(name, ok, why or "no reason given")


def server(work, tag, **opts):
    """The kit's ternd in work/tag (loopback, TLS with the kit's
    certificate, users alice:wonderland, loopback peers, RFC 5766
    channels for turnutils_uclient) with the admin listener on a free port
    (or admin.port); not started."""
    opts.setdefault("admin.port", K.free_ports(1)[0])
    return K.Server(os.path.join(work, tag), workers=WORKERS, **{"admin.address": "127.0.0.1", **opts})


def wait_healthz(srv, timeout=20):
    """/healthz answers 200 (the admin listener is up too)."""
    def up():
        if not srv.alive():
            return "exited"
        try:
            return K.http_get(srv.admin_port, "/healthz", timeout=1)[0] == 200
        except OSError:
            return False
    return K.wait_for(up, timeout, step=0.2) is True


def stopped(srv, name):
    """Stop srv (SIGTERM), report name: it was running and exited 0 with no
    sanitizer report; a SKIP when it never started."""
    if srv.proc is None:
        return R.skip(name, "ternd never started (see the FAIL of its start)")
    return R.check(name, srv.stop())


def start(srv, name):
    """Start srv, report name: it answers STUN and /healthz."""
    try:
        srv.start()
    except RuntimeError as e:
        return report(False, name, e)
    return report(wait_healthz(srv), name, "no /healthz 200 from %d: %s" % (srv.admin_port, srv.log_tail()))


# ----------------------------------------------------------------- HTTP

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
    st, _, body = K.http_get(port, "/metrics")
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
    ok = K.wait_for(moved, timeout, step=0.25)
    bad = ["%s moved %g, want %g" % (k, last[k], v) for k, v in want.items() if abs(last[k] - v) >= 1e-9]
    return report(ok, name, "; ".join(bad))


# ----------------------------------------------------------------- TURN

class Client(K.TurnClient):
    """The kit's UDP client, patient: a retransmission would be counted
    twice by the server and spoil the exact deltas."""

    def __init__(self, server):
        super().__init__(server, user=USER, password=PASSWORD)

    def transact(self, tid, data, timeout=3.0, tries=1):
        return super().transact(tid, data, timeout=timeout, tries=tries)


def recv_relayed(c, timeout=3.0):
    """The payload of the next Data indication or ChannelData, or None."""
    raw = c.recv_raw(timeout)
    if raw and 0x40 <= raw[0] <= 0x7F:
        n = struct.unpack("!H", raw[2:4])[0]
        return raw[4:4 + n]
    return K.parse_data_indication(raw) if raw else None


# ----------------------------------------------------------------- checks

def check_exposition(srv, when):
    st, hdr, body = K.http_get(srv.admin_port, "/metrics")
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
    st, hdr, body = K.http_get(port, "/healthz")
    report(st == 200 and body == b"ok\n", "healthz-200", "status %d body %r" % (st, body))
    st, hdr, body = K.http_get(port, "/readyz")
    report(st == 200 and body == b"ready\n", "readyz-200", "status %d body %r" % (st, body))
    st, hdr, body = K.http_get(port, "/nothing-here")
    report(st == 404, "unknown-path-404", "status %d" % st)
    st, hdr, body = K.http_request(port, "POST", "/metrics")
    report(st == 405 and hdr.get("allow") == "GET, HEAD", "post-405-with-allow",
           "status %d, Allow %r" % (st, hdr.get("allow")))
    st, hdr, body = K.http_request(port, "HEAD", "/metrics")
    report(st == 200 and body == b"" and hdr.get("content-type", "").startswith("text/plain; version=0.0.4"),
           "head-metrics", "status %d, %d body bytes, Content-Type %r" % (st, len(body), hdr.get("content-type")))


def check_auth_failure(srv):
    before = metrics(srv.admin_port)
    c = Client(("127.0.0.1", srv.port))
    try:
        r = c.allocate(password="not-" + PASSWORD)
        ok = K.is_error(r, K.ALLOCATE, 401)
        report(ok, "wrong-password-refused", "Allocate with a wrong password: %s" % K.fmt(r))
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
    r = c.request(K.CREATE_PERMISSION, [(K.XOR_PEER_ADDRESS, K.xor_addr(peer[0], peer[1], tid))], tid=tid)
    if not K.is_success(r, K.CREATE_PERMISSION):
        return ["CreatePermission: %s" % K.fmt(r)]
    for i in range(3):
        c.send(peer, bytes([i]) * 100)
        got = recv_relayed(c)
        if got != bytes([i]) * 100:
            why.append("Send indication %d: echoed %r" % (i, got and got[:8]))
    tid = os.urandom(12)
    r = c.request(K.CHANNEL_BIND, [(K.CHANNEL_NUMBER, struct.pack("!HH", 0x4000, 0)),
                                      (K.XOR_PEER_ADDRESS, K.xor_addr(peer[0], peer[1], tid))], tid=tid)
    if not K.is_success(r, K.CHANNEL_BIND):
        return why + ["ChannelBind: %s" % K.fmt(r)]
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
        if not report(K.is_success(r, K.ALLOCATE), "allocate", "Allocate: %s" % K.fmt(r)):
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
        r = c.request(K.REFRESH, [(K.LIFETIME, struct.pack("!I", 0))])
        report(K.is_success(r, K.REFRESH), "refresh-0", "Refresh LIFETIME 0: %s" % K.fmt(r))
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
    (pport,) = K.free_ports(1)
    peer = K.spawn(["turnutils_peer", "-L", "127.0.0.1", "-p", str(pport)], os.path.join(work, "peer.log"))
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
        K.stop_proc(peer, wait=5)


def check_drain(srv):
    port = srv.admin_port
    before = metrics(port)
    os.kill(srv.pid, signal.SIGUSR1)

    def draining():
        st, _, body = K.http_get(port, "/readyz")
        return (st, body) == (503, b"draining\n")
    ok = K.wait_for(draining, 5, step=0.2)
    st, _, body = K.http_get(port, "/readyz")
    report(ok and srv.alive(), "readyz-503-when-draining",
           "after SIGUSR1: /readyz %d %r, ternd %s" % (st, body, "running" if srv.alive() else "exited"))
    if not srv.alive():
        return
    m = metrics(port)
    report(m.get("ternd_draining") == 1, "draining-gauge", "ternd_draining %s" % m.get("ternd_draining"))
    st, _, body = K.http_get(port, "/healthz")
    report(st == 200, "healthz-200-while-draining", "status %d %r" % (st, body))
    c = Client(("127.0.0.1", srv.port))
    try:
        r = c.allocate()
        refused = r is not None and r.cls == K.ERROR and r.error()[0] in (300, 508)
        report(refused, "allocate-refused-while-draining", "Allocate: %s" % K.fmt(r))
    finally:
        c.close()
    expect_deltas("drain-refusal-counted", port, before, {"ternd_drain_refused_total": 1,
                                                          "ternd_allocations_created_total": 0})
    os.kill(srv.pid, signal.SIGUSR2)
    ok = K.wait_for(lambda: K.http_get(port, "/readyz")[0] == 200, 5, step=0.2)
    report(ok, "readyz-200-after-drain-ends", "after SIGUSR2: /readyz %d" % K.http_get(port, "/readyz")[0])


def check_connection_cap(srv):
    """16 idle connections hold every slot: a 17th waits until they close."""
    port = srv.admin_port
    idle = []
    try:
        # from four addresses: ternd keeps at most 4 connections of one
        # address (t-mgmt-slowloris checks that cap)
        for i in range(16):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=2,
                                                 source_address=("127.0.0.%d" % (10 + i // 4), 0)))
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", port), timeout=2,
                                         source_address=("127.0.0.20", 0))
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
        R.note("idle connection: %s" % e)
    sock.close()
    report(not why, "idle-connection-closed", why)


def check_redis_readiness(work):
    if not shutil.which("redis-server"):
        return report(False, "redis-readiness", "redis-server not found (Debian: redis-server)")
    (rport,) = K.free_ports(1)
    srv = server(work, "redis", store="redis", redis_port=rport)
    redis = None
    try:
        if not start(srv, "redis-ternd-start"):
            return
        port = srv.admin_port

        def down():
            st, _, body = K.http_get(port, "/readyz")
            return (st, body) == (503, b"redis unreachable from %d of %d workers\n" % (WORKERS, WORKERS))
        ok = K.wait_for(down, 5, step=0.2)
        st, _, body = K.http_get(port, "/readyz")
        m = metrics(port)
        report(ok and m.get("ternd_redis_up") == 0 and m.get("ternd_redis_configured_workers") == WORKERS,
               "readyz-503-redis-down", "/readyz %d %r, ternd_redis_up %s, configured %s"
               % (st, body, m.get("ternd_redis_up"), m.get("ternd_redis_configured_workers")))
        report(K.http_get(port, "/healthz")[0] == 200, "healthz-200-redis-down", "liveness must not hang on Redis")
        rdir = os.path.join(work, "redis-data")
        os.makedirs(rdir, exist_ok=True)
        redis = K.spawn(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--dir", rdir], os.path.join(work, "redis.log"))
        ok = K.wait_for(lambda: K.http_get(port, "/readyz")[0] == 200, 20, step=0.5)
        m = metrics(port)
        report(ok and m.get("ternd_redis_up") == WORKERS, "readyz-200-redis-up",
               "redis-server on %d: /readyz %d, ternd_redis_up %s" % (rport, K.http_get(port, "/readyz")[0],
                                                                    m.get("ternd_redis_up")))
    finally:
        stopped(srv, "redis-ternd-exit")
        K.stop_proc(redis)


def check_port_in_use(work):
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    busy = holder.getsockname()[1]
    srv = server(work, "busy", **{"admin.port": busy})
    # not srv.start(): it waits for an answer, and this one must exit
    p = K.spawn(srv.argv, srv.log)
    try:
        try:
            rc = p.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        line = "cannot bind admin HTTP 127.0.0.1:%d: Address already in use" % busy
        report(rc == 1 and line in srv.log_text(), "admin-port-in-use-exit-1",
               "exit status %s; want 1 and a line '%s'; log: %s" % (rc, line, srv.log_tail()))
    finally:
        K.stop_proc(p)
        holder.close()


def run(work):
    if not shutil.which("promtool"):
        report(False, "promtool", "promtool not found (Debian: prometheus; scripts/install-deps)")
    srv = server(work, "main")
    peer = K.EchoPeer()
    idle = None
    try:
        if not start(srv, "ternd-start"):
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
        text = check_exposition(srv, "after-traffic") if shutil.which("promtool") else K.http_get(srv.admin_port, "/metrics")[2].decode()
        check_labels(text, ["127.0.0.1", "::1", REALM])
        check_idle_closed(idle, opened)
        idle = None
        check_drain(srv)
    finally:
        if idle:
            idle.close()
        peer.close()
        stopped(srv, "ternd-exit")
    check_port_in_use(work)
    check_redis_readiness(work)


def main():
    if not os.environ.get("TERND"):
        R.fail("setup", "set TERND=/path/to/ternd")
        return R.finish()
    base = os.environ.get("OPS_WORK")
    work = tempfile.mkdtemp(prefix="admin-metrics.", dir=base) if base else tempfile.mkdtemp(prefix="tern-admin.")
    K.ensure_cert(work)  # the kit's ternd listens on TLS too
    # the runner's timeout sends SIGTERM: still stop the servers (finally)
    K.on_sigterm()
    try:
        R.guard("unexpected-error", run, work)
    finally:
        if not base and not R.failed and os.environ.get("TERN_KEEP", "0") != "1":
            shutil.rmtree(work, ignore_errors=True)
        else:
            R.note("work directory: %s" % work)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
