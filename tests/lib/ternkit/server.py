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
  port=N tls_port=N alt_port=N        given ports instead of free ones
  software=tern  rfc3489=true         the top-level settings (rfc3489: not
                                      written unless given)
  stun_only=1                         no auth, redis or relay group, and not
                                      $TURN_TERND_EXTRA_CONF (a STUN server:
                                      tests/interop/lib.sh)
  tls=0                               no TLS/DTLS listener (ports 0, no tls
                                      group; SRV_TLS_PORT=0)
  cert=PATH key=PATH                  the TLS certificate and key (default
                                      $TURN_CERT_DIR or DIR: cert.pem, key.pem)
  GROUP.NAME=V  (limits.max_connections=10, redis.status=true, ...)
                                      written into that group, replacing the
                                      setting of that name the kit writes
                                      (numbers and true/false as they are,
                                      anything else quoted); NAME=V without a
                                      dot is not a setting (the keys above)
prepare(d, opts, extra, raw): extra {"group.setting" or "setting": value}
(Python values: bool, int, str, list; None removes the setting, or the whole
group when named alone) merged the same way; raw text appended last.
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


def conf_value(v):
    """A Python value as libconfig: bool, int, list/tuple (an array), else a
    quoted string."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[ " + ", ".join(conf_value(x) for x in v) + " ]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Conf:
    """Top-level settings and groups in the order first set; setting a name
    again replaces its value (no duplicate settings), None removes it."""

    def __init__(self):
        self.items = {}

    def set(self, name, text):
        g, _, k = name.partition(".")
        if not k:
            if text is None:
                self.items.pop(g, None)
            else:
                self.items[g] = text
            return
        grp = self.items.setdefault(g, {})
        if not isinstance(grp, dict):
            raise ValueError("%s: %s is not a group" % (name, g))
        if text is None:
            grp.pop(k, None)
        else:
            grp[k] = text

    def lines(self):
        """One line per setting or group."""
        return ["%s = { %s };" % (k, " ".join("%s = %s;" % kv for kv in v.items())) if isinstance(v, dict)
                else "%s = %s;" % (k, v) for k, v in self.items.items()]


def _split(v):
    return [x for x in (v or "").split(",") if x]


def prepare(d, opts, extra=None, raw=""):
    """Write the server's configuration into directory d (DIR/ternd.conf for
    ternd, DIR/server.argv, DIR/ports.env); return (argv, info) where info
    has SRV_IMPL SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN SRV_RELAY_MAX SRV_LOG
    SRV_DIR SRV_REALM SRV_ALT_PORT SRV_CONF. extra and raw: ternd only (see
    the module doc)."""
    os.makedirs(d, exist_ok=True)
    argv, info, text, new_ports = _plan(d, opts, extra, raw)
    if text is not None:
        write_file(info["SRV_CONF"], text)
    with open(os.path.join(d, "server.argv"), "wb") as f:
        f.write(b"".join(a.encode() + b"\0" for a in argv))
    with open(os.path.join(d, "ports.env"), "w") as f:
        for k, v in info.items():
            f.write("%s=%s\n" % (k, shlex.quote(str(v))))
    # the run script's capture needs to know which ports are servers'
    sp = os.environ.get("TURN_SERVER_PORTS_FILE")
    if sp and new_ports:
        with open(sp, "a") as f:
            f.write("%d %d\n" % new_ports)
    return argv, info


def write_file(path, text):
    """Write text to path atomically (rename), mode 0644: readable by a ternd
    that dropped privileges."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _plan(d, opts, extra=None, raw="", which=None):
    """(argv, info, ternd.conf text or None, (port, tls port) when chosen
    here) for prepare() (which: "ternd" writes ternd's config whatever
    impl() says, for conf_text()); writes nothing."""
    opts = {k: str(v) for k, v in opts.items()}
    which = which or impl()
    cert_dir = os.environ.get("TURN_CERT_DIR", d)
    cert = opts.get("cert") or os.path.join(cert_dir, "cert.pem")
    key = opts.get("key") or os.path.join(cert_dir, "key.pem")
    tls = opts.get("tls", "1") not in ("0", "false", "")
    given = [int(opts[k]) if opts.get(k) else 0 for k in ("port", "tls_port", "alt_port")]
    p, pt, a1, a2 = [g or f for g, f in zip(given + [0], free_ports(4) if not all(given) else [0] * 4)]
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
    if alt and not any(given):
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
    cf = os.path.join(d, "ternd.conf")
    text = None
    if which == "ternd":
        q = conf_value
        ul = ", ".join("{ name = %s; password = %s; }" % (q(u), q(pw)) for u, pw in users)
        kl = ", ".join("{ name = %s; key = %s; }" % (q(u), q(k)) for u, k in keys)
        userlist = ", ".join(x for x in (ul, kl) if x)
        c = _Conf()
        c.set("workers", opts.get("workers", "2"))
        c.set("software", q(opts.get("software", "tern")))
        if opts.get("rfc3489"):
            c.set("rfc3489", opts["rfc3489"])
        c.set("log.level", q(level))
        c.set("log.target", q("stderr"))
        c.set("listen", '( { address = "127.0.0.1";%s }, { address = "::1";%s } )' % (
            ' alternate = %s;' % q(alt) if alt else "",
            ' alternate = %s;' % q(alt6) if alt6 else ""))
        for k, v in (("udp", p), ("tcp", p), ("tls", pt if tls else 0), ("dtls", pt if tls else 0)):
            c.set("ports." + k, str(v))
        if alt or alt6:
            c.set("ports.alternate", str(a1))
        if tls:
            c.set("tls.certificate", q(cert))
            c.set("tls.private_key", q(key))
            if opts.get("tls_min_version"):
                c.set("tls.min_version", q(opts["tls_min_version"]))
        stun_only = opts.get("stun_only", "") in ("1", "true")
        c.set("auth.realm", q(realm))
        c.set("auth.store", q(store))
        c.set("auth.rest", "true" if rest else "false")
        if store != "redis":
            c.set("auth.users", "( %s )" % userlist)
            c.set("auth.secrets", "[ %s ]" % ", ".join(q(s) for s in secrets))
        c.set("auth.sha256", "true")
        c.set("auth.nonce_lifetime", opts.get("nonce_lifetime", "600"))
        if opts.get("nonce_secret"):
            c.set("auth.nonce_secret", q(opts["nonce_secret"]))
        if store == "redis":
            for k, v in (("address", q("127.0.0.1")), ("port", opts["redis_port"]), ("password", q("")),
                         ("database", "0"), ("timeout", "2"), ("cache_ttl", opts.get("cache_ttl", "30"))):
                c.set("redis." + k, v)
        for k, v in (("addresses", '[ "127.0.0.1", "::1" ]'), ("port_min", str(rmin)), ("port_max", str(rmax)),
                     ("lifetime", opts.get("lifetime", "600")), ("max_lifetime", opts.get("max_lifetime", "3600")),
                     ("max_allocations", opts.get("max_allocations", "0")),
                     ("user_quota", opts.get("user_quota", "0")), ("bandwidth", "0"),
                     ("allow_peers", "[ %s ]" % ", ".join(q(a) for a in allow)),
                     ("deny_peers", "[ %s ]" % ", ".join(q(a) for a in _split(opts.get("deny_peers", "")))),
                     # coturn's turnutils_uclient binds channels from the RFC 5766
                     # range 0x4000-0x7FFF, which ternd accepts only when asked.
                     ("rfc5766_channels", opts.get("rfc5766_channels", "true"))):
            c.set("relay." + k, v)
        if opts.get("advertise"):
            c.set("relay.advertise", "[ %s ]" % ", ".join(q(a) for a in _split(opts["advertise"])))
        if stun_only:
            for g in ("auth", "redis", "relay"):
                c.set(g, None)
        for k, v in opts.items():
            if "." in k:
                c.set(k, _conf_value(v, q))
        for k, v in (extra or {}).items():
            c.set(k, None if v is None else conf_value(v))
        conf = ["# written by tests/lib/ternkit/server.py"] + c.lines()
        for more in ("" if stun_only else os.environ.get("TURN_TERND_EXTRA_CONF", ""), raw):
            if more:
                conf.append(more.rstrip("\n"))
        text = "\n".join(conf) + "\n"
        argv = [os.path.abspath(os.environ.get("TERND", "ternd")), "-c", cf]
    else:
        argv = ["turnserver", "-n", "--no-cli", "--log-file=stdout", "--simple-log",
                "--pidfile=" + os.path.join(d, "turnserver.pid"),
                "--listening-ip=127.0.0.1", "--listening-ip=::1",
                "--relay-ip=127.0.0.1", "--relay-ip=::1",
                "--listening-port=%d" % p, "--tls-listening-port=%d" % pt,
                "--alt-listening-port=%d" % a1, "--alt-tls-listening-port=%d" % a2,
                "--cert=" + cert, "--pkey=" + key,
                "--realm=" + realm, "--fingerprint",
                "--min-port=%d" % rmin, "--max-port=%d" % rmax,
                "--max-allocate-lifetime=%s" % opts.get("max_lifetime", "3600"),
                "--stale-nonce=%s" % opts.get("nonce_lifetime", "600")]
        if not tls:
            argv += ["--no-tls", "--no-dtls"]
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
    info = dict(SRV_IMPL=which, SRV_PORT=p, SRV_TLS_PORT=pt if tls else 0, SRV_RELAY_MIN=rmin,
                SRV_RELAY_MAX=rmax, SRV_LOG=log, SRV_DIR=d, SRV_REALM=realm, SRV_ALT_PORT=a1, SRV_CONF=cf)
    return argv, info, text, None if any(given) else (p, pt)


