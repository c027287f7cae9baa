#!/usr/bin/env python3
"""Realm limits from Redis: coturn's turn/realm/<realm>/user-quota, total-quota
and max-bps (what turnadmin -g writes) applied by ternd (auth.store = "redis").

A redis-server on a private loopback port (tests/ops/redisdb.py); the kit's
ternd (tests/lib/ternkit) with its own relay.user_quota, max_allocations and
bandwidth left at 0 (unlimited). Allocations are made with the kit's
independent TURN client, one 5-tuple each.
  - SET user-quota 1 before ternd starts: the first Allocate for a user
    succeeds, a second one for the same user (another 5-tuple) gets 486 within
    a few seconds of the start (read when ternd connects); another user still
    gets an allocation; releasing the first lets the second in
  - SET total-quota 2 while ternd runs, with two allocations held: a third
    user's Allocate gets 508 within 75 s (the options are read every minute)
  - the configuration file wins: relay.user_quota = 2 with user-quota 1 in
    Redis lets a user hold two allocations, the third gets 486
  - SET max-bps (bytes/s each way) small: turnutils_uclient sending far faster
    through ternd loses packets, where it loses none without the key

  TERND=/path/to/ternd tests/ops/t-realm-limits.py
"""

import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redisdb import K, Redis, World, md5_key, redis_start  # noqa: E402

REALM = "tern.test"
R = K.Reporter("t-realm-limits")


def report(ok, name, why=""):
    return R.check(name, ok, why or "no reason given")


class Ternd:
    """The kit's ternd (store = "redis" on rport, relay.user_quota as
    given, max_allocations and bandwidth 0: unlimited, level info) in
    w.dir/tag, started; allocations it holds for the test."""

    def __init__(self, w, tag, rport, user_quota=0):
        self.tag = tag
        self.srv = K.Server(os.path.join(w.dir, tag), store="redis", redis_port=rport,
                            user_quota=user_quota, max_allocations=0).start()
        self.port = self.srv.port
        self.t0 = time.monotonic()
        self.held = []

    def allocate(self, user):
        """Allocate from a fresh 5-tuple: (code, client); code 0 = success."""
        c = K.TurnClient(self.srv.addr, user=user, password="pw-" + user)
        r = c.allocate()
        if K.is_success(r, K.ALLOCATE):
            self.held.append((c, user))
            return 0, c
        c.close()
        return (r.error()[0] if r is not None and r.error() else -1), None

    def release(self, c, user):
        c.refresh(0)
        c.close()
        self.held = [(x, u) for x, u in self.held if x is not c]

    def wait_refused(self, user, code, seconds):
        """Allocate until refused with code (a success is released again)."""
        end = time.monotonic() + seconds
        got = None
        while time.monotonic() < end:
            got, c = self.allocate(user)
            if got == code:
                return True, time.monotonic() - self.t0
            if c:
                self.release(c, user)
            time.sleep(1)
        return False, got

    def stop(self):
        for c, u in list(self.held):
            self.release(c, u)
        R.check("ternd-exit-" + self.tag, self.srv.stop())


def quotas(w, r, rport):
    r.cmd("SET", "turn/realm/%s/user-quota" % REALM, "1")
    t = Ternd(w, "quotas", rport)
    try:
        code, a = t.allocate("ann")
        report(code == 0, "first-allocation", "Allocate for ann: %s" % code)
        ok, when = t.wait_refused("ann", 486, 65)
        report(ok, "user-quota-486", "a second allocation for ann was never refused 486 (last: %s)" % when)
        if ok:
            R.note("486 for a second allocation %.1f s after ternd started" % when)
        code, c = t.allocate("carl")
        report(code == 0, "other-user-allowed", "Allocate for carl under user-quota 1: %s" % code)
        if a:
            t.release(a, "ann")
            code, _ = t.allocate("ann")
            report(code == 0, "quota-freed-by-release", "Allocate for ann after releasing hers: %s" % code)
        # two held (ann, carl): total-quota 2 turns a third user away
        r.cmd("SET", "turn/realm/%s/total-quota" % REALM, "2")
        t0 = time.monotonic()
        ok, when = t.wait_refused("dora", 508, 75)
        report(ok, "total-quota-read-while-running", "dora's Allocate never got 508 in 75 s (last: %s)" % when)
        if ok:
            R.note("508 %.1f s after total-quota was set (read every 60 s)" % (time.monotonic() - t0))
        r.cmd("DEL", "turn/realm/%s/total-quota" % REALM)
    finally:
        t.stop()


