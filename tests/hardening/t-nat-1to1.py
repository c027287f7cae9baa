#!/usr/bin/env python3
"""ternd behind a 1:1 NAT (issue 15), in network namespaces this test builds
and removes (root; skipped otherwise). Documentation ranges only:

   [cloud] ternd 192.0.2.10 --- [router] 192.0.2.1 | 203.0.113.1 --+-- [a] 203.0.113.20
                              nftables 1:1 NAT:                    |
                              203.0.113.10 <-> 192.0.2.10          +-- [b] 203.0.113.30
                                                                        (a public TURN
                                                                         server, ternd)
With relay.advertise = [ "203.0.113.10/192.0.2.10" ]:
  - an Allocate from [a] to 203.0.113.10 gets XOR-RELAYED-ADDRESS 203.0.113.10;
  - coturn's turnutils_uclient in [a] relays through it to turnutils_peer in
    [b] without loss;
  - turn-probe from [a] gives no private-relay warning;
  - aiortc: a relay-only RTCPeerConnection in [a] (TURN: the NATed ternd) and
    one in [b] (TURN: the public ternd in [b]) connect and echo a data-channel
    message; [a]'s relay candidates carry 203.0.113.10.
Control, the same without relay.advertise: the relayed address is 192.0.2.10
turn-probe warns that it is private while the server was reached on a
public address, and the call fails ([b]'s TURN server is told to permit 192.0.2.10, which
nobody outside can reach nor is seen as), so the checks distinguish.
relay.discover = "stun:203.0.113.30:3478" (the public ternd) instead of the
mapping: ternd learns 203.0.113.10 at start and logs it; a STUN server that
does not answer is logged and the start goes on with 192.0.2.10.
Every process is killed and every namespace deleted on the way out, failure
or not. About 40 s.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402

C = K.Reporter("nat-1to1")
PRIV, PUB, A, B, PORT = "192.0.2.10", "203.0.113.10", "203.0.113.20", "203.0.113.30", 3478
PEER_PORT = 3480
SYSPY = "/usr/bin/python3"  # where apt puts aiortc
HELPER = os.path.join(HERE, "nat_peer.py")
TAG = "tn%d" % (os.getpid() % 100000)
NS = {k: "%s%s" % (TAG, k) for k in ("c", "r", "a", "b")}
PROCS = []


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    if check and r.returncode:
        raise RuntimeError("%s: %s" % (" ".join(argv), r.stderr.strip()))
    return r


def nsx(ns, *argv):
    return ["ip", "netns", "exec", NS[ns], *argv]


def build():
    for n in NS.values():
        sh("ip", "netns", "add", n)
    for n in NS.values():
        sh("ip", "-n", n, "link", "set", "lo", "up")
    r = NS["r"]
    sh("ip", "-n", r, "link", "add", "br0", "type", "bridge")
    sh("ip", "-n", r, "link", "set", "br0", "up")
    for side, ns, ip in (("c", "c", PRIV), ("a", "a", A), ("b", "b", B)):
        sh("ip", "link", "add", TAG + side + "0", "type", "veth", "peer", "name", TAG + side + "1")
        sh("ip", "link", "set", TAG + side + "0", "netns", NS[ns], "name", "eth0")
        sh("ip", "link", "set", TAG + side + "1", "netns", r, "name", "p" + side)
        sh("ip", "-n", NS[ns], "addr", "add", ip + "/24", "dev", "eth0")
        sh("ip", "-n", NS[ns], "link", "set", "eth0", "up")
        sh("ip", "-n", r, "link", "set", "p" + side, "up")
        if side != "c":
            sh("ip", "-n", r, "link", "set", "p" + side, "master", "br0")
    sh("ip", "-n", NS["c"], "route", "add", "default", "via", "192.0.2.1")
    sh("ip", "-n", r, "addr", "add", "192.0.2.1/24", "dev", "pc")
    sh("ip", "-n", r, "addr", "add", "203.0.113.1/24", "dev", "br0")
    sh("ip", "-n", r, "addr", "add", PUB + "/32", "dev", "br0")  # answers ARP for it
    for k, v in (("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.send_redirects", "0"),
                 ("net.ipv4.conf.pc.send_redirects", "0")):
        sh(*nsx("r", "sysctl", "-qw", "%s=%s" % (k, v)))
    rules = ("table ip nat {\n"
             " chain pre { type nat hook prerouting priority -100; ip daddr %s dnat to %s; }\n"
             " chain post { type nat hook postrouting priority 100; ip saddr %s snat to %s; }\n"
             "}\n" % (PUB, PRIV, PRIV, PUB))
    subprocess.run(nsx("r", "nft", "-f", "-"), input=rules, text=True, check=True, timeout=10)


def teardown():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
    for n in NS.values():
        sh("ip", "netns", "del", n, check=False)


def spawn(ns, argv, log):
    f = open(log, "ab")
    p = subprocess.Popen(nsx(ns, *argv), stdout=f, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, preexec_fn=K.pdeathsig)
    f.close()
    PROCS.append(p)
    return p


def ternd(work, ns, name, addr, advertise, discover=None):
    conf = os.path.join(work, name + ".conf")
    extra = ' advertise = [ "%s" ];' % advertise if advertise else ""
    if discover:
        extra += ' discover = "%s";' % discover
    with open(conf, "w") as f:
        f.write('workers = 1;\nlog = { target = "stderr"; level = "debug"; };\n'
                'listen = ( { address = "%s"; } );\n'
                "ports = { udp = %d; tcp = %d; tls = 0; dtls = 0; };\n"
                'auth = { realm = "tern.test"; users = ( { name = "alice"; password = "wonderland"; } ); };\n'
                "relay = { port_min = 49152; port_max = 49407; rfc5766_channels = true;%s };\n"
                % (addr, PORT, PORT, extra))
    p = spawn(ns, [os.environ["TERND"], "-c", conf], os.path.join(work, name + ".log"))
    probe = "a" if ns != "a" else "b"
    ok = K.wait_for(lambda: p.poll() is None and sh(*nsx(probe, SYSPY, HELPER, "ping", addr if ns != "c" else PUB,
                                                         str(PORT)), check=False).returncode == 0, 10)
    if not ok:
        raise RuntimeError("%s did not answer (log %s)" % (name, os.path.join(work, name + ".log")))
    return p


def stop(p):
    p.terminate()
    try:
        return p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        return None


def relayed_from_a():
    out = sh(*nsx("a", SYSPY, HELPER, "alloc", PUB, str(PORT), A)).stdout.split()
    return out[0] if out else None


def uclient(work):
    if not shutil.which("turnutils_uclient") or not shutil.which("turnutils_peer"):
        C.skip("uclient-through-nat", "coturn's turnutils_uclient/turnutils_peer not installed")
        return
    spawn("b", ["turnutils_peer", "-L", B, "-p", str(PEER_PORT)], os.path.join(work, "peer.log"))
    time.sleep(0.3)
    r = subprocess.run(nsx("a", "timeout", "20", "turnutils_uclient", "-m", "1", "-n", "20", "-l", "100",
                           "-u", "alice", "-w", "wonderland", "-p", str(PORT), "-e", B,
                           "-r", str(PEER_PORT), PUB), capture_output=True, text=True, timeout=30)
    text = r.stdout + r.stderr
    with open(os.path.join(work, "uclient.log"), "w") as f:
        f.write(text)
    lost = re.findall(r"Total lost packets (\d+)", text)
    C.check("uclient-through-nat", r.returncode == 0 and lost and lost[-1] == "0",
            "exit %d, lost %s (%s/uclient.log)" % (r.returncode, lost, work))


def call(work, tag, timeout):
    """One aiortc call; returns (offerer result, answerer result)."""
    d = os.path.join(work, "rtc-" + tag)
    os.makedirs(d)
    os.chmod(d, 0o777)
    ans = spawn("b", [SYSPY, HELPER, "rtc", "answer", "turn:%s:%d?transport=udp" % (B, PORT), d, str(timeout)],
                os.path.join(d, "answer.out"))
    off = spawn("a", [SYSPY, HELPER, "rtc", "offer", "turn:%s:%d?transport=udp" % (PUB, PORT), d, str(timeout)],
                os.path.join(d, "offer.out"))
    for p in (off, ans):
        try:
            p.wait(timeout + 15)
        except subprocess.TimeoutExpired:
            p.kill()

    def result(name):
        try:
            with open(os.path.join(d, name)) as f:
                lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
            return json.loads(lines[-1]) if lines else {}
        except (OSError, ValueError):
            return {}
    return result("offer.out"), result("answer.out")


def relay_hosts(res):
    return sorted({ln.split()[4] for ln in res.get("candidates", []) if " typ relay" in ln})


def probe_tool():
    p = os.environ.get("TURN_PROBE") or os.path.join(os.path.dirname(os.environ["TERND"]), "..", "tools",
                                                      "turn-probe")
    return p if os.access(p, os.X_OK) else None


def probe(work, name, want_warning):
    """turn-probe from [a]: warns about a private relayed address from a
    server it reached on a public one, and only then."""
    tool = probe_tool()
    if not tool:
        C.skip(name, "no turn-probe beside TERND (set TURN_PROBE)")
        return
    # 192.0.2.0/24 (documentation space) plays the private network here
    r = subprocess.run(nsx("a", tool, "-u", "alice", "-p", "wonderland", "-d", "1", "--private", "192.0.2.0/24",
                           "turn:%s:%d" % (PUB, PORT)),
                       capture_output=True, text=True, timeout=30)
    text = r.stdout + r.stderr
    with open(os.path.join(work, name + ".out"), "w") as f:
        f.write(text)
    warned = "relayed-address" in text and "1:1 NAT" in text
    C.check(name, warned == want_warning and "allocate" in text,
            "turn-probe %s the private-relay warning (exit %d): %s"
            % ("did not give" if want_warning else "gave", r.returncode, text.strip()[-400:]))


def have_aiortc():
    return subprocess.run([SYSPY, "-c", "import aiortc"], capture_output=True).returncode == 0


def mapped(work):
    cloud = ternd(work, "c", "ternd-cloud", PRIV, "%s/%s" % (PUB, PRIV))
    rel = relayed_from_a()
    C.check("relayed-address-is-public", rel == PUB, "XOR-RELAYED-ADDRESS %s, want %s" % (rel, PUB))
    uclient(work)
    probe(work, "probe-quiet-when-advertised", False)
    if have_aiortc():
        off, ans = call(work, "mapped", 25)
        C.note("mapped call: offer %r; answer %r" % (off, ans))
        C.check("aiortc-relay-candidate-public", relay_hosts(off) == [PUB],
                "offerer's relay candidates on %s, want [%s]" % (relay_hosts(off), PUB))
        C.check("aiortc-call-through-nat", off.get("echo") == "echo:hello across the NAT",
                "echo %r, error %s, ICE %s/%s" % (off.get("echo"), off.get("error"), off.get("ice"), ans.get("ice")))
    else:
        C.skip("aiortc-call-through-nat", "%s cannot import aiortc (python3-aiortc)" % SYSPY)
    C.check("cloud-server-exit", stop(cloud) == 0, "ternd in the cloud namespace did not stop cleanly")


def control(work):
    cloud = ternd(work, "c", "ternd-control", PRIV, None)
    rel = relayed_from_a()
    C.check("control-relayed-address-private", rel == PRIV,
            "XOR-RELAYED-ADDRESS %s, want %s without relay.advertise" % (rel, PRIV))
    probe(work, "probe-warns-private-relay", True)
    if have_aiortc():
        off, ans = call(work, "control", 12)
        C.note("control call: offer %r; answer %r" % (off, ans))
        C.check("control-aiortc-relay-candidate-private", relay_hosts(off) == [PRIV],
                "offerer's relay candidates on %s, want [%s]" % (relay_hosts(off), PRIV))
        C.check("control-aiortc-call-fails", off.get("echo") is None,
                "the call connected without relay.advertise (echo %r): the test does not distinguish"
                % off.get("echo"))
    stop(cloud)


def discovered(work):
    """relay.discover: the public ternd in [b] as the STUN server tells the
    NATed ternd its public address; a STUN server that never answers leaves
    the bound address and the start goes on."""
    url = "stun:%s:%d" % (B, PORT)
    cloud = ternd(work, "c", "ternd-discover", PRIV, None, discover=url)
    rel = relayed_from_a()
    cloud.send_signal(signal.SIGHUP)  # asked once: a reload keeps the result
    time.sleep(1)
    rel2 = relayed_from_a()
    C.check("discover-kept-across-reload", rel2 == PUB, "after SIGHUP: XOR-RELAYED-ADDRESS %s" % rel2)
    stop(cloud)
    with open(os.path.join(work, "ternd-discover.log")) as f:
        log = f.read()
    line = "advertising %s for %s, discovered from %s" % (PUB, PRIV, url)
    C.check("discover-relayed-address-public", rel == PUB and line in log,
            "XOR-RELAYED-ADDRESS %s (want %s); log line %r %s" % (rel, PUB, line,
                                                                  "found" if line in log else "missing"))
    cloud = ternd(work, "c", "ternd-discover-fail", PRIV, None, discover="stun:203.0.113.99:%d" % PORT)
    rel = relayed_from_a()
    stop(cloud)
    with open(os.path.join(work, "ternd-discover-fail.log")) as f:
        log = f.read()
    C.check("discover-failure-logged-start-goes-on", rel == PRIV and "relay.discover: no answer" in log,
            "XOR-RELAYED-ADDRESS %s (want %s); warning %s" % (
                rel, PRIV, "found" if "relay.discover: no answer" in log else "missing"))


def main():
    K.on_sigterm()
    if os.geteuid() != 0 or not shutil.which("nft"):
        C.skip("nat-1to1", "needs root, ip netns and nft")
        return 0
    work = K.Work("nat1to1")
    os.chmod(work.dir, 0o755)
    try:
        build()
        public = ternd(work.dir, "b", "ternd-public", B, None)
        C.guard("mapped", mapped, work.dir)
        C.guard("control", control, work.dir)
        C.guard("discovered", discovered, work.dir)
        C.check("public-server-exit", stop(public) == 0, "the public ternd did not stop cleanly")
    except Exception as e:  # noqa: BLE001 - reported; teardown below
        C.fail("setup", "%s: %s" % (type(e).__name__, e))
    finally:
        teardown()
    work.done(C.failed)
    return C.exit_status()


if __name__ == "__main__":
    sys.exit(main())
