#!/usr/bin/env bash
# coturn's turnutils_uclient (50 concurrent TURN clients) relaying through the
# server under test to turnutils_peer (a UDP echo peer on 127.0.0.1), over every
# client transport: UDP, TCP, TLS, DTLS; with channels (ChannelBind + ChannelData,
# uclient's default) and with Send/Data indications (-s); IPv6 (::1 to a ::1
# peer); RTP/RTCP allocation pairs (EVEN-PORT + RESERVATION-TOKEN); TURN REST API
# credentials (-W secret) against a second server in REST mode.
# Every good run must end with exit status 0, every message echoed back
# ("tot_send_msgs=N, tot_recv_msgs=N", "Total lost packets 0 (0.000000%)").
# Negative controls: a wrong password (no allocation: the server holds no new relay
# socket, and a capture shows 401 and no Allocate success), a wrong REST secret,
# and a port where nothing listens.
#
#   TERND=/path/to/ternd tests/interop/turn/t-uclient.sh     (or COTURN=1 ...)
#
# Knobs: UC_CLIENTS (50), UC_MSGS (20 per client), UC_LEN (120 bytes).

# shellcheck source=lib-turn.sh
. "$(dirname "$0")/lib-turn.sh"
turn_init uclient
for tool in turnutils_uclient turnutils_peer ss; do
	command -v "$tool" >/dev/null || tern_die "$tool not found (Debian: coturn iproute2)"
done

CLIENTS=${UC_CLIENTS:-50}
MSGS=${UC_MSGS:-20}
LEN=${UC_LEN:-120}

read -r PEER_PORT PEER6_PORT DEAD_PORT <<<"$(turn_ports 3)"
turn_bg "$TURN_W/peer.log" turnutils_peer -L 127.0.0.1 -p "$PEER_PORT"
PEER_PID=$BG_PID
turn_bg "$TURN_W/peer6.log" turnutils_peer -L ::1 -p "$PEER6_PORT"

# uc NAME SECONDS ARGS...: run turnutils_uclient, output in $TURN_W/NAME.out, UC_RC
uc() {
	local name=$1 secs=$2
	shift 2
	local t0=$SECONDS
	timeout -k 3 "$secs" turnutils_uclient "$@" >"$TURN_W/$name.out" 2>&1
	UC_RC=$?
	echo "# $name: turnutils_uclient $* -> exit $UC_RC in $((SECONDS - t0)) s" >&2
}

# relay NAME SERVER_PORT [uclient flags...]: CLIENTS x MSGS messages through the
# relay and back, none lost.
relay() {
	local name=$1 port=$2
	shift 2
	local peer=127.0.0.1 pport=$PEER_PORT host=127.0.0.1 a
	for a in "$@"; do [ "$a" = -x ] && peer=::1 pport=$PEER6_PORT host=::1; done
	local args=(-m "$CLIENTS" -n "$MSGS" -l "$LEN" -p "$port" -e "$peer" -r "$pport" "$@" "$host")
	uc "$name" 120 "${args[@]}"
	local out=$TURN_W/$name.out want=$((CLIENTS * MSGS))
	# uclient binds a random channel number to the peer's port + 1, then
	# draws another at random for the peer itself; drawing the same one
	# again (1 in 16,384 per client with Debian's 4.6.1, 1 in 4,096 with
	# newer uclients) is refused with 400 as RFC 8656 §12.2 requires, and
	# uclient exits. The server names that conflict
	# (as coturn does), so exactly that refusal gets one fresh run.
	if grep -Eq 'channel bind: error 400 \((Channel number bound to another peer|You cannot use the same channel number with different peer)\)' "$out"; then
		echo "# $name: uclient drew a bound channel number again (400 by RFC 8656 §12.2): once more" >&2
		mv "$out" "$out.collided"
		uc "$name" 120 "${args[@]}"
	fi
	local tot lost errs
	tot=$(grep -Eo 'tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$out" | tail -1)
	lost=$(grep -Eo 'Total lost packets .*' "$out" | tail -1)
	errs=$(grep -c 'ERROR:' "$out")
	local why=""
	[ "$UC_RC" -eq 0 ] || why="exit status $UC_RC"
	[ "$errs" -eq 0 ] || why="${why:+$why; }$errs ERROR line(s): $(grep -m2 'ERROR:' "$out")"
	local first
	# uclient, when an Allocate answer is late (a loaded machine), sends a
	# new Allocate with a fresh transaction id; RFC 8656 §7.2 requires 437
	# for that, and uclient recovers by allocating again ("trying allocate
	# again 437"). That is not an error of the server; every other error
	# code is, and the message count and loss checks below still apply.
	if grep -q 'trying allocate again 437' "$out"; then
		first=$(grep -E ': error [0-9]{3} ' "$out" | grep -v 'error 437 (Allocation Mismatch)' | head -1)
	else
		first=$(grep -m1 -E ': error [0-9]{3} ' "$out")
	fi
	[ -z "$first" ] || why="${why:+$why; }first error: '${first#*: : }'"
	[ "$tot" = "tot_send_msgs=$want, tot_recv_msgs=$want" ] ||
		why="${why:+$why; }expected tot_send_msgs=$want, tot_recv_msgs=$want, got '${tot:-nothing}'"
	case $lost in "Total lost packets 0 (0.000000%)"*) ;; *) why="${why:+$why; }'${lost:-no loss statistics}'" ;; esac
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name" "$why (turnutils_uclient $*; $out)"
	fi
}

