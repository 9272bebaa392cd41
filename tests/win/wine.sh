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

# drive_build: tests/win/cm_drive.c, the driver of the Win32 windows, into
# $WORK/cm_drive.exe.
drive_build() {
	x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 -I"$TOP" \
	    tests/win/cm_drive.c -o "$WORK/cm_drive.exe" || fail "cm_drive.c"
}

# drive_start [ui]: the driver (of the CM, or with ui of the main window)
# reading commands from a fifo on fd 4; DPID is its pid.
drive_start() {
	mkfifo "$WORK/drv.in"
	"$WINE" "$WORK/cm_drive.exe" "$@" <"$WORK/drv.in" >"$WORK/drv.out" \
	    2>&1 &
	DPID=$!
	exec 4>"$WORK/drv.in"
	wait_for "$WORK/drv.out" '^READY' "cm_drive.exe did not start" 1200
	N=0
}

# drive VERB ARGS: one driver command; fails the test on its FAIL.
drive() {
	N=$((N + 1))
	echo "$N $*" >&4
	wait_for "$WORK/drv.out" "^$N (OK|FAIL)" "no answer to '$*'" 1600
	grep -q "^$N FAIL" "$WORK/drv.out" &&
	    fail "$(grep "^$N FAIL" "$WORK/drv.out" | tr -d '\r')"
	return 0
}
