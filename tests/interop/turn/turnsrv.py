#!/usr/bin/env python3
"""The old name of the server launcher, kept for the scripts that still use
it (tests/bench/run, tests/probe/run, tests/fuzz/capture-seeds,
scripts/bench-compare, tests/ops until it moves): everything here is
tests/lib/ternkit's (server.py, net.py), nothing is a copy.

Command line, as before:
  turnsrv.py prepare DIR [key=value ...]   (options: tests/lib/ternkit/server.py)
  turnsrv.py ready DIR [SECONDS]
  turnsrv.py ports N
"""

import os
import random  # noqa: F401  tests/ops/t-admin-metrics.py uses turnsrv.random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from ternkit import (COTURN_DENY, LOOPBACK_ALLOW, EchoPeer, Server, free_ports, impl,  # noqa: E402,F401
                     is_ready, prepare, stop_proc, wait_ready)
from ternkit.__main__ import main as _kit_main  # noqa: E402
from ternkit.net import _taken  # noqa: E402,F401
from ternkit.stun import ping  # noqa: E402


def stunmsg_ping(proto, p):
    """A Binding over proto to 127.0.0.1:p answered (ternkit.ping)."""
    return ping(proto, p)


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("prepare", "ready", "ports"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(_kit_main(sys.argv[1:]))