def conf_text(d, opts, extra=None, raw=""):
    """Only ternd's configuration text for opts (with the ports given:
    port, tls_port, alt_port), whatever server runs (the shell tests start
    coturn themselves, and read this)."""
    return _plan(d, opts, extra, raw, "ternd")[2]


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
        st, _, body = net.http_get(port, "/metrics", timeout=timeout, host=host)
    except Exception:  # noqa: BLE001 - no endpoint (yet): the caller says so
        return None
    return parse_metrics(body.decode("utf-8", "replace")) if st == 200 else None


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
    ternd only: extra {"group.setting": value} and raw text (prepare());
    tls=False: no TLS/DTLS listener; cert, key: the TLS certificate and key
    (also attributes: set them, then write() and SIGHUP, to rotate them);
    binary: the ternd to run (default $TERND).
    The configuration is written at once; start() writes it again from the
    attributes (cert, key, extra) when they changed and nobody wrote or
    edited the file since (then it is the caller's).
    Attributes: port, tls_port (0 without TLS), alt_port, relay_min,
    relay_max, realm, impl, log, conf, addr, admin_port, info, proc,
    returncode, opts, extra, raw, cert, key, binary."""

    def __init__(self, d, wrap=(), metrics=False, extra=None, raw="", tls=True, cert=None, key=None,
                 binary=None, **opts):
        opts = {k: str(v) for k, v in opts.items()}
        if metrics and impl() == "ternd" and "admin.port" not in opts:
            opts["admin.port"] = str(free_ports(1)[0])
        if not tls:
            opts["tls"] = "0"
        self.dir = d
        self.opts = opts
        self.extra = dict(extra or {})
        self.raw = raw
        cert_dir = os.environ.get("TURN_CERT_DIR", d)
        self.cert = cert or opts.get("cert") or os.path.join(cert_dir, "cert.pem")
        self.key = key or opts.get("key") or os.path.join(cert_dir, "key.pem")
        argv, self.info = prepare(d, self._opts(), self.extra, raw)
        self.binary = binary or (argv[0] if self.info["SRV_IMPL"] == "ternd" else None)
        self.argv = list(wrap) + ([self.binary] + argv[1:] if self.binary else argv)
        self.conf = self.info["SRV_CONF"]
        self.impl = self.info["SRV_IMPL"]
        self.port = int(self.info["SRV_PORT"])
        self.tls_port = int(self.info["SRV_TLS_PORT"])
        self.alt_port = int(self.info["SRV_ALT_PORT"])
        self.relay_min = int(self.info["SRV_RELAY_MIN"])
        self.relay_max = int(self.info["SRV_RELAY_MAX"])
        self.realm = self.info["SRV_REALM"]
        self.log = self.info["SRV_LOG"]
        self.addr = ("127.0.0.1", self.port)
        self.admin_port = int(opts.get("admin.port", 0) or 0) if self.impl == "ternd" else 0
        self.metrics_optional = metrics
        self.proc = None
        self.returncode = None
        self.started = False
        self._auto = self._read_conf()  # what the constructor wrote

    def _opts(self, **changes):
        """opts for prepare(): this server's, with the ports and relay window
        it was given, and changes."""
        o = dict(self.opts)
        o.update({k: v for k, v in (("cert", self.cert), ("key", self.key)) if v})
        if getattr(self, "info", None):
            o.update(port=self.port, tls_port=self.tls_port, alt_port=self.alt_port,
                     port_min=self.relay_min, port_max=self.relay_max)
        o.update({k: str(v) for k, v in changes.items()})
        return o

    def _read_conf(self):
        try:
            with open(self.conf) as f:
                return f.read()
        except OSError:
            return None

    @property
    def pid(self):
        """The server's process id."""
        return self.proc.pid

    def text(self, extra=None, raw=None, **opts):
        """The configuration (ternd) this server's settings give, with extra
        (default: self.extra) and opts changed; nothing is written."""
        return _plan(self.dir, self._opts(**opts), self.extra if extra is None else extra,
                     self.raw if raw is None else raw)[2]

    def write(self, text=None, **changes):
        """(Re)write the configuration file atomically (rename, mode 0644):
        text as given, or text(**changes). From now on the file is the
        caller's: start() leaves it as it is."""
        write_file(self.conf, text if text is not None else self.text(**changes))
        self._auto = None

    def check_config(self):
        """(ok, output) of ternd --check-config on the written file."""
        import subprocess
        r = subprocess.run([self.binary or os.environ["TERND"], "-c", self.conf, "--check-config"],
                           capture_output=True, text=True, timeout=30)
        return r.returncode == 0, (r.stdout + r.stderr).strip()

    def launch(self, args=(), env=None, preexec=None, wait=True, seconds=20.0, cwd=None):
        """Run it (output appended to log; args after the config's; env added
        to the environment; preexec runs in the child after PR_SET_PDEATHSIG
        is set: net.as_user() changes the user and sets it again); with wait,
        True once it answers (a Binding over UDP and TCP, TLS accepted), False
        when it does not within seconds or exits (returncode: its status).
        It is left running either way: stop() it."""
        if self.impl == "ternd" and self._auto is not None and self._read_conf() == self._auto:
            now = self.text()
            if now != self._auto:
                write_file(self.conf, now)
                self._auto = now
        self.returncode = None
        self.started = True
        self.proc = net.spawn(self.argv + list(args), self.log, env=dict(os.environ, **env) if env else None,
                              preexec=preexec, cwd=cwd)
        if not wait:
            return True
        if wait_ready(self.dir, seconds, self.proc):
            return True
        if self.proc.poll() is not None:
            self.returncode = self.proc.returncode
        return False

    def start(self, seconds=20.0, args=(), env=None, preexec=None):
        """launch() and wait until it answers; raises RuntimeError (with the
        exit status when it exited, and the log's tail) when it never does.
        Returns self."""
        if self.launch(args, env, preexec, True, seconds):
            return self
        tail = self.log_tail()
        rc = self.returncode
        net.stop_proc(self.proc, signal.SIGKILL)
        self.proc = None
        if self.metrics_optional and self.admin_port and "admin" in tail:
            # the metrics endpoint is optional: the checks that need it
            # say so and fall back
            print("# ternd has no admin listener (%s): running without /metrics"
                  % tail.split("|")[-1].strip(), flush=True)
            self.opts = {k: v for k, v in self.opts.items() if not k.startswith("admin.")}
            self.write(text=self.text())
            self.admin_port = 0
            return self.start(seconds, args, env, preexec)
        raise RuntimeError("%s did not become ready on 127.0.0.1:%d%s: %s" % (
            self.impl, self.port, "" if rc is None else " (exited with status %d)" % rc, tail))

    def alive(self):
        """Is it still running?"""
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        """Send sig (SIGHUP: reload)."""
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """Its exit status once it exits within timeout seconds, else None."""
        import subprocess
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log_text(self):
        """The whole log so far."""
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, n=5):
        """The last n log lines joined by " | "."""
        return " | ".join(self.log_text().strip().splitlines()[-n:])

    def count(self, pattern):
        """How many times the regex pattern matches in the log (re.M)."""
        return len(re.findall(pattern, self.log_text(), re.M))

    def wait_log(self, pattern, timeout=10, at_least=1):
        """Wait (at most timeout s) until pattern matches at_least times in
        the log; true if it did."""
        return net.wait_for(lambda: self.count(pattern) >= at_least, timeout, step=0.05)

    def sanitizer_lines(self, n=3):
        """The first n lines of a sanitizer report in the log ([]: none)."""
        return [ln for ln in self.log_text().splitlines() if SANITIZER_RE.search(ln)][:n]

    def sanitizer_report(self):
        """The first sanitizer report line in the log, or None."""
        m = SANITIZER_RE.search(self.log_text())
        return m.group(0) if m else None

    def stop(self, sig=None, want_rc=0, exited_ok=False):
        """sig (default SIGTERM, which drains for drain.timeout; SIGINT stops
        at once; SIGKILL after 10 s). Returns the problems (empty = a clean exit): it had
        died during the test (unless exited_ok: then its status is checked
        as any), an exit status other than want_rc (coturn: dying by the
        signal is its normal), a sanitizer report. The status is kept in
        returncode."""
        sig = sig or signal.SIGTERM
        if self.proc is None:
            return []
        probs = []
        if self.proc.poll() is not None and not exited_ok:
            probs.append("%s had died during the test (status %s): %s" % (
                self.impl, self.proc.returncode, self.log_tail()))
            rc = self.proc.returncode
        else:
            rc = net.stop_proc(self.proc, sig)
            if rc != want_rc and not (self.impl == "coturn" and rc in (-sig, 128 + sig)):
                probs.append("exit status %s after %s, expected %s (log %s)" % (
                    rc, signal.Signals(sig).name, want_rc, self.log))
        rep = self.sanitizer_lines()
        if rep:
            probs.append("sanitizer report in %s: %s" % (self.log, " | ".join(rep)))
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
