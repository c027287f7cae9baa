#!/usr/bin/env bash
# coturn's STUN clients against the server over UDP.
#
# turnutils_stunclient [-p PORT] [-L LOCAL] [-f] HOST: one plain Binding; when the
# answer carries OTHER-ADDRESS (RFC 5780) it goes on with two more:
#   2: CHANGE-REQUEST(ip+port) + RESPONSE-PORT = its port+1 (answer must come from
#      127.0.0.2:alt and arrive at the other port),
#   3: CHANGE-REQUEST(ip+port) + 1500 bytes of PADDING from port+1.
# turnutils_natdiscovery -m -f: RFC 5780 mapping and filtering behaviour discovery;
# on loopback both must come out endpoint-independent.
# Over ::1 (no alternate configured there) only the plain Binding is expected.
# Negative control: the same clients at a port where nothing listens get no
# reflexive address (turnutils_stunclient would wait forever: bounded by timeout).
# Checks that would pass on empty output (no error lines, no reflexive address
# from the dead port) also need the live answer parsed with the same pattern.

. "$(dirname "$0")/lib.sh"
: "${TERN_PORT:?run this through run-all}" "${TERN_DIR:?}" "${TERN_ALT_PORT:?}" "${TERN_DEAD_PORT:?}"

run() { # NAME SECONDS CMD...: output to $TERN_DIR/NAME.out
	local name=$1 secs=$2
	shift 2
	timeout "$secs" "$@" >"$TERN_DIR/$name.out" 2>&1
	local rc=$?
	echo "== $* (exit $rc)"
	cat "$TERN_DIR/$name.out"
	return $rc
}

has() { grep -qF -- "$2" "$TERN_DIR/$1.out"; }

# ---- IPv4, plain Binding + RFC 5780 follow-ups
run sc4 10 turnutils_stunclient -p "$TERN_PORT" 127.0.0.1
if has sc4 "UDP reflexive addr: 127.0.0.1:"; then
	pass ipv4-reflexive-address
else
	fail ipv4-reflexive-address "no 'UDP reflexive addr: 127.0.0.1:port' ($TERN_DIR/sc4.out)"
fi
if has sc4 "Other addr: : 127.0.0.2:$TERN_ALT_PORT"; then
	pass ipv4-other-address
else
	fail ipv4-other-address "no OTHER-ADDRESS 127.0.0.2:$TERN_ALT_PORT in the answer"
fi
if has sc4 "Response origin: : 127.0.0.1:$TERN_PORT"; then
	pass ipv4-response-origin
else
	fail ipv4-response-origin "no RESPONSE-ORIGIN 127.0.0.1:$TERN_PORT in the first answer"
fi
# answer 2 (CHANGE-REQUEST + RESPONSE-PORT) and 3 (CHANGE-REQUEST + PADDING)
n_alt=$(grep -cF "Response origin: : 127.0.0.2:$TERN_ALT_PORT" "$TERN_DIR/sc4.out")
if has sc4 "RFC 5780 response 2" && [ "$n_alt" -ge 1 ]; then
	pass change-request-with-response-port
else
	fail change-request-with-response-port "no second answer from 127.0.0.2:$TERN_ALT_PORT (CHANGE-REQUEST + RESPONSE-PORT)"
fi
if has sc4 "RFC 5780 response 3" && [ "$n_alt" -ge 2 ]; then
	pass change-request-with-padding
else
	fail change-request-with-padding "no third answer from 127.0.0.2:$TERN_ALT_PORT (CHANGE-REQUEST + PADDING): $(grep -m1 -i error "$TERN_DIR/sc4.out")"
fi
if ! has sc4 "UDP reflexive addr: "; then
	fail no-error-answers "no answer was parsed (no reflexive address), so the absence of error lines proves nothing"
elif has sc4 "error" || has sc4 "not a"; then
	fail no-error-answers "$(grep -m1 -iE 'error|not a' "$TERN_DIR/sc4.out")"
else
	pass no-error-answers
fi

# ---- RFC 5780 NAT behaviour discovery
run nd4 20 turnutils_natdiscovery -m -f -p "$TERN_PORT" 127.0.0.1
if has nd4 "NAT with Endpoint Independent Mapping!"; then
	pass natdiscovery-endpoint-independent-mapping
else
	fail natdiscovery-endpoint-independent-mapping "$(grep -m1 -iE 'mapping|error' "$TERN_DIR/nd4.out")"
fi
if has nd4 "NAT with Endpoint Independent Filtering!"; then
	pass natdiscovery-endpoint-independent-filtering
else
	fail natdiscovery-endpoint-independent-filtering "$(grep -m1 -iE 'filtering|error' "$TERN_DIR/nd4.out")"
fi

run nd4p 20 turnutils_natdiscovery -H -P -p "$TERN_PORT" 127.0.0.1
if has nd4p "RFC 5780 response" && ! has nd4p "error"; then
	pass natdiscovery-hairpin-with-padding
else
	fail natdiscovery-hairpin-with-padding "$(grep -m1 -iE 'error|hairpin' "$TERN_DIR/nd4p.out")"
fi

# ---- IPv6
run sc6 10 turnutils_stunclient -p "$TERN_PORT" ::1
if has sc6 "UDP reflexive addr: ::1:"; then
	pass ipv6-reflexive-address
else
	fail ipv6-reflexive-address "no 'UDP reflexive addr: ::1:port' ($TERN_DIR/sc6.out)"
fi
# ---- negative control
run dead 3 turnutils_stunclient -p "$TERN_DEAD_PORT" 127.0.0.1
if ! has sc4 "reflexive addr"; then
	# positive control: the pattern must match this client's answer from the live port
	fail dead-port-no-answer "the live port's answer has no 'reflexive addr' either: the pattern cannot tell"
elif has dead "reflexive addr"; then
	fail dead-port-no-answer "a reflexive address from a port where nothing listens?"
else
	pass dead-port-no-answer
fi

[ "$TERN_FAILED" -eq 0 ]
