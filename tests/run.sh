#!/bin/sh
# tests/run.sh: run every test of `make check` and print one line each, then
# "N passed, N failed". Starts what the tests need (Xvfb, a D-Bus session,
# PulseAudio with a null sink) and stops what it started. A test that exits
# 77 is a SKIP: reported by name, never counted as passed; the skipped
# tests are listed again at the end, and with CI=true a skip fails the run.
# A display that does not start is a failure, not a skip.
#
# Environment: B (build folder, default build), REPLAY_B (the build folder
# of the fuzz corpus replays, the sanitizer build under make check), TESTS (space-separated name
# filter: only tests whose name contains one of the words), TEST_TIMEOUT.
set -u
B=${B:-build}
TOP=$(pwd)
export B TOP
export CDESK="$TOP/$B/cdesk"
export PEER="$TOP/$B/tests/peer/peer"
export CDESK_VECTORS="$TOP/tests/data/vectors"
# 600 s: the package test (two builds, lintian, install cycles) takes
# minutes on a loaded 2-core machine, and longer under ASan.
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
WORK=$(mktemp -d /tmp/cdesk-check.XXXXXX)
# Searchable, not listable: the session tests' users reach their test's
# folder below (which the test opens to them itself).
chmod 0711 "$WORK"
export WORK
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
pids=""

[ -f "$TOP/tests/lib.sh" ] && . "$TOP/tests/lib.sh"

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# A headless X display of our own, with RandR, for every test.
if command -v Xvfb >/dev/null 2>&1; then
	exec 3>"$WORK/displayfd"
	Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
	    +extension RANDR +extension DAMAGE >"$WORK/xvfb.log" 2>&1 &
	pids="$pids $!"
	exec 3>&-
	i=0
	while [ ! -s "$WORK/displayfd" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	if [ -s "$WORK/displayfd" ]; then
		DISPLAY=":$(cat "$WORK/displayfd")"
		export DISPLAY
		unset XAUTHORITY WAYLAND_DISPLAY
	else
		no_display="Xvfb did not start: $(tail -n 1 "$WORK/xvfb.log")"
	fi
else
	no_display="Xvfb not found"
fi

# No logind for a server under test unless the test starts one (the
# session tests do): as root, the server would follow the machine's seat.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/no-system-bus"

# A private D-Bus session bus (for the CM's accessibility tests).
if command -v dbus-daemon >/dev/null 2>&1; then
	dbus-daemon --session --fork --nopidfile --nosyslog \
	    --print-address=4 --print-pid=5 4>"$WORK/dbus.addr" \
	    5>"$WORK/dbus.pid" 2>/dev/null
	if [ -s "$WORK/dbus.addr" ]; then
		DBUS_SESSION_BUS_ADDRESS=$(cat "$WORK/dbus.addr")
		export DBUS_SESSION_BUS_ADDRESS
		pids="$pids $(cat "$WORK/dbus.pid")"
	fi
fi

# PulseAudio with a null sink (for the audio tests).
if command -v pulseaudio >/dev/null 2>&1; then
	export XDG_RUNTIME_DIR="$WORK/xdg"
	mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
	export PULSE_RUNTIME_PATH="$XDG_RUNTIME_DIR/pulse"
	pulseaudio -n --daemonize=no --exit-idle-time=-1 --system=false \
	    --disallow-exit -L "module-native-protocol-unix" \
	    -L "module-null-sink sink_name=cdesk_null" \
	    >"$WORK/pulse.log" 2>&1 &
	pids="$pids $!"
fi

passed=0 failed=0 skipped=0 ntest=0
failures="" skips=""
if [ -n "${no_display:-}" ]; then
	echo "FAIL display: $no_display"
	failed=1
	failures=" display"
fi

selected() {
	[ -z "${TESTS:-}" ] && return 0
	for w in $TESTS; do
		case "$1" in *"$w"*) return 0 ;; esac
	done
	return 1
}

# run_test NAME COMMAND...: one PASS/FAIL/SKIP line with seconds; the log
# is printed only on failure.
run_test() {
	name=$1; shift
	selected "$name" || return 0
	log="$WORK/$(echo "$name" | tr '/ ' '__').log"
	# Each test gets a folder of its own as WORK: tests name their files
	# alike (p1.out, mock.log), and a file left by an earlier test can
	# satisfy a wait before a background writer truncates it. A short
	# name, as sockets are made under it.
	ntest=$((ntest + 1))
	tw="$WORK/$ntest"
	mkdir -p "$tw"
	t0=$(date +%s.%N)
	( cd "$TOP" && WORK=$tw && timeout -k 5 "$TEST_TIMEOUT" "$@" ) \
	    >"$log" 2>&1
	rc=$?
	t=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name (${t}s)"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1))
		skips="$skips $name"
		echo "SKIP $name: $(tail -n 1 "$log")"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL $name (${t}s, exit $rc)"
		tail -n 60 "$log" | sed 's/^/    /'
	fi
}

if [ -n "${BENCH:-}" ]; then
	# make bench: benchmark scripts; their output is the result.
	# In a VM with virtio-balloon free page reporting (this project's
	# machines), every 2 MB block the kernel frees goes back to the host,
	# and the next write into it faults on the host: a 256 MiB write into
	# the page cache then ran 2-3x slower in a random share of the rounds
	# (tests/bench/files.sh). A desktop on bare metal has no such host;
	# the benchmarks run without it (an order above the largest block
	# reports nothing), and the setting is put back after.
	pro=/sys/module/page_reporting/parameters/page_reporting_order
	if [ -w "$pro" ] && old_pro=$(cat "$pro") &&
	    echo 11 >"$pro" 2>/dev/null; then
		echo "page reporting held (order $old_pro -> 11) for the benchmarks"
		trap 'echo "$old_pro" >"$pro"; cleanup' EXIT
		trap 'exit 130' INT TERM
	fi
	for bt in tests/bench/*.sh; do
		case "$bt" in tests/bench/run.sh|tests/bench/lib.sh) continue ;; esac
		bn=$(basename "$bt" .sh)
		run_test "bench/$bn" sh "$bt"
		[ -f "$WORK/bench_$bn.log" ] && cat "$WORK/bench_$bn.log"
	done
	echo "$passed passed, $failed failed"
	[ $failed -eq 0 ]
	exit
fi

for t in "$B"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	run_test "unit/$(basename "$t")" "$t"
done
# The corpus replays run from the sanitizer build (REPLAY_B, made by make
# check); a replay program missing there is a failure, not a fallback.
for t in "$B"/tests/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	rt="$TOP/${REPLAY_B:-$B}/tests/fuzz/$n"
	[ -x "$rt" ] || rt="false"
	run_test "fuzz-replay/$n" "$rt" "tests/fuzz/corpus/${n#fuzz_}"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run_test "integration/$(basename "$t" .sh)" sh "$t"
done

if [ -n "$skips" ] && [ "${CI:-}" = true ]; then
	# In CI nothing may go untested quietly.
	failed=$((failed + skipped))
	failures="$failures$skips"
fi
[ -n "$failures" ] && echo "failed:$failures"
[ -n "$skips" ] && echo "skipped:$skips"
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