def config_wins(w, r, rport):
    t = Ternd(w, "config-wins", rport, user_quota=2)
    try:
        time.sleep(2)  # read on connect and applied: Redis says 1
        codes = [t.allocate("erin")[0] for _ in range(3)]
        report(codes == [0, 0, 486], "config-file-wins", "relay.user_quota = 2, Redis 1: erin got %s" % codes)
    finally:
        t.stop()
    r.cmd("DEL", "turn/realm/%s/user-quota" % REALM)


def lost(out):
    m = [ln for ln in out.splitlines() if "Total lost packets" in ln]
    if not m:
        return None
    return int(m[-1].split("Total lost packets")[1].split()[0])


def max_bps(w, r, rport, peer):
    def run(tag):
        t = Ternd(w, tag, rport)
        path = os.path.join(w.dir, "uclient-%s.out" % tag)
        try:
            time.sleep(2)
            with open(path, "wb") as log:
                rc = subprocess.call(["turnutils_uclient", "-m", "1", "-n", "100", "-z", "5", "-l", "1000",
                                      "-c", "-s", "-p", str(t.port), "-e", "127.0.0.1", "-r", str(peer),
                                      "-u", "bert", "-w", "pw-bert", "127.0.0.1"],
                                     stdout=log, stderr=subprocess.STDOUT, timeout=90)
        finally:
            t.stop()
        with open(path, errors="replace") as f:
            return rc, lost(f.read()), path

    rc, n, path = run("unlimited")
    report(n == 0, "no-loss-without-max-bps", "uclient (exit %s) lost %s packets (%s)" % (rc, n, path))
    r.cmd("SET", "turn/realm/%s/max-bps" % REALM, "2000")
    rc, n, path = run("max-bps")
    report(n is not None and n > 0, "max-bps-throttles",
           "uclient at ~200 kB/s under max-bps 2000 lost %s packets (exit %s, %s)" % (n, rc, path))
    r.cmd("DEL", "turn/realm/%s/max-bps" % REALM)


def main():
    for tool in ("redis-server", "turnutils_uclient", "turnutils_peer"):
        if not shutil.which(tool):
            report(False, "tools", "%s not found (Debian: redis-server coturn)" % tool)
            return 1
    if not os.environ.get("TERND"):
        report(False, "tools", "TERND is not set")
        return 1
    w = World("tern-ops-realm-limits.")
    K.ensure_cert(w.dir)  # the kit's ternd listens on TLS too
    try:
        rport, peer = K.free_ports(2)
        redis_start(w, rport, "1")
        r = Redis(rport)
        for u in ("ann", "carl", "dora", "erin", "bert"):
            r.cmd("SET", "turn/realm/%s/user/%s/key" % (REALM, u), md5_key(u, REALM, "pw-" + u))
        w.start("peer", ["turnutils_peer", "-L", "127.0.0.1", "-p", str(peer)])
        quotas(w, r, rport)
        config_wins(w, r, rport)
        max_bps(w, r, rport, peer)
    except Exception as e:  # noqa: BLE001 - a setup failure is a failed check
        report(False, "setup", "%s: %s" % (type(e).__name__, e))
    finally:
        w.cleanup(R.failed)
    return R.finish()


if __name__ == "__main__":
    K.on_sigterm()
    sys.exit(main())
