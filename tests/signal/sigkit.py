"""What tern-signal's tests share: start a tern-signal of their own
(TERN_SIGNAL=/path/to/tern-signal) with a configuration written here, on a
free loopback port; plain HTTP requests over a socket (no client library
rewrites the path: "..", %2e%2e reach the server as sent); a raw WebSocket
client that can send what Python's websockets refuses to (unmasked frames,
bad UTF-8). Python's websockets (Debian python3-websockets) is the
independent client of the protocol tests.
"""

import base64
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as K  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WWW = os.path.join(HERE, "www")


def binary():
    b = os.environ.get("TERN_SIGNAL", "")
    if not b or not os.access(b, os.X_OK):
        sys.exit("set TERN_SIGNAL=/path/to/tern-signal")
    return b


def conf_text(settings):
    """libconfig text from {"limits.rate": 5, "turn.urls": [...], ...}."""
    groups, top = {}, []

    def val(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, list):
            return "[ " + ", ".join(val(x) for x in v) + " ]"
        return json.dumps(v)
    for k, v in settings.items():
        if "." in k:
            g, n = k.split(".", 1)
            groups.setdefault(g, []).append("  %s = %s;" % (n, val(v)))
        else:
            top.append("%s = %s;" % (k, val(v)))
    out = top[:]
    for g, lines in groups.items():
        out += ["%s = {" % g] + lines + ["};"]
    return "\n".join(out) + "\n"


class Signal:
    """One tern-signal in directory d with settings; start() waits for its
    "listening on" line."""

    def __init__(self, d, settings=None, web=WWW, tls=None):
        os.makedirs(d, exist_ok=True)
        self.dir = d
        self.port = K.free_ports(1)[0]
        s = {"listen": "127.0.0.1:%d" % self.port, "web": web, "log_level": "info"}
        if tls:
            s["tls.certificate"], s["tls.key"] = tls
        s.update(settings or {})
        self.conf = os.path.join(d, "tern-signal.conf")
        self.log = os.path.join(d, "tern-signal.log")
        with open(self.conf, "w") as f:
            f.write(conf_text(s))
        self.tls = bool(tls)
        self.proc = None

    def start(self, timeout=10):
        self.proc = K.spawn([binary(), "-c", self.conf], self.log)
        if not K.wait_for(lambda: "listening on" in self.log_text() or self.proc.poll() is not None, timeout):
            raise RuntimeError("tern-signal did not start: %s" % self.log_text()[-300:])
        if self.proc.poll() is not None:
            raise RuntimeError("tern-signal exited %d: %s" % (self.proc.returncode, self.log_text()[-300:]))
        return self

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, wait=10):
        if self.proc is None:
            return None
        rc = K.stop_proc(self.proc, sig, wait)
        self.proc = None
        return rc

    def url(self, path="/", ws=False):
        scheme = ("wss" if self.tls else "ws") if ws else ("https" if self.tls else "http")
        return "%s://127.0.0.1:%d%s" % (scheme, self.port, path)

    def sanitizer(self):
        """The first sanitizer report line in the log, or None."""
        for line in self.log_text().splitlines():
            if re.search(K.SANITIZER_RE, line):
                return line
        return None

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def client_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def connect(port, tls=False, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if tls:
        s = client_ctx().wrap_socket(s, server_hostname="localhost")
    return s


def recv_all(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not d:
            break
        data += d
    return data


def http(port, raw=None, path="/", method="GET", headers=None, tls=False):
    """One request as bytes (raw) or built; returns (status, headers dict
    lower-case, body bytes)."""
    if raw is None:
        h = {"Host": "127.0.0.1:%d" % port}
        h.update(headers or {})
        raw = ("%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items())
               + "\r\n").encode()
    s = connect(port, tls)
    s.sendall(raw)
    data = recv_all(s)
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, data
    hdrs = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, body


class RawWS:
    """A WebSocket client on a plain socket: handshake, then frames exactly
    as the test builds them."""

    def __init__(self, port, path="/", origin=None, tls=False, protocol=None):
        self.s = connect(port, tls)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % (path, port, key))
        if origin:
            req += "Origin: %s\r\n" % origin
        if protocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        self.s.sendall((req + "\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.s.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        self.status = int(self.head.split()[1]) if self.head else None

    def send_frame(self, opcode, payload, fin=True, mask=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            k = os.urandom(4)
            payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload))
            hdr += k
        self.s.sendall(hdr + payload)

    def _need(self, n, timeout):
        self.s.settimeout(timeout)
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d

    def frame(self, timeout=5):
        """(opcode, payload) of the next frame from the server."""
        self._need(2, timeout)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, timeout)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, timeout)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, timeout)
        p = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return b0 & 0x0F, p

    def until_close(self, timeout=5):
        """The close code the server sends (None if the socket ends first),
        skipping other frames."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                op, p = self.frame(max(0.1, end - time.monotonic()))
            except (ConnectionError, OSError):
                return None
            if op == 8:
                return struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
        return None

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def metric(sig, name):
    """The value of one metric of /metrics (the sum over its labels)."""
    st, _, body = http(sig.port, path="/metrics", tls=sig.tls)
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total
