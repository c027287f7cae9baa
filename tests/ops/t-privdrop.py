#!/usr/bin/env python3
"""Privilege drop (`user`, `group`): ternd started as root with user = a
system user this test creates (and removes) binds, then runs as that user:

- /proc/PID/status of the process and of every thread (the workers were
  already running when it dropped) shows that uid and gid, no supplementary
  group but its own, no effective capability;
- it still serves STUN, and TURN: relay ports are opened after the drop;
- SIGHUP still reloads (the file and the TLS files are readable by the
  user): a new user authenticates, a new certificate is served; a file the
  user cannot read is refused with the reason, and ternd goes on;
- `ternd -t` refuses relay.port_min below 1024 with `user` set;
- root without `user` warns that it runs as root; a user that does not
  exist stops the start; started as that user (a unit's User=), user = that
  user runs, another user stops the start.

Needs root. Works from any checkout, also one only root can enter (a home
directory of mode 0700): ternd is copied into the test's work directory under
/tmp (mode 0755) and run from there, with every file the unprivileged user
reads (configuration, certificates). A part of the test that raises is a
FAIL naming the exception, never a traceback alone.

    TERND=/path/to/ternd python3 tests/ops/t-privdrop.py
"""

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lifecycle import K, echo, make_cert, tls_connect  # noqa: E402
from lifecycle import Ternd as _Ternd  # noqa: E402

C = K.Reporter("privdrop")
USER = "ternd-optest"
STAGED = (None, {})  # (ternd copy, environment): stage_ternd()


class Ternd(_Ternd):
    """lifecycle's, run from the copy stage_ternd() made."""

    def __init__(self, *a, **kw):
        super().__init__(*a, binary=STAGED[0], **kw)

    def start(self, args=(), env=None, **kw):
        return super().start(args, env=dict(STAGED[1], **(env or {})), **kw)


def status_fields(path):
    out = {}
    try:
        with open(path) as f:
            for ln in f:
                k, _, v = ln.partition(":")
                out[k] = v.split()
    except OSError:
        pass
    return out


def check_ids(pid, uid, gid):
    """Every thread of pid runs as uid/gid (real, effective, saved, fs), with
    only gid as supplementary group and no capability."""
    bad = []
    tasks = os.listdir(f"/proc/{pid}/task")
    for tid in tasks:
        st = status_fields(f"/proc/{pid}/task/{tid}/status")
        name = " ".join(st.get("Name", ["?"]))
        if st.get("Uid") != [str(uid)] * 4:
            bad.append(f"thread {tid} ({name}) Uid {st.get('Uid')}")
        if st.get("Gid") != [str(gid)] * 4:
            bad.append(f"thread {tid} ({name}) Gid {st.get('Gid')}")
        if st.get("Groups", []) not in ([], [str(gid)]):
            bad.append(f"thread {tid} ({name}) Groups {st.get('Groups')}")
        if st.get("CapEff") != ["0000000000000000"]:
            bad.append(f"thread {tid} ({name}) CapEff {st.get('CapEff')}")
    return len(tasks), bad


