"""The ternd of the lifecycle tests of tests/ops (t-reload-uclient.py,
t-drain.py, t-notify.py, t-privdrop.py): reload, drain, systemd
notifications, privilege drop. Everything else they use (reporter, STUN/TURN
client, echo peer, ports, waiting, processes) is the kit's, tests/lib/ternkit.

- Ternd: a ternd with a config file written here, any setting at all
  ("group.setting": value, which the kit's Server cannot express: drain,
  user, log, deny_peers... and a TLS certificate the test rotates), on
  free loopback ports, logging to a file; dies with the test; stopped with
  SIGINT (never a drain), its exit status and sanitizer report checked
  (clean()).
- make_cert: the kit's certificate, with the SHA-256 of its DER form.
- tls_connect, tls_binding: a TLS connection and a Binding over it.
- echo: a datagram through a TurnClient's relay to an echo peer and back.
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
import ternkit as K  # noqa: E402


def conf_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(conf_value(x) for x in v) + " ]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Ternd:
    """A ternd on 127.0.0.1 with UDP+TCP on one port, TLS+DTLS on another."""

    def __init__(self, work, name="ternd", users=(("alice", "wonderland"),),
                 tls=False, workers=2, extra=None, realm="tern.test", binary=None):
        self.work = work
        self.binary = binary or os.environ.get("TERND", "")
        self.name = name
        self.port, self.tls_port = K.free_ports(2)
        self.addr = ("127.0.0.1", self.port)
        self.relay_min, self.relay_max = K.free_window(200)
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
        """Run ternd -c conf -e args (dying with the test; preexec runs in
        the child after that; cwd: the work directory, which a dropped user
        can enter too); with wait, True once it answers a Binding."""
        if not os.path.exists(self.conf):
            self.write()
        self.env = dict(os.environ, **(env or {}))
        self.proc = K.spawn([self.binary, "-c", self.conf, "-e", *args], self.log,
                            env=self.env, preexec=preexec, cwd=self.work)
        if wait:
            return self.wait_ready()
        return True

    def wait_ready(self, timeout=15):
        """STUN Binding answered on the UDP port."""
        def up():
            if self.proc.poll() is not None:
                return "exited"
            return "up" if K.ping("udp", self.port, timeout=0.2) else None
        return K.wait_for(up, timeout, step=0.05) == "up"

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
        return K.wait_for(lambda: self.count(pattern) >= at_least, timeout, step=0.05)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGINT (stop at once, no drain), SIGKILL after 10 s; returns the
        exit status (negative: the signal that killed it), None if never
        started."""
        return K.stop_proc(self.proc, signal.SIGINT, 10)

    def sanitizer_report(self):
        """The first lines of an ASan/UBSan/LSan report in the log."""
        return [ln for ln in self.logtext().splitlines() if K.SANITIZER_RE.search(ln)][:3]

    def clean(self, want_rc=0):
        """Stop it; the problems (none: it ended with want_rc and left no
        sanitizer report in its log), for Reporter.check(name, problems)."""
        if self.proc is None:
            return ["ternd was never started (see the FAIL before)"]
        rc = self.stop()
        why = []
        if rc != want_rc:
            why.append(f"exit status {rc}, expected {want_rc}")
        rep = self.sanitizer_report()
        if rep:
            why.append("sanitizer report: " + " | ".join(rep))
        return ["; ".join(why) + f" ({self.log})"] if why else []

    def tail(self, n=8):
        return " | ".join(self.logtext().strip().splitlines()[-n:])


def make_cert(d, name, cn="localhost"):
    """The kit's self-signed certificate as d/name.pem, d/name-key.pem;
    returns (cert, key, sha256 of the DER certificate, hex)."""
    cert, key = K.make_cert(d, name, name + "-key", cn)
    der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return cert, key, hashlib.sha256(der).hexdigest()


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
    tid = K.new_tid()
    try:
        s.sendall(K.build(tid=tid))
        r = K.read_stream_msg(s, 3.0)
        return r is not None and r.tid == tid and r.type == K.BINDING_SUCCESS
    except (OSError, K.StunError):
        return False


def code(r):
    """The error code of a response, 0 for none (no answer, a success)."""
    e = r.error() if r is not None else None
    return e[0] if e else 0


def echo(c, peer, payload, timeout=1.0, tries=3):
    """Send payload to the echo peer (ip, port) through c's relay (a Send
    indication); True when a Data indication brings it back."""
    for _ in range(tries):
        c.send(peer, payload)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            raw = c.recv_raw(max(0.01, end - time.monotonic()))
            got = K.data_indication_peer(raw) if raw else None
            if got and got[1] == payload:
                return True
    return False


def workdir(prefix):
    base = os.environ.get("OPS_WORK") or None
    return tempfile.mkdtemp(prefix=prefix, dir=base)
