#!/usr/bin/python3
"""Bad input and limits, each against a tern-signal of the test's own, with
a raw WebSocket client (frames exactly as built here) and Python's
websockets; the server must answer as RFC 6455 says and stay up:
  - invalid JSON, a missing type: an error message, the connection stays
  - a message over limits.message: close 1009
  - text that is not UTF-8: close 1007
  - an unmasked client frame: close 1002
  - a binary message: close 1003
  - ping answered with a pong carrying the same data; a fragmented message
    with a ping in the middle reassembled
  - over limits.rate: an error message "rate-limited", then close 1008;
    a ping flood is closed with 1008 too
  - the room full (limits.users): close 1013
  - limits.connections: a connection beyond is closed at once
  - an Origin from another site refused (403); same origin, localhost and
    no Origin accepted; a configured origins list allows exactly its entries
  - a slow reader: its output capped (limits.output), it is closed, the
    server's memory stays bounded and the others keep talking
  - idle: a silent client is pinged, and closed (1001) when it never answers
  - after all of it: the server still serves, exits 0 on SIGTERM, no
    sanitizer report

  TERN_SIGNAL=/path/to/tern-signal tests/signal/t-bad-input.py
"""

import asyncio
import json
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigkit as S  # noqa: E402
import websockets  # noqa: E402

R = S.K.Reporter("signal/bad-input")


def joined(sig, **kw):
    w = S.RawWS(sig.port, **kw)
    if w.status != 101:
        raise RuntimeError("upgrade refused: %s" % w.head[:80])
    op, p = w.frame()
    assert op == 1 and json.loads(p)["type"] == "id", p
    return w


def text_reply(w, data):
    w.send_frame(1, data)
    op, p = w.frame()
    return json.loads(p) if op == 1 else (op, p)


def basics(sig):
    w = joined(sig)
    m = text_reply(w, b"{not json")
    R.check("invalid-json-error", m.get("type") == "error" and m.get("code") == "bad-json", repr(m))
    m = text_reply(w, b'{"name":"x"}')
    R.check("missing-type-error", m.get("type") == "error" and m.get("code") == "no-type", repr(m))
    w.send_frame(9, b"are you there")
    op, p = w.frame()
    R.check("ping-pong", op == 10 and p == b"are you there", "%r %r" % (op, p))
    # fragmented text with a ping in the middle (RFC 6455 5.4, 5.5)
    w.send_frame(1, b'{"type":"username",', fin=False)
    w.send_frame(9, b"mid")
    w.send_frame(0, b'"name":"frag"}', fin=True)
    op1, p1 = w.frame()
    op2, p2 = w.frame()
    R.check("fragmented-with-ping", op1 == 10 and p1 == b"mid" and op2 == 1
            and json.loads(p2) == {"type": "userlist", "users": ["frag"]}, "%r %r %r %r" % (op1, p1, op2, p2))
    w.send_frame(8, b"\x03\xe8bye")
    R.check("close-echoed", w.until_close() == 1000, "no 1000 back")
    w.close()


def closes(sig):
    cases = [
        ("oversize-1009", lambda w: w.send_frame(1, b'"' + b"x" * 5000 + b'"'), 1009),
        ("bad-utf8-1007", lambda w: w.send_frame(1, b'{"type":"message","text":"\xc3\x28"}'), 1007),
        ("unmasked-1002", lambda w: w.send_frame(1, b'{"type":"x"}', mask=False), 1002),
        ("binary-1003", lambda w: w.send_frame(2, b"\x00\x01"), 1003),
        ("reserved-opcode-1002", lambda w: w.send_frame(3, b""), 1002),
    ]
    for name, act, want in cases:
        w = joined(sig)
        act(w)
        got = w.until_close()
        R.check(name, got == want, "close code %r, want %d" % (got, want))
        w.close()


def rate(sig):
    w = joined(sig)
    seen, code = [], None
    for i in range(40):
        try:
            w.send_frame(1, b'{"type":"ping-test"}')
        except OSError:
            break
    end = time.monotonic() + 5
    while time.monotonic() < end:
        try:
            op, p = w.frame(2)
        except (ConnectionError, OSError):
            break
        if op == 1:
            seen.append(json.loads(p))
        if op == 8:
            code = int.from_bytes(p[:2], "big")
            break
    errs = [m for m in seen if m.get("type") == "error" and m.get("code") == "rate-limited"]
    R.check("rate-limit-error-then-1008", errs and code == 1008, "errors %r, close %r" % (errs[:1], code))
    w.close()


def ping_flood(sig):
    w = joined(sig)
    for _ in range(40):
        try:
            w.send_frame(9, b"p")
        except OSError:
            break
    code = w.until_close()
    R.check("ping-flood-1008", code == 1008, "close %r" % code)
    w.close()


def full(sig):
    ws = [joined(sig) for _ in range(3)]  # limits.users = 3 in this server
    w = S.RawWS(sig.port)
    code = w.until_close() if w.status == 101 else None
    R.check("room-full-1013", code == 1013, "status %r, close %r" % (w.status, code))
    for x in ws + [w]:
        x.close()


def origins(sig):
    cases = [("http://evil.example", 403), ("http://127.0.0.1:%d" % sig.port, 101),
             ("http://localhost:3000", 101), ("https://[::1]:1", 101), (None, 101),
             ("null", 403), ("http://127.0.0.1.evil.example", 403)]
    bad = []
    for origin, want in cases:
        w = S.RawWS(sig.port, origin=origin)
        if w.status != want:
            bad.append("%s: %s" % (origin, w.status))
        w.close()
    R.check("origin-default-policy", not bad, "; ".join(bad))


