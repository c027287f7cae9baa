#!/usr/bin/python3
"""tern-signal's HTTP side against a fixture web root (tests/signal/www),
requests sent as raw bytes so the path reaches the server as written:
  - / is index.html; Content-Type of html, js, css, png, svg, ico, json,
    webp, wasm; Content-Length right; HEAD has the headers and no body
  - 404 for a missing file, a directory (no listing, with or without /),
    a hidden file, and every escape attempt: .., %2e%2e, %2f, NUL (%00),
    backslash, a symbolic link out of the root; the file outside is never
    served
  - 405 for POST (with Allow), 414 for a long target, 431 for a huge head,
    400 for garbage
  - /metrics: Prometheus text from loopback (promtool check metrics when
    installed)
  - an upgrade on another path is refused (404)
  - TLS: https and wss with a self-signed certificate; --check-config on a
    broken file names file and line, on a good one says good

  TERN_SIGNAL=/path/to/tern-signal tests/signal/t-http.py
"""

import asyncio
import re
import json
import os
import shutil
import ssl
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigkit as S  # noqa: E402
import websockets  # noqa: E402

R = S.K.Reporter("signal/http")

TYPES = {"index.html": "text/html", "app.js": "text/javascript", "sub/style.css": "text/css",
         "img.png": "image/png", "img.svg": "image/svg+xml", "favicon.ico": "image/x-icon",
         "data.json": "application/json", "img.webp": "image/webp", "mod.wasm": "application/wasm"}


def make_root(d):
    """A copy of the fixture root with one file of each type, a hidden file,
    a symbolic link out of the root, and a secret beside the root."""
    root = os.path.join(d, "www")
    shutil.copytree(S.WWW, root)
    for name in TYPES:
        p = os.path.join(root, name)
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(b"fixture " + name.encode())
    with open(os.path.join(root, ".hidden"), "w") as f:
        f.write("hidden")
    with open(os.path.join(d, "secret.txt"), "w") as f:
        f.write("TOP-SECRET")
    os.symlink(os.path.join(d, "secret.txt"), os.path.join(root, "link.txt"))
    os.symlink(d, os.path.join(root, "up"))
    return root


def static(sig, root):
    bad = []
    for name, t in TYPES.items():
        st, h, body = S.http(sig.port, path="/" + name)
        with open(os.path.join(root, name), "rb") as f:
            want = f.read()
        if st != 200 or not h.get("content-type", "").startswith(t) or body != want \
                or int(h.get("content-length", -1)) != len(want):
            bad.append("%s: %s %s" % (name, st, h.get("content-type")))
    R.check("content-types", not bad, "; ".join(bad))
    st, h, body = S.http(sig.port, path="/")
    R.check("slash-is-index", st == 200 and body.startswith(b"<!doctype html>"), "%s %r" % (st, body[:40]))
    st, h, body = S.http(sig.port, path="/app.js", method="HEAD")
    R.check("head", st == 200 and body == b"" and int(h.get("content-length", 0)) > 0, "%s %r %r" % (st, h, body))
    st, _, _ = S.http(sig.port, path="/nope.html")
    R.check("404-missing", st == 404, "status %s" % st)
    got = [S.http(sig.port, path=p)[0] for p in ("/sub", "/sub/", "/.hidden")]
    R.check("no-listing-no-hidden", got == [404, 404, 404], repr(got))


def escapes(sig):
    paths = ["/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
             "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt",
             "/index.html%00.png", "/..\\secret.txt", "/link.txt", "/up/secret.txt", "//etc/passwd",
             "/%252e%252e/secret.txt", "/sub/./style.css"]
    leaked = []
    for p in paths:
        st, _, body = S.http(sig.port, path=p)
        if st == 200 or b"TOP-SECRET" in body or b"root:" in body:
            leaked.append("%s -> %s" % (p, st))
    R.check("no-path-escape", not leaked, "; ".join(leaked))


def statuses(sig):
    st, h, _ = S.http(sig.port, path="/", method="POST")
    R.check("405-post", st == 405 and "GET" in h.get("allow", ""), "%s %r" % (st, h.get("allow")))
    st, _, _ = S.http(sig.port, path="/" + "a" * 2000)
    R.check("414-long-target", st == 414, "status %s" % st)
    raw = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 100) for i in range(100)) \
        + b"\r\n"
    st, _, _ = S.http(sig.port, raw=raw)
    R.check("431-huge-head", st == 431, "status %s" % st)
    st, _, _ = S.http(sig.port, raw=b"HELLO\r\n\r\n")
    R.check("400-garbage", st == 400, "status %s" % st)
    w = S.RawWS(sig.port, path="/chat")
    R.check("upgrade-elsewhere-404", w.status == 404, "status %s" % w.status)
    w.close()


