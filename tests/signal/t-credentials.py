#!/usr/bin/python3
"""GET /turn-credentials: who gets credentials, what they look like, and
that they open an allocation on real TURN servers:
  - 401 (JSON body, WWW-Authenticate) without a token or key, with a wrong
    token, with a wrong API key
  - 200 with a live session token (Authorization: Bearer, and ?token=),
    and with a configured API key (X-API-Key); the body is
    {username "<expiry>:tern", credential base64(HMAC-SHA1(secret,
    username)), ttl, urls}, the expiry now + ttl
  - the token is dead once its WebSocket closes (401 again)
  - 429 once an address spends its bucket (turn.rate, turn.burst)
  - 503 when no secret is configured
  - CORS: the answer names an allowed Origin (Vary: Origin), never another
    site's; OPTIONS preflight 204 for an allowed origin, 403 otherwise
  - the credentials Allocate on ternd (build/src/relay/ternd, the same REST
    secret in auth.secrets) and on coturn (turnserver --use-auth-secret
    --static-auth-secret); the same request with a wrong password is
    refused (401), so the check can fail
  - the secret from Redis in coturn's layout (turn.redis, turn.realm; SADD
    turn/realm/<realm>/secret): credentials that ternd reading the same
    Redis accepts

  TERN_SIGNAL=... TERND=/path/to/ternd tests/signal/t-credentials.py
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ops"))
import sigkit as S  # noqa: E402
import websockets  # noqa: E402

K = S.K
R = K.Reporter("signal/credentials")
SECRET = "s3cret-shared"
API_KEY = "key-0123456789"
URLS = ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"]


def rest_password(secret, user):
    return base64.b64encode(hmac.new(secret.encode(), user.encode(), hashlib.sha1).digest()).decode()


def get(sig, path="/turn-credentials", headers=None):
    st, h, body = S.http(sig.port, path=path, headers=headers)
    try:
        j = json.loads(body)
    except ValueError:
        j = None
    return st, h, j


async def with_session(sig, fn):
    """fn(token) while a WebSocket session is open; then (result, the
    answer to the same token after the socket closed)."""
    ws = await websockets.connect(sig.url("/", ws=True), subprotocols=["json"])
    tok = json.loads(await asyncio.wait_for(ws.recv(), 5))["token"]
    res = fn(tok)
    await ws.close()
    await asyncio.sleep(0.2)
    return res, fn(tok)


def shape(sig, j, secret=SECRET, ttl=3600):
    now = time.time()
    try:
        exp, name = j["username"].split(":", 1)
        ok = (abs(int(exp) - (now + ttl)) < 10 and name == "tern" and j["ttl"] == ttl and j["urls"] == URLS
              and j["credential"] == rest_password(secret, j["username"]))
    except (KeyError, ValueError, TypeError):
        ok = False
    return ok


def access(sig):
    st, h, j = get(sig)
    R.check("401-no-token", st == 401 and j and j.get("error") == "unauthorized"
            and "Bearer" in h.get("www-authenticate", ""), "%s %r" % (st, j))
    st, _, _ = get(sig, headers={"Authorization": "Bearer " + "A" * 43})
    R.check("401-wrong-token", st == 401, "status %s" % st)
    st, _, _ = get(sig, headers={"X-API-Key": API_KEY + "x"})
    R.check("401-wrong-api-key", st == 401, "status %s" % st)
    st, h, j = get(sig, headers={"X-API-Key": API_KEY})
    R.check("200-api-key", st == 200 and h.get("content-type", "").startswith("application/json"),
            "%s %r" % (st, j))
    R.check("credential-shape", shape(sig, j), repr(j))

    def both(tok):
        a = get(sig, headers={"Authorization": "Bearer " + tok})
        b = get(sig, path="/turn-credentials?token=" + tok)
        return a, b
    # CORS: a page of an allowed origin (localhost, any port, by default)
    # may read the answer; another site's may not
    st, h, _ = get(sig, headers={"X-API-Key": API_KEY, "Origin": "http://localhost:3000"})
    R.check("cors-allowed-origin", st == 200 and h.get("access-control-allow-origin") == "http://localhost:3000"
            and h.get("vary") == "Origin", "%s %r" % (st, h))
    st, h, _ = get(sig, headers={"X-API-Key": API_KEY, "Origin": "http://evil.example"})
    R.check("cors-other-origin-not-named", "access-control-allow-origin" not in h, repr(h))
    st, h, _ = S.http(sig.port, path="/turn-credentials", method="OPTIONS",
                      headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
                               "Access-Control-Request-Headers": "authorization"})
    R.check("cors-preflight", st == 204 and "Authorization" in h.get("access-control-allow-headers", "")
            and h.get("access-control-allow-origin") == "http://localhost:3000"
            and "content-length" not in h, "%s %r" % (st, h))
    st, _, _ = S.http(sig.port, path="/turn-credentials", method="OPTIONS",
                      headers={"Origin": "http://evil.example"})
    R.check("cors-preflight-other-origin-403", st == 403, "status %s" % st)
    (a, b), (da, db) = asyncio.run(with_session(sig, both))
    R.check("200-bearer-token", a[0] == 200 and shape(sig, a[2]), "%s %r" % (a[0], a[2]))
    R.check("200-query-token", b[0] == 200 and shape(sig, b[2]), "%s %r" % (b[0], b[2]))
    R.check("token-dead-after-close", da[0] == 401 and db[0] == 401, "%s %s" % (da[0], db[0]))
    return a[2]


def limited(d):
    with S.Signal(d, {"turn.secret": SECRET, "turn.api_keys": [API_KEY], "turn.rate": 1,
                      "turn.burst": 3}) as sig:
        got = [get(sig, headers={"X-API-Key": API_KEY})[0] for _ in range(5)]
        R.check("429-rate-limited", got[:3] == [200, 200, 200] and got[3:] == [429, 429], repr(got))
        m = S.metric(sig, 'tern_signal_credentials_total{outcome="rate_limited"}')
        R.check("metric-rate-limited", m == 2, "metric %r" % m)
    with S.Signal(d + "-nosecret", {"turn.api_keys": [API_KEY]}) as sig:
        st, _, j = get(sig, headers={"X-API-Key": API_KEY})
        R.check("503-no-secret", st == 503 and j and j.get("error") == "no-secret", "%s %r" % (st, j))


def allocate(srv, cred, name):
    c = K.TurnClient(srv.addr, user=cred["username"], password=cred["credential"])
    r = c.allocate()
    ok = K.is_success(r, K.ALLOCATE)
    c.close()
    bad = K.TurnClient(srv.addr, user=cred["username"], password=cred["credential"][:-2] + "AA")
    r2 = bad.allocate()
    refused = K.is_error(r2, K.ALLOCATE, 401)
    bad.close()
    R.check(name, ok and refused, "allocate %r, with a wrong password %r" % (
        r and (r.error() or "success"), r2 and (r2.error() or "success")))


def on_ternd(d, cred):
    if not os.environ.get("TERND"):
        R.skip("allocate-on-ternd", "TERND not set")
        return
    with K.Server(d, secrets=SECRET, tls=False) as srv:
        allocate(srv, cred, "allocate-on-ternd")


def on_coturn(d, cred):
    import shutil
    if not shutil.which("turnserver"):
        R.skip("allocate-on-coturn", "turnserver (coturn) not installed")
        return
    saved = os.environ.pop("TERND", None)
    os.environ["COTURN"] = "1"
    try:
        srv = K.Server(d, secrets=SECRET, tls=False)
    finally:
        del os.environ["COTURN"]
        if saved is not None:
            os.environ["TERND"] = saved
    with srv:
        allocate(srv, cred, "allocate-on-coturn")


def from_redis(d):
    import shutil
    import redisdb
    if not shutil.which("redis-server"):
        R.skip("redis-secret", "redis-server not installed")
        return
    w = redisdb.World("tern-signal-redis.")
    failed = True
    try:
        port = K.free_ports(1)[0]
        redisdb.redis_start(w, port, "cred")
        r = redisdb.Redis(port)
        r.cmd("SADD", "turn/realm/tern.test/secret", "r3dis-secret")
        settings = {"turn.redis": "ip=127.0.0.1 port=%d dbname=0 connect_timeout=2" % port,
                    "turn.realm": "tern.test", "turn.api_keys": [API_KEY], "turn.urls": URLS,
                    "turn.ttl": 3600}
        with S.Signal(d, settings) as sig:
            res = []
            K.wait_for(lambda: res.append(get(sig, headers={"X-API-Key": API_KEY})) or res[-1][0] == 200, 5)
            st, _, j = res[-1]
            R.check("redis-secret", st == 200 and shape(sig, j, "r3dis-secret"), "%s %r" % (st, j))
            if os.environ.get("TERND") and st == 200:
                with K.Server(os.path.join(d, "ternd"), rest=1, store="redis", redis_port=port, tls=False,
                              realm="tern.test") as srv:
                    allocate(srv, j, "redis-secret-allocate-on-ternd")
            rc = sig.stop()
            R.check("redis-sigterm-clean-exit", rc == 0, "exit status %r" % rc)
        r.close()
        failed = R.failed > 0
    finally:
        w.cleanup(failed)


def run():
    w = K.Work("tern-signal-credentials")
    try:
        settings = {"turn.secret": SECRET, "turn.api_keys": [API_KEY], "turn.urls": URLS, "turn.ttl": 3600,
                    "turn.rate": 600, "turn.burst": 100}
        cred = None
        with S.Signal(os.path.join(w.dir, "main"), settings) as sig:
            cred = R.guard("access", access, sig)
            rc = sig.stop()
            R.check("sigterm-clean-exit", rc == 0, "exit status %r" % rc)
            R.check("no-sanitizer-report", sig.sanitizer() is None, sig.sanitizer() or "")
        R.guard("limited", limited, os.path.join(w.dir, "limited"))
        if cred:
            R.guard("ternd", on_ternd, os.path.join(w.dir, "ternd"), cred)
            R.guard("coturn", on_coturn, os.path.join(w.dir, "coturn"), cred)
        R.guard("redis", from_redis, os.path.join(w.dir, "redis"))
    finally:
        w.done(R.failed > 0)


if __name__ == "__main__":
    sys.exit(K.main_guarded(R, run))