class Users:
    """The test's system user, created if missing and removed at the end."""

    def __init__(self):
        self.created = False
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                            "--shell", "/usr/sbin/nologin", USER],
                           check=True, capture_output=True)
            self.created = True
        pw = pwd.getpwnam(USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid

    def remove(self):
        if self.created:
            subprocess.run(["userdel", USER], capture_output=True)


def dropped(work, u, peer):
    t = Ternd(work, "dropped", tls=True, extra={"user": USER})
    t.cert, t.key, _ = make_cert(work, "a")
    os.chown(t.key, 0, u.gid)
    os.chmod(t.key, 0o640)
    try:
        ok = t.start()
        if not C.check("start-as-root", ok, f"ternd did not answer: {t.tail()}"):
            return
        C.check("logged",
                t.count(rf"running as user {USER} \(uid {u.uid}, gid {u.gid}\)"), f"no 'running as user {USER}' line: {t.tail()}")
        n, bad = check_ids(t.proc.pid, u.uid, u.gid)
        C.check("every-thread-dropped", n >= 3 and not bad,
                f"{n} threads; " + "; ".join(bad))
        C.check("serves-stun", K.ping("udp", t.port), "Binding not answered")
        c = K.TurnClient(t.addr, user="alice", password="wonderland")
        r = c.allocate()
        ok = r is not None and r.cls == K.SUCCESS and c.permission("127.0.0.1").cls == K.SUCCESS
        C.check("relays-after-drop", ok and echo(c, peer.addr, b"after the drop"),
                f"Allocate after the drop: {K.fmt(r)}; log: {t.tail()}")
        c.close()
        # reload as the dropped user: a new user, a new certificate
        t.cert, t.key, fp_new = make_cert(work, "b")
        os.chown(t.key, 0, u.gid)
        os.chmod(t.key, 0o640)
        t.users.append(("bob", "builder"))
        t.write()
        t.signal(signal.SIGHUP)
        t.wait_log(r"reloaded configuration from |reload refused: ")
        C.check("reload-after-drop", t.count("reloaded configuration from"),
                f"no 'reloaded configuration' line: {t.tail()}")
        c = K.TurnClient(t.addr, user="bob", password="builder")
        r = c.allocate()
        C.check("reload-new-user", r is not None and r.cls == K.SUCCESS,
                f"Allocate as bob after the reload: {K.fmt(r)}")
        c.close()
        s, fp = tls_connect(t.tls_port)
        s.close()
        C.check("reload-new-cert", fp == fp_new, "the reloaded certificate is not served")
        # a file the user cannot read: refused, with the reason
        os.chmod(t.conf, 0o600)
        t.signal(signal.SIGHUP)
        t.wait_log(r"reload refused: ")
        line = (re.findall(r"^.*reload refused: .*$", t.logtext(), re.M) or [""])[-1]
        C.check("unreadable-refused", "Permission denied" in line and t.conf in line,
                f"refusal line: '{line}'")
        C.check("unreadable-alive", t.alive() and K.ping("udp", t.port),
                t.tail())
        os.chmod(t.conf, 0o644)
    finally:
        C.check("dropped-clean-exit", t.clean())


def config_check(work):
    t = Ternd(work, "lowport", extra={"user": USER, "relay.port_min": 1000,
                                      "relay.port_max": 2000})
    t.write()
    r = subprocess.run([t.binary, "-t", "-c", t.conf], capture_output=True, text=True,
                       timeout=20, cwd=work, env=dict(os.environ, **STAGED[1]))
    C.check("low-relay-port-refused", r.returncode == 1 and re.search(re.escape(t.conf) +
                                            r":\d+: relay\.port_min \(1000\) is below 1024",
                                            r.stderr),
            f"ternd -t: exit {r.returncode}, stderr '{r.stderr.strip()}'")


def root_without_user(work):
    t = Ternd(work, "root")
    try:
        C.check("root-start", t.start(), t.tail())
        C.check("root-warned", t.count(r"warn\s+ternd runs as root"),
                f"no 'ternd runs as root' warning: {t.tail()}")
    finally:
        C.check("root-clean-exit", t.clean())


def stage_ternd(work):
    """A copy of $TERND the unprivileged user can run: work/bin/ternd (the
    checkout may be a directory only root enters). Libraries outside the
    system directories (a build linked against its own) are copied beside
    it and found through LD_LIBRARY_PATH. Returns (path, environment)."""
    d = os.path.join(work, "bin")
    os.makedirs(d, mode=0o755, exist_ok=True)
    dst = os.path.join(d, "ternd")
    shutil.copy2(os.environ["TERND"], dst)
    os.chmod(dst, 0o755)
    env = {}
    out = subprocess.run(["ldd", dst], capture_output=True, text=True).stdout
    own = [m for m in re.findall(r"=>\s+(/\S+)", out)
           if not re.match(r"/(usr/)?lib(32|64|x32)?/", m)]
    if own:
        lib = os.path.join(work, "lib")
        os.makedirs(lib, mode=0o755, exist_ok=True)
        for f in own:
            shutil.copy2(f, lib)
            os.chmod(os.path.join(lib, os.path.basename(f)), 0o755)
        env["LD_LIBRARY_PATH"] = lib
        C.note(f"copied {len(own)} non-system libraries beside ternd: {own}")
    return dst, env


def start_fails(t, name, pattern, **kw):
    t.start(wait=False, **kw)
    rc = t.wait_exit(15)
    C.check(name, rc == 1 and re.search(pattern, t.logtext()),
            f"exit status {rc} (want 1), log: {t.tail(3)}")
    C.check(name + "-clean-exit", t.clean(1))


def unprivileged(work, u):
    start_fails(Ternd(work, "nouser", extra={"user": "no-such-user-xyz"}),
                "unknown-user-refused", r"user 'no-such-user-xyz'.*no such user")
    # started as the user already (a unit's User=)
    t = Ternd(work, "self", extra={"user": USER})
    try:
        ok = t.start(preexec=K.as_user(u.uid, u.gid))
        C.check("started-as-user-runs", ok and t.count(r"running as user") == 0,
                f"user = the user ternd runs as: {t.tail()}")
    finally:
        C.check("started-as-user-clean-exit", t.clean())
    start_fails(Ternd(work, "other", extra={"user": "nobody"}), "other-user-refused",
                r"cannot switch", preexec=K.as_user(u.uid, u.gid))


def main():
    global STAGED
    if os.geteuid() != 0:
        C.fail("root", "this test needs root (it creates a user and starts ternd as root)")
        C.exit()
    if not os.access(os.environ.get("TERND", ""), os.X_OK):
        C.fail("setup", "TERND must name the ternd executable")
        C.exit()
    # not under OPS_WORK (mode 0700): the dropped user must reach the files
    work = tempfile.mkdtemp(prefix="t-privdrop.", dir="/tmp")
    os.chmod(work, 0o755)
    u = Users()
    peer = K.EchoPeer()
    try:
        STAGED = C.guard("stage-ternd", stage_ternd, work)
        if STAGED is not None:
            C.guard("config-check", config_check, work)
            C.guard("dropped", dropped, work, u, peer)
            C.guard("root-without-user", root_without_user, work)
            C.guard("unprivileged", unprivileged, work, u)
    finally:
        peer.close()
        u.remove()
        if os.environ.get("TERN_KEEP") != "1" and not C.failed:
            shutil.rmtree(work, ignore_errors=True)
        else:
            C.note(f"work directory kept: {work}")
    C.exit()


if __name__ == "__main__":
    main()
