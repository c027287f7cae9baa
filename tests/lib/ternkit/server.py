"""The server under test: ternd (TERND=/path/to/ternd) with a libconfig file
written here, or coturn's turnserver (COTURN=1, the reference that proves a
check can pass) with the equivalent flags. Standard library only.

prepare(dir, opts) writes the configuration; Server starts it (dying with the
test: PR_SET_PDEATHSIG), waits until it answers a Binding over UDP and TCP
and accepts on TLS, stops it (SIGTERM, then SIGKILL), collects its log and
checks it for sanitizer reports, and reads its admin /metrics.

Options (key=value strings), all optional:
  users=alice:wonderland,bob:secret   long-term users (password)
  keys=carol:<hex md5 key>            long-term users given by key
  secrets=s1,s2                       REST API shared secrets (REST mode)
  rest=1                              REST mode with store=redis (secrets in Redis)
  store=config|redis                  credential store; redis needs redis_port
  redis_port=N  cache_ttl=30
  allow_peers=127.0.0.1/32,::1/128    default: loopback allowed ("" = none)
  realm=tern.test   level=info   workers=2   user_quota=0  max_allocations=0
  lifetime=600  max_lifetime=3600   nonce_lifetime=600
  port_min=N port_max=N               relay port range (default: a random
                                      2000-port window in 16400-32499)
ternd only:
  deny_peers=198.51.100.0/24,...      relay.deny_peers (default none)
  alternate=127.0.0.2                 RFC 5780 alternate address of 127.0.0.1
                                      (ports.alternate: a free port)
  nonce_secret=<hex>                  auth.nonce_secret (default: random per start)
  tls_min_version=1.3                 tls.min_version (default: ternd's, 1.2)
  rfc5766_channels=true               relay.rfc5766_channels
  advertise=203.0.113.10/127.0.0.1    relay.advertise (comma-separated)
  limits.NAME=V  admin.NAME=V         written into a limits / admin group
                                      (numbers and true/false as they are,
                                      anything else quoted)
$TURN_TERND_EXTRA_CONF is appended to every ternd config; $TURN_CERT_DIR holds
cert.pem/key.pem; $TURN_SERVER_PORTS_FILE (if set) gets "PORT TLS_PORT" lines.
"""

import ipaddress
import os
import random
import re
import shlex
import signal
import socket
import sys
import time
import urllib.request

from . import net
from .stun import ping

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

SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|"
                          r"SUMMARY: (Address|Undefined|Leak)")

free_ports = net.free_ports


def impl():
    """"ternd" (TERND set) or "coturn" (COTURN=1); exits the test otherwise."""
    c, t = os.environ.get("COTURN", ""), os.environ.get("TERND", "")
    if c and c != "0" and t:
        sys.exit("ternkit: set TERND or COTURN=1, not both")
    if c and c != "0":
        return "coturn"
    if t:
        if not os.access(t, os.X_OK):
            sys.exit("ternkit: TERND=%s is not executable" % t)
        return "ternd"
    sys.exit("ternkit: set TERND=/path/to/ternd or COTURN=1")


def _conf_value(v, q):
    """A libconfig value: integers and booleans as they are, else a string."""
    if v in ("true", "false") or v.lstrip("-").isdigit():
        return v
    return q(v)


def _cidr_range(c):
    """coturn's "first-last" form of a CIDR prefix (a bare address as is)."""
    if "/" not in c:
        return c
    n = ipaddress.ip_network(c, strict=False)
    return "%s-%s" % (n.network_address, n.broadcast_address)


def _split(v):
    return [x for x in (v or "").split(",") if x]


