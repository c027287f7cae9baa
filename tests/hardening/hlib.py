"""Shared by the hardening tests (tests/hardening/t-*.py). Standard library only.

- Check: one line per check, "ok - NAME" or "FAIL - NAME: why", and "# ..."
  lines for figures; exit status non-zero when a check failed.
- Ternd: a ternd with a config written by tests/interop/turn/turnsrv.py (its
  options, including the ternd-only ones: port_min/port_max, deny_peers,
  alternate, nonce_secret, limits.*, admin.*), optionally run under a wrapper
  such as prlimit, killed with the test (PR_SET_PDEATHSIG and a finally).
- The TURN client is t-policy.py's (an independent one, written from the RFCs),
  loaded with runpy; TcpClient is the same over a TCP connection.
- /proc readings: resident memory, open descriptors, CPU seconds.
- EchoPeer, stop_proc: turnsrv.py's (shared with tests/ops); SocketReader:
  a thread reading many sockets.
- start, serve: a test's server start (and the whole main() of one-server
  tests).

Everything talks to loopback only.
"""

import ctypes
import os
import re
import runpy
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
INTEROP = os.path.join(TOP, "tests", "interop")
TURN_DIR = os.path.join(INTEROP, "turn")
sys.path.insert(0, INTEROP)
sys.path.insert(0, TURN_DIR)
import stunmsg  # noqa: E402
import turnsrv  # noqa: E402

# t-policy.py's client and codec, loaded as a module (it is a script)
P = runpy.run_path(os.path.join(TURN_DIR, "t-policy.py"), run_name="hardening")
Client = P["Client"]
Resp = P["Resp"]
build = P["build"]
attr = P["attr"]
xor_addr = P["xor_addr"]
unxor_addr = P["unxor_addr"]
long_term_key = P["long_term_key"]
is_success = P["is_success"]
is_error = P["is_error"]
fmt = P["fmt"]
(ALLOCATE, REFRESH, SEND, DATA, CREATE_PERMISSION, CHANNEL_BIND) = (
    P["ALLOCATE"], P["REFRESH"], P["SEND"], P["DATA"], P["CREATE_PERMISSION"], P["CHANNEL_BIND"])
REQUEST, INDICATION, SUCCESS, ERROR = P["REQUEST"], P["INDICATION"], P["SUCCESS"], P["ERROR"]
USERNAME, MESSAGE_INTEGRITY, ERROR_CODE = P["USERNAME"], P["MESSAGE_INTEGRITY"], P["ERROR_CODE"]
CHANNEL_NUMBER, LIFETIME, XOR_PEER_ADDRESS, DATA_ATTR = (
    P["CHANNEL_NUMBER"], P["LIFETIME"], P["XOR_PEER_ADDRESS"], P["DATA_ATTR"])
REALM, NONCE, XOR_RELAYED_ADDRESS = P["REALM"], P["NONCE"], P["XOR_RELAYED_ADDRESS"]
REQUESTED_ADDRESS_FAMILY, REQUESTED_TRANSPORT = P["REQUESTED_ADDRESS_FAMILY"], P["REQUESTED_TRANSPORT"]
XOR_MAPPED_ADDRESS, SOFTWARE, FINGERPRINT = P["XOR_MAPPED_ADDRESS"], P["SOFTWARE"], P["FINGERPRINT"]
EVEN_PORT = 0x0018
RESERVATION_TOKEN = 0x0022
UDP_TRANSPORT = (REQUESTED_TRANSPORT, bytes([17, 0, 0, 0]))

USER, PASSWORD = "alice", "wonderland"


# ----------------------------------------------------------------- results

def counted(chk, name, srv, pattern, before, want, what, timeout=3.0):
    """A "counted" check on /metrics: the metric moved from before by want
    (an int: exactly; a (lo, hi) pair: within). Without the endpoint, says so."""
    lo, hi = want if isinstance(want, tuple) else (want, want)
    if before is None:
        note("%s: no /metrics endpoint, not checked" % name)
        return
    v = srv.metric_until(pattern, lambda x: lo <= x - before <= hi, timeout)
    if v is None:
        note("%s: /metrics went away, not checked" % name)
        return
    chk.check(name, lo <= v - before <= hi, "%s: %s moved by %d, want %s" % (
        what, pattern, v - before, want))


