"""firefoxkit — headless Firefox ESR for the tests
(tests/vectors/sdp/capture-firefox, tests/peer/firefox-call). Standard library only.

Firefox runs only inside a network namespace that has nothing but loopback:
whatever its background services try (telemetry, updates, safe browsing,
captive portal detection, push, remote settings, OpenH264 download) cannot
leave the machine. The profile's user.js switches them off as well, so they
do not even try. Playwright cannot drive a stock Firefox, so the page runs
by itself: it reads its parameters from its URL and trades text with the
test through a small HTTP server on loopback (PageServer: the page POSTs
/put/NAME, the test take()s it; the test put()s, the page GETs /take/NAME).

  in_namespace(argv)  re-run argv under `unshare -n` with lo up (root only)
  loopback_only()     True when this process's namespace has only lo
  Firefox(dir, url)   a fresh HOME and profile under dir, started headless
                      under a time bound, killed with its process group
"""

import http.server
import os
import signal
import socket
import subprocess
import threading
import time

FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
NS_MARK = "TERN_LOOPBACK_NS"

# user.js: no background traffic, fake devices without a prompt, no
# first-run pages, loopback ICE candidates (the only interface there is)
PREFS = {
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.update.auto": False,
    "app.update.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.discovery.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.newtabpage.activity-stream.telemetry": False,
    "browser.ping-centre.telemetry": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.search.update": False,
    "browser.sessionstore.resume_from_crash": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "captivedetect.canonicalURL": "",
    "datareporting.healthreport.uploadEnabled": False,
    "devtools.console.stdout.content": True,
    "datareporting.policy.dataSubmissionEnabled": False,
    "dom.push.connection.enabled": False,
    "dom.push.enabled": False,
    "dom.push.serverURL": "",
    "extensions.blocklist.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.update.enabled": False,
    "geo.enabled": False,
    "media.autoplay.default": 0,
    "media.gmp-gmpopenh264.autoupdate": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-manager.url": "",
    "media.navigator.permission.disabled": True,
    "media.navigator.streams.fake": True,
    "media.peerconnection.ice.loopback": True,
    "messaging-system.rsexperimentloader.enabled": False,
    "network.captive-portal-service.enabled": False,
    # a page without camera and microphone permission gathers its default
    # address only (there is no default route in the namespace: none at
    # all); permission.disabled does not count as permission
    "permissions.default.camera": 1,
    "permissions.default.microphone": 1,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    # with only lo, Firefox would think itself offline, and an offline
    # Firefox does not gather ICE candidates
    "network.manage-offline-status": False,
    "network.offline-mirrors-connectivity": False,
    "network.http.speculative-parallel-limit": 0,
    "network.prefetch-next": False,
    "network.proxy.type": 0,
    "network.trr.mode": 5,
    "security.OCSP.enabled": 0,
    "services.settings.server": "http://127.0.0.1:9/",
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.unified": False,
}


def loopback_only():
    """True when the network namespace of this process has no interface but
    lo (socket.if_nameindex() asks the kernel for this namespace;
    /sys/class/net may show another one's)."""
    return [n for _, n in socket.if_nameindex()] == ["lo"]


