#!/usr/bin/env python3
"""redis-server killed and restarted under load: no crash, no busy loop,
relays keep flowing, and how long recovery takes.

tests/interop/turn/t-redis.sh already kills Redis under a turnutils_uclient
relay and checks the refusal and the recovery. This adds what it does not
measure. ternd (2 workers, auth.store = "redis", limits.log_interval = 2)
with users in a private redis-server; an allocation with a channel to a
local UDP echo peer; load = 100 ChannelData/s through it plus a new
authentication (a user never looked up before, so no cache answers) every
100 ms:
  - redis-server is SIGKILLed under that load: ternd stays up, the relay
    loses (almost) nothing, no new authentication succeeds, and once the
    lookup timeout has passed each gets the documented error answer, not
    silence: 500 with the reason phrase "Credential store unavailable"
  - with the load stopped and Redis still down, ternd uses less than 0.5 s
    of CPU in 5 s (reconnects back off; no busy loop), the relay still
    echoes, and "unreachable" is logged a bounded number of times;
    ternd_redis_up says 0 and every 500 is counted as store_down
  - before that, hostile USERNAMEs (format directives, CRLF-embedded Redis
    commands, 500 bytes) get 401 and inject nothing (a canary key survives),
    and a user literally named "%s%n\r\nDEL canary" authenticates
  - redis-server restarted on the same port: the time until the first new
    authentication succeeds is printed (and must be under 30 s); the
    relay still works, ternd_redis_up says 2 (both workers) and ternd exits
    cleanly
"""

import os
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import hashlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("redis-fault")
REALM = "tern.test"
CHANNEL = 0x4001
CPU_LIMIT = 0.5
QUIET_S = 5.0
REDIS_UP = r"^ternd_redis_up$"
STORE_DOWN_ANSWER = "error 500 Credential store unavailable"
STORE_DOWN = r'^ternd_auth_failures_total\{reason="store_down"\}$'


def main():
    K.on_sigterm()
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        C.fail("tools", "redis-server and redis-cli are needed (Debian: redis-server)")
        return 1
    work = K.Work("redis")
    rs = H.Redis(work)
    rport, rcli = rs.port, rs.cli
    redis = {"p": None}

    def redis_start(tag):
        ok = rs.start(tag)
        redis["p"] = rs.proc
        return ok

    if not redis_start("first"):
        C.fail("redis-start", "redis-server did not answer PING on 127.0.0.1:%d" % rport)
        K.stop_proc(redis["p"])
        work.done(True)
        return 1
    srv = H.Ternd(work, "srv", store="redis", redis_port=rport, realm=REALM,
                  **{"limits.log_interval": 2})
    peer = K.EchoPeer()
    try:
        set_users(rcli, ["alice"] + ["u%d" % i for i in range(300)])
        srv.start()
        C.guard("run", run, srv, peer, rcli, redis, redis_start)
    except RuntimeError as e:
        C.fail("server-start", e)
    finally:
        peer.close()
        if srv.proc is not None:
            C.check("server-exit", srv.stop())
        K.stop_proc(redis["p"], signal.SIGKILL)
    work.done(C.failed)
    return C.exit_status()


def md5key(user, pw):
    return hashlib.md5(("%s:%s:%s" % (user, REALM, pw)).encode()).hexdigest()


def set_users(rcli, users):
    for u in users:
        rcli("SET", "turn/realm/%s/user/%s/key" % (REALM, u), md5key(u, "pw-" + u))


class Load:
    """ChannelData through one allocation and new authentications, in threads."""

    def __init__(self, srv, relay, peer_addr):
        self.srv = srv
        self.relay = relay  # the allocation's client socket
        self.peer = peer_addr
        self.halt = False
        self.sent = self.echoed = 0
        self.auths = []  # (time started, result string)
        self.next_user = 0
        self.nonce = K.challenge(srv.addr, "127.0.0.3")

    def relay_loop(self):
        s = self.relay.sock
        while not self.halt:
            s.sendto(K.channel_data(CHANNEL, b"load %d" % self.sent), self.srv.addr)
            self.sent += 1
            s.settimeout(0.01)
            try:
                while True:
                    d = s.recv(2048)
                    if d[:2] == struct.pack("!H", CHANNEL):
                        self.echoed += 1
            except (socket.timeout, BlockingIOError):
                pass

    def auth_loop(self):
        while not self.halt:
            u = "u%d" % self.next_user
            self.next_user += 1
            t = time.monotonic()
            c = K.client(self.srv.addr, self.nonce, bind_ip="127.0.0.3")
            try:
                r = c.allocate(user=u, password="pw-" + u)
                if K.is_success(r, K.ALLOCATE):
                    c.release(user=u, password="pw-" + u)
                    res = "ok"
                else:
                    res = "no answer" if r is None else "error %d %s" % (r.error() or (0, K.fmt(r)))
            finally:
                c.close()
            self.auths.append((t, res))
            time.sleep(0.1)

    def start(self):
        self.ts = [threading.Thread(target=self.relay_loop, daemon=True),
                   threading.Thread(target=self.auth_loop, daemon=True)]
        for t in self.ts:
            t.start()

    def stop(self):
        self.halt = True
        for t in self.ts:
            t.join(5)
        time.sleep(0.3)


