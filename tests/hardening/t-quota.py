#!/usr/bin/env python3
"""Quota bypass through repeated, refreshed or abandoned allocations.

relay.user_quota = 2, two workers; clients on 127.0.0.2 and 127.0.0.3 (steered
to different workers: the quota is the server's, not a worker's):
  - a retransmitted Allocate (same transaction, same 5-tuple) gets the same
    answer and is not counted twice: a second allocation still fits
  - the third allocation of the user (another 5-tuple) is 486
  - a new Allocate transaction on an allocated 5-tuple is 437 and changes
    nothing; Refresh does not add to the count
  - another user is not affected by alice's quota
  - wrong-password Allocates take no slot
  - Refresh LIFETIME 0 frees the slot; closing the TCP connection of a TCP
    allocation frees its slot
  - at the end, with everything released, exactly two allocations fit again;
    every 486 was counted (ternd_quota_refusals_total{reason="user"})
"""

import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("quota")
USER_QUOTA = r'^ternd_quota_refusals_total\{reason="user"\}$'


def main():
    K.on_sigterm()
    work = K.Work("quota")
    srv = H.Ternd(work, "srv", users="alice:wonderland,bob:builder", user_quota=2)
    return H.serve(C, work, srv, run)


SEEN = {"486": 0}


def alloc(c, **kw):
    """c.allocate, counting the 486 answers (for the metrics check)."""
    r = c.allocate(**kw)
    if K.is_error(r, K.ALLOCATE, 486):
        SEEN["486"] += 1
    return r


def run(srv, clients):
    q0 = srv.metric(USER_QUOTA)
    n2 = K.challenge(srv.addr, "127.0.0.2")
    n3 = K.challenge(srv.addr, "127.0.0.3")

    def new(ip, nonce):
        c = K.client(srv.addr, nonce, bind_ip=ip)
        clients.append(c)
        return c

    # retransmission: the same bytes three more times
    a = new("127.0.0.2", n2)
    tid = os.urandom(12)
    r1 = a.request(K.ALLOCATE, [K.UDP_TRANSPORT], tid=tid)
    if not C.check("first-allocation", K.is_success(r1, K.ALLOCATE), K.fmt(r1)):
        return
    again = [a.request(K.ALLOCATE, [K.UDP_TRANSPORT], tid=tid) for _ in range(3)]
    probs = ["retransmission %d: %s" % (i + 1, K.fmt(r)) for i, r in enumerate(again)
             if not K.is_success(r, K.ALLOCATE)]
    probs += ["retransmission %d: relayed %s, first answer %s" % (i + 1, K.relayed(r), K.relayed(r1))
              for i, r in enumerate(again) if K.is_success(r, K.ALLOCATE) and K.relayed(r) != K.relayed(r1)]
    C.check("retransmission-same-answer", probs)

    b = new("127.0.0.3", n3)
    r = alloc(b)
    C.check("retransmission-not-counted-twice", K.is_success(r, K.ALLOCATE),
            "the second allocation (after three retransmissions of the first) got %s" % K.fmt(r))

    c = new("127.0.0.2", n2)
    r = alloc(c)
    C.check("third-allocation-486", K.is_error(r, K.ALLOCATE, 486), "got %s" % K.fmt(r))

    # a new transaction on an allocated 5-tuple
    r = alloc(a)
    C.check("new-transaction-same-5-tuple-437", K.is_error(r, K.ALLOCATE, 437), "got %s" % K.fmt(r))
    for cl in (a, a, a, b):
        r = cl.request(K.REFRESH, [(K.LIFETIME, struct.pack("!I", 600))])
        if not K.is_success(r, K.REFRESH):
            C.fail("refresh", K.fmt(r))
    r = alloc(c)
    C.check("refresh-and-437-do-not-add", K.is_error(r, K.ALLOCATE, 486),
            "after 437 and four Refreshes the third allocation got %s (want 486 still)" % K.fmt(r))

    # per-user quota: bob is not alice
    bob = new("127.0.0.3", n3)
    r = alloc(bob, user="bob", password="builder")
    C.check("other-user-unaffected", K.is_success(r, K.ALLOCATE), "bob got %s" % K.fmt(r))
    bob.release(user="bob", password="builder")

    # wrong passwords take nothing
    for _ in range(5):
        w = new("127.0.0.2", n2)
        r = alloc(w, password="not-wonderland")
        if not K.is_error(r, K.ALLOCATE, 401):
            C.fail("wrong-password-401", "got %s" % K.fmt(r))
            break
    else:
        C.ok("wrong-password-401")

    # deleting frees the slot
    r = a.release()
    C.check("release", K.is_success(r, K.REFRESH), K.fmt(r))
    c2 = new("127.0.0.2", n2)
    r = alloc(c2)
    C.check("release-frees-a-slot", K.is_success(r, K.ALLOCATE), "after Refresh LIFETIME 0: %s" % K.fmt(r))
    d = new("127.0.0.3", n3)
    r = alloc(d)
    C.check("full-again-486", K.is_error(r, K.ALLOCATE, 486), "got %s" % K.fmt(r))

    # a TCP allocation's slot comes back when its connection closes
    c2.release()
    t = K.TcpClient(srv.addr, bind_host="127.0.0.2")
    r = alloc(t)
    if C.check("tcp-allocation", K.is_success(r, K.ALLOCATE), K.fmt(r)):
        e = new("127.0.0.3", n3)
        r = alloc(e)
        C.check("tcp-allocation-counted", K.is_error(r, K.ALLOCATE, 486), "got %s" % K.fmt(r))
        t.close()
        e2 = new("127.0.0.3", n3)
        got = None
        end = time.monotonic() + 3
        while time.monotonic() < end:
            got = alloc(e2)
            if K.is_success(got, K.ALLOCATE):
                break
            e2 = new("127.0.0.3", n3)
            time.sleep(0.2)
        C.check("closing-tcp-frees-its-slot", K.is_success(got, K.ALLOCATE),
                "3 s after the TCP connection closed: %s" % K.fmt(got))
        e2.release()
    else:
        t.close()
    b.release()

    # nothing leaked: exactly two fit
    res = []
    for ip, n in (("127.0.0.2", n2), ("127.0.0.3", n3), ("127.0.0.2", n2)):
        x = new(ip, n)
        res.append(alloc(x))
    ok = K.is_success(res[0], K.ALLOCATE) and K.is_success(res[1], K.ALLOCATE) and \
        K.is_error(res[2], K.ALLOCATE, 486)
    C.check("no-slot-leaked", ok, "with everything released: %s" % ", ".join(K.fmt(r) for r in res))
    H.counted(C, "refusals-counted", srv, USER_QUOTA, q0, SEEN["486"], "%d 486 answers" % SEEN["486"])


if __name__ == "__main__":
    sys.exit(main())
