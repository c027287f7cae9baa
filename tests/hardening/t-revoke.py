#!/usr/bin/env python3
"""Revoked credentials end live allocations (issue 16, finding 3).

The key that authenticated an Allocate is cached in the allocation; without
a recheck, a user removed from ternd.conf, a REST secret withdrawn, or a
REST username past its expiry would refresh for ever. Two servers (ternd
takes static users or REST secrets, not both):
  - static users alice and bob, each with an allocation; bob is removed from
    ternd.conf and ternd gets SIGHUP: bob's next Refresh and CreatePermission
    get 401; alice's Refresh still succeeds (positive control)
  - REST secrets s-one and s-two, an allocation under each; s-one is removed
    + SIGHUP: the s-one allocation's Refresh gets 401, the s-two one's 200
  - a REST username expiring in 3 s: its Refresh succeeds before, gets 401
    after the expiry
With COTURN=1 (coturn's turnserver first on PATH) only the last part runs,
since coturn takes its users and secrets on its command line; its answer is
printed, not asserted.
"""

import base64
import hashlib
import hmac
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

C = K.Reporter("revoke")


def rest_password(secret, name):
    return base64.b64encode(hmac.new(secret.encode(), name.encode(), hashlib.sha1).digest()).decode()


def code(r):
    """0 for a success, the error code, or None (no answer)."""
    if r is None:
        return None
    e = r.error()
    return e[0] if e else 0


def edit_and_reload(srv, pattern, repl):
    """Rewrite ternd.conf (pattern -> repl, which must match) and SIGHUP;
    waits for the reload line."""
    with open(srv.conf) as f:
        text = f.read()
    new = re.sub(pattern, repl, text, count=1)
    if new == text:
        raise RuntimeError("%s not in %s" % (pattern, srv.conf))
    with open(srv.conf, "w") as f:
        f.write(new)
    before = srv.log_text().count("reloaded configuration")
    srv.signal(signal.SIGHUP)
    K.wait_for(lambda: srv.log_text().count("reloaded configuration") > before, 5)
    if srv.log_text().count("reloaded configuration") <= before:
        raise RuntimeError("no reload: %s" % srv.log_tail())


def new_client(held, srv, user, password):
    c = K.TurnClient(srv.addr, user=user, password=password)
    held.append(c)
    return c


def allocate_all(prefix, clients):
    """Allocate for every (name, client); False (and a failed check) if one fails."""
    return all(C.check("%s-allocate-%s" % (prefix, name), code(c.allocate()) == 0, "Allocate failed")
               for name, c in clients)


def static_users(srv, held):
    alice = new_client(held, srv, "alice", "wonderland")
    bob = new_client(held, srv, "bob", "builder")
    if not allocate_all("static", (("alice", alice), ("bob", bob))):
        return
    C.check("static-refresh-before", code(bob.refresh(600)) == 0, "bob's Refresh before the reload failed")
    edit_and_reload(srv, r', \{ name = "bob"; password = "builder"; \}', "")
    r = bob.refresh(600)
    C.check("removed-user-refresh-401", code(r) == 401, "bob's Refresh after removal: %s" % K.fmt(r))
    r = bob.permission("127.0.0.1")
    C.check("removed-user-permission-401", code(r) == 401,
            "bob's CreatePermission after removal: %s" % K.fmt(r))
    r = alice.refresh(600)
    C.check("kept-user-refresh-ok", code(r) == 0, "alice's Refresh after the same reload: %s" % K.fmt(r))


def rest_secrets(srv, held):
    exp = int(time.time()) + 3600
    one = "%d:carol" % exp
    two = "%d:dave" % exp
    c1 = new_client(held, srv, one, rest_password("s-one", one))
    c2 = new_client(held, srv, two, rest_password("s-two", two))
    soon = "%d:erin" % (int(time.time()) + 3)
    c3 = new_client(held, srv, soon, rest_password("s-two", soon))
    if not allocate_all("rest", (("s-one", c1), ("s-two", c2), ("expiring", c3))):
        return
    C.check("expiring-refresh-before", code(c3.refresh(600)) == 0, "Refresh before the expiry failed")
    edit_and_reload(srv, r'"s-one", ', "")
    r = c1.refresh(600)
    C.check("withdrawn-secret-refresh-401", code(r) == 401, "Refresh under a withdrawn secret: %s" % K.fmt(r))
    r = c2.refresh(600)
    C.check("kept-secret-refresh-ok", code(r) == 0, "Refresh under the kept secret: %s" % K.fmt(r))
    # expired once unix time passes the expiry second (the server reads
    # its wall clock once a second: a margin)
    time.sleep(max(0.0, int(soon.split(":")[0]) + 2.2 - time.time()))
    r = c3.refresh(600)
    C.check("expired-username-refresh-401", code(r) == 401, "Refresh after the expiry: %s" % K.fmt(r))


def expiry_only(srv, held):
    """What a server without ternd's config file can be asked (coturn):
    does a REST username past its expiry still refresh?"""
    soon = "%d:erin" % (int(time.time()) + 3)
    c3 = new_client(held, srv, soon, rest_password("s-two", soon))
    if not allocate_all("rest", (("expiring", c3),)):
        return
    C.check("expiring-refresh-before", code(c3.refresh(600)) == 0, "Refresh before the expiry failed")
    time.sleep(max(0.0, int(soon.split(":")[0]) + 2.2 - time.time()))
    r = c3.refresh(600)
    C.note("%s: Refresh after the REST username's expiry: %s" % (srv.impl, K.fmt(r)))
    C.skip("expired-username-refresh-401", "%s answered %s (compared, not asserted)" % (srv.impl, K.fmt(r)))


def main():
    K.on_sigterm()
    work = K.Work("revoke")
    if os.environ.get("COTURN", "0") != "0":  # the kit's coturn mode: the REST expiry part only
        srv = K.Server(os.path.join(work.dir, "rest"), secrets="s-two")
        return H.serve(C, work, srv, expiry_only)
    servers = {"static": H.Ternd(work, "static", metrics=False, users="alice:wonderland,bob:builder"),
               "rest": H.Ternd(work, "rest", metrics=False, secrets="s-one,s-two")}

    def run(srv, held):
        C.guard("static", static_users, srv["static"], held)
        C.guard("rest", rest_secrets, srv["rest"], held)
    return H.serve_many(C, work, servers, run)


if __name__ == "__main__":
    sys.exit(main())
