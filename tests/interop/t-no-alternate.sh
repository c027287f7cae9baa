#!/usr/bin/env bash
# The common deployment: one address, no RFC 5780 alternate. Real clients must
# still get their mapped address:
#  - Debian's `stun` (RFC 3489) sends CHANGE-REQUEST with no flag in its plain
#    test I, and CHANGE-REQUEST(IP) / (port) in tests II and III. Test I must be
#    answered with MAPPED-ADDRESS; tests II and III may be refused (420).
#  - coturn's turnutils_stunclient: plain Binding answered, no OTHER-ADDRESS (so
#    it does not go on to RFC 5780 tests the server cannot serve).
# ternd-config: alternate=

. "$(dirname "$0")/lib.sh"
: "${TERN_PORT:?run this through run-all}" "${TERN_DIR:?}"

out=$TERN_DIR/stun-client.out
timeout 30 stun "127.0.0.1:$TERN_PORT" -v >"$out" 2>&1
cat "$out"
if grep -q "^MappedAddress = 127\.0\.0\.1:[0-9]" "$out"; then
	pass stun-client-mapped-address
else
	fail stun-client-mapped-address "the classic client got no MAPPED-ADDRESS from a server without an alternate: $(grep -m2 -E '^(ErrorCode|Unknown attribute)' "$out" | tr '\n' ' ')"
fi
if grep -q "^Primary: Blocked" "$out"; then
	fail stun-client-not-blocked "stun's verdict: '$(grep -m1 '^Primary:' "$out")'"
else
	pass stun-client-not-blocked
fi
if grep -q "^ChangedAddress = 127\.0\.0\.2" "$out"; then
	fail stun-client-no-alternate-advertised "CHANGED-ADDRESS names 127.0.0.2 though no alternate is configured"
else
	pass stun-client-no-alternate-advertised
fi

sc=$TERN_DIR/stunclient.out
timeout 10 turnutils_stunclient -p "$TERN_PORT" 127.0.0.1 >"$sc" 2>&1
cat "$sc"
if grep -qF "UDP reflexive addr: 127.0.0.1:" "$sc"; then
	pass turnutils-stunclient-reflexive-address
else
	fail turnutils-stunclient-reflexive-address "no reflexive address: $(tail -2 "$sc")"
fi
if grep -qF "Other addr" "$sc"; then
	fail turnutils-stunclient-no-other-address "OTHER-ADDRESS sent though no alternate is configured: $(grep -m1 'Other addr' "$sc")"
else
	pass turnutils-stunclient-no-other-address
fi

[ "$TERN_FAILED" -eq 0 ]
