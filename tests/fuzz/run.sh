#!/bin/sh
# tests/fuzz/run.sh (make fuzz): run every libFuzzer target for
# FUZZ_SECONDS, starting from its seed corpus. New inputs go to a scratch
# folder, so the committed corpus only changes when someone copies a
# finding in on purpose.
set -u
B=${B:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
rc=0
for f in "$B"/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	scratch=$(mktemp -d)
	echo "fuzz: $n for ${SECS}s"
	if ! "$f" -max_total_time="$SECS" -max_len=65536 -timeout=10 \
	    -artifact_prefix="$B/fuzz/$n-" "$scratch" \
	    "tests/fuzz/corpus/${n#fuzz_}" >"$B/fuzz/$n.log" 2>&1; then
		echo "fuzz: $n FAILED (artifacts: $B/fuzz/$n-*)"
		tail -n 30 "$B/fuzz/$n.log"
		rc=1
	else
		tail -n 1 "$B/fuzz/$n.log"
	fi
	rm -rf "$scratch"
done
exit $rc
