"""Hardening-only helpers on top of the test kit (tests/lib/ternkit), for
tests/hardening/t-*.py. Standard library only; loopback only.

- Ternd(work, tag, ...): a kit Server in work/tag with /metrics (when this
  ternd has an admin listener), for the "counted" checks.
- counted: a check on how far a /metrics counter moved.
- start, serve, serve_many: a test's server start (and the whole main() of
  one-server and several-server tests).
- udp_sockets; /proc readings: resident memory, open descriptors, CPU seconds;
  is_asan; udp_sockets_in (ss).
- SocketReader: a thread reading many sockets.
"""

import os
import selectors
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as K  # noqa: E402


def Ternd(work, tag, wrap=(), metrics=True, **opts):  # noqa: N802 - a constructor
    """A kit Server (ternd) configured in work.dir/tag; metrics: an admin
    listener for /metrics, dropped when this ternd has none."""
    if not os.environ.get("TERND"):
        raise SystemExit("set TERND=/path/to/ternd")
    return K.Server(os.path.join(work.dir, tag), wrap=wrap, metrics=metrics, **opts)


def counted(chk, name, srv, pattern, before, want, what, timeout=3.0):
    """A "counted" check on /metrics: the metric moved from before by want
    (an int: exactly; a (lo, hi) pair: within). Without the endpoint, says so."""
    lo, hi = want if isinstance(want, tuple) else (want, want)
    if before is None:
        chk.skip(name, "no /metrics endpoint on this ternd")
        return
    v = srv.metric_until(pattern, lambda x: lo <= x - before <= hi, timeout)
    if v is None:
        chk.fail(name, "/metrics went away during the test")
        return
    chk.check(name, lo <= v - before <= hi, "%s: %s moved by %d, want %s" % (
        what, pattern, v - before, want))


def start(C, work, *servers, name="server-start"):
    """Start servers in order. When one does not come up: the check `name`
    fails, every server is killed, work is kept, and False is returned (the
    test then exits 1)."""
    try:
        for srv in servers:
            srv.start()
    except RuntimeError as e:
        C.fail(name, e)
        for srv in servers:
            srv.kill()
        work.done(True)
        return False
    return True


def serve(C, work, srv, run, *args):
    """The main() of a test with one server: start srv, run
    C.guard("run", run, srv, *args, held), close whatever run left in held
    (sockets, clients), stop srv and check its exit. Returns the exit status."""
    if not start(C, work, srv):
        return 1
    held = []
    try:
        C.guard("run", run, srv, *args, held)
    finally:
        for x in held:
            x.close()
        C.check("server-exit", srv.stop())
    work.done(C.failed)
    return C.exit_status()


def serve_many(C, work, servers, run):
    """serve() for several servers, servers = {tag: Server}: start them all,
    C.guard("run", run, servers, held), close held, stop each (check
    "server-exit-<tag>"). Returns the exit status."""
    if not start(C, work, *servers.values()):
        return 1
    held = []
    try:
        C.guard("run", run, servers, held)
    finally:
        for x in held:
            x.close()
        for tag, srv in servers.items():
            C.check("server-exit-" + tag, srv.stop())
    work.done(C.failed)
    return C.exit_status()


def udp_sockets(held, spec, rcvbuf=0):
    """Non-blocking UDP sockets bound to (ip, any port), n per (ip, n) of
    spec, appended to held (which serve() closes); returns them."""
    socks = []
    for ip, n in spec:
        for _ in range(n):
            s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_DGRAM)
            held.append(s)
            s.bind((ip, 0))
            s.setblocking(False)
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            socks.append(s)
    return socks


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_seconds(pid):
    """User + system CPU time of the whole process (all threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        st = f.read()
    fields = st[st.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def is_asan(binary):
    """Was binary built with AddressSanitizer? (memory figures mean little then)"""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def udp_sockets_in(pid, lo, hi):
    """How many of pid's sockets are bound to a local port in lo..hi (ss)."""
    out = subprocess.run(["ss", "-H", "-uanp"], capture_output=True, text=True).stdout
    n = 0
    for line in out.splitlines():
        if "pid=%d," % pid not in line:
            continue
        local = line.split()[3]
        port = int(local.rsplit(":", 1)[1])
        if lo <= port <= hi:
            n += 1
    return n


class SocketReader(threading.Thread):
    """A thread that reads every datagram arriving on socks until stopped and
    hands it to on_data(local_ip, data), which a test overrides."""

    def __init__(self, socks):
        super().__init__(daemon=True)
        self.sel = selectors.DefaultSelector()
        for s in socks:
            self.sel.register(s, selectors.EVENT_READ, s.getsockname()[0])
        self.halt = False

    def on_data(self, ip, data):
        raise NotImplementedError

    def run(self):
        while not self.halt:
            for key, _ in self.sel.select(0.1):
                while True:
                    try:
                        data = key.fileobj.recv(4096)
                    except (BlockingIOError, OSError):
                        break
                    self.on_data(key.data, data)

    def stop(self, linger=0.0):
        """Stop after linger seconds (answers still in flight)."""
        time.sleep(linger)
        self.halt = True
        self.join(2)
        self.sel.close()


class Redis:
    """A private redis-server on 127.0.0.1 (no persistence) in work.dir/redis.
    start(tag) spawns it (log redis-TAG.log) and says whether it answers PING
    within 5 s; cli(*args) runs redis-cli against it; proc is the process."""

    def __init__(self, work):
        self.port = K.free_ports(1)[0]
        self.dir = os.path.join(work.dir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def start(self, tag="first"):
        self.proc = K.spawn(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", self.dir, "--protected-mode", "yes"],
                            os.path.join(self.dir, "redis-%s.log" % tag))
        return K.wait_for(lambda: self.cli("PING") == "PONG", 5)

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), capture_output=True, text=True,
                           timeout=5)
        return r.stdout.strip()
