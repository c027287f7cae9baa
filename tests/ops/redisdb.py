"""Redis for the tests of tests/ops that use it (t-redis-status.py,
t-realm-limits.py): a minimal RESP client, a redis-server of their own, and
the processes they start (on the kit's spawn: they die with the test).
Standard library and the kit only.
"""

import hashlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ternkit as K  # noqa: E402


class RedisError(Exception):
    pass


class Redis:
    """A minimal RESP client: argv commands, any bytes."""

    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise ConnectionError("redis closed the connection")
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RedisError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RedisError("bad reply %r" % line)

    def cmd(self, *args):
        self.send(*args)
        return self.read()


def md5_key(user, realm, password):
    """The long-term key as Redis holds it (hex), coturn's turnadmin -k."""
    return hashlib.md5(("%s:%s:%s" % (user, realm, password)).encode()).hexdigest()


class World:
    """A work directory and everything started in it (kit's spawn: dying
    with the test; servers: the kit's Servers), killed on cleanup whatever
    happens."""

    def __init__(self, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []
        self.servers = []

    def start(self, name, argv):
        p = K.spawn(argv, os.path.join(self.dir, name + ".log"))
        self.procs.append(p)
        return p

    def log(self, name, n=5):
        try:
            with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, p, sig=signal.SIGTERM, wait=10):
        return K.stop_proc(p, sig, wait)

    def cleanup(self, failed):
        for p in self.procs:
            K.stop_proc(p, signal.SIGKILL, 5)
        for srv in self.servers:
            srv.kill()
        if failed or os.environ.get("TERN_KEEP") == "1":
            print("# logs kept in %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def redis_start(w, port, tag):
    """redis-server on 127.0.0.1:port (no persistence, w's directory),
    answering PING; raises RuntimeError when it does not."""
    p = w.start("redis-" + tag, ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", w.dir])
    end = time.monotonic() + 5
    while time.monotonic() < end and p.poll() is None:
        try:
            r = Redis(port, 0.5)
            ok = r.cmd("PING") == "PONG"
            r.close()
            if ok:
                return p
        except (OSError, ConnectionError, RedisError):
            pass
        time.sleep(0.05)
    raise RuntimeError("redis-server did not answer on 127.0.0.1:%d: %s" % (port, w.log("redis-" + tag)))
