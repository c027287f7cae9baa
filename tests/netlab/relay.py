#!/usr/bin/env python3
"""TURN data between two sites of the NAT lab (scripts/netlab relay, matrix
and tests/netlab/run), each through its own allocation. One process: each
client's socket is opened inside its site's network namespace (setns(2)
around the socket call; a socket stays in the namespace it was made in).

  relay.py pair SERVER PORT NS_A udp|tcp NS_B udp|tcp [COUNT]
      A and B allocate on SERVER:PORT (ternd or coturn; alice/wonderland),
      each permits the other's relayed address, then each sends COUNT Send
      indications to the other's relayed address and counts the Data
      indications that come back from it.
  relay.py alloc SERVER PORT NS udp|tcp
      one Allocate from NS: the relayed and mapped addresses, or why not.
  relay.py bindings SERVER PORT NS COUNT SIZE
      COUNT Binding requests of SIZE bytes (IP and UDP headers included;
      don't-fragment set) at once from one socket in NS; how many answered.
  relay.py punch SERVER PORT NS_A IP_A NS_B IP_B
      a direct UDP path between two sites, found the way ICE's checks find
      one (not an ICE agent): each learns its server reflexive address from
      a Binding to SERVER, both send to the other's host and reflexive
      addresses for 3 s, answer every probe at its source (a triggered
      check) and add that source as a peer reflexive target. "direct" when
      both got an answer back, with the addresses that worked.
  relay.py reach NS_FROM NS_TO IP
      a datagram from NS_FROM to IP (an address of NS_TO): did it arrive?

Prints one JSON line; exit 0 when everything arrived (pair) or the
allocation succeeded (alloc), 1 otherwise. Standard library and ternkit.
"""

import ctypes
import json
import os
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import ternkit as K  # noqa: E402

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL("libc.so.6", use_errno=True)


