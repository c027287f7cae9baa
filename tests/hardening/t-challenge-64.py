#!/usr/bin/env python3
"""The 401 rate limit keys IPv6 clients by /64 (issue 16, finding 6).

Loopback has one IPv6 address, so the test re-runs itself in a network
namespace of its own (`unshare --net`: private, gone when the test ends; the
host is untouched), brings its lo up and adds 2001:db8:0:1::1-40 and
2001:db8:0:2::1-3 (documentation range) to it. ternd (limits.challenge_rate
= 5, challenge_burst = 10) runs inside too:
  - one unauthenticated Allocate from each of 40 addresses of one /64: at
    most the burst (plus what 5/s refills meanwhile) get a 401
  - three addresses of another /64 each get theirs (1 in 4096 that the two
    /64s share a bucket)
SKIPs when a network namespace cannot be made (not root).
"""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("challenge-64")
INNER = "TERN_CHALLENGE64_INNER"
SPREAD = ["2001:db8:0:1:%x:%x::%x" % (i * 7919 & 0xFFFF, i, i + 1) for i in range(40)]
OTHER = ["2001:db8:0:2::%x" % (i + 1) for i in range(3)]


def answered(ip, port):
    """Did an unauthenticated Allocate from ip get an answer (the 401)?"""
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        s.bind((ip, 0))
        tid, data = K.message(K.ALLOCATE, K.REQUEST, [K.UDP_TRANSPORT])
        s.sendto(data, ("::1", port))
        s.settimeout(0.3)
        try:
            return K.Resp(s.recvfrom(65535)[0]) is not None
        except socket.timeout:
            return False
    finally:
        s.close()


def run(srv, held):
    t0 = time.monotonic()
    got = [ip for ip in SPREAD if answered(ip, srv.port)]
    secs = time.monotonic() - t0
    most = 10 + int(5 * secs) + 1
    if srv.impl != "ternd":  # compared, not asserted: coturn has no 401 limit
        C.note("%s: %d of %d addresses in one /64 got a 401 in %.1f s" % (srv.impl, len(got), len(SPREAD), secs))
        C.skip("one-64-one-bucket", "%s: %d of %d answered (compared, not asserted)" % (
            srv.impl, len(got), len(SPREAD)))
        return
    C.check("one-64-one-bucket", len(got) <= most,
            "%d of %d addresses in one /64 got a 401 in %.1f s; the bucket allows %d" % (
                len(got), len(SPREAD), secs, most))
    C.check("burst-served", len(got) >= 10, "only %d 401s: the burst is 10" % len(got))
    other = [ip for ip in OTHER if answered(ip, srv.port)]
    C.check("other-64-own-bucket", len(other) == len(OTHER),
            "%d of %d addresses of another /64 got a 401" % (len(other), len(OTHER)))


def inner():
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for ip in SPREAD + OTHER:
        subprocess.run(["ip", "-6", "addr", "add", ip + "/64", "dev", "lo", "nodad"], check=True)
    work = K.Work("challenge-64")
    if os.environ.get("COTURN", "0") != "0":  # the kit's coturn mode, for comparison
        srv = K.Server(os.path.join(work.dir, "srv"))
    else:
        srv = H.Ternd(work, "srv", metrics=False, **{"limits.challenge_rate": 5, "limits.challenge_burst": 10})
    return H.serve(C, work, srv, run)


def main():
    K.on_sigterm()
    if os.environ.get(INNER):
        return inner()
    env = dict(os.environ, **{INNER: "1"})
    try:
        p = subprocess.run(["unshare", "--net", sys.executable, os.path.abspath(__file__)], env=env, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        C.skip("netns", "cannot run in a network namespace: %s" % e)
        return 0
    if p.returncode == 1 and os.geteuid() != 0:
        C.skip("netns", "unshare --net needs root")
        return 0
    return p.returncode


if __name__ == "__main__":
    sys.exit(main())
