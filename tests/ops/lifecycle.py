"""Shared by the lifecycle tests of tests/ops (t-reload-uclient.py, t-drain.py,
t-notify.py, t-privdrop.py): reload, drain, systemd notifications, privilege
drop. Standard library only; everything on loopback.

- Check: "PASS name" / "FAIL name: why" lines, as tests/ops/run reads them.
- Ternd: a ternd with a config file this module writes, on free loopback
  ports, logging to a file; killed with the test (PR_SET_PDEATHSIG, and
  stop() in a finally).
- TurnClient: a small TURN client over UDP written from RFC 8489 / 8656
  (long-term credentials, Allocate, Refresh, CreatePermission, Send/Data).
- EchoPeer: a UDP echo server, the far end of relays (turnsrv.py's).
- make_cert: a self-signed certificate with openssl(1).
"""

import ctypes
import hashlib
import hmac
import os
import random
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "interop", "turn"))
import turnsrv  # noqa: E402  EchoPeer

TERND = os.environ.get("TERND", "")
MAGIC = 0x2112A442

BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION = 1, 3, 4, 6, 7, 8
REQUEST, INDICATION, SUCCESS, ERROR = 0x0000, 0x0010, 0x0100, 0x0110
A_USERNAME, A_MI, A_ERROR_CODE, A_LIFETIME = 0x0006, 0x0008, 0x0009, 0x000D
A_XOR_PEER, A_DATA, A_REALM, A_NONCE = 0x0012, 0x0013, 0x0014, 0x0015
A_XOR_RELAYED, A_REQ_TRANSPORT, A_XOR_MAPPED = 0x0016, 0x0019, 0x0020
A_ALTERNATE_SERVER, A_FINGERPRINT = 0x8023, 0x8028


# ------------------------------------------------------------------ results

class Check:
    """One PASS/FAIL line per check; the exit status says whether any failed."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.failed = 0
        self.passed = 0

    def ok(self, name):
        self.passed += 1
        print(f"PASS {self.prefix}/{name}", flush=True)

    def fail(self, name, why):
        self.failed += 1
        why = " ".join(str(why).split())
        print(f"FAIL {self.prefix}/{name}: {why}", flush=True)

    def check(self, cond, name, why=""):
        if cond:
            self.ok(name)
        else:
            self.fail(name, why or "check failed")
        return bool(cond)

    def clean(self, t, name, want_rc=0):
        """Stop t (if still running) and check it ended with want_rc and
        left no sanitizer report in its log (the ASan+UBSan build)."""
        rc = t.stop()
        rep = t.sanitizer_report()
        why = []
        if t.proc is None:
            why.append("ternd was never started (see the FAIL before)")
        elif rc != want_rc:
            why.append(f"exit status {rc}, expected {want_rc}")
        if rep:
            why.append("sanitizer report: " + " | ".join(rep))
        return self.check(not why, name, "; ".join(why) + f" ({t.log})")

    def run(self, name, fn, *args):
        """fn(*args); an exception it raises is one FAIL line naming it (the
        part it interrupted is not silently counted as run)."""
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 - a FAIL line, not a traceback
            self.fail(name + "-raised", f"{type(e).__name__}: {e}")
            return None

    def note(self, text):
        print(f"# {text}", file=sys.stderr, flush=True)

    def exit(self):
        sys.exit(1 if self.failed or not self.passed else 0)


# ------------------------------------------------------------------ helpers

def wait_for(pred, timeout, step=0.05):
    """Poll pred() until it returns something true or timeout seconds pass."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def _port_free(port):
    for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, typ)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_ports(n, lo=20000, hi=29000):
    """n ports free for both UDP and TCP on 127.0.0.1 (random, so that tests
    running at the same time rarely meet)."""
    out = []
    while len(out) < n:
        p = random.randrange(lo, hi)
        if p not in out and _port_free(p):
            out.append(p)
    return out


def free_range(width=200, lo=30000, hi=60000):
    """A relay port range whose first ports are free (the rest is ternd's
    business: it retries a port in use)."""
    while True:
        p = random.randrange(lo, hi - width)
        if all(_port_free(p + i) for i in range(0, width, 37)):
            return p, p + width - 1


