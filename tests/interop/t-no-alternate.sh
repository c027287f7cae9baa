#!/usr/bin/env bash
# The common deployment: one address, no RFC 5780 alternate. Real clients must
# still get their mapped address:
#  - Debian's `stun` (RFC 3489) sends CHANGE-REQUEST with no flag in its plain
#    test I, and CHANGE-REQUEST(IP) / (port) in tests II and III. Test I must be
#    answered with MAPPED-ADDRESS; tests II and III may be refused (420).
#  - coturn's turnutils_stunclient: plain Binding answered, no OTHER-ADDRESS (so
#    it does not go on to RFC 5780 tests the server cannot serve).
# The "no CHANGED-ADDRESS / no OTHER-ADDRESS / not Blocked" checks would pass
# on empty output, so each also needs the client's output to be there (its
# mapped address, its verdict), and a positive control runs the same clients,
# with the same patterns, against a second server that HAS an alternate
# (127.0.0.2): there they must see it.
# ternd-config: alternate=

. "$(dirname "$0")/lib.sh"
: "${TERN_PORT:?run this through run-all}" "${TERN_DIR:?}" "${TERN_WORK:?}"

# the patterns, shared by the checks and their positive controls
CHANGED_ALT='^ChangedAddress = 127\.0\.0\.2:[0-9]'
OTHER_ADDR='Other addr'

out=$TERN_DIR/stun-client.out
timeout 30 stun "127.0.0.1:$TERN_PORT" -v >"$out" 2>&1
cat "$out"
if grep -q "^MappedAddress = 127\.0\.0\.1:[0-9]" "$out"; then
	pass stun-client-mapped-address
else
	fail stun-client-mapped-address "the classic client got no MAPPED-ADDRESS from a server without an alternate: $(grep -m2 -E '^(ErrorCode|Unknown attribute)' "$out" | tr '\n' ' ')"
fi
if ! grep -q "^Primary: " "$out"; then
	fail stun-client-not-blocked "stun printed no 'Primary:' verdict: $(tail -2 "$out")"
elif grep -q "^Primary: Blocked" "$out"; then
	fail stun-client-not-blocked "stun's verdict: '$(grep -m1 '^Primary:' "$out")'"
else
	pass stun-client-not-blocked
fi
if ! grep -q "^MappedAddress = " "$out"; then
	fail stun-client-no-alternate-advertised "no answer was parsed (no MappedAddress line), so the absence of CHANGED-ADDRESS proves nothing"
elif grep -q "$CHANGED_ALT" "$out"; then
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
if ! grep -qF "UDP reflexive addr: " "$sc"; then
	fail turnutils-stunclient-no-other-address "no answer was parsed (no reflexive address), so the absence of OTHER-ADDRESS proves nothing"
elif grep -qF "$OTHER_ADDR" "$sc"; then
	fail turnutils-stunclient-no-other-address "OTHER-ADDRESS sent though no alternate is configured: $(grep -m1 "$OTHER_ADDR" "$sc")"
else
	pass turnutils-stunclient-no-other-address
fi

# ---- positive control: a server WITH the alternate 127.0.0.2, same clients, same patterns
ctl=$TERN_WORK/no-alternate-control # ../cert.pem is run-all's certificate
mkdir -p "$ctl"
read -r cp ct ca cs <<<"$(tern_free_ports 4)"
tern_write_config "$ctl" "$cp" "$ct" "$ca" alternate=127.0.0.2
if tern_start "$ctl" "$cp" "$ct" "$ca" "$cs"; then
	cout=$ctl/stun-client.out
	timeout 30 stun "127.0.0.1:$cp" -v >"$cout" 2>&1
	if grep -q "$CHANGED_ALT" "$cout" && grep -q "^Primary: " "$cout" && ! grep -q "^Primary: Blocked" "$cout"; then
		pass control-stun-client-sees-changed-address
	else
		fail control-stun-client-sees-changed-address "with an alternate configured, stun's output has no '$CHANGED_ALT' or no verdict (the checks above cannot tell absence from a broken parse): $(grep -m2 -E '^(ChangedAddress|Primary)' "$cout" | tr '\n' ' ')"
	fi
	csc=$ctl/stunclient.out
	timeout 10 turnutils_stunclient -p "$cp" 127.0.0.1 >"$csc" 2>&1
	if grep -qF "$OTHER_ADDR" "$csc" && grep -qF "UDP reflexive addr: 127.0.0.1:" "$csc"; then
		pass control-turnutils-stunclient-sees-other-address
	else
		fail control-turnutils-stunclient-sees-other-address "with an alternate configured, turnutils_stunclient printed no '$OTHER_ADDR': $(tail -2 "$csc")"
	fi
	tern_stop control-server-exit
fi

[ "$TERN_FAILED" -eq 0 ]
