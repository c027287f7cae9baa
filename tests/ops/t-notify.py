#!/usr/bin/env python3
"""systemd notifications (sd_notify(3)) as a Type=notify unit with
WatchdogSec= sees them, without systemd: the test binds the unix datagram
socket it names in NOTIFY_SOCKET and sets WATCHDOG_USEC, as the service
manager would, and reads what ternd sends.

- READY=1 (with STATUS=) once the sockets answer: a Binding sent as soon as
  READY=1 arrives is answered;
- WATCHDOG=1 about every half WATCHDOG_USEC;
- SIGHUP: RELOADING=1 (with MONOTONIC_USEC=) then READY=1, after a refused
  reload too;
- SIGUSR1: STATUS=draining...;
- SIGTERM: STOPPING=1, and exit status 0;
- WATCHDOG_PID naming another process: no WATCHDOG=1 (the watchdog is
  someone else's, sd_watchdog_enabled(3));
- a hung worker (one worker thread stopped with ptrace, the others and the
  main thread running): the pings stop, with an error in the log, so the
  service manager would restart ternd; a SIGHUP meanwhile applies to the
  other workers and names the late one after 5 s; when the worker runs
  again the pings resume, it takes the new configuration (a user added
  then authenticates) and ternd stops cleanly (the sanitizer build checks
  that both configurations were kept and freed right).

CI builds ternd with libsystemd (configure --with-systemd); a ternd built
without it sends nothing, and this test fails.

    TERND=/path/to/ternd python3 tests/ops/t-notify.py
"""

import ctypes
import http.client
import os
import shutil
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lifecycle import K, Ternd, workdir  # noqa: E402

C = K.Reporter("notify")
WATCHDOG_USEC = 1000000  # pings every 0.5 s


class Listener:
    """The service manager's end: a unix datagram socket; every message
    with the time it arrived, and whether the STUN port answered then."""

    def __init__(self, path, probe_port=None):
        self.path = path
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.msgs = []  # (time, {key: value}, answered at READY)
        self.probe_port = probe_port
        self.done = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.done:
            try:
                d = self.s.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            kv = dict(ln.split("=", 1) for ln in d.decode(errors="replace").splitlines()
                      if "=" in ln)
            answered = None
            if kv.get("READY") == "1" and self.probe_port:
                answered = K.ping("udp", self.probe_port, timeout=1.0)
            self.msgs.append((time.monotonic(), kv, answered))

    def keys(self):
        """The states in order, e.g. ["READY", "WATCHDOG", "RELOADING"]."""
        out = []
        for _, kv, _ in self.msgs:
            for k in ("READY", "RELOADING", "STOPPING", "WATCHDOG"):
                if kv.get(k) == "1":
                    out.append(k)
        return out

    def wait(self, key, n=1, timeout=10):
        return K.wait_for(lambda: self.keys().count(key) >= n, timeout)

    def close(self):
        self.done = True
        self.t.join(2)
        self.s.close()