class Check:
    """ok/FAIL lines for one test file; names are prefixed with its short name."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.passed = 0
        self.failed = 0

    def ok(self, name):
        self.passed += 1
        print("ok - %s/%s" % (self.prefix, name), flush=True)

    def fail(self, name, why):
        self.failed += 1
        print("FAIL - %s/%s: %s" % (self.prefix, name, " ".join(str(why).split()) or "no reason given"),
              flush=True)

    def check(self, name, cond, why=""):
        """cond: a truth value with why, or (without why) a list of problems
        (empty = pass)."""
        if isinstance(cond, (list, tuple)) and not why:
            if cond:
                self.fail(name, "; ".join(str(c) for c in cond))
                return False
            self.ok(name)
            return True
        if cond:
            self.ok(name)
        else:
            self.fail(name, why)
        return bool(cond)

    def run(self, name, fn, *a, **kw):
        """fn returns a list of problems; an exception is a failure."""
        try:
            probs = fn(*a, **kw)
        except Exception as e:  # noqa: BLE001 - one broken check must not end the test
            probs = ["%s: %s" % (type(e).__name__, e)]
        return self.check(name, probs or [])

    def guard(self, name, fn, *a, **kw):
        """Run a test body; an exception is one FAIL (traceback on stderr)."""
        try:
            fn(*a, **kw)
        except Exception as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            self.fail(name, "%s: %s" % (type(e).__name__, e))

    def exit_status(self):
        return 1 if self.failed or not self.passed else 0


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


def note(msg):
    """A figure or an explanation: not a check."""
    print("# " + msg, flush=True)


# ----------------------------------------------------------------- /proc

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


def ports_bindable(host, lo, hi):
    """Ports in lo..hi that we cannot bind on host right now (UDP)."""
    busy = []
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for p in range(lo, hi + 1):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.bind((host, p))
        except OSError:
            busy.append(p)
        finally:
            s.close()
    return busy


def free_window(n, lo=7000, hi=9990):
    """A run of n consecutive ports (even first) free on 127.0.0.1 and ::1 for UDP,
    from a range no other test here uses for relays (below the listener ports)."""
    import random
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(lo, hi - n) & ~1
        if not ports_bindable("127.0.0.1", base, base + n - 1) and \
                not ports_bindable("::1", base, base + n - 1):
            return base, base + n - 1
    raise RuntimeError("no free window of %d ports in %d-%d" % (n, lo, hi))


# ----------------------------------------------------------------- processes

def _pdeathsig():
    # the child dies with the test, whatever kills the test
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def on_sigterm():
    """timeout(1) sends SIGTERM: unwind through the finally blocks."""
    def h(sig, frame):
        raise SystemExit(128 + sig)
    signal.signal(signal.SIGTERM, h)
    signal.signal(signal.SIGINT, h)


def spawn(argv, log, **kw):
    """Start a helper process (stdout+stderr appended to log), dying with us."""
    f = open(log, "ab")
    try:
        return subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                preexec_fn=_pdeathsig, **kw)
    finally:
        f.close()


stop_proc = turnsrv.stop_proc


class Work:
    """A work directory with the test certificate; removed unless kept."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="tern-hard-%s." % name)
        self.keep = os.environ.get("TERN_KEEP", "0") == "1"
        cert = os.environ.get("TURN_CERT_DIR", "")
        if not cert or not os.path.exists(os.path.join(cert, "cert.pem")):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
                            "-keyout", os.path.join(self.dir, "key.pem"),
                            "-out", os.path.join(self.dir, "cert.pem")], check=True, capture_output=True)
            os.environ["TURN_CERT_DIR"] = self.dir

    def done(self, failed):
        if failed or self.keep:
            note("logs and configs kept in %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|"
                          r"SUMMARY: (Address|Undefined|Leak)")


