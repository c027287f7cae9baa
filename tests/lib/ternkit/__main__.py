"""Command line of the kit, for shell tests and scripts:

  python3 tests/lib/ternkit prepare DIR [key=value ...]
      write the server config (see server.py), DIR/server.argv (NUL separated
      argv) and DIR/ports.env (SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN ...)
  python3 tests/lib/ternkit ready DIR [SECONDS]    exit 0 once it answers
  python3 tests/lib/ternkit ports N                N free loopback ports
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
    if len(argv) >= 2 and argv[0] == "ready":
        return 0 if K.wait_ready(argv[1], float(argv[2]) if len(argv) > 2 else 10.0) else 1
    if len(argv) == 2 and argv[0] == "ports":
        print(" ".join(map(str, K.free_ports(int(argv[1])))))
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
