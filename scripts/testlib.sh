# scripts/testlib.sh — how scripts/test adds up its results. Source it after
# lib.sh. It fails closed: a step counts as passed only when it says so in
# the expected words AND exits 0, and a step that ran nothing is a failure.
# tests/harness/run checks these functions with a crashing unit binary, an
# empty suite, a suite without its summary and one whose exit status
# contradicts its count.

passed=0
failed=0
skipped=0
failures=()

# count N_PASS N_FAIL NAME [N_SKIP]: add a step's results to the totals.
count() {
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + ${4:-0}))
	[ "$2" -eq 0 ] || failures+=("$3")
}

# step NAME CMD...: a check that passes or fails as a whole.
step() {
	local name=$1
	shift
	say "$name"
	if "$@"; then count 1 0 "$name"; else
		echo "FAIL: $name"
		count 0 1 "$name"
	fi
}

# criterion_counts LOG: "PASSED FAILED SKIPPED" from a criterion log's
# Synthesis line (failing and crashing tests are failures; criterion lists
# skipped tests as [SKIP] lines and leaves them out of Tested). Returns 1,
# printing nothing, when the log has no Synthesis line: the binary crashed,
# was killed or never started (a sanitizer that stops it at start-up).
criterion_counts() {
	local line p f c s
	line=$(grep -a 'Synthesis:' "$1" | tail -1)
	[[ $line =~ Passing:\ ([0-9]+).*Failing:\ ([0-9]+).*Crashing:\ ([0-9]+) ]] || return 1
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]}
	s=$(grep -ac '\[SKIP\]' "$1")
	echo "$p $((f + c)) $s"
}

# unit DIR: make check, then every test program's criterion log. A log
# without its summary, a program automake's driver marked FAIL or ERROR
# (a leak reported after the summary), a failing make check with no test
# named, and a run with no test at all are each a failure.
unit() {
	local dir=$1 p=0 f=0 s=0 n=0 log counts trs
	local name="unit tests in ${dir#"$TOP"/}"
	say "unit tests (${dir#"$TOP"/})"
	# a log left by an earlier run must not stand in for a program that
	# no longer builds or runs
	rm -f "$dir"/tests/unit/*/test-*.log "$dir"/tests/unit/*/test-*.trs
	make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1
	local rc=$?
	for log in "$dir"/tests/unit/*/test-*.log; do
		[ -f "$log" ] || continue
		n=$((n + 1))
		if ! counts=$(criterion_counts "$log"); then
			echo "  ${log#"$dir"/}: FAIL: no criterion summary (crashed, killed or did not start)"
			tail -5 "$log" | sed 's/^/    /'
			f=$((f + 1))
			continue
		fi
		read -r tp tf ts <<<"$counts"
		echo "  ${log#"$dir"/}: $tp passed, $tf failed, $ts skipped"
		trs="${log%.log}.trs"
		if [ "$tf" -eq 0 ] && grep -qaE '^:test-result: (FAIL|ERROR)' "$trs" 2>/dev/null; then
			echo "  ${log#"$dir"/}: FAIL: the program exited non-zero after its summary"
			tail -5 "$log" | sed 's/^/    /'
			tf=1
		fi
		p=$((p + tp)) f=$((f + tf)) s=$((s + ts))
	done
	if [ $rc -ne 0 ] && [ $f -eq 0 ]; then
		echo "  FAIL: make check exited $rc"
		grep -aE 'FAIL|ERROR|error' "$dir/check.out" | head -20
		f=1
	fi
	if [ $((n + p + f)) -eq 0 ] || [ $((p + f)) -eq 0 ]; then
		echo "  FAIL: no unit test ran"
		f=$((f + 1))
	fi
	count $p $f "$name" $s
}

# account OUT RC NAME: add up a suite from its output file and exit
# status. The closing line is "N passed, M failed" with an optional
# ", K skipped"; a missing closing line, a suite that ran nothing, or an
# exit status that disagrees with "0 failed" is a failure.
account() {
	local out=$1 rc=$2 name=$3 line p f s
	line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -1)
	if [[ ! $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		echo "FAIL: $name: no 'N passed, M failed' line (exit status $rc)"
		count 0 1 "$name: no summary (exit status $rc)"
		return
	fi
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
	if [ $((p + f)) -eq 0 ]; then
		echo "FAIL: $name: ran no check"
		count 0 1 "$name: ran no check" "$s"
		return
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name: exit status $rc although it counted no failure"
		f=1
	fi
	count "$p" "$f" "$name" "$s"
}

# suite RUNNER TERND_BINARY LABEL: one real-peer suite, its output shown
# and kept in LABEL.out, then added up by account().
suite() {
	local runner=$1 out="$3.out"
	mkdir -p "$(dirname "$out")"
	TERND=$2 "$runner" 2>&1 | tee "$out"
	account "$out" "${PIPESTATUS[0]}" "$3"
}

# totals: the closing lines; returns 1 when anything failed.
totals() {
	echo
	if [ ${#failures[@]} -gt 0 ]; then
		echo "failed:"
		printf '  - %s\n' "${failures[@]}"
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}
