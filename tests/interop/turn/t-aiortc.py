#!/usr/bin/python3
"""aiortc (Debian python3-aiortc 1.4, aioice 0.8) relaying through the TURN server.

Two RTCPeerConnections in one asyncio process, relay only: the sole ICE server
is the TURN server under test (no STUN server: without explicit iceServers
aiortc reaches for a public one), and aioice's transport_policy RELAY is forced
by wrapping aiortc.rtcicetransport.connection_kwargs (aiortc has no
iceTransportPolicy). For each TURN transport, turn:?transport=udp,
turn:?transport=tcp and turns: (TLS, certificate verified against the test CA
through SSL_CERT_FILE):
  - a data-channel message goes pc1 -> pc2 and its echo comes back,
  - audio frames sent by pc1 arrive at pc2,
  - on both peer connections the nominated ICE pair's local candidate is a relay
    candidate on the server's relay address (127.0.0.1, configured port range).
Negative control: a wrong password gathers no relay candidate and never connects.

Runs under Debian's /usr/bin/python3 (where apt puts aiortc). Server from TERND=...
or COTURN=1 (turnsrv.py). Every wait is bounded.
"""

import asyncio
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))
import ternkit as K  # noqa: E402

R = K.Reporter("aiortc")
CALL_TIMEOUT = float(os.environ.get("AIORTC_TIMEOUT", "30"))


def report(ok, name, why=""):
    """One check (ok: a truth value) through the kit's reporter."""
    return R.check(name, ok, why or "check failed")


try:
    import aiortc
    import aiortc.rtcicetransport as rtcice
    from aioice import TransportPolicy
    from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
    from aiortc.mediastreams import AudioStreamTrack
except ImportError as e:  # reported as a check, not a crash
    aiortc = None
    IMPORT_ERROR = e

if aiortc is not None:
    _orig_kwargs = rtcice.connection_kwargs

    def _relay_only(servers):
        kw = _orig_kwargs(servers)
        kw["transport_policy"] = TransportPolicy.RELAY
        return kw

    rtcice.connection_kwargs = _relay_only


def nominated(pc):
    """[(local candidate, remote candidate)] of the ICE connection under pc's SCTP."""
    try:
        conn = pc.sctp.transport.transport._connection
    except AttributeError:
        return []
    return [(p.local_candidate, p.remote_candidate) for p in conn._nominated.values()]


async def call(url, password, relay_range, timeout):
    """One relay-only call; returns a dict of what happened."""
    cfg = RTCConfiguration(iceServers=[RTCIceServer(urls=url, username="alice", credential=password)])
    pc1, pc2 = RTCPeerConnection(cfg), RTCPeerConnection(cfg)
    res = {"echo": None, "audio_frames": 0, "error": None, "pairs": {}, "local_candidates": []}
    echo = asyncio.get_running_loop().create_future()
    frames = asyncio.Event()

    @pc2.on("datachannel")
    def on_dc(ch):
        @ch.on("message")
        def on_msg(m):
            ch.send("echo:" + m)

    @pc2.on("track")
    def on_track(track):
        async def pull():
            try:
                while True:
                    await track.recv()
                    res["audio_frames"] += 1
                    if res["audio_frames"] >= 5:
                        frames.set()
            except Exception:  # noqa: BLE001 - track ended
                pass
        asyncio.ensure_future(pull())

    dc = pc1.createDataChannel("tern")

    @dc.on("open")
    def on_open():
        dc.send("hello through TURN")

    @dc.on("message")
    def on_echo(m):
        if not echo.done():
            echo.set_result(m)

    pc1.addTrack(AudioStreamTrack())
    t0 = time.monotonic()
    try:
        async def run():
            await pc1.setLocalDescription(await pc1.createOffer())
            res["local_candidates"] = [ln for ln in pc1.localDescription.sdp.splitlines() if "a=candidate" in ln]
            await pc2.setRemoteDescription(pc1.localDescription)
            await pc2.setLocalDescription(await pc2.createAnswer())
            await pc1.setRemoteDescription(pc2.localDescription)
            res["echo"] = await echo
            await frames.wait()
        await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        res["error"] = "timed out after %.0f s (ice %s/%s)" % (timeout, pc1.iceConnectionState, pc2.iceConnectionState)
    except Exception as e:  # noqa: BLE001 - any failure is a result here
        res["error"] = "%s: %s" % (type(e).__name__, e)
    res["secs"] = time.monotonic() - t0
    for name, pc in (("pc1", pc1), ("pc2", pc2)):
        res["pairs"][name] = [(lc.type, lc.host, lc.port, rc.type) for lc, rc in nominated(pc)]
    try:
        await asyncio.wait_for(asyncio.gather(pc1.close(), pc2.close()), 10)
    except Exception:  # noqa: BLE001
        pass
    return res


