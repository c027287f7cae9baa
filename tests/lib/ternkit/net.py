"""Processes, ports, waiting, HTTP requests and the echo peer for the
real-peer tests. Standard library only; everything on loopback.
"""

import ctypes
import http.client
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

_taken = set()  # ports handed out by free_ports in this process


def pdeathsig():
    """preexec_fn for a child that must die with the test, whatever kills
    the test (PR_SET_PDEATHSIG = SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def as_user(uid, gid):
    """preexec_fn (spawn(), Server.launch()) starting the child as uid:gid
    (no supplementary groups); the change of user clears PR_SET_PDEATHSIG,
    so it is set again after it."""
    def pre():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        pdeathsig()
    return pre


def spawn(argv, log, env=None, preexec=None, **kw):
    """Start a helper process, stdout+stderr appended to the file log, stdin
    /dev/null, dying with us (pdeathsig; preexec runs after it). Returns the Popen."""
    def pre():
        pdeathsig()
        if preexec:
            preexec()
    f = open(log, "ab")
    try:
        return subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=pre, env=env, **kw)
    finally:
        f.close()


def stop_proc(p, sig=signal.SIGTERM, wait=10):
    """Signal a process we started, SIGKILL after wait seconds; returns its
    exit status (None for no process)."""
    if p is None:
        return None
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    return p.returncode


def on_sigterm():
    """timeout(1) sends SIGTERM: unwind through the finally blocks (so the
    servers are stopped and the work directory is kept)."""
    def h(sig, frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, h)
    signal.signal(signal.SIGINT, h)


def wait_for(fn, timeout, step=0.1):
    """Poll fn() until it returns something true, at most timeout seconds;
    returns its last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def http_request(port, method, path, headers=None, timeout=5, host="127.0.0.1"):
    """(status, {lower-case header: value}, body bytes) of one request on a
    new connection to host:port; any status is an answer (no exception for
    4xx or 5xx). Raises OSError when nothing answers, or http.client's
    HTTPException when what answers is not HTTP."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def http_get(port, path, timeout=5, headers=None, host="127.0.0.1"):
    """http_request with GET."""
    return http_request(port, "GET", path, headers, timeout, host)


def port_free(p, hosts=("127.0.0.1", "::1"), types=(socket.SOCK_DGRAM, socket.SOCK_STREAM)):
    """Can port p be bound on every host, for every socket type, right now?"""
    socks = []
    try:
        for host in hosts:
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            for typ in types:
                s = socket.socket(fam, typ)
                socks.append(s)
                s.bind((host, p))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_ports(n, lo=10000, hi=16383, hosts=("127.0.0.1", "::1"), exclude=()):
    """n distinct ports in lo..hi free for UDP and TCP on every host right
    now, never one this process handed out before nor one in exclude.
    (10000-16383: below the kernel's ephemeral range and the relay windows.)"""
    rng = random.SystemRandom()
    out = []
    skip = set(exclude) | _taken
    for _ in range(20000):
        if len(out) == n:
            _taken.update(out)
            return out
        p = rng.randint(lo, hi)
        if p in skip or p in out:
            continue
        if port_free(p, hosts):
            out.append(p)
    raise RuntimeError("no %d free ports in %d-%d" % (n, lo, hi))


def ports_bindable(host, lo, hi):
    """The UDP ports in lo..hi that we cannot bind on host right now."""
    return [p for p in range(lo, hi + 1) if not port_free(p, (host,), (socket.SOCK_DGRAM,))]


def free_window(n, lo=7000, hi=9990):
    """A run of n consecutive ports (even first) free for UDP on 127.0.0.1
    and ::1: (first, last)."""
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(lo, hi - n) & ~1
        if not ports_bindable("127.0.0.1", base, base + n - 1) and \
                not ports_bindable("::1", base, base + n - 1):
            return base, base + n - 1
    raise RuntimeError("no free window of %d ports in %d-%d" % (n, lo, hi))


def make_cert(d, name="cert", key_name="key", cn="localhost"):
    """A throwaway self-signed P-256 certificate (its own CA, SAN localhost,
    127.0.0.1, ::1) as d/name.pem and d/key_name.pem; returns (cert, key)."""
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, key_name + ".pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=%s" % cn,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def ensure_cert(d):
    """Make sure $TURN_CERT_DIR holds cert.pem/key.pem (making them in d if
    not) and return that directory."""
    cert = os.environ.get("TURN_CERT_DIR", "")
    if not cert or not os.path.exists(os.path.join(cert, "cert.pem")):
        make_cert(d)
        os.environ["TURN_CERT_DIR"] = d
    return os.environ["TURN_CERT_DIR"]


class Work:
    """A work directory (under $TURN_WORK/name when the runner sets it, else
    a fresh temporary one) with the test certificate; removed by done()
    unless something failed or TERN_KEEP=1."""

    def __init__(self, name):
        base = os.environ.get("TURN_WORK")
        if base:
            self.dir = os.path.join(base, name)
            os.makedirs(self.dir, exist_ok=True)
            self.own = False
        else:
            self.dir = tempfile.mkdtemp(prefix="tern-%s." % name)
            self.own = True
        self.keep = os.environ.get("TERN_KEEP", "0") == "1"
        ensure_cert(self.dir)

    def done(self, failed):
        """Remove the directory (if it is ours) unless failed or kept."""
        if failed or self.keep:
            print("# logs and configs kept in %s" % self.dir, flush=True)
        elif self.own:
            shutil.rmtree(self.dir, ignore_errors=True)


class EchoPeer:
    """A UDP echo server on host (a thread): the peer end of relays.
    addr: (host, port); count: datagrams echoed; got: the last few
    (data, from) received."""

    def __init__(self, host="127.0.0.1", echo=True):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.addr = self.sock.getsockname()[:2]
        self.echo = echo
        self.count = 0
        self.got = []
        self._stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                data, frm = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            if len(self.got) < 64:
                self.got.append((data, frm))
            if self.echo:
                try:
                    self.sock.sendto(data, frm)
                except OSError:
                    pass

    def close(self):
        """Stop the thread and close the socket."""
        self._stop = True
        self.t.join(2)
        self.sock.close()