def metrics(sig, d):
    st, h, body = S.http(sig.port, path="/metrics")
    text = body.decode()
    R.check("metrics-format", st == 200 and "tern_signal_connections" in text
            and 'tern_signal_closes_total{code="1000"}' in text
            and 'tern_signal_credentials_total{outcome="ok"}' in text, "%s %r" % (st, text[:100]))
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
        R.check("metrics-promtool", p.returncode == 0, (p.stdout + p.stderr).decode()[-200:])
    else:
        R.skip("metrics-promtool", "promtool not installed")


def tls(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    with S.Signal(os.path.join(d, "tls"), tls=(cert, key)) as sig:
        R.check("tls-start-line", "listening on https://" in sig.log_text(), sig.log_text()[:100])
        st, h, body = S.http(sig.port, path="/", tls=True)
        R.check("https-static", st == 200 and body.startswith(b"<!doctype html>"), "status %s" % st)

        async def wss():
            async with websockets.connect(sig.url("/", ws=True), ssl=S.client_ctx(),
                                          subprotocols=["json"]) as ws:
                m = json.loads(await asyncio.wait_for(ws.recv(), 5))
                return ws.subprotocol, m
        proto, m = asyncio.run(wss())
        R.check("wss-id", proto == "json" and m.get("type") == "id" and len(m.get("token", "")) == 43, repr(m))
        rc = sig.stop()
        R.check("tls-sigterm-clean-exit", rc == 0, "exit status %r" % rc)


def check_config(d):
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write('listen = "127.0.0.1:6503";\n\nlimits = {\n  rate = 5;\n  colour = "blue";\n};\n')
    p = subprocess.run([S.binary(), "-c", bad, "--check-config"], capture_output=True, text=True, timeout=10)
    out = (p.stdout + p.stderr).strip()
    R.check("check-config-unknown-setting", p.returncode != 0 and "%s:5:" % bad in out and "limits.colour" in out,
            "rc %d: %s" % (p.returncode, out))
    with open(bad, "w") as f:
        f.write('listen = "127.0.0.1:6503";\nlimits = { rate = 0; };\n')
    p = subprocess.run([S.binary(), "-c", bad, "--check-config"], capture_output=True, text=True, timeout=10)
    out = (p.stdout + p.stderr).strip()
    R.check("check-config-range", p.returncode != 0 and "%s:2:" % bad in out, "rc %d: %s" % (p.returncode, out))
    with open(bad, "w") as f:
        f.write('listen = "127.0.0.1:6503"\nweb = ;\n')
    p = subprocess.run([S.binary(), "-c", bad, "--check-config"], capture_output=True, text=True, timeout=10)
    out = (p.stdout + p.stderr).strip()
    R.check("check-config-syntax", p.returncode != 0 and re.search(r"%s:\d+: " % re.escape(bad), out),
            "rc %d: %s" % (p.returncode, out))
    with open(bad, "w") as f:
        f.write('tls = { certificate = "%s"; key = "%s"; };\n' % (bad, bad))
    p = subprocess.run([S.binary(), "-c", bad, "--check-config"], capture_output=True, text=True, timeout=10)
    out = (p.stdout + p.stderr).strip()
    R.check("check-config-tls-files", p.returncode != 0 and "tls: cannot use" in out, "rc %d: %s" % (
        p.returncode, out))
    ref = os.path.join(os.path.dirname(S.HERE), "..", "etc", "tern-signal.conf")
    if os.path.exists(ref):
        p = subprocess.run([S.binary(), "-c", ref, "--check-config"], capture_output=True, text=True, timeout=10)
        R.check("check-config-reference-file", p.returncode == 0, (p.stdout + p.stderr).strip())
    p = subprocess.run([S.binary(), "--help"], capture_output=True, text=True, timeout=10)
    R.check("help", p.returncode == 0 and "--check-config" in p.stdout and "--listen" in p.stdout, p.stdout[:80])


def run():
    w = S.K.Work("tern-signal-http")
    try:
        root = make_root(w.dir)
        with S.Signal(os.path.join(w.dir, "plain"), web=root) as sig:
            R.guard("static", static, sig, root)
            R.guard("escapes", escapes, sig)
            R.guard("statuses", statuses, sig)
            R.guard("metrics", metrics, sig, w.dir)
            rc = sig.stop()
            R.check("sigterm-clean-exit", rc == 0, "exit status %r" % rc)
            R.check("no-sanitizer-report", sig.sanitizer() is None, sig.sanitizer() or "")
        R.guard("tls", tls, w.dir)
        R.guard("check-config", check_config, w.dir)
    finally:
        w.done(R.failed > 0)


if __name__ == "__main__":
    sys.exit(S.K.main_guarded(R, run))
