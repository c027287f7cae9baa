#!/usr/bin/env python3
"""Out of file descriptors: errors and counts, no crash, no busy loop, and
service again once the load goes away.

ternd is started once to count the descriptors it needs (B), then under
`prlimit --nofile=N:N` with N = B + 24 (limits.log_interval = 2):
  - TCP: 60 connections are opened and held; ternd accepts until accept()
    fails with EMFILE, logs that a bounded number of times, and pauses
    accepting instead of spinning: under 0.5 s of CPU in 5 s while the
    refused connections wait in the backlog
  - meanwhile UDP Binding is still answered and an Allocate (which needs a
    socket) gets an error answer (508), not silence
  - the held connections closed: a new TCP connection is answered within 5 s
  - both kinds of failure are counted (ternd_tcp_accept_err_total,
    ternd_quota_refusals_total{reason="ports"})
  - allocations until 508: relay sockets fail with EMFILE, logged bounded;
    releasing them, an Allocate succeeds again
  - at the end ternd holds exactly the descriptors it started with, and
    exits cleanly
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

S = K
C = K.Reporter("fd-exhaustion")
HEADROOM = 24
CPU_LIMIT = 0.5
QUIET_S = 5.0
ACCEPT_ERR = r"^ternd_tcp_accept_err_total$"
NO_PORT = r'^ternd_quota_refusals_total\{reason="ports"\}$'


def main():
    K.on_sigterm()
    work = K.Work("fd")
    probe = H.Ternd(work, "probe")
    try:
        probe.start()
        base = H.nfds(probe.pid)
    except RuntimeError as e:
        C.fail("server-start", e)
        work.done(True)
        return 1
    finally:
        probe.stop()
    n = base + HEADROOM
    srv = H.Ternd(work, "srv", wrap=["prlimit", "--nofile=%d:%d" % (n, n), "--"],
                  **{"limits.log_interval": 2})
    if not H.start(C, work, srv, name="server-start-under-prlimit"):
        return 1
    held = []
    try:
        C.guard("run", run, srv, n, held)
    finally:
        for s in held:
            s.close()
        C.check("server-exit", srv.stop())
    work.done(C.failed)
    return C.exit_status()


def tcp_binding(s, timeout):
    try:
        s.settimeout(timeout)
        req = S.build()
        s.sendall(req)
        m = S.read_stream_msg(s, timeout)
        return m.type == S.BINDING_SUCCESS
    except (OSError, S.StunError):
        return False


def fd_table(pid):
    """{fd: what it is} (sockets by inode, with their local address from ss)."""
    out = {}
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            out[int(fd)] = os.readlink(os.path.join(d, fd))
        except OSError:
            pass
    return out


def limit_of(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    return None


def run(srv, n, held):
    pid = srv.pid
    lim = limit_of(pid)
    # the readiness probe's TCP and TLS connections close a moment later
    time.sleep(0.5)
    start = fd_table(pid)
    fds0 = len(start)
    K.note("ternd under prlimit: %d descriptors open at start, limit %s" % (fds0, lim))
    if not C.check("limit-applied", lim == n, "Max open files %s, want %d" % (lim, n)):
        return
    lines0 = len(srv.log_text().splitlines())
    nonce = K.challenge(srv.addr)
    acc0, ports0 = srv.metric(ACCEPT_ERR), srv.metric(NO_PORT)

    # ---- TCP connections until accept() fails
    t_flood = time.monotonic()
    for i in range(60):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.%d" % (10 + i % 2), 0))
        s.settimeout(2)
        try:
            s.connect(srv.addr)
        except OSError:
            s.close()
            continue
        held.append(s)
    # a descriptor freed meanwhile (e.g. the /metrics connection closing) is
    # taken by the next accept retry (once a second) from the waiting backlog
    fds1 = K.wait_for(lambda: H.nfds(pid) >= n and H.nfds(pid), 4.0) or H.nfds(pid)
    K.note("60 TCP connections opened: ternd holds %d descriptors (limit %d)" % (fds1, n))
    C.check("fds-exhausted", fds1 >= n, "ternd holds %d of %d descriptors: the flood did not reach "
                                          "the limit" % (fds1, n))
    C.check("udp-binding-while-exhausted", K.ping("udp", srv.port), "no UDP Binding answer")
    c = K.client(srv.addr, nonce)
    r = c.allocate()
    C.check("allocate-error-while-exhausted", K.is_error(r, K.ALLOCATE, 508),
            "Allocate with no descriptor left: %s (want 508)" % K.fmt(r))
    if K.is_success(r, K.ALLOCATE):
        c.release()
    c.close()
    cpu0 = H.cpu_seconds(pid)
    time.sleep(QUIET_S)
    cpu = H.cpu_seconds(pid) - cpu0
    K.note("CPU while out of descriptors with connections waiting: %.2f s in %.0f s" % (cpu, QUIET_S))
    C.check("no-busy-loop-on-emfile", cpu < CPU_LIMIT, "%.2f s of CPU in %.0f s (limit %.1f)" % (
        cpu, QUIET_S, CPU_LIMIT))
    C.check("alive", srv.alive(), "ternd died: %s" % srv.log_tail())
    new = srv.log_text().splitlines()[lines0:]
    acc = sum(1 for ln in new if "accept" in ln and ("open files" in ln or "EMFILE" in ln))
    # ll_err: a burst of 3 per interval (2 s) per worker (2), and the
    # "suppressed" line
    bound = 2 * (3 + 1) * (int((time.monotonic() - t_flood) / 2) + 2)
    K.note("%d log lines about failed accepts (bound %d)" % (acc, bound))
    C.check("accept-failure-logged-rate-limited", 1 <= acc <= bound,
            "%d 'accept ...: Too many open files' lines (want 1..%d)" % (acc, bound))

    for s in held:
        s.close()
    held.clear()
    s = socket.create_connection(srv.addr, timeout=2)
    held.append(s)
    C.check("tcp-served-after-load", tcp_binding(s, 5.0), "a new TCP connection got no Binding answer "
                                                           "within 5 s of the flood closing")
    s.close()
    held.clear()
    # (the admin listener cannot accept either while descriptors are out)
    H.counted(C, "accept-failures-counted", srv, ACCEPT_ERR, acc0, (1, 10 ** 6), "failed accepts")
    time.sleep(0.5)

    # ---- allocations until the relay sockets run out
    lines1 = len(srv.log_text().splitlines())
    got, last = [], None
    for _ in range(2 * HEADROOM + 10):
        c = K.client(srv.addr, nonce)
        r = c.allocate()
        if K.is_success(r, K.ALLOCATE):
            got.append(c)
            continue
        c.close()
        last = r
        break
    K.note("%d allocations before %s" % (len(got), K.fmt(last)))
    C.check("allocations-until-508", K.is_error(last, K.ALLOCATE, 508) and len(got) >= HEADROOM // 2,
            "%d allocations, then %s (want some, then 508)" % (len(got), K.fmt(last)))
    new = srv.log_text().splitlines()[lines1:]
    relay = sum(1 for ln in new if "cannot open a relay" in ln)
    C.check("relay-failure-logged", 1 <= relay <= 4, "%d 'cannot open a relay' lines" % relay)
    for c in got:
        c.release()
        c.close()
    H.counted(C, "relay-failures-counted", srv, NO_PORT, ports0, 2,
              "two Allocates answered 508 for want of a socket")
    c = K.client(srv.addr, nonce)
    r = c.allocate()
    C.check("allocate-after-release", K.is_success(r, K.ALLOCATE), K.fmt(r))
    c.release()
    c.close()
    fds2 = K.wait_for(lambda: H.nfds(pid) == fds0, 3.0) and fds0 or H.nfds(pid)
    end = fd_table(pid)
    C.check("descriptors-back-to-start", fds2 == fds0, "%d descriptors open at the end, %d at start; "
            "gone: %s; new: %s" % (fds2, fds0, sorted(set(start.items()) - set(end.items())),
                                   sorted(set(end.items()) - set(start.items()))))


if __name__ == "__main__":
    sys.exit(main())
