#!/usr/bin/env python3
"""Start the TURN server under test (ternd or coturn) for the TURN interop tests.

Standard library only, so it works under any python3 (the aiortc test runs under
Debian's /usr/bin/python3). One source of truth for both server configurations,
used by the shell tests (through the command line below) and the Python tests
(import turnsrv).

Which server:
  TERND=/path/to/ternd   ternd, with a libconfig file written here
  COTURN=1               coturn's turnserver with the equivalent flags (reference:
                         it proves each check can pass)

Options (key=value), all optional:
  users=alice:wonderland,bob:secret   long-term users (password)
  keys=carol:<hex md5 key>            long-term users given by key
  secrets=s1,s2                       REST API shared secrets (REST mode)
  rest=1                              REST mode with store=redis (secrets in Redis)
  store=config|redis                  credential store; redis needs redis_port
  redis_port=N
  allow_peers=127.0.0.1/32,::1/128    default: loopback allowed ("" = none)
  realm=tern.test   level=info   workers=2   user_quota=0  max_allocations=0
  lifetime=600  max_lifetime=3600   nonce_lifetime=600
  port_min=N port_max=N               relay port range (default: a random
                                      2000-port window in 16400-32499)
ternd only (tests/hardening):
  deny_peers=198.51.100.0/24,...      relay.deny_peers (default none)
  alternate=127.0.0.2                 RFC 5780 alternate address of 127.0.0.1
                                      (ports.alternate: a free port)
  nonce_secret=<hex>                  auth.nonce_secret (default: random per start)
  tls_min_version=1.3                 tls.min_version (default: ternd's, 1.2)
  limits.NAME=V  admin.NAME=V         written into a limits / admin group
                                      (numbers and true/false as they are,
                                      anything else quoted)

Command line:
  turnsrv.py prepare DIR [key=value ...]
      writes DIR/ternd.conf (ternd), DIR/server.argv (NUL separated argv),
      DIR/ports.env (SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN SRV_RELAY_MAX SRV_IMPL)
  turnsrv.py ready DIR [SECONDS]      exit 0 once the server answers
  turnsrv.py ports N                  N free loopback ports (UDP+TCP)
"""

import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/interop: stunmsg.py
import stunmsg  # noqa: E402

LOOPBACK_ALLOW = "127.0.0.1/32,::1/128"
# ternd's documented default deny list, written out for coturn (which allows most
# of it by default) so a policy check means the same thing against both.
# Not "::": coturn 4.6 matches every peer against a range starting at "::".
COTURN_DENY = [
    "0.0.0.0-0.255.255.255", "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255", "224.0.0.0-239.255.255.255",
    "::1", "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "ff00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
]

_taken = set()


def impl():
    c, t = os.environ.get("COTURN", ""), os.environ.get("TERND", "")
    if c and c != "0" and t:
        sys.exit("turnsrv: set TERND or COTURN=1, not both")
    if c and c != "0":
        return "coturn"
    if t:
        if not os.access(t, os.X_OK):
            sys.exit("turnsrv: TERND=%s is not executable" % t)
        return "ternd"
    sys.exit("turnsrv: set TERND=/path/to/ternd or COTURN=1")


def _free(p):
    socks = []
    try:
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(fam, typ)
                socks.append(s)
                s.bind((host, p))
        return True
    except OSError:
        return False
    finally:
        for s in socks:
            s.close()


def free_ports(n, lo=10000, hi=16383):
    """n distinct ports free on 127.0.0.1 and ::1 (UDP and TCP) right now."""
    rng = random.SystemRandom()
    out = []
    for _ in range(20000):
        if len(out) == n:
            return out
        p = rng.randint(lo, hi)
        if p in _taken or p in out:
            continue
        if _free(p):
            out.append(p)
    raise RuntimeError("no free ports")


def _free_on(host, p):
    """Is UDP port p free on host (e.g. the alternate address 127.0.0.2)?"""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((host, p))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _conf_value(v, q):
    """A libconfig value: integers and booleans as they are, else a string."""
    if v in ("true", "false") or v.lstrip("-").isdigit():
        return v
    return q(v)