# every uclient session comes from 127.0.0.1, and -m 50 with -S (TLS, DTLS)
# holds about 100 connections or sessions at once: lift ternd's per-address
# cap (limits.max_connections_per_address, 64), as an operator with clients
# behind one large NAT would (coturn has no such cap and ignores it)
NOCAP=limits.max_connections_per_address=0
turn_server_start lt users=alice:wonderland "$NOCAP" || turn_finish
LT_PORT=$SRV_PORT LT_TLS=$SRV_TLS_PORT

# ---- wrong password first, while the server holds no allocation at all
auth=(-u alice -w wonderland)
cap=$TURN_W/wrong-password.pcapng
turn_capture_start "$cap" "udp port $SRV_PORT" || cap=
before=$(turn_relay_sockets "$SRV_PID" "$SRV_RELAY_MIN" "$SRV_RELAY_MAX")
uc wrong-password 20 -m 1 -n 5 -c -u alice -w not-the-password -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" 127.0.0.1
sleep 0.5
after=$(turn_relay_sockets "$SRV_PID" "$SRV_RELAY_MIN" "$SRV_RELAY_MAX")
turn_capture_stop
out=$TURN_W/wrong-password.out
if [ "$UC_RC" -ne 0 ] && grep -q 'Cannot complete Allocation' "$out" && ! grep -q 'tot_recv_msgs=[1-9]' "$out"; then
	pass wrong-password-refused
else
	fail wrong-password-refused "turnutils_uclient with a wrong password: exit $UC_RC, expected non-zero and 'Cannot complete Allocation' ($out)"
fi
if [ "$before" -eq "$after" ]; then
	pass wrong-password-no-relay-socket
else
	fail wrong-password-no-relay-socket "server held $before relay sockets in $SRV_RELAY_MIN-$SRV_RELAY_MAX before the wrong-password Allocate, $after after"
fi
if [ -n "$cap" ]; then
	f="udp.srcport == $SRV_PORT && stun"
	n401=$(tshark -r "$cap" -n -d "udp.port==$SRV_PORT,stun" -Y "$f && stun.type == 0x0113 && stun.att.error.class == 4 && stun.att.error == 1" -T fields -e frame.number 2>/dev/null | grep -c .)
	nok=$(tshark -r "$cap" -n -d "udp.port==$SRV_PORT,stun" -Y "$f && stun.type == 0x0103" -T fields -e frame.number 2>/dev/null | grep -c .)
	if [ "$n401" -ge 2 ] && [ "$nok" -eq 0 ]; then
		pass wrong-password-capture-401-only
	else
		fail wrong-password-capture-401-only "capture $cap: $n401 Allocate 401 answers (want >= 2: the challenge and the refusal), $nok Allocate successes (want 0)"
	fi
else
	echo "# tshark capture unavailable: wrong-password-capture-401-only skipped" >&2
fi

# ---- good runs
relay udp-channels "$LT_PORT" -c "${auth[@]}"
# positive control for the socket count above: uclient leaves UDP allocations to
# expire, so they must be visible now
held=$(turn_relay_sockets "$SRV_PID" "$SRV_RELAY_MIN" "$SRV_RELAY_MAX")
if [ "$held" -gt "$after" ]; then
	pass relay-socket-count-sees-allocations
else
	fail relay-socket-count-sees-allocations "after $CLIENTS UDP allocations the server holds $held relay sockets (before: $after): the no-allocation check above proves nothing"
fi
relay udp-send-indications "$LT_PORT" -c -s "${auth[@]}"
relay udp-rtcp-pairs "$LT_PORT" "${auth[@]}"
relay udp-ipv6 "$LT_PORT" -c -x "${auth[@]}"
relay tcp-channels "$LT_PORT" -c -t "${auth[@]}"
relay tcp-send-indications "$LT_PORT" -c -t -s "${auth[@]}"
relay tls "$LT_TLS" -c -t -S "${auth[@]}"
relay dtls "$LT_TLS" -c -S "${auth[@]}"

# ---- nothing listening
uc dead-port 20 -m 1 -n 5 -c "${auth[@]}" -p "$DEAD_PORT" -e 127.0.0.1 -r "$PEER_PORT" 127.0.0.1
if [ "$UC_RC" -ne 0 ] && ! grep -q 'tot_recv_msgs=[1-9]' "$TURN_W/dead-port.out"; then
	pass dead-port-fails
else
	fail dead-port-fails "turnutils_uclient to a port where nothing listens exited $UC_RC"
fi
turn_server_stop lt-server-exit

# ---- TURN REST API credentials (a second server, REST mode)
SECRET=tern-rest-$RANDOM$RANDOM
if turn_server_start rest "secrets=$SECRET,older-secret-$RANDOM" "$NOCAP"; then
	relay rest-udp "$SRV_PORT" -c -u restuser -W "$SECRET"
	relay rest-tcp "$SRV_PORT" -c -t -u restuser -W "$SECRET"
	uc rest-wrong-secret 20 -m 1 -n 5 -c -u restuser -W "not-$SECRET" -p "$SRV_PORT" -e 127.0.0.1 -r "$PEER_PORT" 127.0.0.1
	if [ "$UC_RC" -ne 0 ] && grep -q 'Cannot complete Allocation' "$TURN_W/rest-wrong-secret.out"; then
		pass rest-wrong-secret-refused
	else
		fail rest-wrong-secret-refused "turnutils_uclient -W <wrong secret>: exit $UC_RC ($TURN_W/rest-wrong-secret.out)"
	fi
	turn_server_stop rest-server-exit
fi

_tern_running "$PEER_PID" || fail peer-alive "turnutils_peer died ($TURN_W/peer.log)"
turn_finish
