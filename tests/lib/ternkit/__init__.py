"""ternkit: the one test kit of tern's real-peer suites (tests/interop,
tests/interop/turn, tests/hardening, tests/ops). Standard library only (the
aiortc test runs it under Debian's /usr/bin/python3); loopback only.

Import it with one line from a test file, e.g. in tests/hardening/t-x.py:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    import ternkit as K

Modules (everything is also re-exported here):
  report  Reporter: "PASS name" / "FAIL name: why" / "SKIP name: why" lines,
          exceptions reported as FAIL, closing line "N passed, M failed,
          K skipped", exit status non-zero on a failure or when nothing ran
  stun    the independent STUN/TURN codec: build/message/parse/Resp,
          MESSAGE-INTEGRITY, FINGERPRINT, addresses, Binding checks, ping
  turn    TurnClient / TcpTurnClient (401 dance, Allocate, Refresh,
          CreatePermission, ChannelBind, Send, ChannelData) and helpers
  server  Server: ternd (or coturn) config, start, readiness, stop, logs,
          sanitizer check, /metrics; prepare() for the shell tests; Env:
          what tests/interop/run-all tells its tests
  net     free_ports, wait_for, pdeathsig, as_user, spawn, stop_proc, on_sigterm,
          make_cert, Work, EchoPeer; http_request / http_get: one HTTP
          request on loopback, (status, headers, body)
Command line (for shell tests): python3 tests/lib/ternkit ...  (see __main__.py)
"""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree (make dist)

from .report import Reporter, main_guarded, note, one_line, summary_line, summary_status, tally  # noqa: E402,F401
from .stun import *  # noqa: E402,F401,F403
from .stun import Resp, StunError, attr, fmt, is_error, is_success, ping  # noqa: E402,F401
from .turn import (PASSWORD, USER, Client, TcpClient, TcpTurnClient, TurnClient,  # noqa: E402,F401
                   challenge, channel_data, client, data_indication_peer, parse_data_indication,
                   relayed, send_indication)
from .server import (COTURN_DENY, LOOPBACK_ALLOW, SANITIZER_RE, Env, Server, conf_text, conf_value,  # noqa: E402,F401
                     impl, is_ready, metric_sum, parse_metrics, prepare, read_info, read_metrics,
                     wait_ready, write_file)
from .net import (EchoPeer, Work, as_user, ensure_cert, free_ports, free_window, http_get,  # noqa: E402,F401
                  http_request, make_cert, on_sigterm, pdeathsig, port_free, ports_bindable, spawn,
                  stop_proc, wait_for)