def in_namespace(argv, timeout):
    """Run argv in a new network namespace with only lo (up), under a time
    bound; returns the CompletedProcess (stdout and stderr as text). Needs
    root (CAP_SYS_ADMIN); the namespace goes away with its last process."""
    script = 'ip link set lo up && exec "$@"'
    env = dict(os.environ, **{NS_MARK: "1"})
    return subprocess.run(["timeout", "-k", "5", str(timeout), "unshare", "-n", "--", "sh", "-c", script,
                           "sh"] + list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def write_profile(d):
    """A fresh profile directory d with PREFS in its user.js."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "user.js"), "w") as f:
        for k, v in sorted(PREFS.items()):
            val = ("true" if v else "false") if isinstance(v, bool) else (
                str(v) if isinstance(v, int) else '"%s"' % v)
            f.write('user_pref("%s", %s);\n' % (k, val))


class Firefox:
    """Headless Firefox on url with HOME and profile under d (fresh each
    time), its output in d/firefox.log, killed (its whole process group)
    after bound seconds at the latest or at stop(). Refuses to start
    outside a loopback-only namespace."""

    def __init__(self, d, url, bound):
        if not loopback_only():
            raise RuntimeError("Firefox runs only in a network namespace with nothing but lo")
        home, prof = os.path.join(d, "home"), os.path.join(d, "profile")
        os.makedirs(home, exist_ok=True)
        write_profile(prof)
        env = {"HOME": home, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TMPDIR": d,
               "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
               "XDG_CACHE_HOME": os.path.join(home, ".cache"),
               "XDG_CONFIG_HOME": os.path.join(home, ".config")}
        if os.environ.get("MOZ_LOG"):  # e.g. MOZ_LOG=signaling:5,mtransport:5 to debug
            env["MOZ_LOG"] = os.environ["MOZ_LOG"]
        self.log = os.path.join(d, "firefox.log")
        # timeout(1) puts itself and Firefox in a process group of their
        # own: stop() kills that group, content processes included
        self.proc = subprocess.Popen(["timeout", "-k", "3", str(bound), FIREFOX, "--headless", "--no-remote",
                                      "--profile", prof, url], env=env, stdin=subprocess.DEVNULL,
                                     stdout=open(self.log, "wb"), stderr=subprocess.STDOUT)

    def stop(self):
        """Kill Firefox's process group; wait for timeout(1)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def version():
    """`firefox-esr --version`, e.g. "Mozilla Firefox 153.8.0esr"."""
    r = subprocess.run([FIREFOX, "--version"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, MOZ_HEADLESS="1"))
    return r.stdout.strip()


class PageServer:
    """An HTTP server on 127.0.0.1 (a free port) serving the page at / (any
    query string), each of scripts (paths) at /BASENAME, and a mailbox: POST
    /put/NAME stores the body for take(); GET /take/NAME waits up to 60 s
    for what put() stored (404 if nothing)."""

    def __init__(self, html_path, scripts=()):
        with open(html_path, "rb") as f:
            page = f.read()
        files = {}
        for s in scripts:
            with open(s, "rb") as f:
                files["/" + os.path.basename(s)] = f.read()
        box, cond = {}, threading.Condition()
        self._box, self._cond = box, cond

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, body, ctype="text/plain"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/":
                    return self._send(200, page, "text/html; charset=utf-8")
                if path in files:
                    return self._send(200, files[path], "text/javascript; charset=utf-8")
                if not path.startswith("/take/"):
                    return self._send(404, b"")
                name = "to-page:" + path[6:]
                with cond:
                    cond.wait_for(lambda: name in box, 60)
                    body = box.pop(name, None)
                self._send(200, body) if body is not None else self._send(404, b"")

            def do_POST(self):
                if not self.path.startswith("/put/"):
                    return self._send(404, b"")
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n > 0 else b""
                with cond:
                    box["from-page:" + self.path[5:]] = body
                    cond.notify_all()
                self._send(200, b"ok")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, **params):
        """The page's URL with params as its query string."""
        from urllib.parse import urlencode
        return "http://127.0.0.1:%d/?%s" % (self.port, urlencode(params))

    def put(self, name, text):
        """Hand text to the page's GET /take/NAME."""
        with self._cond:
            self._box["to-page:" + name] = text.encode()
            self._cond.notify_all()

    def take(self, name, timeout, keep=False):
        """What the page POSTed to /put/NAME (text), waiting up to timeout
        seconds; None if nothing came (or the page POSTed /put/error first:
        then that text prefixed "error: "). keep leaves it for the next."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                for k in ("from-page:" + name, "from-page:error"):
                    if k in self._box:
                        v = self._box[k] if keep and k != "from-page:error" else self._box.pop(k)
                        return v.decode() if k != "from-page:error" else "error: " + v.decode()
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
