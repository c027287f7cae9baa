#!/usr/bin/env python3
"""What ternd says when it cannot bind (issue 15), and the --check-config
warning about private addresses without relay.advertise.

Each case starts ternd on a configuration written here and expects it to
exit within seconds with a message naming the address, the port, the
configuration line and a hint:
  - port in use: a UDP socket of this test holds the port; the message names
    this process (PID and command);
  - TCP port in use the same way;
  - an address not on this host (192.0.2.1, TEST-NET-1): the 1:1 NAT hint
    naming relay.advertise;
  - a relay address not on this host: the same hint, before serving;
  - a port below 1024 without privilege (ternd run as nobody with no
    capability, through setpriv; skipped when that is not possible):
    CAP_NET_BIND_SERVICE.
--check-config warns when TURN is on, every listen and relay address is
loopback and relay.advertise is empty, and not once relay.advertise is set.
Loopback only (192.0.2.1 and 203.0.113.10 are never bound nor sent to).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ternkit as K  # noqa: E402

R = K.Reporter("bind-hints")
TURN = 'auth = { realm = "r"; users = ( { name = "a"; password = "b"; } ); };\n'


def write(d, name, port, listen="127.0.0.1", extra="", udp=None):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write('log = { target = "stderr"; };\n')
        f.write('listen = (\n  { address = "%s"; }\n);\n' % listen)
        f.write("ports = { udp = %d; tcp = %d; tls = 0; dtls = 0; };\n" % (udp or port, port))
        f.write(extra)
    return path


def start(conf, pre=()):
    """ternd's exit status and stderr (None, "" if it was still running after 10 s)."""
    try:
        r = subprocess.run(list(pre) + [os.environ["TERND"], "-c", conf, "--stderr"],
                           capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None, ""
    return r.returncode, r.stderr


def expect(name, conf, needles, pre=()):
    rc, err = start(conf, pre)
    missing = [n for n in needles if n not in err]
    R.check(name, rc not in (None, 0) and not missing,
            "exit %s; missing %s in: %s" % (rc, missing, err.strip()[-600:]))


def main(d):
    port, port2 = K.free_ports(2)
    held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    held.bind(("127.0.0.1", port))
    try:
        conf = write(d, "udp-held.conf", port)
        expect("udp-port-in-use", conf, [
            "cannot bind UDP 127.0.0.1:%d" % port, "listen[0] at %s:3" % conf, "ports.udp",
            "process %d (" % os.getpid(), "holds that port"])
    finally:
        held.close()
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", port2))
    held.listen(1)
    try:
        conf = write(d, "tcp-held.conf", port2, udp=port)
        expect("tcp-port-in-use", conf, [
            "cannot bind TCP 127.0.0.1:%d" % port2, "ports.tcp", "process %d (" % os.getpid()])
    finally:
        held.close()
    conf = write(d, "not-here.conf", port, listen="192.0.2.1")
    expect("address-not-on-host", conf, [
        "cannot bind UDP 192.0.2.1:%d" % port, "listen[0] at %s:3" % conf,
        "not on this host", "1:1", "relay.advertise"])
    conf = write(d, "relay-not-here.conf", port,
                 extra=TURN + 'relay = { addresses = [ "203.0.113.10" ]; };\n')
    expect("relay-address-not-on-host", conf, [
        "cannot bind relay address 203.0.113.10", "not on this host", "relay.advertise"])
    low(d)
    check_config(d, port)


def low(d):
    """A port below 1024 as an unprivileged user."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        R.skip("low-port-needs-capability", "needs root and setpriv to run ternd without privilege")
        return
    lowp = next(p for p in range(700, 1000) if K.port_free(p))
    os.chmod(d, 0o755)
    conf = write(d, "low.conf", lowp)
    os.chmod(conf, 0o644)
    pre = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
           "--inh-caps=-all", "--bounding-set=-all"]
    expect("low-port-needs-capability", conf, [
        "cannot bind UDP 127.0.0.1:%d" % lowp, "Permission denied", "CAP_NET_BIND_SERVICE"], pre)


def check_config(d, port):
    def run(conf):
        r = subprocess.run([os.environ["TERND"], "-c", conf, "--check-config"],
                           capture_output=True, text=True, timeout=10)
        return r.returncode, r.stderr
    conf = write(d, "private.conf", port, extra=TURN)
    rc, err = run(conf)
    R.check("check-config-warns-private-only", rc == 0 and "warning" in err and "relay.advertise" in err,
            "exit %d, stderr: %s" % (rc, err.strip()))
    conf = write(d, "advertised.conf", port, extra=TURN + 'relay = { advertise = [ "203.0.113.10/127.0.0.1" ]; };\n')
    rc, err = run(conf)
    R.check("check-config-quiet-when-advertised", rc == 0 and "warning" not in err,
            "exit %d, stderr: %s" % (rc, err.strip()))
    conf = write(d, "stun-only.conf", port)
    rc, err = run(conf)
    R.check("check-config-quiet-without-turn", rc == 0 and "warning" not in err,
            "exit %d, stderr: %s" % (rc, err.strip()))


if __name__ == "__main__":
    if not os.environ.get("TERND"):
        sys.exit("set TERND=/path/to/ternd")
    work = tempfile.mkdtemp(prefix="tern-bind-hints.")
    try:
        R.guard("run", main, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(R.finish())
