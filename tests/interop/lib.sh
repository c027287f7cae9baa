# shellcheck shell=bash
# Shared helpers for the interop suite (sourced by run-all and the t-*.sh tests).
#
# Everything here talks to loopback only (127.0.0.1, 127.0.0.2, ::1).
#
# Results: every check appends one line, "PASS name", "FAIL name: why" or
# "SKIP name: why", to $TERN_RESULTS (run-all counts that file) and echoes it.
#
# Also sourced by tests/interop/turn/lib-turn.sh: keep pass, fail, skip, check,
# tern_cert, tern_die, tern_sanitizer_report, _tern_running, TERN_PASSED,
# TERN_FAILED and the TERN_TEST naming stable.

TERN_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TERN_PY=${TERN_PY:-python3}
TERN_KIT=$TERN_LIB_DIR/../lib/ternkit # the test kit; its command line: __main__.py

# ------------------------------------------------------------------ results

# pass, fail, skip, check, tern_tally, tern_summary: the one reporter's shell
# side (tests/lib/report.sh, same lines as tests/lib/ternkit/report.py)
# shellcheck source=../lib/report.sh
. "$TERN_LIB_DIR/../lib/report.sh"

tern_die() {
	echo "interop: $*" >&2
	exit 2
}

# ------------------------------------------------------------------ ports

# tern_free_ports N [LOW HIGH]: print N distinct ports, each free for both UDP and
# TCP on 127.0.0.1, 127.0.0.2 and ::1 right now. Taken from LOW..HIGH (default
# 10000..16383: below the kernel's ephemeral range and below the range the stun
# client picks its own source ports from), skipping $TERN_USED_PORTS.
tern_free_ports() {
	"$TERN_PY" "$TERN_KIT" ports "$1" "${2:-10000}" "${3:-16383}" --hosts 127.0.0.1,127.0.0.2,::1 \
		--exclude "${TERN_USED_PORTS:-}"
}

# ------------------------------------------------------------------ certificate

# tern_cert DIR: a throwaway self-signed P-256 certificate (DIR/cert.pem, DIR/key.pem).
# The certificate is its own CA: clients verify against DIR/cert.pem.
tern_cert() {
	local dir=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1 \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl-req.log" 2>&1 ||
		tern_die "openssl req failed: $(cat "$dir/openssl-req.log")"
}

# ------------------------------------------------------------------ config

# tern_write_config DIR PORT TLS_PORT ALT_PORT [key=value ...] -> DIR/ternd.conf
# Keys: workers, rfc3489, software, level, alternate (address, or "" for none),
# udp, tcp, tls, dtls (0 disables), and any limits.* field by its bare name.
# Written by the kit (ternkit conf: a STUN server, no auth and no relay);
# the defaults are here, where TERN_FRAME_TIMEOUT etc. are taken from.
tern_write_config() {
	local dir=$1 p=$2 t=$3 a=$4
	shift 4
	local -A o=([workers]=2 [rfc3489]=true [software]=tern [level]=info [alternate]=127.0.0.2
		[udp]=$p [tcp]=$p [tls]=$t [dtls]=$t
		[max_connections]=4096 [idle_timeout]=300 [frame_timeout]=10 [handshake_timeout]=10
		[dtls_max_sessions]=4096 [udp_batch]=32 [log_interval]=10)
	local kv k args=()
	for kv in "$@"; do o[${kv%%=*}]=${kv#*=}; done
	for k in "${!o[@]}"; do
		case $k in
		workers | rfc3489 | software | level | alternate) args+=("$k=${o[$k]}") ;;
		udp | tcp | tls | dtls) args+=("ports.$k=${o[$k]}") ;;
		*) args+=("limits.$k=${o[$k]}") ;;
		esac
	done
	"$TERN_PY" "$TERN_KIT" conf "$dir" stun_only=1 port="$p" tls_port="$t" alt_port="$a" ports.alternate="$a" \
		cert="$dir/../cert.pem" key="$dir/../key.pem" "${args[@]}" ||
		tern_die "could not write $dir/ternd.conf"
	# so tests know what they run against
	TERN_FRAME_TIMEOUT=${o[frame_timeout]}
	TERN_MAX_CONNECTIONS=${o[max_connections]}
	TERN_SOFTWARE=${o[software]}
	export TERN_FRAME_TIMEOUT TERN_MAX_CONNECTIONS TERN_SOFTWARE
}

# ------------------------------------------------------------------ server

