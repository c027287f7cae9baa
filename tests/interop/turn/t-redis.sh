#!/usr/bin/env bash
# Credentials from a real Redis (coturn's keys), and a Redis outage.
#
# The relay runs use Send indications (-s): channels are t-uclient.sh's business.
# A redis-server started here (127.0.0.1, a private port, no persistence, temp
# dir); the server under test with auth.store = "redis" pointing at it.
#   - a user written with SET turn/realm/<realm>/user/<user>/key <hex MD5 key>
#     authenticates: turnutils_uclient relays through it (10 clients, no loss);
#     a wrong password and a user Redis does not know are refused
#   - a user added while the server runs works at once
#   - REST mode (a second server instance, auth.rest = true with store redis):
#     a secret added with SADD turn/realm/<realm>/secret works with uclient -W
#   - outage: a running uclient relay (about 10 s) keeps flowing with no loss while
#     redis-server is killed under it; meanwhile a new Allocate for a user never
#     seen before (so no cache can answer) fails with a clear error, not silence
#     (ternd: exactly 500 "Credential store unavailable", as documented),
#     and the server stays up; redis-server restarted on the same port (keys
#     written again: no persistence) -> new allocations work again within 30 s,
#     8 in a row from fresh 5-tuples (so on every worker); the time is printed
#
#   TERND=/path/to/ternd tests/interop/turn/t-redis.sh     (or COTURN=1 ...)

# shellcheck source=lib-turn.sh
. "$(dirname "$0")/lib-turn.sh"
turn_init redis
for tool in redis-server redis-cli turnutils_uclient turnutils_peer; do
	command -v "$tool" >/dev/null || tern_die "$tool not found (Debian: redis-server redis-tools coturn)"
done
REALM=tern.test
read -r RPORT PEER_PORT <<<"$(turn_ports 2)"
mkdir -p "$TURN_W/redis"

redis_start() {
	turn_bg "$TURN_W/redis/redis-$1.log" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$TURN_W/redis" --protected-mode yes
	REDIS_PID=$BG_PID
	for _ in $(seq 1 50); do
		[ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}
rcli() { redis-cli -p "$RPORT" "$@" >/dev/null; }
md5key() { printf '%s' "$1:$REALM:$2" | md5sum | cut -d' ' -f1; }
set_user() { rcli SET "turn/realm/$REALM/user/$1/key" "$(md5key "$1" "$2")"; }
probe() { # USER PASS [--rest-secret S] -> PROBE (its output), status
	PROBE=$("$TURN_PY" "$TURN_HERE/turnprobe.py" "$SRV_PORT" "$@" 2>&1)
}

# uc NAME CLIENTS MSGS ARGS...: a relay run that must lose nothing
uc_ok() {
	local name=$1 m=$2 n=$3
	shift 3
	local out=$TURN_W/$name.out
	timeout -k 3 90 turnutils_uclient -m "$m" -n "$n" -l 120 -c -s -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" "$@" 127.0.0.1 >"$out" 2>&1
	local rc=$? want=$((m * n))
	if [ "$rc" -eq 0 ] && grep -q "tot_send_msgs=$want, tot_recv_msgs=$want\$" "$out" &&
		grep -q 'Total lost packets 0 (0.000000%)' "$out"; then
		pass "$name"
	else
		fail "$name" "turnutils_uclient $* (exit $rc): $(grep -E 'tot_send_msgs=[0-9]+, tot_recv|Total lost|ERROR' "$out" | tail -2) ($out)"
	fi
}
uc_refused() {
	local name=$1
	shift
	timeout -k 3 30 turnutils_uclient -m 1 -n 3 -c -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" "$@" 127.0.0.1 >"$TURN_W/$name.out" 2>&1
	local rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'Cannot complete Allocation' "$TURN_W/$name.out"; then
		pass "$name"
	else
		fail "$name" "turnutils_uclient $* should be refused: exit $rc ($TURN_W/$name.out)"
	fi
}

redis_start first || {
	fail redis-start "redis-server did not answer PING on 127.0.0.1:$RPORT: $(tail -3 "$TURN_W/redis/redis-first.log")"
	turn_finish
}
turn_bg "$TURN_W/peer.log" turnutils_peer -L 127.0.0.1 -p "$PEER_PORT"
set_user alice wonderland
set_user carol never-used-before-outage

# ---------------------------------------------------------------- long-term users
turn_server_start lt store=redis "redis_port=$RPORT" || turn_finish
uc_ok redis-user-relay 10 10 -u alice -w wonderland
uc_refused redis-user-wrong-password -u alice -w not-wonderland
uc_refused redis-unknown-user -u mallory -w wonderland
set_user bob added-while-running
uc_ok redis-user-added-while-running 2 10 -u bob -w added-while-running

# ---------------------------------------------------------------- outage
# about 10 s of relaying: 5 clients x 250 messages every 40 ms
timeout -k 3 90 turnutils_uclient -m 5 -n 250 -z 40 -l 120 -c -s -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" \
	-u alice -w wonderland 127.0.0.1 >"$TURN_W/outage-run.out" 2>&1 &
UC_PID=$!
TURN_PIDS+=("$UC_PID")
# wait until it is relaying (its periodic report shows received messages), <= 15 s
for _ in $(seq 1 150); do
	grep -q 'tot_recv_msgs=[1-9]' "$TURN_W/outage-run.out" && break
	_tern_running "$UC_PID" || break
	sleep 0.1
done
turn_kill "$REDIS_PID" KILL
echo "# redis-server killed at $(date +%T.%N)" >&2
sleep 0.5
t0=$(date +%s.%N)
probe carol never-used-before-outage
rc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
echo "# Allocate for carol while Redis is down: '$PROBE' after ${secs} s" >&2
case $PROBE in
ok) fail new-allocation-fails-while-redis-down "an Allocate for carol (never looked up before) succeeded while Redis was down" ;;
"no answer") fail new-allocation-fails-while-redis-down "no answer at all to an Allocate while Redis is down (want a clear error response)" ;;
error*) pass new-allocation-fails-while-redis-down ;;
*) fail new-allocation-fails-while-redis-down "turnprobe: $PROBE (status $rc)" ;;
esac
# the documented answer (docs/SECURITY.md): code 500 AND its reason phrase
if [ "$TURN_IMPL" = ternd ]; then
	check error-is-500-credential-store-unavailable \
		"an Allocate while Redis is down got '$PROBE', want 'error 500 Credential store unavailable'" \
		[ "$PROBE" = "error 500 Credential store unavailable" ]
