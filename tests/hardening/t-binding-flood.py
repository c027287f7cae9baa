#!/usr/bin/env python3
"""Binding floods: no amplification, and drops counted rather than logged.

ternd with an RFC 5780 alternate address (127.0.0.2, so responses carry the
most attributes ternd ever adds) and limits.log_interval = 2. About 12000
datagrams in 4 s from 40 sockets on 127.0.0.6/127.0.0.7 and 8 on ::1: Binding
requests of every shape (plain, FINGERPRINT, PADDING of 1-1400 bytes,
unknown optional and required attributes, RFC 3489 without cookie,
CHANGE-REQUEST, RESPONSE-PORT, PADDING with RESPONSE-PORT, SOFTWARE) and
malformed STUN (length field wrong, attribute past the end):
  - every response is at most the request's length plus what ternd once
    added to any Binding answer (src/turn/binding.c; it adds less since
    issue 16, see tests/hardening/t-amplification.py): XOR-MAPPED-ADDRESS,
    MAPPED-ADDRESS, RESPONSE-ORIGIN and OTHER-ADDRESS (12 bytes each for
    IPv4; IPv6 has no alternate here: 2 x 24) and SOFTWARE "tern" (8) = 56
    bytes. PADDING is echoed at most at the request's own length and
    FINGERPRINT only when the request had one, so they are inside the
    request's length
  - at most one response per request; no response to malformed datagrams
  - the log grows by a bounded number of lines (rate-limited: a burst per
    interval per worker), and the lines written plus the "(N similar
    messages suppressed)" counts add up to the malformed datagrams sent, as
    does ternd_message_verdicts_total{verdict="malformed"} on /metrics
  - ternd still answers afterwards
"""

import os
import random
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)
import hlib as H  # noqa: E402
from hlib import K  # noqa: E402  tests/lib/ternkit

S = K
C = K.Reporter("binding-flood")
SOFTWARE_LEN = 8  # "tern" as a SOFTWARE attribute
FIXED = {4: 4 * (4 + 8) + SOFTWARE_LEN, 6: 2 * (4 + 20) + SOFTWARE_LEN}
LOG_INTERVAL = 2
MALFORMED = r'^ternd_message_verdicts_total\{verdict="malformed"\}$'


def main():
    K.on_sigterm()
    work = K.Work("binding")
    srv = H.Ternd(work, "srv", alternate="127.0.0.2", **{"limits.log_interval": LOG_INTERVAL})
    return H.serve(C, work, srv, flood)


def flood(srv, held):
    run(srv, H.udp_sockets(held, (("127.0.0.6", 20), ("127.0.0.7", 20), ("::1", 8)), rcvbuf=1 << 20))


def make(rng, sock, collector_port):
    """(datagram, tid or None for malformed, kind)."""
    k = rng.randrange(100)
    fp = rng.random() < 0.5
    if k < 10:
        return S.build(fingerprint=fp), True, "plain"
    if k < 30:
        pad = rng.randrange(1, 1401)
        return S.build(attrs=[(S.PADDING, bytes(pad))], fingerprint=fp), True, "padding"
    if k < 40:
        t = rng.randrange(0x8000, 0xFFFF)
        while t in S.ATTR_NAMES or t in (0x8022, 0x8023, 0x8028, 0x802B, 0x802C, 0x8029, 0x8000, 0x8001, 0x8002):
            t = rng.randrange(0x8000, 0xFFFF)
        return S.build(attrs=[(t, os.urandom(rng.randrange(0, 600)))], fingerprint=fp), True, "optional"
    if k < 48:
        t = rng.randrange(0x7000, 0x7FFF)
        return S.build(attrs=[(t, os.urandom(rng.randrange(0, 64)))]), True, "required-420"
    if k < 55:
        return S.build(legacy=True), True, "rfc3489"
    if k < 62:
        flags = rng.choice([2, 4, 6])
        return S.build(attrs=[(S.CHANGE_REQUEST, struct.pack("!I", flags))], fingerprint=fp), True, "change"
    if k < 67 and collector_port:
        return S.build(attrs=[(S.RESPONSE_PORT, struct.pack("!HH", collector_port, 0))]), True, "response-port"
    if k < 70:
        return S.build(attrs=[(S.PADDING, bytes(rng.randrange(1, 200))),
                              (S.RESPONSE_PORT, struct.pack("!HH", collector_port or 9, 0))]), True, "pad-port-400"
    if k < 75:
        return S.build(attrs=[(S.SOFTWARE, b"x" * rng.randrange(1, 120))], fingerprint=fp), True, "software"
    if k < 88:
        ok = S.build(attrs=[(S.SOFTWARE, b"abcdefgh")])
        return ok[:2] + struct.pack("!H", len(ok) - 20 + 4 * rng.randrange(1, 10)) + ok[4:], None, "bad-length"
    req = S.build(attrs=[(S.SOFTWARE, b"abcdefgh")])
    body = struct.pack("!HH", 0x8022, 200) + b"abcd"  # value runs past the end
    return req[:2] + struct.pack("!H", len(req) - 20 + len(body)) + req[4:] + body, None, "past-end"


def tid_of(data):
    if data[4:8] == S.MAGIC_BYTES:
        return data[8:20]
    return data[4:20]