# tern_start DIR PORT TLS_PORT ALT_PORT [SPARE_PORT]
# Starts the server under test in the background (ternd -c DIR/ternd.conf, or coturn
# when TERN_IMPL=coturn), stderr to DIR/server.log, and waits until it answers a
# Binding over UDP and accepts TCP connections on PORT and TLS_PORT.
# Sets TERN_PID. Returns non-zero (and records a FAIL) if it never got ready.
tern_start() {
	local dir=$1 p=$2 t=$3 a=$4 spare=${5:-0}
	TERN_SERVER_LOG=$dir/server.log
	if [ "${TERN_IMPL:-ternd}" = coturn ]; then
		# Reference server, used to validate the suite itself. Without an
		# alternate in the config: one IPv4 address and no RFC 5780.
		local alt_args=(--listening-ip=127.0.0.2)
		if [ -f "$dir/ternd.conf" ] && ! grep -q 'alternate = "' "$dir/ternd.conf"; then
			alt_args=(--no-rfc5780)
		fi
		# shellcheck disable=SC2086
		turnserver -n --no-cli --no-auth --log-file=stdout --simple-log \
			--pidfile="$dir/turnserver.pid" \
			--listening-ip=127.0.0.1 --listening-ip=::1 "${alt_args[@]}" \
			--relay-ip=127.0.0.1 \
			--listening-port="$p" --alt-listening-port="$a" \
			--tls-listening-port="$t" --alt-tls-listening-port="$spare" \
			--cert="$dir/../cert.pem" --pkey="$dir/../key.pem" \
			${TERN_COTURN_ARGS:-} >"$TERN_SERVER_LOG" 2>&1 & # word splitting wanted
	else
		"$TERND" -c "$dir/ternd.conf" >"$dir/server.stdout" 2>"$TERN_SERVER_LOG" &
	fi
	TERN_PID=$!
	# what to wait for: the transports the config enables (0 disables)
	local cu=$p ct=$p cs=$t
	if [ -f "$dir/ternd.conf" ] && [ "${TERN_IMPL:-ternd}" != coturn ]; then
		cu=$(sed -n 's/^ports = .* udp = \([0-9]*\);.*/\1/p' "$dir/ternd.conf")
		ct=$(sed -n 's/^ports = .* tcp = \([0-9]*\);.*/\1/p' "$dir/ternd.conf")
		cs=$(sed -n 's/^ports = .* tls = \([0-9]*\);.*/\1/p' "$dir/ternd.conf")
	fi
	for _ in $(seq 1 100); do
		if ! _tern_running "$TERN_PID"; then
			wait "$TERN_PID"
			local rc=$?
			fail "server-start" "server exited with status $rc while starting; log: $(tail -5 "$TERN_SERVER_LOG")"
			TERN_PID=
			return 1
		fi
		if { [ "$cu" = 0 ] || "$TERN_PY" "$TERN_KIT" ping udp 127.0.0.1 "$cu" 0.1; } &&
			{ [ "$ct" = 0 ] || "$TERN_PY" "$TERN_KIT" ping tcp 127.0.0.1 "$ct" 0.2; } &&
			{ [ "$cs" = 0 ] || _tern_tcp_open 127.0.0.1 "$cs"; }; then
			return 0
		fi
		sleep 0.1
	done
	fail "server-start" "server did not answer a Binding on 127.0.0.1:$p (udp+tcp) and accept on :$t within 10+ s; log: $(tail -5 "$TERN_SERVER_LOG")"
	return 1
}

_tern_tcp_open() {
	"$TERN_PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5).close()' "$1" "$2" 2>/dev/null
}

# tern_sanitizer_report FILE: print sanitizer reports found in FILE (empty if none)
tern_sanitizer_report() {
	grep -E -m5 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$1" 2>/dev/null
}

# tern_stop_process NAME PID LOG IMPL: SIGTERM a server this shell started,
# wait (10 s, then SIGKILL), and record one check NAME: it must still have been
# running, must exit with status 0 on SIGTERM (coturn, IMPL=coturn, dies by the
# signal: 143 is its normal), and LOG must hold no sanitizer report.
tern_stop_process() {
	local name=$1 pid=$2 log=$3 impl=$4 why="" rc san
	if ! _tern_running "$pid"; then
		wait "$pid"
		why="server died during the test (status $?)"
	else
		kill -TERM "$pid"
		for _ in $(seq 1 100); do
			_tern_running "$pid" || break
			sleep 0.1
		done
		if _tern_running "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid"
			why="server still running 10 s after SIGTERM (killed)"
		else
			wait "$pid"
			rc=$?
			if [ "$rc" -ne 0 ] && ! { [ "$impl" = coturn ] && [ "$rc" -eq 143 ]; }; then
				why="server exited with status $rc after SIGTERM"
			fi
		fi
	fi
	san=$(tern_sanitizer_report "$log")
	[ -n "$san" ] && why="${why:+$why; }sanitizer report in $log: $san"
	if [ -n "$why" ]; then fail "$name" "$why"; else pass "$name"; fi
}

# tern_stop [NAME]: stop the server tern_start started (see tern_stop_process).
tern_stop() {
	local pid=${TERN_PID:-}
	[ -n "$pid" ] || return 0
	TERN_PID=
	tern_stop_process "${1:-server-exit}" "$pid" "$TERN_SERVER_LOG" "${TERN_IMPL:-ternd}"
}

# tern_alive: is the server still running?
tern_alive() {
	[ -n "${TERN_PID:-}" ] && _tern_running "$TERN_PID"
}

# _tern_running PID: alive and not a zombie
_tern_running() {
	kill -0 "$1" 2>/dev/null || return 1
	case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 1 ;; esac
	return 0
}