class Ternd:
    """ternd with a turnsrv.py config in work/tag. wrap: argv prefix (prlimit ...)."""

    def __init__(self, work, tag, wrap=(), metrics=True, **opts):
        if not os.environ.get("TERND"):
            raise SystemExit("set TERND=/path/to/ternd")
        if metrics and "admin.port" not in opts:
            # /metrics for the "counted" checks; dropped again at start if
            # this ternd has no admin listener
            opts["admin.port"] = turnsrv.free_ports(1)[0]
        self.dir = os.path.join(work.dir, tag)
        argv, self.info = turnsrv.prepare(self.dir, {k: str(v) for k, v in opts.items()})
        self.argv = list(wrap) + argv
        self.conf = os.path.join(self.dir, "ternd.conf")
        self.port = int(self.info["SRV_PORT"])
        self.tls_port = int(self.info["SRV_TLS_PORT"])
        self.relay_min = int(self.info["SRV_RELAY_MIN"])
        self.relay_max = int(self.info["SRV_RELAY_MAX"])
        self.realm = self.info["SRV_REALM"]
        self.log = self.info["SRV_LOG"]
        self.addr = ("127.0.0.1", self.port)
        self.admin_port = int(opts.get("admin.port", 0) or 0)
        self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def check_config(self):
        """(ok, output) of ternd --check-config on the written file."""
        r = subprocess.run([os.environ["TERND"], "-c", self.conf, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def start(self, seconds=20.0):
        self.proc = spawn(self.argv, self.log)
        if not turnsrv.wait_ready(self.dir, seconds, self.proc):
            tail = self.log_tail()
            stop_proc(self.proc)
            if self.admin_port and "admin" in tail:
                # the metrics endpoint is optional here: the checks that
                # need it say so and fall back
                note("ternd has no admin listener (%s): running without /metrics" % tail.split("|")[-1].strip())
                with open(self.conf) as f:
                    lines = [ln for ln in f if not ln.startswith("admin = {")]
                with open(self.conf, "w") as f:
                    f.writelines(lines)
                self.admin_port = 0
                return self.start(seconds)
            raise RuntimeError("ternd did not become ready on 127.0.0.1:%d: %s" % (self.port, tail))
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=5):
        return " | ".join(self.log_text().splitlines()[-n:])

    def stop(self):
        """SIGTERM; problems: not running any more, exit status, sanitizer report."""
        if self.proc is None:
            return []
        probs = []
        if self.proc.poll() is not None:
            probs.append("ternd had died during the test (status %s): %s" % (self.proc.returncode,
                                                                             self.log_tail()))
        else:
            rc = stop_proc(self.proc)
            if rc != 0:
                probs.append("exit status %s after SIGTERM" % rc)
        m = SANITIZER_RE.search(self.log_text())
        if m:
            probs.append("sanitizer report in %s: %s" % (self.log, m.group(0)))
        self.proc = None
        return probs

    def kill(self):
        if self.proc is not None:
            stop_proc(self.proc, signal.SIGKILL)
            self.proc = None

    def metrics(self):
        """{name{labels}: value} from the admin /metrics endpoint, or None."""
        if not self.admin_port:
            return None
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.admin_port, timeout=2) as r:
                text = r.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - no endpoint (yet): the caller falls back to the log
            return None
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            try:
                k, v = line.rsplit(None, 1)
                out[k] = float(v)
            except ValueError:
                continue
        return out


    def metric(self, pattern):
        """Sum of the /metrics samples whose name{labels} matches pattern, or
        None without the endpoint."""
        m = self.metrics()
        return None if m is None else metric_sum(m, pattern)

    def metric_until(self, pattern, pred, timeout=3.0):
        """Poll a metric until pred(value) holds (ternd publishes its counters
        once a second); returns the last value, or None without /metrics."""
        end = time.monotonic() + timeout
        while True:
            v = self.metric(pattern)
            if v is None or pred(v) or time.monotonic() >= end:
                return v
            time.sleep(0.2)


def metric_sum(m, pattern):
    """Sum of the metrics whose name{labels} matches the regex."""
    rx = re.compile(pattern)
    return sum(v for k, v in m.items() if rx.search(k))


# ----------------------------------------------------------------- TURN helpers

