#!/usr/bin/env python3
"""Allocation status in Redis, coturn's way (redis.status = true).

One redis-server (127.0.0.1, a private port, no persistence, a temp dir) shared
by coturn's turnserver (--redis-userdb and --redis-statsdb: the reference) and
ternd (auth.store = "redis", redis.status = true), each with its own user in
Redis (turn/realm/<realm>/user/<name>/key). A subscriber PSUBSCRIBEs to
turn/realm/*; turnutils_uclient makes allocations at each server over UDP and
over TCP (uclient allocates, refreshes, relays through turnutils_peer and
releases with LIFETIME 0). Checks:
  - ternd publishes the kinds coturn publishes, with payloads of the same shape
    (numbers and addresses aside): status "new lifetime=N, type=UDP, local=A,
    remote=A, ssl=NONE, cipher=NONE", "refreshed lifetime=N, ...", "deleted",
    traffic, traffic/peer, total_traffic, total_traffic/peer
    "rcvp=N, rcvb=N, sentp=N, sentb=N"; channel names of coturn's shape
    turn/realm/<realm>/user/<user>/allocation/<18+ digits>/<kind>
  - the local= field carries an address, as coturn's does
  - every allocation ternd ended ends as coturn's do: traffic, traffic/peer,
    deleted, total_traffic, total_traffic/peer, in that order
  - total_traffic/peer counts the relayed payload exactly as coturn's does
  - the status key holds the last status while the allocation lives (coturn:
    no expiry; ternd: an expiry no longer than the lifetime) and is deleted
    with it
  - redis-server killed under a running ternd relay: the relay loses nothing,
    ternd stays up and exits cleanly on SIGTERM; the status it could not send
    is counted (ternd_*status_dropped* in /metrics, when ternd has the admin
    listener)

  TERND=/path/to/ternd tests/ops/t-redis-status.py
"""

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redisdb import K, Redis, RedisError, World, md5_key, redis_start  # noqa: E402

REALM = "tern.test"
R = K.Reporter("t-redis-status")


def report(ok, name, why=""):
    return R.check(name, ok, why or "no reason given")


note = R.note


class Subscriber(threading.Thread):
    """PSUBSCRIBE pattern on its own connection; collects (channel, payload)."""

    def __init__(self, port, pattern):
        super().__init__(daemon=True)
        self.r = Redis(port)
        self.r.s.settimeout(None)
        self.r.send("PSUBSCRIBE", pattern)
        self.r.s.settimeout(5)
        if self.r.read()[0] != b"psubscribe":
            raise RedisError("PSUBSCRIBE not confirmed")
        self.r.s.settimeout(None)
        self.lock = threading.Lock()
        self.msgs = []

    def run(self):
        try:
            while True:
                m = self.r.read()
                if m and m[0] == b"pmessage":
                    with self.lock:
                        self.msgs.append((m[2], m[3]))
        except (OSError, ConnectionError, RedisError):
            pass

    def snapshot(self):
        with self.lock:
            return list(self.msgs)

    def stop(self):
        self.r.close()


