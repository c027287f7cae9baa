"""The ternd of the lifecycle tests of tests/ops (t-reload-uclient.py,
t-drain.py, t-notify.py, t-privdrop.py): reload, drain, systemd
notifications, privilege drop. Everything else they use (reporter, STUN/TURN
client, echo peer, ports, waiting, processes) is the kit's, tests/lib/ternkit.

- Ternd: the kit's Server with the constructor and methods these tests
  (and new ones) call: any setting ("group.setting": value), users as
  pairs, a TLS certificate the test rotates; stopped with SIGINT (never a
  drain), its exit status and sanitizer report checked (clean()).
- make_cert: the kit's certificate, with the SHA-256 of its DER form.
- tls_connect, tls_binding: a TLS connection and a Binding over it.
- echo: a datagram through a TurnClient's relay to an echo peer and back.
"""

import hashlib
import os
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


class Ternd(K.Server):
    """The kit's Server (tests/lib/ternkit/server.py: config, start, stop,
    log) as the lifecycle tests have always called it: in work/name, TLS
    off unless tls=True (then set cert and key before start()), users as
    (name, password) pairs (the list self.users, which text() and write()
    use), extra {"group.setting": value}, allow_peers 127.0.0.1/32 unless
    extra says otherwise. start() says whether it answered (and leaves it
    running either way); stop() is SIGINT (never a drain) and returns the
    exit status; clean(want_rc) the problems (Reporter.check)."""

    def __init__(self, work, name="ternd", users=(("alice", "wonderland"),),
                 tls=False, workers=2, extra=None, realm="tern.test", binary=None):
        self.work = work
        self.name = name
        self.users = list(users)
        self.tls = tls
        super().__init__(os.path.join(work, name), extra=extra, tls=tls, binary=binary,
                         workers=workers, realm=realm, users=self._users(self.users),
                         allow_peers="127.0.0.1/32")

    @staticmethod
    def _users(users):
        return ",".join("%s:%s" % u for u in users)

    def text(self, users=None, extra=None, raw="", **opts):
        """The configuration file (users and extra default to this ternd's)."""
        return super().text(extra, raw, users=self._users(self.users if users is None else users), **opts)

    def write(self, users=None, extra=None, raw="", text=None):
        """(Re)write the configuration file, atomically (rename)."""
        super().write(text, users=users, extra=extra, raw=raw)

    def start(self, args=(), env=None, preexec=None, wait=True):
        """launch() from the work directory (which a dropped user can enter
        too); with wait, True once it answers."""
        return self.launch(args, env, preexec, wait, 15, cwd=self.work)

    def wait_ready(self, timeout=15):
        return K.wait_ready(self.dir, timeout, self.proc)

    def logtext(self):
        return self.log_text()

    def tail(self, n=8):
        return self.log_tail(n)

    def sanitizer_report(self):
        return self.sanitizer_lines()

    def stop(self):
        """SIGINT; the exit status (None if never started)."""
        super().stop(signal.SIGINT, exited_ok=True)
        return self.returncode

    def clean(self, want_rc=0):
        """Stop it (SIGINT); the problems: not ended with want_rc, a
        sanitizer report in its log."""
        if not self.started:
            return ["ternd was never started (see the FAIL before)"]
        why = K.Server.stop(self, signal.SIGINT, want_rc, exited_ok=True)
        return ["; ".join(why)] if why else []


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
