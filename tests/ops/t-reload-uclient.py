#!/usr/bin/env python3
"""SIGHUP reload under load: coturn's turnutils_uclient relays through ternd
to turnutils_peer for about ten seconds (several clients, channels) while
the configuration is rewritten and ternd reloaded three times: a user added,
the peer deny list changed (not for the running peer), the log level
changed, the TLS certificate swapped for a freshly generated one. Then:

- uclient lost nothing (every message echoed, "Total lost packets 0");
- the log says "reloaded configuration" for each SIGHUP;
- the new user authenticates, the new deny list refuses its address (403),
  debug lines appear once log.level = "debug";
- a new TLS connection sees the new certificate, while a TLS connection
  opened before the reloads still works and kept the old one;
- a restart-only change (ports.udp) is named in a warning and not applied,
  while the rest of that reload is;
- a broken file (a syntax error; an unknown setting) is refused with
  "reload refused: FILE:LINE: ...", ternd keeps running with the old
  configuration: the user added before still works, a user only in the
  broken file does not.

    TERND=/path/to/ternd python3 tests/ops/t-reload-uclient.py
"""

import hashlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lifecycle import K, Ternd, code, make_cert, tls_binding, tls_connect, workdir  # noqa: E402

C = K.Reporter("reload")
CLIENTS, MSGS, LEN, INTERVAL_MS = 4, 500, 120, 20  # about 10 s of traffic, per transport
TEST_NET = "198.51.100.7"  # TEST-NET-2: not in the built-in deny list


def auth_ok(t, user, password):
    c = K.TurnClient(t.addr, user=user, password=password)
    try:
        r = c.allocate()
        if r is not None and r.cls == K.SUCCESS:
            c.refresh(0)
        return r
    finally:
        c.close()


def uclient_start(t, peer_port, out, tls=False):
    """UDP clients with channels; or TLS clients, whose connections live
    across the certificate swap."""
    port = ["-t", "-S", "-p", str(t.tls_port)] if tls else ["-p", str(t.port)]
    args = ["turnutils_uclient", "-m", str(CLIENTS), "-n", str(MSGS), "-l", str(LEN),
            "-z", str(INTERVAL_MS), "-c", "-u", "alice", "-w", "wonderland",
            *port, "-e", "127.0.0.1", "-r", str(peer_port), "127.0.0.1"]
    C.note(" ".join(args))
    f = open(out, "wb")
    return subprocess.Popen(["timeout", "-k", "3", "90", *args], stdout=f,
                            stderr=subprocess.STDOUT), f


def uclient_verdict(rc, out):
    text = open(out, errors="replace").read()
    want = CLIENTS * MSGS
    tot = re.findall(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)", text)
    lost = re.findall(r"Total lost packets (\d+) \(([\d.]+)%\)", text)
    errors = [ln for ln in text.splitlines() if re.search(r": error \d{3} ", ln)
              and "error 437" not in ln]
    why = []
    if rc != 0:
        why.append(f"exit status {rc}")
    if not tot or tot[-1] != (str(want), str(want)):
        why.append(f"expected tot_send_msgs={want}, tot_recv_msgs={want}, got "
                   f"{tot[-1] if tot else 'nothing'}")
    if not lost or lost[-1][0] != "0":
        why.append(f"loss figure {lost[-1] if lost else 'missing'}")
    if errors:
        why.append(f"server errors: {errors[0]}")
    return why


def udp_drops(t, peer_port):
    """Datagrams the kernel dropped for lack of buffer on the peer's socket
    and ternd's relay sockets (the last column of /proc/net/udp): tells a
    machine too loaded to keep up from a loss inside ternd."""
    out = {}
    with open("/proc/net/udp") as f:
        for ln in f.read().splitlines()[1:]:
            col = ln.split()
            port, drops = int(col[1].split(":")[1], 16), int(col[-1])
            if drops and (port == peer_port or t.relay_min <= port <= t.relay_max):
                out[port] = out.get(port, 0) + drops
    return out


