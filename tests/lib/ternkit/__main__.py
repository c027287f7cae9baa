"""Command line of the kit, for shell tests and scripts:

  python3 tests/lib/ternkit prepare DIR [key=value ...]
      write the server config (see server.py; GROUP.NAME=V sets any ternd
      setting of a group, e.g. redis.status=true), DIR/server.argv (NUL
      separated argv) and DIR/ports.env (SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN ...)
  python3 tests/lib/ternkit conf DIR port=P tls_port=T alt_port=A [key=value ...]
      write only DIR/ternd.conf (same keys), whatever TERND or COTURN say
  python3 tests/lib/ternkit ready DIR [SECONDS]    exit 0 once it answers
  python3 tests/lib/ternkit ports N [LOW HIGH] [--hosts H1,H2] [--exclude "P P"]
      N free ports (UDP and TCP on every host; default 10000-16383 on
      127.0.0.1 and ::1), none of the excluded
  python3 tests/lib/ternkit ping udp|tcp HOST PORT [TIMEOUT]
      exit 0 if a Binding success came back
  python3 tests/lib/ternkit request [--fingerprint]
      write one Binding request to stdout
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import ternkit as K  # noqa: E402


def main(argv):
    """Run one command; returns the exit status."""
    if len(argv) >= 2 and argv[0] == "prepare":
        K.prepare(argv[1], dict(kv.partition("=")[::2] for kv in argv[2:]))
        return 0
    if len(argv) >= 2 and argv[0] == "conf":
        os.makedirs(argv[1], exist_ok=True)
        K.write_file(os.path.join(argv[1], "ternd.conf"),
                     K.conf_text(argv[1], dict(kv.partition("=")[::2] for kv in argv[2:])))
        return 0
    if len(argv) >= 2 and argv[0] == "ready":
        return 0 if K.wait_ready(argv[1], float(argv[2]) if len(argv) > 2 else 10.0) else 1
    if len(argv) >= 2 and argv[0] == "ports":
        opts = {"--hosts": "127.0.0.1,::1", "--exclude": ""}
        pos = []
        it = iter(argv[1:])
        for a in it:
            if a in opts:
                opts[a] = next(it, "")
            else:
                pos.append(int(a))
        lo, hi = (pos[1], pos[2]) if len(pos) >= 3 else (10000, 16383)
        print(" ".join(map(str, K.free_ports(pos[0], lo, hi, tuple(opts["--hosts"].split(",")),
                                             [int(p) for p in opts["--exclude"].split()]))))
        return 0
    if len(argv) >= 4 and argv[0] == "ping":
        return 0 if K.ping(argv[1], int(argv[3]), argv[2], float(argv[4]) if len(argv) > 4 else 0.5) else 1
    if argv and argv[0] == "request":
        sys.stdout.buffer.write(K.build(fingerprint="--fingerprint" in argv))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
