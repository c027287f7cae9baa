# shellcheck shell=bash
# The shell side of the one reporter (tests/lib/ternkit/report.py): same
# lines, same closing line. Sourced by tests/interop/lib.sh and the runners.
#
#   pass NAME            -> PASS NAME
#   fail NAME WHY...     -> FAIL NAME: WHY      (one line, never an empty why)
#   skip NAME WHY...     -> SKIP NAME: WHY
#   check NAME WHY CMD.. -> PASS NAME if CMD succeeds, else FAIL NAME: WHY
#   tern_tally FILE      -> "P F S": PASS/FAIL/SKIP lines in FILE
#   tern_summary FILE    -> prints "N passed, M failed, K skipped" for FILE;
#                           returns 1 when M > 0 or nothing ran (N + M == 0)
#
# Names get the prefix tern_name gives them (TERN_TEST t-foo.sh -> foo/NAME).
# Lines go to stdout and, when TERN_RESULTS is set, are appended there.

: "${TERN_PASSED:=0}" "${TERN_FAILED:=0}" "${TERN_SKIPPED:=0}"

_tern_record() {
	echo "$1"
	if [ -n "${TERN_RESULTS:-}" ]; then echo "$1" >>"$TERN_RESULTS"; fi
}

# Check names are prefixed with the test's short name (t-streams.py -> streams/).
_tern_name() {
	local t=${TERN_TEST:-}
	t=${t#t-}
	t=${t%.*}
	if [ -n "$t" ]; then echo "$t/$1"; else echo "$1"; fi
}

_tern_why() {
	local why
	why=$(printf '%s' "$*" | tr '\n\t' '  ' | tr -s ' ')
	why=${why# }
	echo "${why:-no reason given}"
}

pass() {
	TERN_PASSED=$((TERN_PASSED + 1))
	_tern_record "PASS $(_tern_name "$1")"
}

fail() {
	local n=$1
	shift
	TERN_FAILED=$((TERN_FAILED + 1))
	_tern_record "FAIL $(_tern_name "$n"): $(_tern_why "$*")"
}

skip() {
	local n=$1
	shift
	TERN_SKIPPED=$((TERN_SKIPPED + 1))
	_tern_record "SKIP $(_tern_name "$n"): $(_tern_why "$*")"
}

check() {
	local n=$1 why=$2
	shift 2
	if "$@"; then pass "$n"; else fail "$n" "$why"; fi
}

tern_tally() {
	local p f s
	p=$(grep -c '^PASS ' "$1" 2>/dev/null)
	f=$(grep -c '^FAIL ' "$1" 2>/dev/null)
	s=$(grep -c '^SKIP ' "$1" 2>/dev/null)
	echo "${p:-0} ${f:-0} ${s:-0}"
}

tern_summary() {
	local p f s
	read -r p f s <<<"$(tern_tally "$1")"
	echo "$p passed, $f failed, $s skipped"
	[ "$f" -eq 0 ] && [ $((p + f)) -gt 0 ]
}
