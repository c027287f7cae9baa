#!/usr/bin/python3
"""scripts/bench-signal still runs, small and bounded: 50 clients connect,
name themselves, exchange targeted and chat messages and close, and
tern-signal exits 0 on SIGTERM afterwards (the figures are not judged; the
1,000-client run is docs/BENCHMARKS.md's).

  TERN_SIGNAL=/path/to/tern-signal tests/signal/t-bench-smoke.py
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigkit as S  # noqa: E402

R = S.K.Reporter("signal/bench-smoke")


def run():
    build = os.path.dirname(os.path.dirname(os.path.dirname(S.binary())))
    script = os.path.join(S.HERE, "..", "..", "scripts", "bench-signal")
    p = subprocess.run([script, "--build", build, "--clients", "50", "--timeout", "60"],
                       capture_output=True, text=True, timeout=90)
    out = p.stdout + p.stderr
    R.check("bench-signal-50-clients", p.returncode == 0 and "all closed" in out
            and "tern-signal exited 0" in out, "rc %d: %s" % (p.returncode, out[-300:]))


if __name__ == "__main__":
    sys.exit(S.K.main_guarded(R, run))
