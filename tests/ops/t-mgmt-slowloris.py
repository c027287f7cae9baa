#!/usr/bin/env python3
"""The admin listener under a slow-headers attack (issue 16, finding 5).

ternd with admin.port on 127.0.0.1 (no token: loopback). One address,
127.0.0.3, opens 40 connections and trickles one header byte per 0.3 s on
each, never finishing a request. Checks:
  - /healthz from another address (127.0.0.2) answers 200 within 2 s, three
    times while the trickle goes on (before the fix the trickling clients
    held every slot and the listener waited: /healthz hung)
  - at most 4 of the trickling connections stay open past the first second
    (the per-address cap closes the others)
  - the ones that stay are closed by the request deadline: none is open 8 s
    after it connected, however it trickles
  - after the attack /healthz still answers, and ternd exits cleanly
  - the total cap still holds across addresses: 16 idle connections, 4 from
    each of 127.0.0.4-7, hold every slot, so a 17th (127.0.0.8) is not
    answered at once, and is once they close
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.dont_write_bytecode = True
import ternkit as K  # noqa: E402

R = K.Reporter("mgmt-slowloris")
N = 40


def healthz(port, src, timeout=2.0):
    """(status line or the error, seconds) of GET /healthz from src."""
    t0 = time.monotonic()
    s = None
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n")[0].decode(errors="replace"), time.monotonic() - t0
    except OSError as e:
        return "error: %s" % e, time.monotonic() - t0
    finally:
        if s:
            s.close()


def closed(s):
    """Has the server closed s (end of file or reset)?"""
    try:
        s.setblocking(False)
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Trickle:
    """N connections from 127.0.0.3 that send "GET / HTTP/1.1\\r\\nX-a: "
    and then one byte at a time."""

    def __init__(self, port):
        self.socks = []
        for _ in range(N):
            s = socket.socket()
            s.setblocking(False)
            s.bind(("127.0.0.3", 0))
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            self.socks.append(s)
        self.t0 = time.monotonic()
        self.sent = [False] * N

    def step(self):
        for i, s in enumerate(self.socks):
            try:
                s.send(b"GET /metrics HTTP/1.1\r\nX-a: " if not self.sent[i] else b"a")
                self.sent[i] = True
            except OSError:
                pass

    def open_count(self):
        return sum(1 for s in self.socks if not closed(s))

    def close(self):
        for s in self.socks:
            s.close()


def run(work):
    srv = K.Server(os.path.join(work.dir, "srv"), **{"admin.port": K.free_ports(1)[0]}).start()
    try:
        attack(srv)
    finally:
        probs = srv.stop()
        R.check("clean-exit", not probs, "; ".join(probs))


def attack(srv):
    port = srv.admin_port
    st, dt = healthz(port, "127.0.0.2")
    R.check("healthz-before", st.endswith("200 OK") and dt < 2, "%s in %.1f s" % (st, dt))
    tr = Trickle(port)
    try:
        times, opened_1s, last_open = [], None, None
        while time.monotonic() - tr.t0 < 8.5:
            tr.step()
            el = time.monotonic() - tr.t0
            if opened_1s is None and el > 1.5:
                opened_1s = tr.open_count()
            if len(times) < 3 and el > 1.0 + len(times) * 1.2:
                times.append(healthz(port, "127.0.0.2", timeout=3))
            last_open = tr.open_count()
            time.sleep(0.3)
        slow = [(st, dt) for st, dt in times if not (st.endswith("200 OK") and dt < 2)]
        R.check("healthz-during-trickle", len(times) == 3 and not slow,
                "answers while 127.0.0.3 trickles: %s" % ", ".join("%s in %.1f s" % x for x in times))
        R.check("per-address-cap", opened_1s is not None and opened_1s <= 4,
                "%s of %d trickling connections still open after 1.5 s (at most 4 allowed)" % (opened_1s, N))
        R.check("request-deadline", last_open == 0,
                "%s trickling connections still open 8.5 s after they connected" % last_open)
    finally:
        tr.close()
    st, dt = healthz(port, "127.0.0.3")
    R.check("healthz-after", st.endswith("200 OK") and dt < 2, "%s in %.1f s" % (st, dt))
    total_cap(port)


def total_cap(port):
    idle = []
    try:
        for i in range(16):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=2,
                                                 source_address=("127.0.0.%d" % (4 + i // 4), 0)))
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=("127.0.0.8", 0))
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        extra.settimeout(1.5)
        try:
            early = extra.recv(100)
        except socket.timeout:
            early = None
        R.check("total-cap-holds", early is None, "with 16 idle connections from 4 addresses a 17th got %r" % early)
        opened = sum(1 for s in idle if not closed(s))
        R.check("four-per-address-kept", opened == 16, "%d of the 16 idle connections were closed early" % (16 - opened))
        for s in idle:
            s.close()
        idle = []
        extra.settimeout(5.0)
        try:
            late = extra.recv(100)
        except socket.timeout:
            late = None
        extra.close()
        R.check("served-after-others-close", late is not None and late.startswith(b"HTTP/1.1 200"),
                "the waiting 17th connection got %r" % late)
    finally:
        for s in idle:
            s.close()


def main():
    K.on_sigterm()
    work = K.Work("mgmt-slowloris")
    R.guard("run", run, work)
    work.done(R.failed)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
