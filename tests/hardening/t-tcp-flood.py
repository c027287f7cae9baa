#!/usr/bin/env python3
"""TCP connection floods: capped, and established clients keep being served.

ternd with limits.max_connections = 20 and log_interval = 2. A TURN client on
TCP (127.0.0.1) allocates first. Then 300 connections from 127.0.0.8 and
127.0.0.9 are opened and held:
  - at most 19 stay open (the cap less the established client); the others
    are closed by ternd within 2 s; the ones let in are answered
  - meanwhile the established client sends a Binding and a Refresh every
    100 ms for 3 s: every one is answered
  - "connection limit reached" is logged a bounded number of times, and each
    refusal is counted (ternd_tcp_refused_total)
  - once the flood is closed, new connections are accepted and answered
  - after a churn of 500 connect-and-close, the cap still admits exactly 19
    more connections (the counter did not leak) and refuses the 20th
"""

import os
import selectors
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

S = K
C = K.Reporter("tcp-flood")
CAP = 20
LOG_INTERVAL = 2
REFUSED = r"^ternd_tcp_refused_total$"


def main():
    K.on_sigterm()
    work = K.Work("tcpflood")
    srv = H.Ternd(work, "srv", **{"limits.max_connections": CAP, "limits.log_interval": LOG_INTERVAL})
    return H.serve(C, work, srv, run)


def connect_many(dest, n, ips):
    """n connected sockets (non-blocking connects, then waited for)."""
    out = []
    sel = selectors.DefaultSelector()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((ips[i % len(ips)], 0))
        s.setblocking(False)
        s.connect_ex(dest)
        sel.register(s, selectors.EVENT_WRITE)
        out.append(s)
    pending = set(out)
    end = time.monotonic() + 5
    while pending and time.monotonic() < end:
        for key, _ in sel.select(0.2):
            sel.unregister(key.fileobj)
            pending.discard(key.fileobj)
    sel.close()
    return out


def closed_by_server(socks, wait):
    """Sockets the server closed (EOF or reset) within wait seconds."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = set()
    end = time.monotonic() + wait
    while time.monotonic() < end and len(closed) < len(socks):
        for key, _ in sel.select(0.1):
            s = key.fileobj
            try:
                if s.recv(4096) == b"":
                    closed.add(s)
                    sel.unregister(s)
            except BlockingIOError:
                pass
            except OSError:
                closed.add(s)
                sel.unregister(s)
    sel.close()
    return closed


def binding_answered(s, timeout=2.0):
    try:
        s.setblocking(True)
        s.settimeout(timeout)
        req = S.build()
        s.sendall(req)
        m = S.read_stream_msg(s, timeout)
        return m.type == S.BINDING_SUCCESS and m.tid == req[8:20]
    except (OSError, S.StunError):
        return False


def run(srv, held):
    est = K.TcpClient(srv.addr, bind_host="127.0.0.1")
    r = est.allocate()
    if not C.check("established-tcp-allocation", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        return
    lines0 = len(srv.log_text().splitlines())
    refused0 = srv.metric(REFUSED)

    flood = connect_many(srv.addr, 300, ["127.0.0.8", "127.0.0.9"])
    held.extend(flood)
    # the established client, every 100 ms for 3 s, while the flood sits there
    misses, n = [], 0
    end = time.monotonic() + 3
    closed = set()
    while time.monotonic() < end:
        n += 1
        tid, data = K.message(1, K.REQUEST, [])  # Binding
        b = est.transact(tid, data, timeout=1.0)
        if b is None or b.cls != K.SUCCESS:
            misses.append("Binding %d: %s" % (n, K.fmt(b)))
        rr = est.request(K.REFRESH, [(K.LIFETIME, struct.pack("!I", 600))])
        if not K.is_success(rr, K.REFRESH):
            misses.append("Refresh %d: %s" % (n, K.fmt(rr)))
        closed |= closed_by_server([s for s in flood if s not in closed], 0.1)
    closed |= closed_by_server([s for s in flood if s not in closed], 1.0)
    open_ = [s for s in flood if s not in closed]
    K.note("flood: 300 connections, %d closed by ternd, %d let in; established client: %d Binding + "
           "Refresh rounds, %d unanswered" % (len(closed), len(open_), n, len(misses)))
    C.check("flood-capped", len(open_) <= CAP - 1,
            "%d flood connections still open with max_connections = %d (one is the established client)" % (
                len(open_), CAP))
    C.check("established-client-served-throughout", not misses and n >= 10,
            "%d rounds, unanswered: %s" % (n, misses[:3]))
    ok = sum(binding_answered(s) for s in open_[:5])
    C.check("admitted-connections-served", ok == min(5, len(open_)),
            "%d of %d admitted flood connections answered a Binding" % (ok, min(5, len(open_))))
    H.counted(C, "refusals-counted", srv, REFUSED, refused0, len(closed),
              "%d flood connections closed by ternd" % len(closed))
    new = srv.log_text().splitlines()[lines0:]
    capl = sum(1 for ln in new if "connection limit" in ln)
    K.note("log: %d lines about the connection limit for %d refused connections" % (capl, len(closed)))
    C.check("cap-logged-rate-limited", 1 <= capl <= 2 * 2 * 2,
            "%d 'connection limit' log lines (want at least one, at most a burst per interval per worker)" % capl)

    for s in flood:
        s.close()
    held.clear()
    time.sleep(0.5)
    after = connect_many(srv.addr, 5, ["127.0.0.8"])
    held.extend(after)
    ok = sum(binding_answered(s) for s in after)
    C.check("accepts-again-after-flood", ok == 5, "%d of 5 new connections answered after the flood" % ok)
    for s in after:
        s.close()
    held.clear()

    # churn: the connection counter must come back to where it was
    for _ in range(5):
        batch = connect_many(srv.addr, 100, ["127.0.0.8", "127.0.0.9"])
        for s in batch:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
            s.close()
    time.sleep(1.0)
    fill = connect_many(srv.addr, CAP - 1, ["127.0.0.8"])
    held.extend(fill)
    time.sleep(0.3)
    ok = sum(binding_answered(s) for s in fill)
    extra = connect_many(srv.addr, 1, ["127.0.0.9"])
    held.extend(extra)
    refused = closed_by_server(extra, 2.0)
    C.check("cap-exact-after-churn", ok == CAP - 1 and len(refused) == 1,
            "after 500 connect-and-reset: %d of %d connections served, the next one %s" % (
                ok, CAP - 1, "closed" if refused else "let in (the cap leaked)"))
    r = est.release()
    C.check("established-client-release", K.is_success(r, K.REFRESH), K.fmt(r))
    est.close()


if __name__ == "__main__":
    sys.exit(main())