class Scenario:
    def __init__(self, work):
        self.work = work
        self.t = Ternd(work, "reload", tls=True,
                       extra={"relay.rfc5766_channels": True, "log.level": "info",
                              "relay.deny_peers": ["10.99.0.0/16"]})
        self.t.cert, self.t.key, self.fp_old = make_cert(work, "old")
        self.users = [("alice", "wonderland")]
        self.extra = dict(self.t.extra)

    def rewrite(self, **kw):
        self.t.write(users=self.users, extra=self.extra, **kw)

    def hup(self, n):
        """SIGHUP; wait for the n-th 'reloaded' or 'reload refused' line."""
        self.t.signal(signal.SIGHUP)
        return self.t.wait_log(r"reloaded configuration from |reload refused: ",
                               at_least=n, timeout=15)

    def run(self):
        t = self.t
        if not C.check("start", t.start(), f"ternd did not answer: {t.tail()}"):
            return
        peer_port = K.free_ports(1)[0]
        peer = subprocess.Popen(["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.with_peer(peer_port)
        finally:
            peer.kill()
            peer.wait()

    def with_peer(self, peer_port):
        t = self.t
        c = K.TurnClient(t.addr, user="alice", password="wonderland")
        r = c.allocate()
        C.check("policy-before", r is not None and r.cls == K.SUCCESS and
                c.permission(TEST_NET).cls == K.SUCCESS,
                f"a permission for {TEST_NET} before the reload: {K.fmt(r)}")
        old_tls, fp = tls_connect(t.tls_port)
        C.check("tls-old-cert-before", fp == self.fp_old, "the TLS certificate "
                "before the reload is not the one configured")
        C.check("bob-unknown-before", code(auth_ok(t, "bob", "builder")) == 401,
                "bob authenticated before he was added")
        runs = {}
        for name, tls in (("udp", False), ("tls", True)):
            out = os.path.join(self.work, f"uclient-{name}.out")
            runs[name] = (*uclient_start(t, peer_port, out, tls), out)
        # reload while data flows, not while uclient is still allocating
        for name, (_, _, out) in runs.items():
            flowing = K.wait_for(lambda: re.search(rb"tot_recv_msgs=[1-9]",
                                                 open(out, "rb").read()), 30)
            C.check(f"uclient-{name}-data-flows", flowing, f"uclient relayed "
                    f"nothing within 30 s (see {out})")
        time.sleep(1.0)
        # 1: bob, a deny list that names TEST-NET-2, debug logging, new cert
        self.users.append(("bob", "builder"))
        self.extra["relay.deny_peers"] = ["10.99.0.0/16", "198.51.100.0/24"]
        self.extra["log.level"] = "debug"
        t.cert, t.key, self.fp_new = make_cert(self.work, "new")
        self.rewrite()
        C.check("hup-1-done", self.hup(1), f"no reload line: {t.tail()}")
        # a Refresh is logged at debug level: proof the level changed
        r = c.refresh(600)
        C.check("refresh-during-load", r is not None and r.cls == K.SUCCESS,
                f"Refresh between two reloads: {K.fmt(r)}")
        time.sleep(2.0)
        # 2: log level back; carol added
        self.users.append(("carol", "c4rol"))
        self.extra["log.level"] = "info"
        self.rewrite()
        C.check("hup-2-done", self.hup(2), f"no reload line: {t.tail()}")
        time.sleep(2.0)
        # 3: nothing changed
        C.check("hup-3-done", self.hup(3), f"no reload line: {t.tail()}")
        for name, (uc, uc_f, out) in runs.items():
            try:
                rc = uc.wait(90)
            except subprocess.TimeoutExpired:
                uc.kill()
                rc = uc.wait()
            uc_f.close()
            why = uclient_verdict(rc, out)
            if why:
                why.append(f"socket buffer drops by port (peer {peer_port}): "
                           f"{udp_drops(t, peer_port) or 'none'}")
            C.check(f"uclient-{name}-zero-loss-across-3-reloads", not why,
                    "; ".join(why) + f" (see {out})")
        C.check("reloaded-logged-3", t.count(r"reloaded configuration from ") == 3,
                f"{t.count('reloaded configuration from ')} 'reloaded configuration' "
                "lines, expected 3")
        C.check("alive-after-reloads", t.alive(), t.tail())
        self.after_reloads(c, old_tls)
        c.close()
        old_tls.close()
        self.restart_only()
        self.broken()

    def after_reloads(self, c, old_tls):
        t = self.t
        r = auth_ok(t, "bob", "builder")
        C.check("bob-authenticates", r is not None and r.cls == K.SUCCESS,
                f"Allocate as bob after the reload: {K.fmt(r)}")
        r = auth_ok(t, "carol", "c4rol")
        C.check("carol-authenticates", r is not None and r.cls == K.SUCCESS,
                f"Allocate as carol: {K.fmt(r)}")
        r = c.permission(TEST_NET)
        C.check("deny-list-applied",
                r is not None and r.cls == K.ERROR and code(r) == 403, f"a permission for {TEST_NET}, denied by the "
                f"reloaded relay.deny_peers: {K.fmt(r)}")
        r = c.refresh(600)
        C.check("allocation-survives", r is not None and r.cls == K.SUCCESS,
                f"Refresh of an allocation made before the reloads: {K.fmt(r)}")
        dbg = re.findall(r"^\S+ debug ", t.logtext(), re.M)
        C.check("log-level-debug-applied", dbg, "no debug line in the log while "
                "log.level was \"debug\"")
        # the allocation lines: each allocation as it starts and ends (info)
        # and its Refresh while log.level was "debug"; never the password
        log = t.logtext()
        lines = {
            "new": r"allocation new: user=alice client=127\.0\.0\.1:\d+ "
                   r"transport=udp relay=127\.0\.0\.1:\d+ lifetime=\d+ s$",
            "refreshed": r"allocation refreshed: user=alice client=127\.0\.0\.1:\d+ ",
            "ended": r"allocation ended \(deleted\) after \d+ s: user=alice "
                     r"client=127\.0\.0\.1:\d+ to-peer=[1-9]\d* pkts/\d+ B "
                     r"to-client=[1-9]\d* pkts/\d+ B$",
        }
        for name, rx in lines.items():
            C.check(f"allocation-line-{name}",
                    re.search(r"session=[0-9a-f]{16} " + rx, log, re.M), f"no '{rx}' line in the log")
        C.check("allocation-lines-no-password", "wonderland" not in log,
                "alice's password is in the log")
        new_tls, fp = tls_connect(t.tls_port)
        C.check("tls-new-cert", fp == self.fp_new, "a TLS connection after the "
                "reload was not served the new certificate")
        C.check("tls-new-works", tls_binding(new_tls), "Binding over the new TLS "
                "connection not answered")
        new_tls.close()
        C.check("tls-old-connection-kept", tls_binding(old_tls),
                "Binding over the TLS connection opened before the reloads not answered")
        out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{t.tls_port}",
                              "-showcerts"], input=b"", capture_output=True, timeout=20)
        pem = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                        out.stdout, re.S)
        der = ssl.PEM_cert_to_DER_cert(pem.group(0).decode()) if pem else b""
        C.check("s_client-new-cert", hashlib.sha256(der).hexdigest() == self.fp_new,
                "openssl s_client -showcerts did not show the new certificate")

    def restart_only(self):
        """ports.udp changed with dave added: dave applies, the port does not."""
        t = self.t
        n = t.count(r"reloaded configuration from |reload refused: ")
        self.users.append(("dave", "d4ve"))
        text = t.text(self.users, self.extra).replace(
            f"udp = {t.port};", f"udp = {K.free_ports(1)[0]};")
        t.write(text=text)
        t.signal(signal.SIGHUP)
        t.wait_log(r"reloaded configuration from |reload refused: ", at_least=n + 1)
        C.check("restart-only-warned",
                t.count(r"warn\s+ports\.udp changed: restart ternd to apply"), f"no 'ports.udp changed' warning: {t.tail()}")
        r = auth_ok(t, "dave", "d4ve")
        C.check("restart-only-rest-applied", r is not None and r.cls == K.SUCCESS,
                f"Allocate as dave on the running UDP port: {K.fmt(r)}")

    def broken(self):
        t = self.t
        good = t.text(self.users, self.extra)
        cases = [
            ("syntax", good + "software = ;\n"),
            ("unknown-setting", good.replace("workers = ", "wrokers = 1;\nworkers = ")),
        ]
        for name, text in cases:
            # erin only in the broken file
            text = text.replace('users = ( ', 'users = ( { name = "erin"; password = "3rin"; }, ')
            n = t.count(r"reload refused: ")
            t.write(text=text)
            t.signal(signal.SIGHUP)
            t.wait_log(r"reload refused: ", at_least=n + 1)
            lines = re.findall(r"^.*reload refused: .*$", t.logtext(), re.M)
            last = lines[-1] if len(lines) > n else ""
            C.check(f"broken-{name}-refused-file-line", re.search(r"error\s+reload refused: " + re.escape(t.conf) +
                              r":\d+: ", last),
                    f"expected 'reload refused: {t.conf}:LINE: ...', got '{last}'")
            C.check(f"broken-{name}-alive", t.alive(), t.tail())
            r = auth_ok(t, "bob", "builder")
            C.check(f"broken-{name}-old-config-stays", r is not None and r.cls == K.SUCCESS,
                    f"Allocate as bob after the refused reload: {K.fmt(r)}")
            r = auth_ok(t, "erin", "3rin")
            C.check(f"broken-{name}-not-applied",
                    r is not None and r.cls == K.ERROR and code(r) == 401,
                    f"erin, only in the broken file: {K.fmt(r)}")
        t.write(text=good)


def main():
    for tool in ("turnutils_uclient", "turnutils_peer", "openssl"):
        if not shutil.which(tool):
            C.fail("setup", f"{tool} not found (Debian: coturn, openssl)")
            C.exit()
    work = workdir("t-reload.")
    s = Scenario(work)
    try:
        s.run()
    finally:
        C.check("clean-exit", s.t.clean())
        if os.environ.get("TERN_KEEP") != "1" and not C.failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            C.note(f"work directory kept: {work}")
    C.exit()


if __name__ == "__main__":
    main()