def _opts(argv):
    o = {}
    for kv in argv:
        k, _, v = kv.partition("=")
        o[k] = v
    return o


def _split(v):
    return [x for x in (v or "").split(",") if x]


def prepare(d, opts):
    """Write the configuration into directory d; return (argv, info dict)."""
    os.makedirs(d, exist_ok=True)
    which = impl()
    cert = os.environ.get("TURN_CERT_DIR", d)
    p, pt, a1, a2 = free_ports(4)
    _taken.update((p, pt, a1, a2))
    # relay ports: a private window above the servers' ports, below the kernel's
    # ephemeral range (clients' own sockets)
    rmin = random.SystemRandom().randrange(16400, 30500, 100)
    rmax = rmin + 1999
    if opts.get("port_min") or opts.get("port_max"):
        rmin = int(opts.get("port_min") or rmin)
        rmax = int(opts.get("port_max") or rmax)
    alt = opts.get("alternate", "")
    if alt:
        # the alternate address listens on both UDP ports
        for _ in range(100):
            if _free_on(alt, p) and _free_on(alt, a1):
                break
            p, pt, a1, a2 = free_ports(4)
            _taken.update((p, pt, a1, a2))
    realm = opts.get("realm", "tern.test")
    secrets = _split(opts.get("secrets", ""))
    store = opts.get("store", "config")
    rest = bool(secrets) or opts.get("rest", "") in ("1", "true")
    # ternd takes static users, or REST secrets, or Redis: one at a time
    default_users = "" if (rest or store == "redis") else "alice:wonderland"
    users = [u.split(":", 1) for u in _split(opts.get("users", default_users))]
    keys = [u.split(":", 1) for u in _split(opts.get("keys", ""))]
    allow = _split(opts.get("allow_peers", LOOPBACK_ALLOW))
    level = opts.get("level", "info")
    log = os.path.join(d, "server.log")
    if which == "ternd":
        q = lambda s: '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')  # noqa: E731
        ul = ", ".join("{ name = %s; password = %s; }" % (q(u), q(pw)) for u, pw in users)
        kl = ", ".join("{ name = %s; key = %s; }" % (q(u), q(k)) for u, k in keys)
        userlist = ", ".join(x for x in (ul, kl) if x)
        conf = [
            "# written by tests/interop/turn/turnsrv.py",
            "workers = %s;" % opts.get("workers", "2"),
            'software = "tern";',
            'log = { level = "%s"; target = "stderr"; };' % level,
            'listen = ( { address = "127.0.0.1";%s }, { address = "::1"; } );' % (
                ' alternate = %s;' % q(alt) if alt else ""),
            "ports = { udp = %d; tcp = %d; tls = %d; dtls = %d;%s };" % (
                p, p, pt, pt, " alternate = %d;" % a1 if alt else ""),
            "tls = { certificate = %s; private_key = %s;%s };" % (
                q(os.path.join(cert, "cert.pem")), q(os.path.join(cert, "key.pem")),
                " min_version = %s;" % q(opts["tls_min_version"]) if opts.get("tls_min_version") else ""),
            "auth = {",
            "  realm = %s;" % q(realm),
            "  store = %s;" % q(store),
            "  rest = %s;" % ("true" if rest else "false"),
        ]
        if store != "redis":
            conf += [
                "  users = ( %s );" % userlist,
                "  secrets = [ %s ];" % ", ".join(q(s) for s in secrets),
            ]
        conf += [
            "  sha256 = true;",
            "  nonce_lifetime = %s;" % opts.get("nonce_lifetime", "600"),
        ]
        if opts.get("nonce_secret"):
            conf.append("  nonce_secret = %s;" % q(opts["nonce_secret"]))
        conf += [
            "};",
        ]
        if store == "redis":
            conf.append('redis = { address = "127.0.0.1"; port = %s; password = ""; database = 0; '
                        "timeout = 2; cache_ttl = %s; };" % (opts["redis_port"], opts.get("cache_ttl", "30")))
        conf += [
            "relay = {",
            '  addresses = [ "127.0.0.1", "::1" ];',
            "  port_min = %d; port_max = %d;" % (rmin, rmax),
            "  lifetime = %s; max_lifetime = %s;" % (opts.get("lifetime", "600"), opts.get("max_lifetime", "3600")),
            "  max_allocations = %s; user_quota = %s; bandwidth = 0;" % (
                opts.get("max_allocations", "0"), opts.get("user_quota", "0")),
            "  allow_peers = [ %s ];" % ", ".join(q(a) for a in allow),
            "  deny_peers = [ %s ];" % ", ".join(q(a) for a in _split(opts.get("deny_peers", ""))),
            # coturn's turnutils_uclient binds channels from the RFC 5766
            # range 0x4000-0x7FFF, which ternd accepts only when asked.
            "  rfc5766_channels = %s;" % opts.get("rfc5766_channels", "true"),
            "};",
        ]
        for group in ("limits", "admin"):
            kv = sorted((k.split(".", 1)[1], v) for k, v in opts.items() if k.startswith(group + "."))
            if kv:
                conf.append("%s = { %s };" % (group, " ".join("%s = %s;" % (k, _conf_value(v, q)) for k, v in kv)))
        extra = os.environ.get("TURN_TERND_EXTRA_CONF", "")
        if extra:
            conf.append(extra)
        cf = os.path.join(d, "ternd.conf")
        with open(cf, "w") as f:
            f.write("\n".join(conf) + "\n")
        argv = [os.path.abspath(os.environ["TERND"]), "-c", cf]
    else:
        argv = ["turnserver", "-n", "--no-cli", "--log-file=stdout", "--simple-log",
                "--pidfile=" + os.path.join(d, "turnserver.pid"),
                "--listening-ip=127.0.0.1", "--listening-ip=::1",
                "--relay-ip=127.0.0.1", "--relay-ip=::1",
                "--listening-port=%d" % p, "--tls-listening-port=%d" % pt,
                "--alt-listening-port=%d" % a1, "--alt-tls-listening-port=%d" % a2,
                "--cert=" + os.path.join(cert, "cert.pem"), "--pkey=" + os.path.join(cert, "key.pem"),
                "--realm=" + realm, "--fingerprint",
                "--min-port=%d" % rmin, "--max-port=%d" % rmax,
                "--max-allocate-lifetime=%s" % opts.get("max_lifetime", "3600"),
                "--stale-nonce=%s" % opts.get("nonce_lifetime", "600")]
        if level == "debug":
            argv.append("--verbose")
        if rest:
            argv.append("--use-auth-secret")
            argv += ["--static-auth-secret=" + s for s in secrets]
        else:
            argv.append("--lt-cred-mech")
            argv += ["--user=%s:%s" % (u, pw) for u, pw in users]
            argv += ["--user=%s:0x%s" % (u, k) for u, k in keys]
        if store == "redis":
            argv.append("--redis-userdb=ip=127.0.0.1 dbname=0 port=%s connect_timeout=2" % opts["redis_port"])
        else:
            argv.append("--db=" + os.path.join(d, "turndb"))
        if opts.get("user_quota", "0") != "0":
            argv.append("--user-quota=" + opts["user_quota"])
        if opts.get("max_allocations", "0") != "0":
            argv.append("--total-quota=" + opts["max_allocations"])
        argv += ["--denied-peer-ip=" + r for r in COTURN_DENY]
        loop = False
        for a in allow:
            if a.startswith("127.") or a.startswith("::1"):
                loop = True
            net = a.split("/")[0]
            argv.append("--allowed-peer-ip=" + net)
        if loop:
            argv.append("--allow-loopback-peers")
    with open(os.path.join(d, "server.argv"), "wb") as f:
        f.write(b"".join(a.encode() + b"\0" for a in argv))
    info = dict(SRV_IMPL=which, SRV_PORT=p, SRV_TLS_PORT=pt, SRV_RELAY_MIN=rmin, SRV_RELAY_MAX=rmax,
                SRV_LOG=log, SRV_DIR=d, SRV_REALM=realm)
    with open(os.path.join(d, "ports.env"), "w") as f:
        for k, v in info.items():
            f.write("%s=%s\n" % (k, shlex.quote(str(v))))
    # the run script's capture needs to know which ports are servers'
    sp = os.environ.get("TURN_SERVER_PORTS_FILE")
    if sp:
        with open(sp, "a") as f:
            f.write("%d %d\n" % (p, pt))
    return argv, info