def make_cert(d, name, cn="localhost"):
    """A self-signed certificate and key in d; returns (cert, key, sha256 of
    the DER certificate, hex)."""
    cert, key = os.path.join(d, name + ".crt"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + cn],
                   check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return cert, key, hashlib.sha256(der).hexdigest()


def _pdeathsig():
    """Die with the test (the parent), whatever kills it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def conf_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(conf_value(x) for x in v) + " ]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


# ------------------------------------------------------------------ ternd

class Ternd:
    """A ternd on 127.0.0.1 with UDP+TCP on one port, TLS+DTLS on another."""

    def __init__(self, work, name="ternd", users=(("alice", "wonderland"),),
                 tls=False, workers=2, extra=None, realm="tern.test", binary=None):
        self.work = work
        self.binary = binary or TERND
        self.name = name
        self.port, self.tls_port = free_ports(2)
        self.relay_min, self.relay_max = free_range()
        self.realm = realm
        self.users = list(users)
        self.tls = tls
        self.cert = self.key = None
        self.workers = workers
        # "group.setting": value; a top-level setting without a dot
        self.extra = dict(extra or {})
        self.conf = os.path.join(work, name + ".conf")
        self.log = os.path.join(work, name + ".log")
        self.proc = None
        self.env = None

    def text(self, users=None, extra=None, raw=""):
        """The configuration file (users and extra default to this ternd's)."""
        users = self.users if users is None else users
        extra = dict(self.extra if extra is None else extra)
        groups, top = {}, []
        for k, v in extra.items():
            if "." in k:
                g, s = k.split(".", 1)
                groups.setdefault(g, []).append(f"  {s} = {conf_value(v)};")
            else:
                top.append(f"{k} = {conf_value(v)};")
        relay = groups.setdefault("relay", [])
        if not any(s.strip().startswith("port_min") for s in relay):
            relay.append(f"  port_min = {self.relay_min};")
            relay.append(f"  port_max = {self.relay_max};")
        if not any(s.strip().startswith("allow_peers") for s in relay):
            relay.append('  allow_peers = [ "127.0.0.1/32" ];')
        ports = (f"ports = {{ udp = {self.port}; tcp = {self.port}; "
                 f"tls = {self.tls_port if self.tls else 0}; "
                 f"dtls = {self.tls_port if self.tls else 0}; }};")
        ulist = ", ".join(f'{{ name = "{u}"; password = "{p}"; }}' for u, p in users)
        out = [f"workers = {self.workers};", *top,
               'listen = ( { address = "127.0.0.1"; } );', ports]
        if self.tls:
            out.append(f'tls = {{ certificate = "{self.cert}"; private_key = "{self.key}"; }};')
        auth = groups.pop("auth", [])
        out.append(f'auth = {{ realm = "{self.realm}"; users = ( {ulist} );')
        out += auth
        out.append("};")
        for g, lines in groups.items():
            out.append(f"{g} = {{")
            out += lines
            out.append("};")
        out.append(raw)
        return "\n".join(out) + "\n"

    def write(self, users=None, extra=None, raw="", text=None):
        """(Re)write the configuration file, atomically (rename)."""
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(text if text is not None else self.text(users, extra, raw))
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.conf)

    def start(self, args=(), env=None, preexec=None, wait=True):
        if not os.path.exists(self.conf):
            self.write()
        self.env = dict(os.environ, **(env or {}))

        def pre():
            _pdeathsig()
            if preexec:
                preexec()
        self.logf = open(self.log, "ab")
        # cwd: the work directory, which a dropped user can enter too
        self.proc = subprocess.Popen([self.binary, "-c", self.conf, "-e", *args],
                                     stdout=self.logf, stderr=self.logf, cwd=self.work,
                                     env=self.env, preexec_fn=pre)
        if wait:
            return self.wait_ready()
        return True

    def wait_ready(self, timeout=15):
        """STUN Binding answered on the UDP port."""
        def up():
            if self.proc.poll() is not None:
                return "exited"
            return "up" if stun_binding(self.port, timeout=0.2) else None
        return wait_for(up, timeout) == "up"

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def logtext(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def count(self, pattern):
        return len(re.findall(pattern, self.logtext(), re.M))

    def wait_log(self, pattern, timeout=10, at_least=1):
        return wait_for(lambda: self.count(pattern) >= at_least, timeout)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGINT (stop at once), SIGKILL after 10 s; returns the exit
        status (negative: the signal that killed it), None if never
        started."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            if self.wait_exit(10) is None:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "logf", None):
            self.logf.close()
            self.logf = None
        return self.proc.returncode if self.proc else None

    def sanitizer_report(self):
        """The first lines of an ASan/UBSan/LSan report in the log."""
        return re.findall(r"^.*(?:ERROR: (?:Address|Leak)Sanitizer|runtime error:|"
                          r"SUMMARY: (?:Address|Undefined|Leak)).*$",
                          self.logtext(), re.M)[:3]

    def tail(self, n=8):
        return " | ".join(self.logtext().strip().splitlines()[-n:])


# ------------------------------------------------------------------ STUN

def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def xor_addr(ip, port, tid=b""):
    fam, raw = (1, socket.inet_aton(ip))
    x = bytes(a ^ b for a, b in zip(raw, struct.pack("!I", MAGIC)))
    return struct.pack("!BBH", 0, fam, port ^ (MAGIC >> 16)) + x


def unxor_addr(v):
    port = struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)
    raw = bytes(a ^ b for a, b in zip(v[4:8], struct.pack("!I", MAGIC)))
    return socket.inet_ntoa(raw), port


