#!/usr/bin/env python3
"""The old name of the STUN codec, kept for the scripts that still use it
(tests/package/run, tests/interop/admin/run): everything here is
tests/lib/ternkit's (stun.py), nothing is a copy.

Command line, as before:
  stunmsg.py ping udp|tcp HOST PORT [TIMEOUT]   exit 0 if a Binding success came back
  stunmsg.py request [--fingerprint]            write one Binding request to stdout
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from ternkit.stun import *  # noqa: E402,F401,F403
from ternkit.__main__ import main as _kit_main  # noqa: E402

if __name__ == "__main__":
    if not sys.argv[1:] or sys.argv[1] not in ("ping", "request"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(_kit_main(sys.argv[1:]))