else
	skip error-is-500-credential-store-unavailable "ternd's documented answer; $TURN_IMPL words its own"
fi
timeout -k 3 30 turnutils_uclient -m 1 -n 3 -c -s -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" \
	-u carol -w never-used-before-outage 127.0.0.1 >"$TURN_W/uclient-while-down.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && ! grep -q 'tot_recv_msgs=[1-9]' "$TURN_W/uclient-while-down.out"; then
	pass uclient-refused-while-redis-down
	echo "# uclient while Redis is down: $(grep -m1 -iE 'error' "$TURN_W/uclient-while-down.out")" >&2
else
	fail uclient-refused-while-redis-down "turnutils_uclient for carol while Redis is down: exit $rc ($TURN_W/uclient-while-down.out)"
fi
if _tern_running "$SRV_PID"; then pass server-up-while-redis-down; else fail server-up-while-redis-down "the server died when Redis went away"; fi

wait "$UC_PID"
rc=$?
out=$TURN_W/outage-run.out
if [ "$rc" -eq 0 ] && grep -q 'tot_send_msgs=1250, tot_recv_msgs=1250$' "$out" &&
	grep -q 'Total lost packets 0 (0.000000%)' "$out"; then
	pass running-relay-survives-redis-outage
else
	fail running-relay-survives-redis-outage "uclient run across the outage: exit $rc, $(grep -E 'tot_send_msgs=[0-9]+, tot_recv|Total lost' "$out" | tail -2) ($out)"
fi

# ---------------------------------------------------------------- recovery
redis_start second || fail redis-restart "redis-server did not come back on :$RPORT"
set_user alice wonderland
set_user carol never-used-before-outage
t0=$(date +%s.%N)
recovered=
for _ in $(seq 1 40); do
	# 8 Allocates from fresh 5-tuples: every worker must have its Redis back
	if probe carol never-used-before-outage --count 8; then
		recovered=$(echo "$(date +%s.%N) - $t0" | bc)
		break
	fi
	sleep 0.5
	[ "$(echo "$(date +%s.%N) - $t0 > 30" | bc)" = 1 ] && break
done
if [ -n "$recovered" ]; then
	echo "# new allocations work again ${recovered} s after redis-server came back" >&2
	echo "# recovery-time $recovered s" >"$TURN_W/recovery-time"
	pass recovers-after-redis-restart
else
	fail recovers-after-redis-restart "8 Allocates in a row (fresh 5-tuples) did not all succeed within 30 s after redis-server came back (last: $PROBE)"
fi
uc_ok relay-after-redis-restart 2 10 -u carol -w never-used-before-outage
turn_server_stop lt-server-exit

# ---------------------------------------------------------------- REST secrets in Redis
SECRET=tern-redis-secret-$RANDOM$RANDOM
rcli SADD "turn/realm/$REALM/secret" "$SECRET"
rcli SADD "turn/realm/$REALM/secret" "another-secret-$RANDOM"
if turn_server_start rest store=redis "redis_port=$RPORT" rest=1; then
	uc_ok redis-rest-secret-relay 10 10 -u restuser -W "$SECRET"
	uc_refused redis-rest-wrong-secret -u restuser -W "not-$SECRET"
	NEW=tern-rotated-$RANDOM
	rcli SADD "turn/realm/$REALM/secret" "$NEW"
	probe restuser x --rest-secret "$NEW"
	if [ "$PROBE" = ok ]; then
		pass redis-rest-secret-added-while-running
	else
		# a cache (cache_ttl) may hold the old set: allow it that long, bounded
		for _ in $(seq 1 35); do
			sleep 1
			probe restuser x --rest-secret "$NEW" && break
		done
		if [ "$PROBE" = ok ]; then
			pass redis-rest-secret-added-while-running
		else
			fail redis-rest-secret-added-while-running "a secret added with SADD is not accepted within 35 s: $PROBE"
		fi
	fi
	turn_server_stop rest-server-exit
fi
turn_finish
