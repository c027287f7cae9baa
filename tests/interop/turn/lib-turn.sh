# shellcheck shell=bash
# Helpers for the TURN interop tests (sourced by tests/interop/turn/t-*.sh).
#
# Everything listens on and talks to loopback only (127.0.0.1, ::1).
# The server under test comes from the environment (see tests/lib/ternkit/server.py):
#   TERND=/path/to/ternd   or   COTURN=1   (coturn's turnserver, the reference)
# Each test starts its own servers and helpers on ports picked at run time and
# kills everything it started on exit, failure included.
#
# Output: one line per check on stdout, "PASS name" / "FAIL name: why" (lib.sh's
# pass/fail/check); the test exits non-zero when any check failed.

TURN_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$TURN_HERE/../lib.sh"
TURN_PY=${TURN_PY:-python3}
TURN_PIDS=()

# turn_init NAME: check names become NAME/..., work dir $TURN_W, certificate,
# cleanup trap.
turn_init() {
	# shellcheck disable=SC2034 # read by lib.sh's pass/fail
	TERN_TEST=t-$1.sh
	local base=${TURN_WORK:-}
	if [ -n "$base" ]; then
		TURN_W=$base/$1
		mkdir -p "$TURN_W"
		TURN_OWN_WORK=
	else
		TURN_W=$(mktemp -d "/tmp/tern-turn-$1.XXXXXX")
		TURN_OWN_WORK=1
	fi
	if [ -z "${TURN_CERT_DIR:-}" ] || [ ! -f "$TURN_CERT_DIR/cert.pem" ]; then
		tern_cert "$TURN_W"
		TURN_CERT_DIR=$TURN_W
	fi
	export TURN_CERT_DIR
	TURN_IMPL=$(PYTHONPATH=$TERN_KIT/.. "$TURN_PY" -c 'import ternkit; print(ternkit.impl())') || exit 2
	export TURN_IMPL
	trap turn_cleanup EXIT
	trap 'exit 130' INT TERM
}

# turn_bg LOG CMD...: run CMD in the background (stdout+stderr to LOG), remember
# its pid for cleanup; BG_PID is set.
turn_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	TURN_PIDS+=("$BG_PID")
}

# turn_kill PID [SIGNAL]: signal (TERM by default) one process we started, wait up
# to 5 s, then KILL. Sets KILL_RC to its exit status.
turn_kill() {
	local pid=$1 sig=${2:-TERM} i
	KILL_RC=
	[ -n "$pid" ] || return 0
	{
		kill -"$sig" "$pid"
		for i in $(seq 1 50); do
			_tern_running "$pid" || break
			sleep 0.1
		done
		_tern_running "$pid" && kill -KILL "$pid"
		wait "$pid"
		# shellcheck disable=SC2034 # for callers
		KILL_RC=$?
	} 2>/dev/null
}

