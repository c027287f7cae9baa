#!/usr/bin/env bash
# The classic RFC 3489 client: Debian's `stun` (stun-client 0.97, from Vovida's
# stund). It sends Binding requests without the magic cookie, with CHANGE-REQUEST
# (change IP, change port), to the primary and then to the CHANGED-ADDRESS
# the server reported, and classifies the NAT. On loopback, against a server with
# the alternate address 127.0.0.2 configured, the answer must be "Open" (no NAT):
# that needs MAPPED-ADDRESS right, CHANGED-ADDRESS right, and the CHANGE-REQUEST
# answers really coming from the sibling sockets.
# Negative control: the same client at a port where nothing listens must report
# "Blocked", so the positive checks above cannot pass by accident.
#
# Usage of the client: stun HOST[:PORT] [test] [-v] [-p SRCPORT] [-i IFACE].
# It binds SRCPORT and SRCPORT+1 (random in 16384..32767 if not given).

. "$(dirname "$0")/lib.sh"
: "${TERN_PORT:?run this through run-all}" "${TERN_DIR:?}" "${TERN_ALT_PORT:?}" "${TERN_DEAD_PORT:?}"

out=$TERN_DIR/stun-client.out
timeout 30 stun "127.0.0.1:$TERN_PORT" -v >"$out" 2>&1
rc=$?
echo "stun exit status $rc (it encodes the NAT type, not success)"
cat "$out"

if grep -q "^MappedAddress = 127\.0\.0\.1:[0-9]" "$out"; then
	pass mapped-address-127.0.0.1
else
	fail mapped-address-127.0.0.1 "no 'MappedAddress = 127.0.0.1:port' in stun's output ($out)"
fi

if grep -q "^ChangedAddress = 127\.0\.0\.2:$TERN_ALT_PORT\$" "$out"; then
	pass changed-address-127.0.0.2-alt-port
else
	fail changed-address-127.0.0.2-alt-port "stun saw no 'ChangedAddress = 127.0.0.2:$TERN_ALT_PORT': $(grep -m2 ChangedAddress "$out")"
fi

# SourceAddress lines: this client's "test II" asks for a change of IP only
# (CHANGE-REQUEST 0x04), "test III" for a change of port only (0x02), and its
# "test I(2)" goes to the CHANGED-ADDRESS's IP with the primary port. So the
# answers come from the primary, the alternate IP and the alternate port.
for pair in "primary=127.0.0.1:$TERN_PORT" "alt-ip=127.0.0.2:$TERN_PORT" "alt-port=127.0.0.1:$TERN_ALT_PORT"; do
	n=source-address-${pair%%=*}
	want=${pair#*=}
	if grep -q "^SourceAddress = $want\$" "$out"; then
		pass "$n"
	else
		fail "$n" "no answer with SOURCE-ADDRESS $want: $(grep SourceAddress "$out" | sort -u | tr '\n' ' ')"
	fi
done

# stun's own names: I = plain, II = change IP, III = change port,
# I(2) = plain to the CHANGED-ADDRESS's IP
for tn in "test I" "test II" "test III" "test I(2)"; do
	case $tn in
	"test I") n=test1-plain ;;
	"test II") n=test2-change-ip ;;
	"test III") n=test3-change-port ;;
	*) n=test1-at-changed-address ;;
	esac
	if grep -qF "$tn = 1" "$out"; then
		pass "$n-answered"
	else
		fail "$n-answered" "stun reports '$(grep -m1 -F "$tn =" "$out")'"
	fi
done

if grep -q "^Primary: Open" "$out"; then
	pass nat-type-open
else
	fail nat-type-open "stun's verdict: '$(grep -m1 '^Primary:' "$out")' (expected Open on loopback)"
fi

if grep -q "^hairpin = 1" "$out" && grep -q "^preserver port = 1" "$out"; then
	pass hairpin-and-port-preserved
else
	fail hairpin-and-port-preserved "$(grep -E '^(hairpin|preserver port)' "$out" | tr '\n' ' ')"
fi

# Negative control: nothing listens on the dead port.
dead=$TERN_DIR/stun-client-dead.out
timeout 30 stun "127.0.0.1:$TERN_DEAD_PORT" -v >"$dead" 2>&1
if grep -q "^Primary: Blocked" "$dead" && ! grep -q "^MappedAddress" "$dead"; then
	pass dead-port-reported-blocked
else
	fail dead-port-reported-blocked "against a port where nothing listens stun said: '$(grep -m1 '^Primary:' "$dead")'"
fi

[ "$TERN_FAILED" -eq 0 ]