def plain_addr(v):
    return socket.inet_ntoa(v[4:8]), struct.unpack("!H", v[2:4])[0]


def build(method, cls, attrs, tid=None, key=None):
    tid = tid or os.urandom(12)
    body = b"".join(attr(t, v) for t, v in attrs)
    typ = method | cls
    if key is not None:
        hdr = struct.pack("!HHI", typ, len(body) + 24, MAGIC) + tid
        mac = hmac.new(key, hdr + body, hashlib.sha1).digest()
        body += attr(A_MI, mac)
    hdr = struct.pack("!HHI", typ, len(body) + 8, MAGIC) + tid
    crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(A_FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", typ, len(body), MAGIC) + tid + body, tid


class Msg:
    def __init__(self, raw):
        self.raw = raw
        self.type, n, _ = struct.unpack("!HHI", raw[:8])
        self.tid = raw[8:20]
        self.attrs = []
        i = 20
        while i + 4 <= 20 + n:
            t, ln = struct.unpack("!HH", raw[i:i + 4])
            self.attrs.append((t, raw[i + 4:i + 4 + ln]))
            i += 4 + ln + (-ln % 4)

    def get(self, t):
        for a, v in self.attrs:
            if a == t:
                return v
        return None

    @property
    def cls(self):
        return self.type & 0x0110

    @property
    def code(self):
        v = self.get(A_ERROR_CODE)
        return (v[2] & 7) * 100 + v[3] if v else 0


def stun_binding(port, host="127.0.0.1", timeout=0.5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        m, tid = build(BINDING, REQUEST, [])
        s.sendto(m, (host, port))
        while True:
            d, _ = s.recvfrom(2048)
            if len(d) >= 20 and d[8:20] == tid:
                return Msg(d)
    except OSError:
        return None
    finally:
        s.close()


def tls_connect(port, timeout=5):
    """A TLS connection to ternd (no verification: the test compares the
    certificate itself). Returns (ssl socket, sha256 of the server's DER
    certificate)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    return s, hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def tls_binding(s):
    """A STUN Binding over an open TLS connection; True when answered."""
    m, tid = build(BINDING, REQUEST, [])
    try:
        s.sendall(m)
        buf = b""
        while len(buf) < 20 or len(buf) < 20 + int.from_bytes(buf[2:4], "big"):
            d = s.recv(2048)
            if not d:
                return False
            buf += d
        r = Msg(buf)
        return r.tid == tid and r.cls == SUCCESS
    except OSError:
        return False


def long_term_key(user, realm, password):
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).digest()


class TurnClient:
    """One UDP TURN client: long-term credentials, one allocation."""

    def __init__(self, port, user, password, host="127.0.0.1", local="127.0.0.1"):
        self.server = (host, port)
        self.user, self.password = user, password
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((local, 0))
        self.realm = self.nonce = self.key = None
        self.relay = None
        self.data = []  # (peer, bytes) from Data indications

    def close(self):
        self.s.close()

    def _transact(self, data, tid, timeout=0.5, tries=5):
        for _ in range(tries):
            self.s.sendto(data, self.server)
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                self.s.settimeout(max(0.01, end - time.monotonic()))
                try:
                    d, _ = self.s.recvfrom(4096)
                except socket.timeout:
                    break
                if len(d) < 20:
                    continue
                m = Msg(d)
                if m.type == (DATA | INDICATION):
                    self._keep_data(m)
                elif m.tid == tid:
                    return m
        return None

    def _keep_data(self, m):
        p, d = m.get(A_XOR_PEER), m.get(A_DATA)
        if p is not None and d is not None:
            self.data.append((unxor_addr(p), d))

    def request(self, method, attrs):
        """Send with credentials (after the 401 that tells realm and nonce,
        and again on 438). Returns the final Msg or None (no answer)."""
        for _ in range(3):
            a = list(attrs)
            key = None
            if self.nonce is not None:
                a += [(A_USERNAME, self.user.encode()), (A_REALM, self.realm),
                      (A_NONCE, self.nonce)]
                key = self.key
            m, tid = build(method, REQUEST, a, key=key)
            r = self._transact(m, tid)
            if r is None:
                return None
            if r.cls == ERROR and r.code in (401, 438) and r.get(A_NONCE):
                fresh = self.nonce is None or r.code == 438
                self.realm, self.nonce = r.get(A_REALM) or self.realm, r.get(A_NONCE)
                self.key = long_term_key(self.user, self.realm.decode(), self.password)
                if fresh:
                    continue
            return r
        return r

    def allocate(self, lifetime=None):
        a = [(A_REQ_TRANSPORT, bytes([17, 0, 0, 0]))]
        if lifetime is not None:
            a.append((A_LIFETIME, struct.pack("!I", lifetime)))
        r = self.request(ALLOCATE, a)
        if r is not None and r.cls == SUCCESS:
            self.relay = unxor_addr(r.get(A_XOR_RELAYED))
        return r

    def refresh(self, lifetime):
        return self.request(REFRESH, [(A_LIFETIME, struct.pack("!I", lifetime))])

    def permit(self, ip, port=0):
        return self.request(CREATE_PERMISSION, [(A_XOR_PEER, xor_addr(ip, port))])

    def send(self, ip, port, payload):
        m, _ = build(SEND, INDICATION, [(A_XOR_PEER, xor_addr(ip, port)),
                                        (A_DATA, payload)])
        self.s.sendto(m, self.server)

    def recv_data(self, timeout=1.0):
        end = time.monotonic() + timeout
        while not self.data and time.monotonic() < end:
            self.s.settimeout(max(0.01, end - time.monotonic()))
            try:
                d, _ = self.s.recvfrom(4096)
            except socket.timeout:
                break
            if len(d) >= 20:
                m = Msg(d)
                if m.type == (DATA | INDICATION):
                    self._keep_data(m)
        return self.data.pop(0) if self.data else None

    def echo(self, peer, payload, timeout=1.0, tries=3):
        """Send payload to the echo peer through the relay; True when it
        comes back."""
        for _ in range(tries):
            self.send(peer[0], peer[1], payload)
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                got = self.recv_data(end - time.monotonic())
                if got and got[1] == payload:
                    return True
        return False


def describe(r):
    if r is None:
        return "no answer"
    if r.cls == SUCCESS:
        return "success"
    if r.cls == ERROR:
        reason = (r.get(A_ERROR_CODE) or b"    ")[4:].decode(errors="replace")
        return f"error {r.code} {reason}".strip()
    return f"type 0x{r.type:04x}"


# ------------------------------------------------------------------ peers

EchoPeer = turnsrv.EchoPeer  # the one of tests/interop/turn/turnsrv.py


def workdir(prefix):
    base = os.environ.get("OPS_WORK") or None
    return tempfile.mkdtemp(prefix=prefix, dir=base)
