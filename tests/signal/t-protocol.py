#!/usr/bin/python3
"""The chat sample's protocol, message by message, with Python's websockets
(an independent client) against a tern-signal of the test's own:
  - the upgrade on / and on /ws; the subprotocol "json" echoed when asked,
    none when not
  - id with a per-connection token (43 base64url characters: 32 bytes),
    tokens differ between connections
  - username: userlist to everyone; a taken name gets a number and
    rejectusername; users without a name are not listed
  - chat: broadcast with the sender's name and a date, HTML stripped
  - video-offer / video-answer / new-ice-candidate / hang-up to the target
    only; a message without target to everyone; an unknown target dropped
  - leave: a fresh userlist to the others

  TERN_SIGNAL=/path/to/tern-signal tests/signal/t-protocol.py
"""

import asyncio
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigkit as S  # noqa: E402
import websockets  # noqa: E402

R = S.K.Reporter("signal/protocol")


async def recv(ws, t=3):
    return json.loads(await asyncio.wait_for(ws.recv(), t))


async def silent(ws, t=0.5):
    """True when nothing arrives within t seconds (a message that must not
    come: judged after a later message that must come was seen)."""
    try:
        await asyncio.wait_for(ws.recv(), t)
        return False
    except asyncio.TimeoutError:
        return True


async def name(ws, n):
    await ws.send(json.dumps({"type": "username", "name": n, "id": 0, "date": 1}))


async def main(sig):
    url = sig.url("/", ws=True)
    a = await websockets.connect(url, subprotocols=["json"])
    R.check("subprotocol-json-echoed", a.subprotocol == "json", "got %r" % a.subprotocol)
    b = await websockets.connect(sig.url("/ws", ws=True))
    R.check("upgrade-on-ws-path", b.open, "not open")
    R.check("no-subprotocol-when-not-asked", b.subprotocol is None, "got %r" % b.subprotocol)
    ida, idb = await recv(a), await recv(b)
    tok = re.compile(r"^[A-Za-z0-9_-]{43}$")
    R.check("id-message", ida.get("type") == "id" and isinstance(ida.get("id"), int), repr(ida))
    R.check("id-token", bool(tok.match(ida.get("token", ""))) and bool(tok.match(idb.get("token", ""))),
            "%r %r" % (ida, idb))
    R.check("tokens-differ", ida.get("token") != idb.get("token"), "same token twice")
    R.check("ids-differ", ida["id"] != idb["id"], "same id")

    await name(a, "alice")
    la, lb = await recv(a), await recv(b)
    R.check("userlist-after-name", la == {"type": "userlist", "users": ["alice"]} and lb == la,
            "%r / %r (b has no name: not listed)" % (la, lb))
    await name(b, "alice")
    rj = await recv(b)
    R.check("rejectusername", rj.get("type") == "rejectusername" and rj.get("name", "").startswith("alice")
            and rj.get("name") != "alice" and rj.get("id") == idb["id"], repr(rj))
    lb, la = await recv(b), await recv(a)
    bname = rj.get("name")
    R.check("unique-names-listed", la.get("users") == ["alice", bname] and lb == la, "%r %r" % (la, lb))

    c = await websockets.connect(url, subprotocols=["json"])
    idc = await recv(c)
    await name(c, "<b>carol</b>")
    for ws in (a, b, c):
        m = await recv(ws)
    R.check("name-html-stripped", m.get("users") == ["alice", bname, "carol"], repr(m))

    await a.send(json.dumps({"type": "message", "text": "<i>hello</i> <script>x</script>world",
                             "id": ida["id"], "date": 1234}))
    got = [await recv(ws) for ws in (a, b, c)]
    m = got[0]
    R.check("chat-broadcast", all(g == m for g in got), repr(got))
    R.check("chat-name-and-date", m.get("name") == "alice" and m.get("date") == 1234, repr(m))
    R.check("chat-html-stripped", m.get("text") == "hello xworld", repr(m.get("text")))
    await a.send(json.dumps({"type": "message", "text": "no date"}))
    m = await recv(b)
    await recv(a), await recv(c)
    R.check("chat-date-added", isinstance(m.get("date"), int) and m["date"] > 1.6e12, repr(m))

    routed = True
    for t in ("video-offer", "video-answer", "new-ice-candidate", "hang-up"):
        msg = {"type": t, "name": "alice", "target": "carol", "sdp": {"type": "offer", "sdp": "v=0\r\n"},
               "candidate": {"candidate": "", "sdpMid": "0"}}
        await a.send(json.dumps(msg))
        got = await recv(c)
        routed &= got == msg
    R.check("targeted-routing", routed, "carol did not get the messages unchanged")
    R.check("targeted-not-to-others", await silent(b) and await silent(a, 0.1), "someone else got them")

    await b.send(json.dumps({"type": "custom", "x": [1, 2]}))
    got = [await recv(ws) for ws in (a, c)]
    R.check("no-target-broadcast", all(g == {"type": "custom", "x": [1, 2]} for g in got), repr(got))
    await recv(b)  # the sender is in "everyone" too

    await a.send(json.dumps({"type": "video-offer", "target": "nobody", "sdp": "x"}))
    await a.send(json.dumps({"type": "message", "text": "marker"}))
    got = await recv(c)
    R.check("unknown-target-dropped", got.get("type") == "message" and got.get("text") == "marker", repr(got))
    await recv(a), await recv(b)

    await c.close()
    la, lb = await recv(a), await recv(b)
    R.check("userlist-on-leave", la == lb == {"type": "userlist", "users": ["alice", bname]}, "%r %r" % (la, lb))
    idd_ws = await websockets.connect(url)
    idd = await recv(idd_ws)
    R.check("ids-not-reused", idd["id"] not in (ida["id"], idb["id"], idc["id"]), repr(idd))
    await idd_ws.close()
    await a.close()
    await b.close()


def run():
    w = S.K.Work("tern-signal-protocol")
    failed = True
    try:
        with S.Signal(w.dir) as sig:
            asyncio.run(main(sig))
            rc = sig.stop()
            R.check("sigterm-clean-exit", rc == 0, "exit status %r" % rc)
            san = sig.sanitizer()
            R.check("no-sanitizer-report", san is None, san or "")
        failed = R.exit_status() != 0
    finally:
        w.done(failed)


if __name__ == "__main__":
    S.K.sys.exit(S.K.main_guarded(R, run))