def in_netns(name, make):
    """make() called inside network namespace name (ip netns's
    /run/netns/NAME); the calling thread comes back to its own after."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    there = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), "setns " + name)
        try:
            return make()
        finally:
            if _libc.setns(home, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(home)
        os.close(there)


def v6(server):
    return ":" in server[0]


def client(server, ns, transport):
    any_ = "::" if v6(server) else "0.0.0.0"
    if transport == "tcp":
        return in_netns(ns, lambda: K.TcpTurnClient(server, bind_host=any_, timeout=5))
    fam = socket.AF_INET6 if v6(server) else socket.AF_INET
    return in_netns(ns, lambda: K.TurnClient(server, family=fam, bind_host=any_))


def allocate(c):
    """(relayed, mapped), or raises with the reason. Over IPv6 the relay is
    IPv6 too (REQUESTED-ADDRESS-FAMILY)."""
    r = c.allocate(family=2 if v6(c.server) else None)
    rel = K.relayed(r)
    if rel is None:
        raise RuntimeError("allocate: %s" % (K.fmt(r) if r is not None else "no answer"))
    mapped = r.addr(K.XOR_MAPPED_ADDRESS) if r.get(K.XOR_MAPPED_ADDRESS) is not None else None
    return rel, mapped


def ap(a):
    """ "ip:port" (the port after the last colon, also for IPv6)."""
    return "%s:%d" % tuple(a[:2]) if a else None


def receive(clients, peers, count, deadline):
    """Data indications until every client has count from its peer."""
    got = [set(), set()]
    while time.monotonic() < deadline and min(len(g) for g in got) < count:
        socks = {c.sock: k for k, c in enumerate(clients)}
        ready, _, _ = select.select(list(socks), [], [], 0.05)
        for s in ready:
            k = socks[s]
            while True:
                try:
                    raw = clients[k].recv_raw(0.001)
                except (ConnectionError, OSError):
                    raw = None
                if raw is None:
                    break
                d = K.data_indication_peer(raw)
                if d and tuple(d[0][:2]) == tuple(peers[k][:2]) and d[1].startswith(b"netlab "):
                    got[k].add(d[1])
    return [len(g) for g in got]


def pair(server, ns_a, t_a, ns_b, t_b, count):
    res = {"server": ap(server), "a": {"ns": ns_a, "transport": t_a}, "b": {"ns": ns_b, "transport": t_b},
           "count": count, "a_to_b": 0, "b_to_a": 0, "error": None}
    clients = []
    try:
        for ns, t, key in ((ns_a, t_a, "a"), (ns_b, t_b, "b")):
            try:
                clients.append(client(server, ns, t))
                rel, mapped = allocate(clients[-1])
            except (OSError, RuntimeError) as e:
                raise RuntimeError("%s %s: %s" % (key, t, e)) from e
            res[key].update(relayed=ap(rel), mapped=ap(mapped))
        rels = [tuple(res[k]["relayed"].rsplit(":", 1)) for k in ("a", "b")]
        rels = [(h, int(p)) for h, p in rels]
        for k, (c, other) in enumerate(zip(clients, reversed(rels))):
            r = c.permission(other[0])
            if not K.is_success(r, K.CREATE_PERMISSION):
                raise RuntimeError("%s CreatePermission %s: %s" % ("ab"[k], other[0], K.fmt(r)))
        t0 = time.monotonic()
        for i in range(count):
            clients[0].send(rels[1], b"netlab a%d" % i)
            clients[1].send(rels[0], b"netlab b%d" % i)
        # clients[0] hears from B's relayed address, clients[1] from A's
        got = receive(clients, [rels[1], rels[0]], count, t0 + 5)
        res["b_to_a"], res["a_to_b"] = got
        res["ms"] = round((time.monotonic() - t0) * 1000)
        for c in clients:
            c.release()
    except (OSError, RuntimeError) as e:
        res["error"] = str(e)
    finally:
        for c in clients:
            c.close()
    print(json.dumps(res), flush=True)
    return 0 if res["error"] is None and res["a_to_b"] == res["b_to_a"] == count else 1


def alloc(server, ns, t):
    res = {"server": ap(server), "ns": ns, "transport": t, "error": None}
    c = None
    try:
        c = client(server, ns, t)
        rel, mapped = allocate(c)
        res.update(relayed=ap(rel), mapped=ap(mapped))
        c.release()
    except (OSError, RuntimeError) as e:
        res["error"] = "%s: %s" % (type(e).__name__, e)
    finally:
        if c:
            c.close()
    print(json.dumps(res), flush=True)
    return 0 if res["error"] is None else 1


def bindings(server, ns, count, size):
    """Answered Binding requests, each padded to size bytes on the wire with
    a comprehension-optional attribute the server ignores."""
    s = in_netns(ns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
    pad = max(0, size - 28 - 20 - 4)
    sent, tids, got = 0, set(), set()
    for _ in range(count):
        tid = os.urandom(12)
        try:
            s.sendto(K.build(K.BINDING_REQUEST, [(0x8FFF, b"p" * pad)], tid=tid), server)
            tids.add(tid)
            sent += 1
        except OSError:  # EMSGSIZE once the path MTU is known
            pass
    end = time.monotonic() + 1.5
    while time.monotonic() < end and len(got) < len(tids):
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            raw = s.recv(2048)
        except (socket.timeout, OSError):
            continue
        if len(raw) >= 20 and raw[8:20] in tids:
            got.add(raw[8:20])
    s.close()
    print(json.dumps({"count": count, "size": size, "sent": sent, "answered": len(got)}), flush=True)
    return 0 if got else 1


def mapped_addr(sock, server):
    """The XOR-MAPPED-ADDRESS of a Binding from sock, or None."""
    tid = os.urandom(12)
    for _ in range(3):
        sock.sendto(K.build(K.BINDING_REQUEST, tid=tid), server)
        sock.settimeout(0.5)
        try:
            while True:
                raw = sock.recv(2048)
                if raw[8:20] == tid:
                    return tuple(K.Resp(raw).addr(K.XOR_MAPPED_ADDRESS)[:2])
        except socket.timeout:
            continue
    return None


def punch(server, ns_a, ip_a, ns_b, ip_b, seconds=3.0):
    socks = [in_netns(ns, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) for ns in (ns_a, ns_b)]
    for s in socks:
        s.bind(("0.0.0.0", 0))
    host = [(ip_a, socks[0].getsockname()[1]), (ip_b, socks[1].getsockname()[1])]
    srflx = [mapped_addr(s, server) for s in socks]
    # targets[k]: where side k sends its probes (the other side's candidates)
    targets = [{host[1]: "host"}, {host[0]: "host"}]
    for k in (0, 1):
        if srflx[1 - k]:
            targets[k].setdefault(srflx[1 - k], "srflx")
    worked = [None, None]
    ms = None
    t0 = time.monotonic()
    end = t0 + seconds
    next_send = 0
    while time.monotonic() < end and None in worked:
        now = time.monotonic()
        if now >= next_send:
            for k in (0, 1):
                for t in list(targets[k]):
                    try:
                        socks[k].sendto(("netlab punch %d %s:%d" % ((k,) + t)).encode(), t)
                    except OSError:  # unreachable, no route: that target fails
                        pass
            next_send = now + 0.05
        ready, _, _ = select.select(socks, [], [], 0.02)
        for s in ready:
            k = socks.index(s)
            try:
                data, src = s.recvfrom(256)
            except OSError:
                continue
            if data.startswith(b"netlab punch "):
                targets[k].setdefault(src, "prflx")  # a triggered check
                s.sendto(b"netlab ack " + data[13:], src)
            elif data.startswith(b"netlab ack "):
                sent_to = data.split()[3].decode()
                kind = next((v for t, v in targets[k].items() if "%s:%d" % t == sent_to), "?")
                worked[k] = worked[k] or "%s %s" % (kind, sent_to)
                if None not in worked and ms is None:
                    ms = round((time.monotonic() - t0) * 1000)
    for s in socks:
        s.close()
    ok = None not in worked
    print(json.dumps({"direct": ok, "srflx_a": ap(srflx[0]), "srflx_b": ap(srflx[1]),
                      "a_reached_b": worked[0], "b_reached_a": worked[1], "ms": ms}), flush=True)
    return 0 if ok else 1


def reach(ns_from, ns_to, ip):
    """Exit 0 when one of three datagrams from ns_from reaches ip in ns_to."""
    rx = in_netns(ns_to, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    rx.bind((ip, 0))
    tx = in_netns(ns_from, lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    rx.settimeout(0.5)
    ok = False
    for _ in range(3):
        tx.sendto(b"netlab reach", rx.getsockname())
        try:
            ok = rx.recv(64) == b"netlab reach"
        except socket.timeout:
            continue
        break
    print(json.dumps({"from": ns_from, "to": "%s:%d" % rx.getsockname(), "arrived": ok}), flush=True)
    return 0 if ok else 1


def main(argv):
    if len(argv) >= 6 and argv[0] == "pair":
        return pair((argv[1], int(argv[2])), argv[3], argv[4], argv[5], argv[6],
                    int(argv[7]) if len(argv) > 7 else 20)
    if len(argv) == 5 and argv[0] == "alloc":
        return alloc((argv[1], int(argv[2])), argv[3], argv[4])
    if len(argv) == 6 and argv[0] == "bindings":
        return bindings((argv[1], int(argv[2])), argv[3], int(argv[4]), int(argv[5]))
    if len(argv) == 7 and argv[0] == "punch":
        return punch((argv[1], int(argv[2])), *argv[3:7])
    if len(argv) == 4 and argv[0] == "reach":
        return reach(*argv[1:4])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
