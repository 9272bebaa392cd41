#!/bin/sh
# tests/fuzz/run.sh (make fuzz): run every libFuzzer target, starting from
# its seed corpus, for FUZZ_SECONDS each or, with FUZZ_RUNS set, for that
# many executions (a campaign: `make fuzz FUZZ_RUNS=10000000`). New inputs
# go to $B/fuzz/corpus/NAME, kept between runs so coverage builds up; the
# committed corpus only changes when someone copies a finding in on purpose.
# FUZZ_TARGETS (names without fuzz_) picks targets. Each target's last
# libFuzzer line (executions, coverage, corpus size, exec/s) is printed and
# appended to $B/fuzz/summary.txt. FUZZ_FLAGS adds libFuzzer flags, e.g.
# -entropic=0: on the conn target (thousands of features per input) the
# entropic scheduler's bookkeeping took half the time. Don't pause a
# running target (SIGSTOP): libFuzzer's -timeout counts wall time and
# reports the input it was on as a timeout once it runs again. fuzz_conn
# runs in a network namespace of its own when it may (root): its tunnels
# reach only its own echo server (tests/fuzz/netns_echo.h).
set -u
B=${B:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
RUNS=${FUZZ_RUNS:-}
rc=0
for f in "$B"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	if [ -n "${FUZZ_TARGETS:-}" ]; then
		case " $FUZZ_TARGETS " in
		*" ${n#fuzz_} "*) ;;
		*) continue ;;
		esac
	fi
	keep="$B/fuzz/corpus/${n#fuzz_}"
	mkdir -p "$keep"
	if [ -n "$RUNS" ]; then
		limit="-runs=$RUNS"
		echo "fuzz: $n for $RUNS executions"
	else
		limit="-max_total_time=$SECS"
		echo "fuzz: $n for ${SECS}s"
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
	if ! "$f" "$limit" ${FUZZ_FLAGS:-} -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$B/fuzz/$n-" "$keep" \
	    "tests/fuzz/corpus/${n#fuzz_}" >"$B/fuzz/$n.log" 2>&1; then
		echo "fuzz: $n FAILED (artifacts: $B/fuzz/$n-*)"
		tail -n 30 "$B/fuzz/$n.log"
		rc=1
	fi
	line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' \
	    "$B/fuzz/$n.log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$B/fuzz/$n.log")
	echo "$n: ${execs:-?} executions in $(( $(date +%s) - start )) s;" \
	    "last: $line" | tee -a "$B/fuzz/summary.txt"
done
exit $rc