turn_cleanup() {
	local rc=$? pid
	for pid in "${TURN_PIDS[@]}"; do
		if _tern_running "$pid"; then
			{
				kill -TERM "$pid"
				sleep 0.2
				kill -KILL "$pid"
				wait "$pid"
			} 2>/dev/null
		fi
	done
	if [ -n "${TURN_OWN_WORK:-}" ]; then
		if [ "${TERN_FAILED:-0}" -gt 0 ] || [ "${TERN_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
			echo "# logs kept in $TURN_W" >&2
		else
			rm -rf "$TURN_W"
		fi
	fi
}

# turn_finish: exit status of the test
turn_finish() {
	[ "${TERN_FAILED:-0}" -eq 0 ] && [ "${TERN_PASSED:-0}" -gt 0 ]
	exit $?
}

# turn_ports N: N free loopback ports -> stdout
turn_ports() {
	"$TURN_PY" "$TERN_KIT" ports "$1"
}

# turn_server_start TAG [key=value ...]: start the server under test with its
# config in $TURN_W/TAG (options: see tests/lib/ternkit/server.py) and wait until it answers.
# Sets SRV_PID SRV_PORT SRV_TLS_PORT SRV_RELAY_MIN SRV_RELAY_MAX SRV_LOG SRV_DIR
# SRV_REALM SRV_IMPL. Records FAIL TAG-start and returns 1 if it never got ready.
turn_server_start() {
	local tag=$1
	shift
	local d=$TURN_W/$tag
	mkdir -p "$d"
	if ! "$TURN_PY" "$TERN_KIT" prepare "$d" "$@" 2>"$d/prepare.err"; then
		fail "$tag-start" "could not prepare the server config: $(cat "$d/prepare.err")"
		return 1
	fi
	# shellcheck disable=SC1091
	. "$d/ports.env"
	local argv=()
	mapfile -d '' -t argv <"$d/server.argv"
	"${argv[@]}" >>"$SRV_LOG" 2>&1 </dev/null &
	SRV_PID=$!
	TURN_PIDS+=("$SRV_PID")
	local i
	for i in $(seq 1 100); do
		if ! _tern_running "$SRV_PID"; then
			wait "$SRV_PID"
			fail "$tag-start" "$SRV_IMPL exited with status $? while starting; log $SRV_LOG: $(tail -5 "$SRV_LOG")"
			SRV_PID=
			return 1
		fi
		if "$TURN_PY" "$TERN_KIT" ready "$d" 0.3 2>>"$d/ready.err"; then
			echo "# $SRV_IMPL ($tag) up: udp/tcp 127.0.0.1:$SRV_PORT tls/dtls :$SRV_TLS_PORT relay $SRV_RELAY_MIN-$SRV_RELAY_MAX" >&2
			return 0
		fi
		sleep 0.1
	done
	fail "$tag-start" "$SRV_IMPL did not answer a Binding on 127.0.0.1:$SRV_PORT within 10+ s; log: $(tail -5 "$SRV_LOG")"
	return 1
}

# turn_server_stop NAME: SIGTERM the current server; one check NAME: it must have
# been running, exit cleanly (ternd: status 0; coturn dies by the signal) and
# leave no sanitizer report in its log.
turn_server_stop() {
	local pid=${SRV_PID:-}
	[ -n "$pid" ] || return 0
	SRV_PID=
	tern_stop_process "$1" "$pid" "$SRV_LOG" "$SRV_IMPL"
}

# turn_relay_sockets PID LO HI: how many UDP/TCP sockets PID holds on a local
# port in LO..HI (its relay sockets = its allocations' relayed addresses).
turn_relay_sockets() {
	local pid=$1 lo=$2 hi=$3
	ss -H -uatnp 2>/dev/null | awk -v pid="pid=$pid," -v lo="$lo" -v hi="$hi" '
		index($0, pid) {
			n = split($5, a, ":"); p = a[n] + 0
			if (p >= lo && p <= hi) c++
		}
		END { print c + 0 }'
}

# turn_capture_start FILE FILTER: tshark on lo (root) -> CAP_PID; returns 1 if
# tshark is missing or could not start.
turn_capture_start() {
	local file=$1 filter=$2
	CAP_PID=
	command -v tshark >/dev/null || return 1
	tshark -i lo -n -q -f "$filter" -w "$file" >"$file.log" 2>&1 </dev/null &
	CAP_PID=$!
	TURN_PIDS+=("$CAP_PID")
	for _ in $(seq 1 100); do
		grep -q "Capturing on" "$file.log" 2>/dev/null && return 0
		_tern_running "$CAP_PID" || break
		sleep 0.1
	done
	turn_kill "$CAP_PID"
	CAP_PID=
	return 1
}

turn_capture_stop() {
	[ -n "${CAP_PID:-}" ] || return 0
	sleep 0.3
	turn_kill "$CAP_PID" INT
	CAP_PID=
}
