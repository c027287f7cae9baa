#!/usr/bin/env python3
"""Drain: SIGUSR1 refuses new allocations (508, or 300 with ALTERNATE-SERVER
when drain.alternate_server is set) while an existing allocation keeps
relaying to a UDP echo peer and can be refreshed; SIGUSR2 ends such a drain;
a reload during a drain refuses with the new alternate server. SIGTERM with
drain.timeout = N keeps ternd up until the last allocation ends (Refresh 0:
it exits promptly) or the deadline passes (it exits after about N s); a
second SIGTERM, or SIGINT, stops it at once.

    TERND=/path/to/ternd python3 tests/ops/t-drain.py
"""

import os
import shutil
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lifecycle import K, Ternd, code, echo, workdir  # noqa: E402

C = K.Reporter("drain")
USER, PASSWORD = "alice", "wonderland"


def relaying(c, peer, name, what):
    """c's allocation relays to peer and back."""
    ok = echo(c, peer.addr, f"{name}-{time.monotonic()}".encode())
    C.check(name, ok, f"{what}: a datagram sent through the relay to the "
            "echo peer did not come back")


def allocated(t, name, what):
    """A fresh client with valid credentials gets an allocation, with a
    permission for the echo peer."""
    c = K.TurnClient(t.addr, user=USER, password=PASSWORD)
    r = c.allocate()
    if not C.check(name, r is not None and r.cls == K.SUCCESS,
                   f"{what}: Allocate answered {K.fmt(r)}; log: {t.tail()}"):
        return None
    r = c.permission("127.0.0.1")
    if r is None or r.cls != K.SUCCESS:
        C.fail(name + "-permission", f"CreatePermission answered {K.fmt(r)}")
        return None
    return c


def refused(t, name, want, alternate=None):
    """A new Allocate (valid credentials) is answered with error want (with
    ALTERNATE-SERVER alternate)."""
    c = K.TurnClient(t.addr, user=USER, password=PASSWORD)
    r = c.allocate()
    c.close()
    if r is None or r.cls != K.ERROR or code(r) != want:
        C.fail(name, f"a new Allocate while draining was answered {K.fmt(r)}, "
               f"expected {want}")
        return
    if alternate is None:
        C.ok(name)
        return
    got = r.addr(K.ALTERNATE_SERVER)
    C.check(name, got == alternate,
            f"300 carried ALTERNATE-SERVER {got}, expected {alternate}")


def usr1_drain(work, peer):
    """SIGUSR1, SIGUSR2, SIGTERM with every allocation gone."""
    t = Ternd(work, "usr1", extra={"drain.timeout": 20})
    try:
        if not C.check("usr1-start", t.start(), f"ternd did not answer: {t.tail()}"):
            return
        c1 = allocated(t, "usr1-allocate-before", "before the drain")
        if not c1:
            return
        relaying(c1, peer, "usr1-relay-before", "before the drain")
        t.signal(signal.SIGUSR1)
        C.check("usr1-logged", t.wait_log(r"SIGUSR1: draining"),
                f"no 'SIGUSR1: draining' in the log: {t.tail()}")
        time.sleep(0.3)  # the workers apply it within milliseconds
        refused(t, "usr1-new-allocate-508", 508)
        relaying(c1, peer, "usr1-existing-keeps-relaying", "during the drain")
        r = c1.refresh(600)
        C.check("usr1-refresh-works", r is not None and r.cls == K.SUCCESS,
                f"Refresh of the existing allocation while draining: {K.fmt(r)}")
        t.signal(signal.SIGUSR1)
        C.check("usr1-again-idempotent", t.wait_log(r"SIGUSR1: already draining"),
                "a second SIGUSR1 did not say 'already draining'")
        refused(t, "usr1-again-still-draining", 508)
        # SIGUSR2 ends the drain
        t.signal(signal.SIGUSR2)
        t.wait_log(r"SIGUSR2: drain ended")
        time.sleep(0.3)
        c2 = allocated(t, "usr2-allocate-accepted-again", "after SIGUSR2")
        if c2:
            c2.refresh(0)
            c2.close()
        # SIGTERM drains: stays up while c1 lives, exits once it is gone
        t.signal(signal.SIGTERM)
        C.check("term-drain-logged", t.wait_log(r"SIGTERM: draining for at most 20 s"),
                f"no SIGTERM drain line: {t.tail()}")
        time.sleep(0.3)
        refused(t, "term-new-allocate-508", 508)
        time.sleep(1.5)
        C.check("term-waits-for-allocation", t.alive(),
                "ternd exited while an allocation was still relaying")
        relaying(c1, peer, "term-existing-keeps-relaying", "during SIGTERM's drain")
        C.check("term-progress-logged",
                t.wait_log(r"draining: 1 allocation left, \d+ s to go"), f"no progress line: {t.tail()}")
        r = c1.refresh(0)
        C.check("term-refresh-0", r is not None and r.cls == K.SUCCESS,
                f"Refresh 0: {K.fmt(r)}")
        t0 = time.monotonic()
        rc = t.wait_exit(8)
        took = time.monotonic() - t0
        C.check("term-exits-when-drained", rc == 0,
                f"ternd did not exit within 8 s of the last allocation ending "
                f"(exit status {rc}): {t.tail()}")
        if rc == 0:
            C.note(f"exited {took:.1f} s after Refresh 0")
            C.check("term-drained-logged",
                    t.count(r"drained: no allocation left; stopping") == 1, "no 'drained' line in the log")
        c1.close()
    finally:
        C.check("usr1-clean-exit", t.clean())


