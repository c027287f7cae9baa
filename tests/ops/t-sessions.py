#!/usr/bin/env python3
"""Sessions on the admin listener (issue 15): list and end live allocations,
with real clients, through tern-admin.

ternd with users alice and bob, loopback peers allowed (127.0.0.1/32), the
admin listener on 127.0.0.1 with admin.token_file. coturn's
turnutils_uclient (Debian's on PATH, or /tmp/coturn-inst/bin) relays for
alice and for bob to turnutils_peer for about 40 s; our own TURN client
(ternkit) holds one more allocation for each, relaying to an EchoPeer.
Checks:
  - tern-admin sessions (a table) names both users; --json lists alice's and
    bob's allocations with transport udp, relayed addresses in the relay
    range, the ternkit clients' relayed addresses exactly, and byte counts
    that grow between two queries
  - without the token, and with a wrong one, /sessions answers 401 (and
    tern-admin says so, exit 1); /healthz needs none
  - tern-admin kill alice ends alice's allocations: her ternkit client's
    next Refresh gets 437 and Data no longer arrives; alice is gone from
    the list; bob's ternkit client still relays and his uclient session is
    still listed (positive control)
  - tern-admin kill ID ends one allocation (bob's ternkit one) by session id;
    POST /sessions/ID/kill ends another (200, then 404); DELETE /sessions
    without ?user= is 400
  - a new token in admin.token_file and SIGHUP: the new token is accepted,
    the old one gets 401
  - ternd --check-config refuses admin.address 0.0.0.0 and :: without a
    token, naming file, line and admin.address; accepts 0.0.0.0 with one
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
sys.dont_write_bytecode = True
import ternkit as K  # noqa: E402

R = K.Reporter("sessions")
TOKEN = "5e55i0n5-t0ken-" + os.urandom(16).hex()
USERS = "alice:wonderland,bob:builder"


def tool(name):
    p = shutil.which(name)
    if p:
        return p
    p = os.path.join("/tmp/coturn-inst/bin", name)
    return p if os.access(p, os.X_OK) else None


def tern_admin():
    """The tern-admin built beside TERND (build/src/tools/tern-admin)."""
    d = os.path.dirname(os.path.abspath(os.environ["TERND"]))
    return os.environ.get("TERN_ADMIN") or os.path.join(d, "..", "tools", "tern-admin")


class Admin:
    def __init__(self, srv, token_file):
        self.port = srv.admin_port
        self.url = "http://127.0.0.1:%d" % srv.admin_port
        self.token_file = token_file

    def run(self, *args, token_file=None):
        """(exit status, stdout, stderr) of tern-admin CMD ARGS --admin URL
        --token-file F."""
        tf = token_file or self.token_file
        argv = [tern_admin(), *args, "--admin", self.url] + (["--token-file", tf] if tf else [])
        env = dict(os.environ)
        env.pop("TERN_ADMIN_TOKEN", None)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20, env=env)
        return r.returncode, r.stdout, r.stderr

    def sessions(self):
        rc, out, err = self.run("sessions", "--json")
        if rc != 0:
            raise RuntimeError("tern-admin sessions --json: exit %d: %s" % (rc, err.strip()))
        return json.loads(out)

    def http(self, path, token=None, method="GET"):
        headers = {"Authorization": "Bearer " + token} if token is not None else None
        return K.http_request(self.port, method, path, headers)[0]


def uclient(srv, user, password, peer_port, out):
    args = [tool("turnutils_uclient"), "-m", "1", "-n", "2000", "-l", "100", "-z", "20",
            "-u", user, "-w", password, "-p", str(srv.port), "-e", "127.0.0.1",
            "-r", str(peer_port), "127.0.0.1"]
    return K.spawn(["timeout", "-k", "3", "60", *args], out)


def relays_data(c, peer, tag):
    """Does a Send to the echo peer come back as a Data indication?"""
    while c.recv_raw(0.05) is not None:  # what was still in flight
        pass
    payload = b"sessions-" + tag + os.urandom(4).hex().encode()
    c.send(peer.addr, payload)
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        raw = c.recv_raw(max(0.05, end - time.monotonic()))
        if raw is not None and K.parse_data_indication(raw) == payload:
            return True
    return False


def by_user(listing, user):
    return [s for s in listing["sessions"] if s["user"] == user]


def run(work):
    for t in ("turnutils_uclient", "turnutils_peer"):
        if not tool(t):
            R.skip("uclient", "%s not found (Debian: coturn)" % t)
            return
    if not os.access(tern_admin(), os.X_OK):
        R.fail("tern-admin", "no tern-admin at %s (set TERN_ADMIN)" % tern_admin())
        return
    tf = os.path.join(work.dir, "admin.token")
    with open(tf, "w") as f:
        f.write(TOKEN + "\n")
    os.chmod(tf, 0o600)
    srv = K.Server(os.path.join(work.dir, "srv"), users=USERS, allow_peers="127.0.0.1/32",
                   **{"admin.port": K.free_ports(1)[0], "admin.token_file": tf}).start()
    peer_port = K.free_ports(1)[0]
    plog = os.path.join(work.dir, "peer.log")
    procs = [K.spawn([tool("turnutils_peer"), "-L", "127.0.0.1", "-p", str(peer_port)], plog)]
    echo = K.EchoPeer("127.0.0.1")
    try:
        outs = {}
        for user, pw in (("alice", "wonderland"), ("bob", "builder")):
            outs[user] = os.path.join(work.dir, "uclient-%s.out" % user)
            procs.append(uclient(srv, user, pw, peer_port, outs[user]))
        with_clients(srv, Admin(srv, tf), echo, outs, work)
    finally:
        for p in procs:
            K.stop_proc(p)
        echo.close()
        probs = srv.stop()
        R.check("clean-exit", not probs, "; ".join(probs))
    with open(tf, "w") as f:
        f.write(TOKEN + "\n")
    check_refusal(srv, tf)


def flowing(out):
    try:
        return re.search(rb"tot_recv_msgs=[1-9]", open(out, "rb").read())
    except OSError:
        return None


def with_clients(srv, adm, echo, outs, work):
    for user, out in outs.items():
        R.check("uclient-%s-flows" % user, K.wait_for(lambda: flowing(out), 20),
                "uclient relayed nothing within 20 s (see %s)" % out)
    mine = {}
    for user, pw in (("alice", "wonderland"), ("bob", "builder")):
        c = K.TurnClient(srv.addr, user=user, password=pw)
        r = c.allocate()
        ok = K.is_success(r, K.ALLOCATE) and K.is_success(c.permission("127.0.0.1"), K.CREATE_PERMISSION)
        mine[user] = (c, K.relayed(r))
        R.check("ternkit-%s-relays" % user, ok and relays_data(c, echo, b"a"),
                "%s's own allocation does not relay: %s" % (user, K.fmt(r)))
    listing(srv, adm, mine)
    auth(adm, work)
    kill(adm, echo, mine)
    for c, _ in mine.values():
        c.close()
    rotate(srv, adm)


def rotate(srv, adm):
    new = "r0tated-" + os.urandom(16).hex()
    with open(adm.token_file, "w") as f:
        f.write(new + "\n")
    srv.signal(signal.SIGHUP)
    ok = K.wait_for(lambda: adm.http("/sessions", new) == 200, 5)
    R.check("token-reloaded", ok and adm.http("/sessions", TOKEN) == 401,
            "after SIGHUP: new token %s, old token %s" % (adm.http("/sessions", new), adm.http("/sessions", TOKEN)))


def listing(srv, adm, mine):
    rc, table, err = adm.run("sessions")
    R.check("table-names-both", rc == 0 and re.search(r"\balice\b", table) and re.search(r"\bbob\b", table)
            and "udp" in table, "tern-admin sessions: exit %d, %r %s" % (rc, table[:300], err.strip()))
    a = adm.sessions()
    time.sleep(1.5)
    b = adm.sessions()
    ok, why = True, []
    for user in ("alice", "bob"):
        ss = by_user(b, user)
        rel = [tuple(x.rsplit(":", 1)) for s in ss for x in s["relayed"]]
        in_range = all(ip == "127.0.0.1" and srv.relay_min <= int(p) <= srv.relay_max for ip, p in rel)
        want = "%s:%d" % mine[user][1]
        if len(ss) < 2 or not in_range or any(s["transport"] != "udp" for s in ss) or \
                want not in [x for s in ss for x in s["relayed"]]:
            ok = False
            why.append("%s: %s (want 2+ udp allocations, relayed in 127.0.0.1:%d-%d, one of them %s)"
                       % (user, json.dumps(ss)[:400], srv.relay_min, srv.relay_max, want))
    R.check("json-lists-users-transport-relays", ok and b["complete"] and not b["truncated"], "; ".join(why))
    grew = []
    for user in ("alice", "bob"):
        before = {s["id"]: s for s in by_user(a, user)}
        grew.append(any(s["id"] in before and s["to_peer"]["bytes"] > before[s["id"]]["to_peer"]["bytes"]
                        and s["to_client"]["bytes"] > before[s["id"]]["to_client"]["bytes"]
                        for s in by_user(b, user)))
    R.check("byte-counts-grow", all(grew), "bytes each way grew over 1.5 s for alice, bob: %s" % grew)
    one = by_user(b, "alice")[0]
    R.check("json-fields", all(k in one for k in ("id", "client", "age_s", "permissions", "channels"))
            and re.fullmatch(r"[0-9a-f]{16}", one["id"]) and "127.0.0.1" in
            [p for s in by_user(b, "alice") for p in s["permissions"]], json.dumps(one)[:400])


def auth(adm, work):
    R.check("no-token-401", adm.http("/sessions") == 401, "GET /sessions without a token")
    R.check("wrong-token-401", adm.http("/sessions", "x" + TOKEN) == 401, "GET /sessions with a wrong token")
    R.check("metrics-needs-token", adm.http("/metrics") == 401, "GET /metrics without a token")
    R.check("right-token-200", adm.http("/sessions", TOKEN) == 200, "GET /sessions with the token")
    R.check("healthz-open", adm.http("/healthz") == 200, "GET /healthz without a token")
    bad = os.path.join(work.dir, "wrong.token")
    with open(bad, "w") as f:
        f.write("not-the-token-0123456789\n")
    rc, out, err = adm.run("sessions", token_file=bad)
    R.check("tern-admin-wrong-token", rc == 1 and "401" in err, "exit %d: %s" % (rc, err.strip()))


def kill(adm, echo, mine):
    ca, _ = mine["alice"]
    cb, _ = mine["bob"]
    rc, out, err = adm.run("kill", "alice")
    m = re.search(r"killed (\d+) allocations? of alice", out)
    R.check("kill-alice", rc == 0 and m and int(m.group(1)) >= 2, "exit %d: %r %s" % (rc, out, err.strip()))
    r = ca.refresh(600)
    R.check("alice-refresh-437", K.is_error(r, K.REFRESH, 437), "alice's Refresh after the kill: %s" % K.fmt(r))
    R.check("alice-relay-stopped", not relays_data(ca, echo, b"k"), "Data still arrives for alice")
    left = adm.sessions()
    R.check("alice-gone", not by_user(left, "alice"), json.dumps(by_user(left, "alice"))[:300])
    R.check("bob-still-listed", len(by_user(left, "bob")) >= 2, json.dumps(left)[:300])
    R.check("bob-still-relays", K.is_success(cb.refresh(600), K.REFRESH) and relays_data(cb, echo, b"b"),
            "bob's allocation stopped with alice's")
    sid = [s["id"] for s in by_user(left, "bob") if "%s:%d" % mine["bob"][1] in s["relayed"]]
    rc, out, err = adm.run("kill", sid[0] if sid else "0" * 16)
    r = cb.refresh(600)
    R.check("kill-by-id", rc == 0 and "killed 1 allocation" in out and K.is_error(r, K.REFRESH, 437)
            and len(by_user(adm.sessions(), "bob")) >= 1,
            "exit %d %r %s; bob's Refresh: %s" % (rc, out, err.strip(), K.fmt(r)))
    left = by_user(adm.sessions(), "bob")
    st = adm.http("/sessions/%s/kill" % left[0]["id"], TOKEN, "POST") if left else None
    st2 = adm.http("/sessions/%s/kill" % left[0]["id"], TOKEN, "POST") if left else None
    R.check("post-kill-form", st == 200 and st2 == 404 and len(by_user(adm.sessions(), "bob")) == len(left) - 1,
            "POST /sessions/ID/kill: %s, again: %s" % (st, st2))
    R.check("delete-all-needs-user", adm.http("/sessions", TOKEN, "DELETE") == 400, "DELETE /sessions without ?user=")
    rc, out, err = adm.run("kill", "alice")
    R.check("kill-nobody-fails", rc == 1 and "no live allocation" in err, "exit %d: %s" % (rc, err.strip()))


def check_refusal(srv, tf):
    with open(srv.conf) as f:
        conf = f.read()
    for addr in ("0.0.0.0", "::"):
        text = re.sub(r"(?m)^admin = \{.*$", 'admin = { address = "%s"; port = 9641; };' % addr, conf)
        with open(srv.conf, "w") as f:
            f.write(text)
        ok, out = srv.check_config()
        R.check("refused-without-token-%s" % addr, not ok and re.search(r"ternd\.conf:\d+: admin\.address", out)
                and "token" in out, "ternd --check-config with admin.address %s and no token: %r" % (addr, out))
    text = re.sub(r"(?m)^admin = \{.*$", 'admin = { address = "0.0.0.0"; port = 9641; token_file = "%s"; };' % tf,
                  conf)
    with open(srv.conf, "w") as f:
        f.write(text)
    ok, out = srv.check_config()
    R.check("accepted-with-token", ok, "0.0.0.0 with admin.token_file: %r" % out)


def main():
    K.on_sigterm()
    work = K.Work("sessions")
    R.guard("run", run, work)
    work.done(R.failed)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