def prepare(d, opts):
    """Write the server's configuration into directory d (DIR/ternd.conf for
    ternd, DIR/server.argv, DIR/ports.env); return (argv, info) where info
    has SRV_IMPL SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN SRV_RELAY_MAX SRV_LOG
    SRV_DIR SRV_REALM."""
    os.makedirs(d, exist_ok=True)
    opts = {k: str(v) for k, v in opts.items()}
    which = impl()
    cert = os.environ.get("TURN_CERT_DIR", d)
    p, pt, a1, a2 = free_ports(4)
    # relay ports: a private window above the servers' ports, below the kernel's
    # ephemeral range (clients' own sockets)
    rmin = random.SystemRandom().randrange(16400, 30500, 100)
    rmax = rmin + 1999
    if opts.get("port_min") or opts.get("port_max"):
        rmin = int(opts.get("port_min") or rmin)
        rmax = int(opts.get("port_max") or rmax)
    alt = opts.get("alternate", "")
    # alternate6: an RFC 5780 alternate for the ::1 listener (an address the
    # caller has put on lo, e.g. inside a network namespace of its own)
    alt6 = opts.get("alternate6", "")
    if alt:
        # the alternate address listens on both UDP ports
        for _ in range(100):
            if net.port_free(p, (alt,), (socket.SOCK_DGRAM,)) and net.port_free(a1, (alt,), (socket.SOCK_DGRAM,)):
                break
            p, pt, a1, a2 = free_ports(4)
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
            "# written by tests/lib/ternkit/server.py",
            "workers = %s;" % opts.get("workers", "2"),
            'software = "tern";',
            'log = { level = "%s"; target = "stderr"; };' % level,
            'listen = ( { address = "127.0.0.1";%s }, { address = "::1";%s } );' % (
                ' alternate = %s;' % q(alt) if alt else "",
                ' alternate = %s;' % q(alt6) if alt6 else ""),
            "ports = { udp = %d; tcp = %d; tls = %d; dtls = %d;%s };" % (
                p, p, pt, pt, " alternate = %d;" % a1 if alt or alt6 else ""),
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
        conf.append("};")
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
        ]
        if opts.get("advertise"):
            conf.append("  advertise = [ %s ];" % ", ".join(q(a) for a in _split(opts["advertise"])))
        conf += [
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
        argv += ["--denied-peer-ip=" + _cidr_range(r) for r in _split(opts.get("deny_peers", ""))]
        loop = False
        for a in allow:
            if a.startswith("127.") or a.startswith("::1"):
                loop = True
            argv.append("--allowed-peer-ip=" + a.split("/")[0])
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


def read_info(d):
    """The info dict prepare() wrote to d/ports.env."""
    info = {}
    with open(os.path.join(d, "ports.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            info[k] = shlex.split(v)[0] if v else ""
    return info


def is_ready(port, tls_port, host="127.0.0.1"):
    """Does a server answer a Binding over UDP and TCP on port and accept a
    TCP connection on tls_port (0: not checked) right now?"""
    if port and not (ping("udp", port, host, 0.2) and ping("tcp", port, host, 0.5)):
        return False
    if tls_port:
        try:
            socket.create_connection((host, tls_port), timeout=0.5).close()
        except OSError:
            return False
    return True


def wait_ready(d, seconds=10.0, proc=None):
    """Wait (at most seconds) until the server configured in d is ready;
    False at once when proc has exited."""
    info = read_info(d)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        if is_ready(int(info["SRV_PORT"]), int(info["SRV_TLS_PORT"])):
            return True
        time.sleep(0.1)
    return False


def parse_metrics(text):
    """{ "name{labels}": value } of a Prometheus text exposition."""
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


def read_metrics(port, host="127.0.0.1", timeout=2):
    """The samples of http://host:port/metrics (parse_metrics), or None when
    nothing answers there."""
    try:
        with urllib.request.urlopen("http://%s:%d/metrics" % (host, port), timeout=timeout) as r:
            return parse_metrics(r.read().decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - no endpoint (yet): the caller says so
        return None


def metric_sum(m, pattern):
    """Sum of the samples whose name{labels} matches the regex pattern."""
    rx = re.compile(pattern)
    return sum(v for k, v in m.items() if rx.search(k))


class Env:
    """What tests/interop/run-all tells a test about the server it started
    (TERN_* variables): impl, host4, alt_host, host6, port, tls_port,
    alt_port, dead_port, ca, software, frame_timeout, max_connections, dir,
    results, test."""

    def __init__(self):
        e = os.environ
        self.impl = e.get("TERN_IMPL", "ternd")
        self.host4 = e.get("TERN_HOST4", "127.0.0.1")
        self.alt_host = e.get("TERN_ALT_HOST", "127.0.0.2")
        self.host6 = e.get("TERN_HOST6", "::1")
        self.port = int(e.get("TERN_PORT", "3478"))
        self.tls_port = int(e.get("TERN_TLS_PORT", "5349"))
        self.alt_port = int(e.get("TERN_ALT_PORT", "3479"))
        self.dead_port = int(e.get("TERN_DEAD_PORT", "9"))
        self.ca = e.get("TERN_CA", "")
        self.software = e.get("TERN_SOFTWARE") or None
        self.frame_timeout = float(e.get("TERN_FRAME_TIMEOUT", "10"))
        self.max_connections = int(e.get("TERN_MAX_CONNECTIONS", "4096"))
        self.dir = e.get("TERN_DIR", "/tmp")
        self.results = e.get("TERN_RESULTS")
        self.test = e.get("TERN_TEST", os.path.basename(sys.argv[0]))


class Server:
    """The server under test with its configuration in directory d.

    opts: see the module doc. wrap: an argv prefix (prlimit ...).
    metrics=True (ternd): an admin listener on a free port for /metrics;
    dropped again at start() when this ternd has none.
    Attributes: port, tls_port, relay_min, relay_max, realm, impl, log,
    conf, addr, admin_port, info, proc."""

    def __init__(self, d, wrap=(), metrics=False, **opts):
        opts = {k: str(v) for k, v in opts.items()}
        if metrics and impl() == "ternd" and "admin.port" not in opts:
            opts["admin.port"] = str(free_ports(1)[0])
        self.dir = d
        argv, self.info = prepare(d, opts)
        self.argv = list(wrap) + argv
        self.conf = os.path.join(d, "ternd.conf")
        self.impl = self.info["SRV_IMPL"]
        self.port = int(self.info["SRV_PORT"])
        self.tls_port = int(self.info["SRV_TLS_PORT"])
        self.relay_min = int(self.info["SRV_RELAY_MIN"])
        self.relay_max = int(self.info["SRV_RELAY_MAX"])
        self.realm = self.info["SRV_REALM"]
        self.log = self.info["SRV_LOG"]
        self.addr = ("127.0.0.1", self.port)
        self.admin_port = int(opts.get("admin.port", 0) or 0) if self.impl == "ternd" else 0
        self.metrics_optional = metrics
        self.proc = None
        self.returncode = None

    @property
    def pid(self):
        """The server's process id."""
        return self.proc.pid

    def check_config(self):
        """(ok, output) of ternd --check-config on the written file."""
        import subprocess
        r = subprocess.run([os.environ["TERND"], "-c", self.conf, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def start(self, seconds=20.0):
        """Start it (output appended to log) and wait until it answers; raises
        RuntimeError (with the log's tail) when it never does. Returns self."""
        self.proc = net.spawn(self.argv, self.log)
        if not wait_ready(self.dir, seconds, self.proc):
            tail = self.log_tail()
            net.stop_proc(self.proc)
            self.proc = None
            if self.metrics_optional and self.admin_port and "admin" in tail:
                # the metrics endpoint is optional: the checks that need it
                # say so and fall back
                print("# ternd has no admin listener (%s): running without /metrics"
                      % tail.split("|")[-1].strip(), flush=True)
                with open(self.conf) as f:
                    lines = [ln for ln in f if not ln.startswith("admin = {")]
                with open(self.conf, "w") as f:
                    f.writelines(lines)
                self.admin_port = 0
                return self.start(seconds)
            raise RuntimeError("%s did not become ready on 127.0.0.1:%d: %s" % (self.impl, self.port, tail))
        return self

    def alive(self):
        """Is it still running?"""
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        """Send sig (SIGHUP: reload)."""
        self.proc.send_signal(sig)

    def log_text(self):
        """The whole log so far."""
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=5):
        """The last n log lines joined by " | "."""
        return " | ".join(self.log_text().splitlines()[-n:])

    def sanitizer_report(self):
        """The first sanitizer report line in the log, or None."""
        m = SANITIZER_RE.search(self.log_text())
        return m.group(0) if m else None

    def stop(self):
        """SIGTERM (SIGKILL after 10 s). Returns the problems (empty = a clean
        exit): it had died during the test, a non-zero exit status (coturn:
        dying by the signal is its normal), a sanitizer report. The status
        is kept in returncode."""
        if self.proc is None:
            return []
        probs = []
        if self.proc.poll() is not None:
            probs.append("%s had died during the test (status %s): %s" % (
                self.impl, self.proc.returncode, self.log_tail()))
            rc = self.proc.returncode
        else:
            rc = net.stop_proc(self.proc)
            if rc != 0 and not (self.impl == "coturn" and rc in (-15, 143)):
                probs.append("exit status %s after SIGTERM (log %s)" % (rc, self.log))
        rep = self.sanitizer_report()
        if rep:
            probs.append("sanitizer report in %s: %s" % (self.log, rep))
        self.returncode = rc
        self.proc = None
        return probs

    def kill(self):
        """SIGKILL, no questions asked (a failed start)."""
        if self.proc is not None:
            net.stop_proc(self.proc, signal.SIGKILL)
            self.proc = None

    def metrics(self):
        """{name{labels}: value} from the admin /metrics endpoint, or None."""
        return read_metrics(self.admin_port) if self.admin_port else None

    def metric(self, pattern):
        """Sum of the samples matching pattern, or None without /metrics."""
        m = self.metrics()
        return None if m is None else metric_sum(m, pattern)

    def metric_until(self, pattern, pred, timeout=3.0):
        """Poll a metric until pred(value) holds (ternd publishes its counters
        once a second); the last value, or None without /metrics."""
        end = time.monotonic() + timeout
        while True:
            v = self.metric(pattern)
            if v is None or pred(v) or time.monotonic() >= end:
                return v
            time.sleep(0.2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *a):
        self.stop()