def origins_list(d):
    with S.Signal(d, {"origins": ["https://app.example"]}) as sig:
        got = [S.RawWS(sig.port, origin=o).status for o in
               ("https://app.example", "http://localhost:1", "https://other.example")]
        R.check("origin-configured-list", got == [101, 403, 403], repr(got))
    with S.Signal(d + "-any", {"origins": ["*"]}) as sig:
        got = S.RawWS(sig.port, origin="https://anywhere.example").status
        R.check("origin-star-allows-any", got == 101, repr(got))


def conn_cap(d):
    with S.Signal(d, {"limits.connections": 2}) as sig:
        a, b = joined(sig), joined(sig)
        s = S.connect(sig.port)
        s.settimeout(3)
        try:
            closed = s.recv(1) == b""
        except (ConnectionResetError, socket.timeout) as e:
            closed = isinstance(e, ConnectionResetError)
        R.check("connection-cap", closed, "the third connection stayed open")
        for x in (a, b, s):
            x.close()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def slow_reader(sig):
    """One client never reads; another floods the room with chat until the
    slow one's output passes limits.output (64 KiB here) and it is closed."""
    slow = S.RawWS(sig.port)
    slow.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    fast = await websockets.connect(sig.url("/", ws=True), max_queue=None)
    other = await websockets.connect(sig.url("/", ws=True), max_queue=None)
    await fast.recv()
    await other.recv()
    await fast.send(json.dumps({"type": "username", "name": "fast"}))  # chat needs a name
    rss0 = rss_kb(sig.proc.pid)
    text = "y" * 3000
    n = 0
    peak = 0
    closed = False
    t_end = time.monotonic() + 20
    while time.monotonic() < t_end and not closed:
        for _ in range(20):
            await fast.send(json.dumps({"type": "message", "text": text}))
            n += 1
        await asyncio.sleep(0.02)
        closed = S.metric(sig, "tern_signal_slow_closed_total") > 0
        for ws in (other, fast):  # these two read what they get
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 0.001)
            except asyncio.TimeoutError:
                pass
        peak = max(peak, S.metric(sig, "tern_signal_output_bytes"))
    rss1 = rss_kb(sig.proc.pid)
    R.check("slow-reader-closed", closed, "after %d messages (%d KB) the slow reader is still open"
            % (n, n * 3))
    # three clients, each at most limits.output (64 KiB) queued, plus a frame
    R.check("slow-reader-output-bounded", 0 < peak <= 3 * (65536 + 4096), "peak queued %d bytes" % peak)
    with open("/proc/%d/maps" % sig.proc.pid) as f:
        asan = "libasan" in f.read()
    if asan:  # ASan's quarantine holds freed memory: RSS says nothing here
        R.skip("slow-reader-memory-bounded", "ASan build (its quarantine keeps freed memory)")
    else:
        R.check("slow-reader-memory-bounded", rss1 - rss0 < 16 * 1024, "RSS grew %d KB" % (rss1 - rss0))
    await fast.send(json.dumps({"type": "message", "text": "still here"}))
    ok = False
    try:
        for _ in range(2000):
            m = json.loads(await asyncio.wait_for(other.recv(), 3))
            if m.get("text") == "still here":
                ok = True
                break
    except asyncio.TimeoutError:
        pass
    R.check("others-unaffected", ok, "the others stopped hearing each other")
    slow.close()
    await fast.close()
    await other.close()


def idle(d):
    with S.Signal(d, {"limits.idle": 5}) as sig:
        w = joined(sig)
        t0 = time.monotonic()
        op, p = w.frame(10)
        R.check("idle-ping", op == 9, "got opcode %r" % op)
        code = w.until_close(15)
        R.check("idle-close-1001", code == 1001 and time.monotonic() - t0 < 15, "close %r after %.1f s"
                % (code, time.monotonic() - t0))
        w.close()


def run():
    w = S.K.Work("tern-signal-bad-input")
    try:
        settings = {"limits.message": 4096, "limits.users": 3, "limits.rate": 5, "limits.burst": 10,
                    "limits.output": 65536}
        with S.Signal(os.path.join(w.dir, "main"), settings) as sig:
            R.guard("basics", basics, sig)
            R.guard("closes", closes, sig)
            R.guard("rate", rate, sig)
            R.guard("ping-flood", ping_flood, sig)
            R.guard("full", full, sig)
            R.guard("origins", origins, sig)
            st, _, body = S.http(sig.port, path="/")
            R.check("still-serving", st == 200, "status %r" % st)
            rc = sig.stop()
            R.check("sigterm-clean-exit", rc == 0, "exit status %r" % rc)
            R.check("no-sanitizer-report", sig.sanitizer() is None, sig.sanitizer() or "")
        with S.Signal(os.path.join(w.dir, "slow"), {"limits.output": 65536, "limits.rate": 10000,
                                                    "limits.burst": 10000}) as sig:
            R.guard("slow-reader", lambda: asyncio.run(slow_reader(sig)))
            rc = sig.stop()
            R.check("slow-sigterm-clean-exit", rc == 0, "exit status %r" % rc)
        R.guard("origins-list", origins_list, os.path.join(w.dir, "origins"))
        R.guard("conn-cap", conn_cap, os.path.join(w.dir, "conncap"))
        R.guard("idle", idle, os.path.join(w.dir, "idle"))
    finally:
        w.done(R.failed > 0)


if __name__ == "__main__":
    sys.exit(S.K.main_guarded(R, run))