class Rx(H.SocketReader):
    def __init__(self, socks):
        super().__init__(socks)
        self.got = {}  # tid -> [response lengths]

    def on_data(self, ip, data):
        if len(data) >= 20:
            self.got.setdefault(tid_of(data), []).append(len(data))


def malformed_lines(text):
    """(log lines about malformed messages, sum of suppressed counts)."""
    lines = [ln for ln in text.splitlines() if "malformed" in ln]
    supp = sum(int(m) for m in re.findall(r"\((\d+) similar messages suppressed\)", text))
    return len(lines), supp


def run(srv, socks):
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    # RESPONSE-PORT answers go to a collector on the same address (127.0.0.6)
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind(("127.0.0.6", 0))
    collector.setblocking(False)
    cport = collector.getsockname()[1]
    dest4, dest6 = srv.addr, ("::1", srv.port)
    log0 = srv.log_text()
    lines0 = len(log0.splitlines())
    mal0 = srv.metric(MALFORMED)
    rx = Rx(socks + [collector])
    rx.start()
    sent = {}  # tid -> (request length, kind, family)
    n_bad = 0
    kinds = {}
    t0 = time.monotonic()
    total = 12000
    for i in range(total):
        s = socks[i % len(socks)]
        fam = 6 if s.family == socket.AF_INET6 else 4
        data, valid, kind = make(rng, s, cport if s.getsockname()[0] == "127.0.0.6" else None)
        kinds[kind] = kinds.get(kind, 0) + 1
        if valid:
            sent[tid_of(data)] = (len(data), kind, fam)
        else:
            n_bad += 1
        try:
            s.sendto(data, dest6 if fam == 6 else dest4)
        except BlockingIOError:
            pass
        if i % 300 == 299:
            ahead = t0 + 4.0 * (i + 1) / total - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    dur = time.monotonic() - t0
    time.sleep(1.0)
    rx.stop()
    collector.close()
    K.note("%d datagrams in %.1f s: %s" % (total, dur, ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))

    over, dup, stray, worst = [], 0, 0, {}
    req_bytes = resp_bytes = 0
    for tid, lens in rx.got.items():
        if tid not in sent:
            stray += len(lens)
            continue
        ln, kind, fam = sent[tid]
        dup += len(lens) - 1
        req_bytes += ln
        resp_bytes += sum(lens)
        for r in lens:
            if r - ln > worst.get(fam, (-1 << 30, ""))[0]:
                worst[fam] = (r - ln, kind)
            if r > ln + FIXED[fam]:
                over.append("%s request of %d bytes got %d" % (kind, ln, r))
    answered = sum(1 for t in sent if t in rx.got)
    K.note("%d of %d well-formed requests answered; %d request bytes, %d response bytes for them "
           "(ratio %.2f); bound: request + %d bytes (IPv4), + %d (IPv6)" % (
               answered, len(sent), req_bytes, resp_bytes, resp_bytes / max(1, req_bytes), FIXED[4], FIXED[6]))
    K.note("largest response minus its request: %s" % ", ".join(
        "IPv%d %+d bytes (%s)" % (f, w[0], w[1]) for f, w in sorted(worst.items())))
    C.check("response-never-larger-than-request-plus-fixed", not over,
            "%d responses over the bound, e.g. %s" % (len(over), over[:3]))
    C.check("one-response-per-request", dup == 0, "%d extra responses" % dup)
    C.check("malformed-unanswered", stray == 0, "%d responses to datagrams that were not well-formed "
                                                "requests (malformed ones must be dropped)" % stray)
    C.check("most-answered", answered >= 0.9 * len(sent), "only %d of %d answered" % (answered, len(sent)))

    # flush the held-back counts: one more malformed datagram per source
    # address after the interval
    time.sleep(LOG_INTERVAL + 0.3)
    bad = S.build()[:2] + b"\x00\x08" + S.build()[4:]
    for s in (socks[0], socks[20], socks[-1]):
        s.sendto(bad, dest6 if s.family == socket.AF_INET6 else dest4)
        n_bad += 1
    time.sleep(0.5)
    log1 = srv.log_text()
    new = log1.splitlines()[lines0:]
    mal, supp = malformed_lines("\n".join(new))
    per_interval = 3  # ll_input's burst, src/relay/seam.c
    workers = 2
    bound = workers * (per_interval + 1) * (int(dur / LOG_INTERVAL) + 3)
    K.note("log: %d new lines (%d about malformed datagrams, %d held back and counted) for %d malformed "
           "datagrams; bound %d" % (len(new), mal, supp, n_bad, bound))
    C.check("log-rate-limited", len(new) <= bound and n_bad > 10 * bound,
            "%d new log lines for %d malformed datagrams (bound %d)" % (len(new), n_bad, bound))
    C.check("malformed-counted", mal + supp >= 0.9 * n_bad and mal + supp <= n_bad,
            "%d logged + %d counted as suppressed, %d malformed datagrams sent" % (mal, supp, n_bad))
    H.counted(C, "malformed-in-metrics", srv, MALFORMED, mal0, (int(n_bad * 0.99), n_bad),
              "%d malformed datagrams sent" % n_bad)
    C.check("still-answers", K.ping("udp", srv.port), "no Binding answer after the flood")


if __name__ == "__main__":
    sys.exit(main())