def _read_env(d):
    info = {}
    with open(os.path.join(d, "ports.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            info[k] = shlex.split(v)[0] if v else ""
    return info


def is_ready(p, pt):
    if not stunmsg_ping("udp", p):
        return False
    if not stunmsg_ping("tcp", p):
        return False
    try:
        socket.create_connection(("127.0.0.1", pt), timeout=0.5).close()
    except OSError:
        return False
    return True


def stunmsg_ping(proto, p):
    req = stunmsg.build(stunmsg.BINDING_REQUEST)
    try:
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.settimeout(0.2)
                s.sendto(req, ("127.0.0.1", p))
                data = s.recv(2048)
                return len(data) >= 20 and data[:2] == b"\x01\x01"
            finally:
                s.close()
        s = socket.create_connection(("127.0.0.1", p), timeout=0.5)
        try:
            s.sendall(req)
            m = stunmsg.read_stream_msg(s, 0.5)
            return m.type == stunmsg.BINDING_SUCCESS
        finally:
            s.close()
    except Exception:  # noqa: BLE001 - anything but a good answer: not ready
        return False


def wait_ready(d, seconds=10.0, proc=None):
    info = _read_env(d)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        if is_ready(int(info["SRV_PORT"]), int(info["SRV_TLS_PORT"])):
            return True
        time.sleep(0.1)
    return False


class Server:
    """Python tests: with Server(dir, key=value...) as srv: srv.port ..."""

    def __init__(self, d, **opts):
        self.dir = d
        self.argv, self.info = prepare(d, {k: str(v) for k, v in opts.items()})
        self.port = int(self.info["SRV_PORT"])
        self.tls_port = int(self.info["SRV_TLS_PORT"])
        self.impl = self.info["SRV_IMPL"]
        self.log = self.info["SRV_LOG"]
        self.proc = None

    def start(self, seconds=10.0):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not wait_ready(self.dir, seconds, self.proc):
            tail = self.log_tail()
            self.stop()
            raise RuntimeError("%s did not become ready on 127.0.0.1:%d: %s" % (self.impl, self.port, tail))
        return self

    def log_tail(self, n=5):
        try:
            with open(self.log, errors="replace") as f:
                return " | ".join(f.read().splitlines()[-n:])
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s; returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()


def stop_proc(p, sig=signal.SIGTERM, wait=10):
    """Signal a process we started; SIGKILL after wait seconds. Returns its status."""
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


class EchoPeer:
    """A UDP echo server on host (a thread): the peer end of relays. count:
    datagrams echoed; addr: (host, port)."""

    def __init__(self, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.addr = self.sock.getsockname()[:2]
        self.count = 0
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
            try:
                self.sock.sendto(data, frm)
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.t.join(2)
        self.sock.close()


def _main(argv):
    if len(argv) >= 2 and argv[0] == "prepare":
        prepare(argv[1], _opts(argv[2:]))
        return 0
    if len(argv) >= 2 and argv[0] == "ready":
        return 0 if wait_ready(argv[1], float(argv[2]) if len(argv) > 2 else 10.0) else 1
    if len(argv) == 2 and argv[0] == "ports":
        print(" ".join(map(str, free_ports(int(argv[1])))))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