def wait_stun(port, proc, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if K.ping("udp", port) and K.ping("tcp", port):
            return True
        time.sleep(0.1)
    return False


def start_ternd(w, rport, rmin):
    """The kit's ternd in w.dir/ternd: auth.store = "redis" with
    redis.status = true, level warn (the status must not depend on the
    allocation log lines), no TLS, relay ports rmin..rmin+499, /metrics when
    this build has the admin listener."""
    srv = K.Server(os.path.join(w.dir, "ternd"), metrics=True, tls=False, store="redis", redis_port=rport,
                   realm=REALM, level="warn", port_min=rmin, port_max=rmin + 499, allow_peers="127.0.0.1/32",
                   extra={"redis.status": True, "redis.timeout": 1})
    w.servers.append(srv)
    return srv.start()


def start_coturn(w, port, alt, rport, rmin):
    db = "ip=127.0.0.1 port=%d connect_timeout=2" % rport
    argv = ["turnserver", "-n", "--no-cli", "--log-file=stdout", "--simple-log",
            "--pidfile=" + os.path.join(w.dir, "turnserver.pid"),
            "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
            "--listening-port=%d" % port, "--alt-listening-port=%d" % alt, "--no-tls", "--no-dtls",
            "--realm=" + REALM, "--lt-cred-mech", "--fingerprint",
            "--min-port=%d" % rmin, "--max-port=%d" % (rmin + 499),
            "--redis-userdb=" + db, "--redis-statsdb=" + db, "--allow-loopback-peers"]
    p = w.start("coturn", argv)
    if not wait_stun(port, p):
        raise RuntimeError("turnserver did not answer on 127.0.0.1:%d: %s" % (port, w.log("coturn")))
    return p


# ------------------------------------------------------------------ shapes

ADDR = r"(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-fA-F:.]+\]):\d+"
CHAN = re.compile(rb"^turn/realm/" + re.escape(REALM.encode()) + rb"/user/(.*)/allocation/(\d{18,20})/"
                  rb"(status|traffic|traffic/peer|total_traffic|total_traffic/peer)$", re.S)


def shape(kind, payload, with_local=True):
    s = payload.decode(errors="replace")
    if not with_local:
        s = re.sub(r"local=[^,]*", "local=L", s)
    s = re.sub(ADDR, "A", s)
    return kind + ": " + re.sub(r"\d+", "N", s)


def by_alloc(msgs, user):
    """{session: [(kind, payload), ...]} for one user's channels, in order."""
    out = {}
    for chan, payload in msgs:
        m = CHAN.match(chan)
        if m and m.group(1) == user.encode():
            out.setdefault(m.group(2).decode(), []).append((m.group(3).decode(), payload))
    return out


TAIL = ["traffic", "traffic/peer", "status=deleted", "total_traffic", "total_traffic/peer"]


def tail_of(seq):
    kinds = [("status=deleted" if k == "status" and p == b"deleted" else k) for k, p in seq]
    return kinds[-5:]


def ended(allocs):
    return {s: seq for s, seq in allocs.items() if (("status", b"deleted") in seq)}


def uclient(port, user, password, peer_port, tcp, n=20, log=None):
    argv = ["turnutils_uclient", "-m", "1", "-n", str(n), "-z", "50", "-l", "100", "-c", "-s",
            "-p", str(port), "-e", "127.0.0.1", "-r", str(peer_port), "-u", user, "-w", password]
    if tcp:
        argv.append("-t")
    argv.append("127.0.0.1")
    return subprocess.Popen(argv, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)


def uclient_ok(out_path, n):
    with open(out_path, errors="replace") as f:
        out = f.read()
    return ("tot_send_msgs=%d, tot_recv_msgs=%d" % (n, n) in out and
            "Total lost packets 0 (0.000000%)" in out), out


def watch_keys(r, user, proc, keys):
    """While proc runs: record (value, ttl) of the user's status keys."""
    pat = "turn/realm/%s/user/%s/allocation/*/status" % (REALM, user)
    while proc.poll() is None:
        for k in r.cmd("KEYS", pat) or []:
            v, ttl = r.cmd("GET", k), r.cmd("TTL", k)
            if v is not None:
                keys.setdefault(k, []).append((v, ttl))
        time.sleep(0.1)


def run_both(w, r, sub, srv, peer_port, tcp):
    """uclient at each server in turn; their messages and key samples."""
    res = {}
    for who, port, user, pw in srv:
        keys = {}
        first = len(sub.snapshot())
        path = os.path.join(w.dir, "uclient-%s-%s.out" % (who, "tcp" if tcp else "udp"))
        with open(path, "wb") as log:
            p = uclient(port, user, pw, peer_port, tcp, log=log)
            try:
                watch_keys(r, user, p, keys)
                p.wait(60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        ok, _ = uclient_ok(path, 20)
        # the releases' messages (coturn deletes about a second after a
        # Refresh with LIFETIME 0): until each released allocation has its
        # last message, and none came for half a second; at most 10 s
        end, last, quiet = time.monotonic() + 10, -1, 0
        while time.monotonic() < end:
            msgs = sub.snapshot()
            allocs = by_alloc(msgs[first:], user)
            waiting = [a for a, seq in allocs.items()
                       if any(k == "status" and b"lifetime=0," in p for k, p in seq)
                       and seq[-1][0] != "total_traffic/peer"]
            quiet = quiet + 1 if len(msgs) == last else 0
            last = len(msgs)
            if not waiting and quiet >= 5:
                break
            time.sleep(0.1)
        res[who] = dict(ok=ok, path=path, keys=keys, allocs=by_alloc(sub.snapshot()[first:], user))
    return res


def compare(tp, res):
    t, c = res["ternd"], res["coturn"]
    for who in ("ternd", "coturn"):
        report(res[who]["ok"], "%s-uclient-%s" % (who, tp),
               "turnutils_uclient did not relay everything (%s)" % res[who]["path"])
    if not t["allocs"] or not c["allocs"]:
        report(False, "published-%s" % tp, "nothing published: ternd %d, coturn %d allocations" %
               (len(t["allocs"]), len(c["allocs"])))
        return
    ts = {shape(k, p, False) for seq in t["allocs"].values() for k, p in seq}
    cs = {shape(k, p, False) for seq in c["allocs"].values() for k, p in seq}
    report(ts == cs, "same-kinds-and-shapes-%s" % tp,
           "only ternd: %s; only coturn: %s" % (sorted(ts - cs), sorted(cs - ts)))
    bad = [p.decode() for seq in t["allocs"].values() for k, p in seq
           if k == "status" and p != b"deleted" and not re.search(r"local=" + ADDR + ",", p.decode())]
    report(not bad, "status-local-address-%s" % tp,
           "local= carries no address (%d of them, e.g. %r): struct turn_alloc_info has no local "
           "address for ternd to print" % (len(bad), bad[:1]))
    te, ce = ended(t["allocs"]), ended(c["allocs"])
    okc = ce and all(tail_of(seq) == TAIL for seq in ce.values())
    report(bool(okc), "coturn-ends-as-expected-%s" % tp,
           "coturn's ended allocations do not end %s: %s" % (TAIL, [tail_of(s) for s in ce.values()]))
    okt = te and all(tail_of(seq) == TAIL for seq in te.values())
    report(bool(okt), "ends-like-coturn-%s" % tp,
           "ternd's ended allocations (%d) do not end %s: %s" % (len(te), TAIL, [tail_of(s) for s in te.values()]))

    def peer_totals(e):
        return sorted(p.decode() for seq in e.values() for k, p in seq if k == "total_traffic/peer")
    report(peer_totals(te) == peer_totals(ce), "peer-traffic-like-coturn-%s" % tp,
           "total_traffic/peer: ternd %s, coturn %s" % (peer_totals(te), peer_totals(ce)))

    # the keys while allocations lived
    tk, ck = t["keys"], c["keys"]
    kshape = lambda ks: {shape("status", v, False) for samples in ks.values() for v, _ in samples}  # noqa: E731
    report(bool(tk) and kshape(tk) == kshape(ck), "status-key-value-%s" % tp,
           "ternd %s, coturn %s" % (sorted(kshape(tk)), sorted(kshape(ck))))
    ttls = [(v, ttl) for samples in tk.values() for v, ttl in samples]
    bad = [(v.decode(), ttl) for v, ttl in ttls
           if not (0 < ttl <= int(re.search(rb"lifetime=(\d+)", v).group(1)))]
    report(bool(ttls) and not bad, "status-key-expiry-%s" % tp,
           "ternd's status key without an expiry within its lifetime: %s" % bad[:2])
    note("%s: coturn's status key TTLs %s (coturn sets none)" %
         (tp, sorted({ttl for s in ck.values() for _, ttl in s})))
    gone = [k for k in tk if k.decode().split("/allocation/")[1].split("/")[0] in te]
    r2 = [k for k in gone if RCLIENT.cmd("EXISTS", k)]
    report(bool(gone) and not r2, "status-key-deleted-%s" % tp,
           "status keys of ended allocations still there: %s" % r2)


RCLIENT = None


def outage(w, redis_p, srv, peer_port):
    """A ternd relay across a Redis outage."""
    n = 100
    path = os.path.join(w.dir, "uclient-outage.out")
    with open(path, "wb") as log:
        p = subprocess.Popen(["turnutils_uclient", "-m", "1", "-n", str(n), "-z", "50", "-l", "100", "-c", "-s",
                              "-p", str(srv.port), "-e", "127.0.0.1", "-r", str(peer_port), "-u", "tuser",
                              "-w", "tpass", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.5)
            w.stop(redis_p, signal.SIGKILL)
            note("redis-server killed under the relay")
            p.wait(90)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    ok, out = uclient_ok(path, n)
    report(ok, "relay-survives-redis-outage",
           "uclient across the outage: %s (%s)" % (
               " ".join(re.findall(r"tot_send_msgs=\d+, tot_recv_msgs=\d+|Total lost[^\n]*", out)[-2:]), path))
    time.sleep(1.5)  # a housekeeping round: the counters are copied
    report(srv.alive(), "ternd-up-after-outage", "ternd exited: %s" % srv.log_tail())
    if srv.admin_port:
        m = srv.metrics()
        if m is None:
            report(False, "status-dropped-counted", "GET /metrics on port %d: no answer" % srv.admin_port)
        else:
            vals = [v for k, v in m.items() if re.match(r"ternd_\w*status_dropped\w*(\{|$)", k)]
            report(bool(vals) and sum(vals) > 0, "status-dropped-counted",
                   "no ternd_*status_dropped* metric above 0 in /metrics: %s" % vals)
    else:
        note("status_dropped: no admin listener in this ternd; tests/unit/auth/test-redis counts it")


def main():
    global RCLIENT
    for tool in ("redis-server", "turnserver", "turnutils_uclient", "turnutils_peer"):
        if not shutil.which(tool):
            report(False, "tools", "%s not found (Debian: redis-server coturn)" % tool)
            return 1
    if not os.environ.get("TERND"):
        report(False, "tools", "TERND is not set")
        return 1
    w = World("tern-ops-redis-status.")
    sub = None
    try:
        rport, cport, calt, peer = K.free_ports(4)
        rmin = random.SystemRandom().randrange(16400, 29500, 100)
        redis_p = redis_start(w, rport, "1")
        RCLIENT = Redis(rport)
        RCLIENT.cmd("SET", "turn/realm/%s/user/tuser/key" % REALM, md5_key("tuser", REALM, "tpass"))
        RCLIENT.cmd("SET", "turn/realm/%s/user/cuser/key" % REALM, md5_key("cuser", REALM, "cpass"))
        w.start("peer", ["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer)])
        # coturn first: it deletes every status key when it starts
        start_coturn(w, cport, calt, rport, rmin)
        srv_t = start_ternd(w, rport, rmin + 500)
        sub = Subscriber(rport, "turn/realm/*")
        sub.start()
        srv = [("ternd", srv_t.port, "tuser", "tpass"), ("coturn", cport, "cuser", "cpass")]
        for tcp in (False, True):
            compare("tcp" if tcp else "udp", run_both(w, RCLIENT, sub, srv, peer, tcp))
        chans = {c for c, _ in sub.snapshot()}
        bad = [c for c in chans if c.startswith(b"turn/realm/%s/user/tuser/" % REALM.encode()) and not CHAN.match(c)]
        report(not bad, "channel-names", "channels not of coturn's shape: %s" % bad[:3])
        outage(w, redis_p, srv_t, peer)
        probs = srv_t.stop()
        report(not probs, "ternd-exit", "; ".join(probs))
    except Exception as e:  # noqa: BLE001 - a setup failure is a failed check, not a traceback
        report(False, "setup", "%s: %s" % (type(e).__name__, e))
    finally:
        if sub:
            sub.stop()
        w.cleanup(R.failed)
    return R.finish()


if __name__ == "__main__":
    K.on_sigterm()
    sys.exit(main())
