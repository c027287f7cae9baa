#!/usr/bin/env python3
"""Redis lookups under the 401 rate limit (issue 16, finding 9c).

With auth.store = "redis", an Allocate with a valid nonce and an unknown
USERNAME costs ternd a Redis query. A flood of them from one address must
not turn into a flood of Redis queries: each lookup spends a token of the
address's 401 bucket first (limits.challenge_rate = 5,
challenge_burst = 10 here). 300 such Allocates, each with a username of its
own (so no cache answers), are sent from 127.0.0.7 without waiting; Redis's
own count of the commands it ran (INFO commandstats, GET calls, two per
lookup at most) must move by at most twice the burst plus what the rate
refills meanwhile (before the fix: 600), and afterwards a
real user from another address still allocates (positive control).
"""

import os
import re
import shutil
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hashlib  # noqa: E402

import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("redis-lookups")
REALM = "tern.test"
FLOOD = 300
RATE, BURST = 5, 10


def main():
    K.on_sigterm()
    if not shutil.which("redis-server") or not shutil.which("redis-cli"):
        C.fail("tools", "redis-server and redis-cli are needed (Debian: redis-server)")
        return 1
    work = K.Work("redis-lookups")
    rs = H.Redis(work)
    rport, rcli = rs.port, rs.cli
    ok = rs.start()
    srv = None
    try:
        if not C.check("redis-start", ok, "no PONG"):
            return 1
        key = hashlib.md5(("alice:%s:pw" % REALM).encode()).hexdigest()
        rcli("SET", "turn/realm/%s/user/alice/key" % REALM, key)
        srv = H.Ternd(work, "srv", store="redis", redis_port=rport, realm=REALM,
                      **{"limits.challenge_rate": RATE, "limits.challenge_burst": BURST})
        srv.start()
        C.guard("run", run, srv, rcli)
    except RuntimeError as e:
        C.fail("server-start", e)
    finally:
        if srv is not None and srv.proc is not None:
            C.check("server-exit", srv.stop())
        K.stop_proc(rs.proc, signal.SIGKILL)
    work.done(C.failed)
    return C.exit_status()


def gets(rcli):
    m = re.search(r"cmdstat_get:calls=(\d+)", rcli("INFO", "commandstats"))
    return int(m.group(1)) if m else 0


def run(srv, rcli):
    realm, nonce = K.challenge(srv.addr, "127.0.0.7")
    c = K.client(srv.addr, (realm, nonce), bind_ip="127.0.0.7")
    before = gets(rcli)
    t0 = time.monotonic()
    try:
        for i in range(FLOOD):
            u = "ghost%d" % i
            k = K.long_term_key(u, realm.decode(), "pw")
            _, data = K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT, (K.USERNAME, u.encode()),
                                                         (K.REALM, realm), (K.NONCE, nonce)], key=k)
            c.send_raw(data)
            time.sleep(0.001)
    finally:
        c.close()
    spent = time.monotonic() - t0
    time.sleep(0.5)
    n = gets(rcli) - before
    # a lookup is at most two GETs (the key, else the password)
    bound = 2 * (BURST + int(RATE * (spent + 0.5)) + 2)
    K.note("%d unknown-user Allocates in %.2f s: %d Redis GETs (bound %d)" % (FLOOD, spent, n, bound))
    C.check("lookups-bounded", 0 < n <= bound, "%d Redis GETs for %d unknown-user Allocates from one address "
            "in %.2f s (want 1..%d)" % (n, FLOOD, spent, bound))
    c = K.client(srv.addr, bind_ip="127.0.0.8")
    try:
        r = c.allocate(user="alice", password="pw")
        C.check("other-address-allocates", K.is_success(r, K.ALLOCATE), K.fmt(r))
        if K.is_success(r, K.ALLOCATE):
            c.release(user="alice", password="pw")
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