def notify_run(work):
    sock = os.path.join(work, "notify.sock")
    t = Ternd(work, "notify")
    lis = Listener(sock, probe_port=t.port)
    try:
        t.start(env={"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": str(WATCHDOG_USEC)},
                wait=False)
        if not lis.wait("READY", timeout=15):
            C.fail("built-with-systemd", "no READY=1 within 15 s: is ternd built "
                   f"with libsystemd (configure --with-systemd)? log: {t.tail()}")
            return False
        ready = [m for m in lis.msgs if m[1].get("READY") == "1"][0]
        C.check("ready-after-sockets-answer", ready[2], "a Binding sent when "
                "READY=1 arrived was not answered")
        C.check("ready-status", ready[1].get("STATUS", "").startswith("serving"),
                f"STATUS with READY=1: {ready[1].get('STATUS')!r}")
        C.check("ready-first", lis.keys()[0] == "READY",
                f"states in order: {lis.keys()[:5]}")
        # watchdog pings, about every 0.5 s
        t0 = time.monotonic()
        got = lis.wait("WATCHDOG", n=lis.keys().count("WATCHDOG") + 4, timeout=6)
        C.check("watchdog-pings", got, f"fewer than 4 WATCHDOG=1 in 6 s (WATCHDOG_USEC="
                f"{WATCHDOG_USEC}); states: {lis.keys()[-8:]}")
        if got:
            C.note(f"4 pings in {time.monotonic() - t0:.1f} s")
        # a good reload
        n_ready = lis.keys().count("READY")
        t.signal(signal.SIGHUP)
        lis.wait("READY", n=n_ready + 1)
        seq = [k for k in lis.keys() if k != "WATCHDOG"]
        C.check("reload-reloading-then-ready", seq[-2:] == ["RELOADING", "READY"],
                f"states without WATCHDOG: {seq}")
        rel = [m[1] for m in lis.msgs if m[1].get("RELOADING") == "1"]
        C.check("reloading-monotonic-usec",
                rel and rel[-1].get("MONOTONIC_USEC", "").isdigit(), f"RELOADING=1 message: {rel[-1:]}")
        C.check("reload-applied", t.count("reloaded configuration") == 1, t.tail())
        # a refused reload: READY=1 all the same
        good = open(t.conf).read()
        t.write(text=good + "no_such_setting = 1;\n")
        n_ready += 1
        t.signal(signal.SIGHUP)
        lis.wait("READY", n=n_ready + 1)
        seq = [k for k in lis.keys() if k != "WATCHDOG"]
        C.check("refused-reload-ready-again",
                seq[-2:] == ["RELOADING", "READY"] and t.count("reload refused"), f"states: {seq}; log: {t.tail(3)}")
        t.write(text=good)
        # drain status
        t.signal(signal.SIGUSR1)
        st = K.wait_for(lambda: [m[1]["STATUS"] for m in lis.msgs
                               if m[1].get("STATUS", "").startswith("draining")], 5)
        C.check("drain-status", st, "no STATUS=draining... after SIGUSR1")
        # pings go on while draining
        n = lis.keys().count("WATCHDOG")
        C.check("watchdog-while-draining", lis.wait("WATCHDOG", n=n + 2, timeout=4),
                "no WATCHDOG=1 while draining")
        t.signal(signal.SIGTERM)
        rc = t.wait_exit(10)
        C.check("term-exit-0", rc == 0, f"exit status {rc}: {t.tail()}")
        time.sleep(0.3)
        C.check("stopping", lis.keys() and "STOPPING" in lis.keys()[-3:],
                f"last states: {lis.keys()[-5:]}")
        return True
    finally:
        C.check("clean-exit", t.clean())
        lis.close()


def other_pid(work):
    """WATCHDOG_PID of another process: ternd must not ping."""
    sock = os.path.join(work, "notify2.sock")
    t = Ternd(work, "notify2")
    lis = Listener(sock)
    try:
        t.start(env={"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": str(WATCHDOG_USEC),
                     "WATCHDOG_PID": "1"}, wait=False)
        if not lis.wait("READY", timeout=15):
            C.fail("other-pid-ready", f"no READY=1: {t.tail()}")
            return
        time.sleep(2.0)
        C.check("other-pid-no-pings", "WATCHDOG" not in lis.keys(),
                f"WATCHDOG=1 sent though WATCHDOG_PID=1: {lis.keys()}")
        # the negative control's positive: READY went to the socket
        C.check("other-pid-ready", "READY" in lis.keys(), f"states: {lis.keys()}")
    finally:
        C.check("other-pid-clean-exit", t.clean())
        lis.close()


PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000


class Freeze:
    """Stop one thread of another process (ptrace: only that thread stops)."""

    def __init__(self, tid):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                     ctypes.c_void_p]
        self.tid = tid
        if self.libc.ptrace(PTRACE_SEIZE, tid, None, None) != 0:
            raise OSError(ctypes.get_errno(), "PTRACE_SEIZE")
        self.libc.ptrace(PTRACE_INTERRUPT, tid, None, None)
        os.waitpid(tid, WALL)

    def thaw(self):
        if self.tid:
            self.libc.ptrace(PTRACE_DETACH, self.tid, None, None)
            self.tid = None


