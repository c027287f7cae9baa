#!/usr/bin/env bash
# Headless Chromium through the TURN server under test (see turn-call.js):
# a relay-only call over turn:...?transport=udp, then ?transport=tcp, then a
# wrong password that must not connect.
#
#   TERND=/path/to/ternd tests/interop/browser/t-browser.sh     (or COTURN=1 ...)
#
# Needs: node, /usr/bin/chromium (Debian: nodejs npm chromium) and
# tests/interop/browser/node_modules (npm ci --no-audit --no-fund; done here
# when missing).

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../turn/lib-turn.sh
. "$HERE/../turn/lib-turn.sh"
turn_init browser

command -v node >/dev/null || tern_die "node not found (Debian: nodejs)"
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
	(cd "$HERE" && timeout 300 npm ci --no-audit --no-fund >"$TURN_W/npm-ci.log" 2>&1) ||
		fail npm-ci "npm ci in $HERE failed: $(tail -3 "$TURN_W/npm-ci.log")"
fi

turn_server_start srv users=alice:wonderland || turn_finish
mkdir -p "$TURN_W/calls"
timeout -k 5 240 node "$HERE/turn-call.js" --port "$SRV_PORT" --user alice --pass wonderland \
	--timeout "${BROWSER_TIMEOUT:-30}" --logdir "$TURN_W/calls" >"$TURN_W/turn-call.out" 2>"$TURN_W/turn-call.log"
rc=$?
before=$TERN_FAILED
# turn-call.js prints PASS/FAIL lines itself: count them here
while IFS= read -r line; do
	case $line in
	PASS\ browser/*) pass "${line#PASS browser/}" ;;
	FAIL\ browser/*)
		rest=${line#FAIL browser/}
		fail "${rest%%: *}" "${rest#*: }"
		;;
	esac
done <"$TURN_W/turn-call.out"
if [ "$rc" -ne 0 ] && [ "$TERN_FAILED" -eq "$before" ]; then
	fail turn-call "node turn-call.js exited $rc without a FAIL line: $(tail -3 "$TURN_W/turn-call.log")"
fi
turn_server_stop server-exit
turn_finish
