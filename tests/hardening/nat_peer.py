#!/usr/bin/env python3
"""Helper of t-nat-1to1.py, run inside one of its network namespaces
(ip netns exec NS python3 nat_peer.py ...). Not a test by itself.

  ping HOST PORT                 exit 0 when a Binding over UDP is answered
  alloc HOST PORT BIND_IP        print the XOR-RELAYED-ADDRESS "ip port"
  rtc offer|answer TURN_URL DIR TIMEOUT
                                 one relay-only aiortc peer connection (Debian's
                                 /usr/bin/python3 with python3-aiortc); the
                                 offer and the answer go through files in DIR;
                                 prints a JSON line of what happened
"""

import asyncio
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.dont_write_bytecode = True
import ternkit as K  # noqa: E402


def alloc(host, port, bind_ip):
    c = K.client((host, int(port)), bind_ip=bind_ip)
    try:
        r = c.allocate()
        rel = K.relayed(r)
        print("%s %d" % rel if rel else "none %s" % K.fmt(r))
        if rel:
            c.release()
    finally:
        c.close()


def relay_only():
    import aiortc.rtcicetransport as rtcice
    from aioice import TransportPolicy

    orig = rtcice.connection_kwargs

    def kw(servers):
        k = orig(servers)
        k["transport_policy"] = TransportPolicy.RELAY
        return k
    rtcice.connection_kwargs = kw


def wait_file(path, deadline):
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        time.sleep(0.1)
    return None


def put_file(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f)
    os.rename(path + ".tmp", path)


async def rtc(role, url, d, timeout):
    from aiortc import (RTCConfiguration, RTCIceServer, RTCPeerConnection,
                        RTCSessionDescription)
    deadline = time.monotonic() + timeout
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[
        RTCIceServer(urls=url, username="alice", credential="wonderland")]))
    res = {"role": role, "echo": None, "candidates": [], "error": None}
    got = asyncio.get_running_loop().create_future()

    def keep(ch):
        @ch.on("message")
        def on_msg(m):
            if role == "answer":
                ch.send("echo:" + m)
            elif not got.done():
                got.set_result(m)

    try:
        if role == "offer":
            dc = pc.createDataChannel("nat")
            keep(dc)
            dc.on("open", lambda: dc.send("hello across the NAT"))
            await pc.setLocalDescription(await pc.createOffer())
            put_file(os.path.join(d, "offer.json"), {"sdp": pc.localDescription.sdp})
            ans = wait_file(os.path.join(d, "answer.json"), deadline)
            if ans is None:
                raise TimeoutError("no answer")
            await pc.setRemoteDescription(RTCSessionDescription(ans["sdp"], "answer"))
            res["echo"] = await asyncio.wait_for(got, max(0.1, deadline - time.monotonic()))
        else:
            pc.on("datachannel", keep)
            off = wait_file(os.path.join(d, "offer.json"), deadline)
            if off is None:
                raise TimeoutError("no offer")
            await pc.setRemoteDescription(RTCSessionDescription(off["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            put_file(os.path.join(d, "answer.json"), {"sdp": pc.localDescription.sdp})
            while time.monotonic() < deadline and not os.path.exists(os.path.join(d, "done")):
                await asyncio.sleep(0.1)
    except Exception as e:  # noqa: BLE001 - reported in the JSON line
        res["error"] = "%s: %s" % (type(e).__name__, e)
    res["candidates"] = [ln for ln in pc.localDescription.sdp.splitlines()
                         if "a=candidate" in ln] if pc.localDescription else []
    res["ice"] = pc.iceConnectionState
    if role == "offer":
        open(os.path.join(d, "done"), "w").close()
    try:
        await asyncio.wait_for(pc.close(), 5)
    except Exception:  # noqa: BLE001
        pass
    print(json.dumps(res), flush=True)


def main(argv):
    if argv[0] == "ping":
        return 0 if K.ping("udp", int(argv[2]), argv[1], 0.5) else 1
    if argv[0] == "alloc":
        alloc(*argv[1:4])
        return 0
    if argv[0] == "rtc":
        relay_only()
        asyncio.run(rtc(argv[1], argv[2], argv[3], float(argv[4])))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
