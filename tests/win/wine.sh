# wine.sh: what the tests of the Windows host (tests/integration/win*.sh)
# share; sourced after tests/lib.sh.

# win_build NAME: the toolchain (installed if missing, never skipped) and
# make win, its logs in $WORK/NAME-*.log; prints how long make win took.
win_build() {
	sh packaging/deps.sh --win >"$WORK/$1-deps.log" 2>&1 ||
	    fail "packaging/deps.sh --win: $(tail -n 3 "$WORK/$1-deps.log")"
	wb_t0=$(date +%s)
	# Not the variables of a calling make, which reach us in MAKEFLAGS and
	# the environment (make asan's sanitizer flags would reach the mingw
	# link): the Windows build is always the plain one.
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u XCFLAGS -u XLDFLAGS \
	    -u OPT -u HARDEN \
	    make --no-print-directory win >"$WORK/$1-build.log" 2>&1 ||
	    fail "make win: $(tail -n 20 "$WORK/$1-build.log")"
	echo "make win: $(($(date +%s) - wb_t0)) s"
}

# wine_env NAME: sets WINE, WINESERVER and a wine prefix of the test's own
# ($WORK/NAME, exported with WINEDEBUG).
wine_env() {
	WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
	[ -x "$WINE" ] || fail "no wine64"
	WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
	WINEPREFIX="$WORK/$1"
	WINEDEBUG=-all
	export WINEPREFIX WINEDEBUG
}

# wine_stop: stops the host ($WPID) and every process of the prefix (by
# the prefix, not by name), and removes the prefix.
wine_stop() {
	[ -n "${WPID:-}" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	WPID=
	"$WINESERVER" -k 2>/dev/null
	rm -rf "$WINEPREFIX"
}

# wine_host NAME [LINE...]: $EXE --server under wine with direct access on
# a port of the test's (cdesk_dir NAME: DIR, PORT) and the permanent
# password Secret-42, its pid in WPID; returns once it says READY. LINEs
# ("key = value") go to the admin's file DIR/admin.conf, which locks them.
wine_host() {
	DIR=$(cdesk_dir "$1")
	PORT=$(cat "$DIR/port")
	shift
	if [ $# -gt 0 ]; then
		echo "[options]" >"$DIR/admin.conf"
		printf '%s\n' "$@" >>"$DIR/admin.conf"
	fi
	"$WINE" "$EXE" --config "$DIR" --password 'Secret-42' >/dev/null 2>&1 ||
	    fail "--password"
	"$WINE" "$EXE" --config "$DIR" -v --server >"$DIR/out" 2>"$DIR/log" &
	WPID=$!
	wait_for "$DIR/out" '^READY' "the host under wine did not start" 1200
}