def alternate_and_deadline(work, peer):
    """300 + ALTERNATE-SERVER; a reload during the drain names the new one;
    SIGTERM's deadline passes with an allocation left."""
    alt1, alt2 = ("192.0.2.10", 3478), ("192.0.2.20", 3479)
    extra = {"drain.timeout": 3, "drain.alternate_server": f"{alt1[0]}:{alt1[1]}"}
    t = Ternd(work, "alternate", extra=extra)
    try:
        if not C.check("alt-start", t.start(), f"ternd did not answer: {t.tail()}"):
            return
        c1 = allocated(t, "alt-allocate-before", "before the drain")
        if not c1:
            return
        t.signal(signal.SIGUSR1)
        t.wait_log(r"SIGUSR1: draining: new allocations are answered 300 "
                   r"with ALTERNATE-SERVER 192\.0\.2\.10:3478")
        time.sleep(0.3)
        refused(t, "alt-300-alternate-server", 300, alt1)
        relaying(c1, peer, "alt-existing-keeps-relaying", "during the drain")
        extra["drain.alternate_server"] = f"{alt2[0]}:{alt2[1]}"
        t.write(extra=extra)
        t.signal(signal.SIGHUP)
        t.wait_log(r"reloaded configuration", at_least=1)
        time.sleep(0.3)
        refused(t, "alt-reload-changes-alternate", 300, alt2)
        t.signal(signal.SIGTERM)
        t.wait_log(r"SIGTERM: draining for at most 3 s")
        time.sleep(1.0)
        C.check("deadline-not-before", t.alive(), "ternd exited before drain.timeout")
        relaying(c1, peer, "deadline-existing-relays", "during SIGTERM's drain")
        rc = t.wait_exit(8)
        C.check("deadline-exits", rc == 0, f"ternd did not stop within 8 s of a "
                f"3 s drain.timeout (exit status {rc}): {t.tail()}")
        C.check("deadline-logged",
                t.count(r"drain\.timeout passed with 1 allocation left; stopping"), f"no deadline line: {t.tail()}")
        c1.close()
    finally:
        C.check("alt-clean-exit", t.clean())


def stop_at_once(work, peer, second, name):
    """SIGTERM starts a 60 s drain; `second` stops it at once."""
    t = Ternd(work, name, extra={"drain.timeout": 60})
    try:
        if not C.check(name + "-start", t.start(), f"ternd did not answer: {t.tail()}"):
            return
        c1 = allocated(t, name + "-allocate", "before SIGTERM")
        if not c1:
            return
        t.signal(signal.SIGTERM)
        t.wait_log(r"SIGTERM: draining for at most 60 s")
        time.sleep(1.0)
        C.check(name + "-draining", t.alive(), "ternd exited at the first SIGTERM")
        t.signal(second)
        rc = t.wait_exit(5)
        C.check(name + "-stops-at-once", rc == 0,
                f"ternd did not stop within 5 s of {second.name} during the "
                f"drain (exit status {rc}): {t.tail()}")
        c1.close()
    finally:
        C.check(name + "-clean-exit", t.clean())


def term_with_allocation(work, name, extra, observe):
    """A ternd (extra settings) holding one allocation gets SIGTERM;
    observe(t) checks what follows."""
    t = Ternd(work, name, extra=extra)
    try:
        if not C.check(name + "-start", t.start(), f"ternd did not answer: {t.tail()}"):
            return
        c1 = K.TurnClient(t.addr, user=USER, password=PASSWORD)
        r = c1.allocate()
        C.check(name + "-allocate", r is not None and r.cls == K.SUCCESS,
                f"Allocate: {K.fmt(r)}")
        t.signal(signal.SIGTERM)
        observe(t)
        if t.alive():
            c1.refresh(0)
        c1.close()
    finally:
        C.check(name + "-clean-exit", t.clean())


def zero_timeout(work):
    """drain.timeout = 0: SIGTERM stops at once, with an allocation held:
    nothing about draining in the log. Its positive control, in the same
    test: with drain.timeout = 5 the same SIGTERM on the same kind of
    ternd, read the same way (t.count("draining") on its log), does show
    the drain, so the empty result is not an unread or unwritten log."""
    def drains(t):
        seen = K.wait_for(lambda: t.count("draining"), 5)
        C.check("zero-control-sees-draining", seen and t.alive(),
                f"drain.timeout = 5: {t.count('draining')} 'draining' lines after "
                f"SIGTERM, ternd {'running' if t.alive() else 'exited'}: {t.tail()}")

    def stops(t):
        rc = t.wait_exit(5)
        C.check("zero-timeout-stops-at-once", rc == 0 and not t.count("draining"),
                f"exit status {rc}; log: {t.tail()}")
    term_with_allocation(work, "zero-control", {"drain.timeout": 5}, drains)
    term_with_allocation(work, "zero", {}, stops)


def main():
    if not os.access(os.environ.get("TERND", ""), os.X_OK):
        C.fail("setup", "TERND must name the ternd executable")
        C.exit()
    work = workdir("t-drain.")
    peer = K.EchoPeer()
    try:
        usr1_drain(work, peer)
        alternate_and_deadline(work, peer)
        stop_at_once(work, peer, signal.SIGTERM, "term-twice")
        stop_at_once(work, peer, signal.SIGINT, "term-then-int")
        zero_timeout(work)
    finally:
        peer.close()
        if os.environ.get("TERN_KEEP") != "1" and not C.failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            C.note(f"work directory kept: {work}")
    C.exit()


if __name__ == "__main__":
    main()