def challenge(server, bind_ip="127.0.0.1"):
    """(realm, nonce) from a 401 to an unauthenticated Allocate from bind_ip."""
    c = Client(server, bind_host=bind_ip)
    try:
        tid, data = build(ALLOCATE, REQUEST, [UDP_TRANSPORT])
        r = c.transact(tid, data)
        if r is None or r.get(NONCE) is None:
            raise RuntimeError("no 401 with a NONCE from %s:%d (%s)" % (server + (fmt(r),)))
        return r.get(REALM), r.get(NONCE)
    finally:
        c.close()


def client(server, nonce=None, family=socket.AF_INET, bind_ip=None):
    """A UDP TURN client; with nonce=(realm, nonce) it skips the 401 round trip
    (nonces are bound to the client's IP address, not its port)."""
    c = Client(server, family=family, bind_host=bind_ip)
    if nonce:
        c.realm, c.nonce = nonce
    return c


def allocate(c, user=USER, password=PASSWORD, extra=(), family=None):
    attrs = [UDP_TRANSPORT]
    if family is not None:
        attrs.append((REQUESTED_ADDRESS_FAMILY, bytes([family, 0, 0, 0])))
    return c.request(ALLOCATE, attrs + list(extra), user=user, password=password)


def relayed(r):
    v = r.get(XOR_RELAYED_ADDRESS) if r is not None else None
    return unxor_addr(v, r.tid) if v is not None else None


def release(c, user=USER, password=PASSWORD):
    return c.request(REFRESH, [(LIFETIME, struct.pack("!I", 0))], user=user, password=password)


def permission(c, ip, user=USER, password=PASSWORD):
    tid = os.urandom(12)
    return c.request(CREATE_PERMISSION, [(XOR_PEER_ADDRESS, xor_addr(ip, 0, tid))], tid=tid,
                     user=user, password=password)


def channel_bind(c, num, peer, user=USER, password=PASSWORD):
    tid = os.urandom(12)
    return c.request(CHANNEL_BIND, [(CHANNEL_NUMBER, struct.pack("!HH", num, 0)),
                                    (XOR_PEER_ADDRESS, xor_addr(peer[0], peer[1], tid))], tid=tid,
                     user=user, password=password)


def send_indication(peer, payload):
    tid = os.urandom(12)
    return build(SEND, INDICATION, [(XOR_PEER_ADDRESS, xor_addr(peer[0], peer[1], tid)),
                                    (DATA_ATTR, payload)], tid=tid, fingerprint=False)[1]


def channel_data(num, payload):
    return struct.pack("!HH", num, len(payload)) + payload


def parse_data_indication(raw):
    """payload of a Data indication, or None."""
    try:
        r = Resp(raw)
    except (ValueError, struct.error):
        return None
    if r.method != DATA or r.cls != INDICATION:
        return None
    return r.get(DATA_ATTR)


class TcpClient(Client):
    """t-policy.py's client over one TCP connection (RFC 8489 framing)."""

    def __init__(self, server, bind_host="127.0.0.1", timeout=3.0):  # noqa: super not called on purpose
        self.server = server
        self.sock = socket.create_connection(server, timeout=timeout,
                                             source_address=(bind_host, 0))
        self.realm = self.nonce = None
        self.key = None
        self.buf = b""

    def read_frame(self, timeout):
        """One STUN message or ChannelData frame (raw bytes), or None on timeout."""
        end = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                if self.buf[0] & 0xC0 == 0:
                    need = 20 + struct.unpack("!H", self.buf[2:4])[0]
                else:
                    n = struct.unpack("!H", self.buf[2:4])[0]
                    need = 4 + n + (-n % 4)
                if len(self.buf) >= need:
                    frame, self.buf = self.buf[:need], self.buf[need:]
                    return frame
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk

    def transact(self, tid, data, timeout=2.0, tries=1):
        self.sock.sendall(data)
        end = time.monotonic() + timeout * tries
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            raw = self.read_frame(left)
            if raw is None:
                return None
            try:
                r = Resp(raw)
            except (ValueError, struct.error):
                continue
            if r.tid == tid:
                return r


EchoPeer = turnsrv.EchoPeer


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


def wait_for(fn, timeout, step=0.1):
    """Poll fn() until it returns something true, at most timeout s; returns it."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)