async def run_all(srv):
    lo, hi = int(srv.info["SRV_RELAY_MIN"]), int(srv.info["SRV_RELAY_MAX"])
    urls = [
        ("udp", "turn:127.0.0.1:%d?transport=udp" % srv.port),
        ("tcp", "turn:127.0.0.1:%d?transport=tcp" % srv.port),
        ("tls", "turns:127.0.0.1:%d?transport=tcp" % srv.tls_port),
    ]
    for name, url in urls:
        r = await call(url, "wonderland", (lo, hi), CALL_TIMEOUT)
        print("# %s: %s %.1f s: %r" % (name, url, r["secs"], r), file=sys.stderr, flush=True)
        ctx = "(%s; %s)" % (url, r["error"] or "no error")
        report(r["echo"] == "echo:hello through TURN", "%s-datachannel-round-trip" % name,
               "echo %r %s" % (r["echo"], ctx))
        report(r["audio_frames"] >= 5, "%s-audio-frames" % name, "%d audio frames arrived %s" % (r["audio_frames"], ctx))
        for pc in ("pc1", "pc2"):
            pairs = r["pairs"][pc]
            ok = bool(pairs) and all(t == "relay" and h == "127.0.0.1" and lo <= p <= hi for t, h, p, _ in pairs)
            report(ok, "%s-%s-nominated-pair-relay" % (name, pc),
                   "nominated pairs (local type, host, port, remote type) %r; want relay 127.0.0.1:%d-%d %s"
                   % (pairs, lo, hi, ctx))
    # negative control
    url = "turn:127.0.0.1:%d?transport=udp" % srv.port
    r = await call(url, "not-the-password", (lo, hi), 8)
    print("# wrong-password: %r" % (r,), file=sys.stderr, flush=True)
    relays = [c for c in r["local_candidates"] if " typ relay" in c]
    report(not relays and r["echo"] is None, "wrong-password-no-call",
           "relay candidates %r, echo %r" % (relays, r["echo"]))


def main():
    if aiortc is None:
        report(False, "import", "cannot import aiortc under %s: %s (Debian: python3-aiortc)" % (sys.executable, IMPORT_ERROR))
        return 1
    work = K.Work("aiortc")
    cert = K.ensure_cert(work.dir)
    os.environ["SSL_CERT_FILE"] = os.path.join(cert, "cert.pem")  # turns: verifies against the test CA
    srv = K.Server(os.path.join(work.dir, "srv"), users="alice:wonderland")
    try:
        srv.start()
    except RuntimeError as e:
        report(False, "server-start", e)
        return 1
    try:
        asyncio.run(asyncio.wait_for(run_all(srv), 4 * CALL_TIMEOUT + 60))
    except asyncio.TimeoutError:
        report(False, "timeout", "the calls took longer than %.0f s" % (4 * CALL_TIMEOUT + 60))
    except Exception as e:  # noqa: BLE001 - reported, not a silent end
        report(False, "run", "%s: %s" % (type(e).__name__, e))
    finally:
        R.check("server-exit", srv.stop())
    work.done(R.failed)
    return R.exit_status()


if __name__ == "__main__":
    sys.exit(main())