def echo_round(c, srv, n=200):
    """n ChannelData through c's channel; how many came back."""
    s = c.sock
    got = 0
    for i in range(n):
        s.sendto(K.channel_data(CHANNEL, b"check %d" % i), srv.addr)
        if i % 20 == 19:
            time.sleep(0.01)
    end = time.monotonic() + 2
    while got < n and time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            if s.recv(2048)[:2] == struct.pack("!H", CHANNEL):
                got += 1
        except socket.timeout:
            break
    return got


def literal_usernames(srv, rcli):
    """USERNAME is data, never part of a Redis command: format directives and
    CRLF-embedded commands reach Redis as one literal key name."""
    rcli("SET", "canary", "alive")
    weird = ["%s%s%n", "%x %p %%", "a b\r\nDEL canary\r\n", "*1\r\n$8\r\nFLUSHALL\r\n", "x" * 500]
    nonce = K.challenge(srv.addr, "127.0.0.5")
    res = []
    for u in weird:
        c = K.client(srv.addr, nonce, bind_ip="127.0.0.5")
        try:
            r = c.allocate(user=u, password="pw")
        finally:
            c.close()
        if not K.is_error(r, K.ALLOCATE, 401):
            res.append("%r: %s" % (u[:24], K.fmt(r)))
    C.check("hostile-usernames-refused", not res and srv.alive(),
            "unknown hostile usernames must get 401: %s%s" % (res, "" if srv.alive() else "; ternd died"))
    C.check("hostile-usernames-injected-nothing", rcli("GET", "canary") == "alive",
            "the canary key is gone: a USERNAME reached Redis as a command")
    u = "%s%n\r\nDEL canary"
    rcli("SET", "turn/realm/%s/user/%s/key" % (REALM, u), md5key(u, "pw"))
    c = K.client(srv.addr, nonce, bind_ip="127.0.0.5")
    try:
        r = c.allocate(user=u, password="pw")
        if K.is_success(r, K.ALLOCATE):
            c.release(user=u, password="pw")
    finally:
        c.close()
    C.check("literal-username-with-directives-works", K.is_success(r, K.ALLOCATE),
            "a user literally named %r stored in Redis: %s" % (u, K.fmt(r)))