def worker_tid(pid):
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == "ternd-w1":
                return int(tid)
    return None


def healthz(port):
    """(status, body) of GET /healthz on the admin listener."""
    try:
        st, _, body = K.http_get(port, "/healthz", timeout=3)
        return st, body.decode()
    except (OSError, http.client.HTTPException) as e:
        return None, str(e)


def hung_worker(work):
    sock = os.path.join(work, "notify3.sock")
    (admin,) = K.free_ports(1)
    t = Ternd(work, "hung", extra={"admin.port": admin})
    lis = Listener(sock)
    fr = None
    try:
        t.start(env={"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": str(WATCHDOG_USEC)},
                wait=False)
        if not lis.wait("READY", timeout=15) or not lis.wait("WATCHDOG", n=2, timeout=5):
            C.fail("hung-start", f"no READY=1 and pings: {lis.keys()}; {t.tail()}")
            return
        tid = worker_tid(t.proc.pid)
        try:
            fr = Freeze(tid)
        except (OSError, TypeError) as e:
            C.fail("hung-freeze", f"cannot stop worker thread {tid} with ptrace: {e}")
            return
        t0 = time.monotonic()
        held = t.wait_log(r"worker 1's event loop has not turned for \d+ ms", timeout=15)
        n = lis.keys().count("WATCHDOG")
        time.sleep(2.0)
        code, body = healthz(admin)
        C.check("hung-worker-healthz-503", code == 503 and "has not turned" in body,
                f"/healthz with worker 1 stopped: {code} {body.strip()!r}")
        C.check("hung-worker-stops-pings", held and lis.keys().count("WATCHDOG") == n,
                f"after {time.monotonic() - t0:.1f} s with worker 1 stopped: log "
                f"line {'seen' if held else 'missing'}, pings "
                f"{lis.keys().count('WATCHDOG') - n} in the last 2 s; {t.tail(3)}")
        t.write(users=[("alice", "wonderland"), ("zed", "z3d")])
        t.signal(signal.SIGHUP)
        late = t.wait_log(r"error\s+reload: 1 of 2 workers \(worker 1 first\) did not "
                          r"take the new configuration within 5 s", timeout=15)
        C.check("hung-worker-reload-names-it",
                late and t.wait_log("reloaded configuration from", timeout=5), f"{t.tail(3)}")
        fr.thaw()
        back = K.wait_for(lambda: healthz(admin)[0] == 200 or None, 5)
        C.check("hung-worker-back-healthz-200", back, f"/healthz: {healthz(admin)}")
        C.check("hung-worker-back-pings-resume", lis.wait("WATCHDOG", n=n + 2, timeout=5) and
                t.count("watchdog pings resume"),
                f"states: {lis.keys()[-5:]}; {t.tail(3)}")
        # ternd steers clients by source address: from .1 and .2, both
        # workers are asked
        for local in ("127.0.0.1", "127.0.0.2"):
            c = K.TurnClient(t.addr, user="zed", password="z3d", bind_host=local)
            r = c.allocate()
            c.close()
            C.check(f"hung-worker-back-reloaded-{local}", r is not None and r.cls == K.SUCCESS,
                    f"Allocate from {local} as the user added while worker 1 was "
                    f"stopped: {K.fmt(r)}")
    finally:
        if fr:
            fr.thaw()
        C.check("hung-clean-exit", t.clean())
        lis.close()


def main():
    if not os.access(os.environ.get("TERND", ""), os.X_OK):
        C.fail("setup", "TERND must name the ternd executable")
        C.exit()
    work = workdir("t-notify.")
    try:
        if notify_run(work):
            other_pid(work)
            hung_worker(work)
    finally:
        if os.environ.get("TERN_KEEP") != "1" and not C.failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            C.note(f"work directory kept: {work}")
    C.exit()


if __name__ == "__main__":
    main()
