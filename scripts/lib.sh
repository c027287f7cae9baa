# scripts/lib.sh — shared by scripts/run and scripts/test: install what is
# missing, bootstrap autotools, configure and build out of tree.
# Source it; it defines functions and TOP.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# say: a step's heading, with the minutes and seconds since the script began
say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# setup_deps: the Debian packages (idempotent; fast when all are present).
setup_deps() {
	"$TOP/scripts/install-deps"
}

# bootstrap: generate configure when it is missing or older than its inputs.
bootstrap() {
	if [ ! -x "$TOP/configure" ] || [ "$TOP/configure.ac" -nt "$TOP/configure" ] ||
		[ "$TOP/Makefile.am" -nt "$TOP/Makefile.in" ]; then
		say "autoreconf"
		(cd "$TOP" && autoreconf -fi >/dev/null) || die "autoreconf failed"
	fi
}

# build DIR [configure args...]: configure (once per set of args) and make.
build() {
	local dir=$1
	shift
	local stamp="$dir/.configure-args"
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$*" ]; then
		say "configure $* (in ${dir#"$TOP"/})"
		(cd "$dir" && "$TOP/configure" "$@" >configure.out 2>&1) ||
			{ tail -20 "$dir/configure.out"; die "configure failed"; }
		echo "$*" >"$stamp"
	fi
	say "make (in ${dir#"$TOP"/})"
	make -C "$dir" -j"$(nproc)" >"$dir/make.out" 2>&1 ||
		{ grep -E 'error|Error' "$dir/make.out" | head -30; die "build failed (log: $dir/make.out)"; }
}

# ensure_cert DIR: a self-signed certificate for local TLS and DTLS.
ensure_cert() {
	local dir=$1
	if [ ! -s "$dir/ternd.crt" ] || [ ! -s "$dir/ternd.key" ]; then
		say "generating a self-signed certificate in ${dir#"$TOP"/}"
		"$TOP/scripts/gen-cert" "$dir"
	fi
}