def run(srv, peer, rcli, redis, redis_start):
    literal_usernames(srv, rcli)
    a = K.client(srv.addr)
    r = a.allocate(user="alice", password="pw-alice")
    if not C.check("allocation", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        return
    r = a.channel_bind(CHANNEL, peer.addr, user="alice", password="pw-alice")
    if not C.check("channel", K.is_success(r, K.CHANNEL_BIND), K.fmt(r)):
        return
    got = echo_round(a, srv, 50)
    C.check("relay-before", got == 50, "%d of 50 echoed before the outage" % got)

    load = Load(srv, a, peer.addr)
    load.start()
    time.sleep(2.0)
    before = list(load.auths)
    lines0 = len(srv.log_text().splitlines())
    t_kill = time.monotonic()
    K.stop_proc(redis["p"], signal.SIGKILL)
    K.note("redis-server killed under load (%d authentications done so far, %s)" % (
        len(before), ", ".join(sorted({x for _, x in before}))))
    time.sleep(4.0)
    load.stop()
    C.check("alive-after-kill", srv.alive(), "ternd died when Redis was killed: %s" % srv.log_tail())
    during = [(t - t_kill, res) for t, res in load.auths if t >= t_kill]
    late = [res for dt, res in during if dt >= 2.5]
    K.note("authentications during the outage: %s" % ", ".join("%.1fs %s" % x for x in during))
    C.check("no-authentication-while-down", bool(during) and all(res != "ok" for _, res in during),
            "results during the outage: %s" % ", ".join("%.1fs %s" % x for x in during))
    C.check("clear-error-while-down", bool(late) and all(res.startswith("error") for res in late),
            "authentications started 2.5 s or more after the kill got %s (want error answers)" % late)
    # the documented answer (docs/SECURITY.md), code and reason phrase both
    C.check("error-is-500-credential-store-unavailable",
            bool(late) and all(res == STORE_DOWN_ANSWER for res in late),
            "authentications started 2.5 s or more after the kill got %s (want %r each)" % (
                late, STORE_DOWN_ANSWER))
    loss = load.sent - load.echoed
    K.note("relay under load across the kill: %d sent, %d echoed" % (load.sent, load.echoed))
    C.check("relay-flows-across-kill", load.sent > 100 and loss <= max(2, load.sent // 100),
            "%d of %d ChannelData lost" % (loss, load.sent))

    H.counted(C, "redis-down-in-metrics", srv, REDIS_UP, 0, 0, "Redis is down")
    n500 = sum(1 for _, r in during if r.startswith("error 500 "))
    down_fail = srv.metric_until(STORE_DOWN, lambda v: v >= n500)
    if down_fail is not None:
        C.check("store-down-counted", down_fail >= n500,
                "ternd_auth_failures_total{reason=\"store_down\"} is %d; %d authentications got 500" % (
                    down_fail, n500))
    else:
        C.skip("store-down-counted", "no /metrics endpoint on this ternd")
    # quiet, Redis still down: reconnects must not spin
    cpu0 = H.cpu_seconds(srv.pid)
    time.sleep(QUIET_S)
    cpu = H.cpu_seconds(srv.pid) - cpu0
    K.note("ternd CPU time over %.0f s with Redis down and no traffic: %.2f s" % (QUIET_S, cpu))
    C.check("no-busy-loop-while-down", cpu < CPU_LIMIT, "%.2f s of CPU in %.0f s (limit %.1f s)" % (
        cpu, QUIET_S, CPU_LIMIT))
    got = echo_round(a, srv)
    C.check("relay-flows-while-down", got >= 198, "%d of 200 ChannelData echoed while Redis is down" % got)
    new = srv.log_text().splitlines()[lines0:]
    down = sum(1 for ln in new if "unreachable" in ln)
    outage = time.monotonic() - t_kill
    bound = 2 * (int(outage / 2) + 2)
    K.note("%d 'unreachable' log lines in %.0f s of outage" % (down, outage))
    C.check("outage-logged-rate-limited", 1 <= down <= bound,
            "%d 'Redis ... unreachable' lines in %.0f s (want 1..%d)" % (down, outage, bound))

    # back: how long until a new authentication works
    if not redis_start("second"):
        C.fail("redis-restart", "redis-server did not come back on its port")
        return
    t_up = time.monotonic()
    set_users(rcli, ["alice"] + ["f%d" % i for i in range(400)])
    nonce = K.challenge(srv.addr, "127.0.0.4")
    recovered, i = None, 0
    while time.monotonic() - t_up < 30:
        u = "f%d" % i
        i += 1
        c = K.client(srv.addr, nonce, bind_ip="127.0.0.4")
        try:
            r = c.allocate(user=u, password="pw-" + u)
            if K.is_success(r, K.ALLOCATE):
                recovered = time.monotonic() - t_up
                c.release(user=u, password="pw-" + u)
                break
        finally:
            c.close()
        time.sleep(0.1)
    if recovered is not None:
        K.note("recovery: the first new authentication succeeded %.2f s after redis-server was "
               "restarted (outage %.0f s)" % (recovered, t_up - t_kill))
    C.check("recovers-after-restart", recovered is not None,
            "no new authentication succeeded within 30 s of redis-server coming back")
    # the other worker may still be in its reconnect backoff, which grows
    # to 10 s during the outage (src/auth/redis.c, backoff_max_ms)
    H.counted(C, "redis-up-in-metrics", srv, REDIS_UP, 0, 2, "both workers reconnected",
              timeout=12.0)
    got = echo_round(a, srv)
    C.check("relay-after-recovery", got >= 198, "%d of 200 echoed after recovery" % got)
    # said by each worker's housekeeping (once a second), maybe after the
    # first authentication already went through
    back = K.wait_for(lambda: sum(1 for ln in srv.log_text().splitlines()[lines0:] if "reachable again" in ln),
                      3.0)
    C.check("recovery-logged", back >= 1, "no 'Redis ... is reachable again' line in the log")
    a.release(user="alice", password="pw-alice")
    a.close()


if __name__ == "__main__":
    sys.exit(main())
