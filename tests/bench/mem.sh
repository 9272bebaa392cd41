# Memory of `cdesk --server` on a 1920x1080 Xvfb (make bench): RSS and
# PSS idle (no viewer), with one VP9 viewer and with two of the same
# display, and after they left, each with where the bytes are (tests/bench/smaps.py: the heap,
# thread arenas, mappings of their own, thread stacks, files). The
# viewers watch the painter's MEM_MODE workload (video: the whole screen
# changes, the encoder's worst case) and are sampled after MEM_WARM s.
# Targets (issue 16): one viewer at most 64 MB, each further one at most
# 16 MB more.
set -u
. "$TOP/tests/lib.sh"
WARM=${MEM_WARM:-6}
SECS=4
MODE=${MEM_MODE:-video}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
D="$WORK/mem-bench"
mkdir -p "$D"
. "$TOP/tests/bench/lib.sh"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    { echo "cannot build painter"; exit 1; }
bench_xvfb
DIR=$(cdesk_dir mem)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
"$CDESK" --config "$DIR" --server >"$DIR/out" 2>"$DIR/log" &
SERVER_PID=$!
trap 'kill $SERVER_PID $XPID 2>/dev/null' EXIT
until grep -q '^READY' "$DIR/out" 2>/dev/null; do sleep 0.05; done
PORT=$(sed -n 's/^READY //p' "$DIR/out")
SM="$TOP/tests/bench/smaps.py"

# The idle figure once the start-up (warm encoder, probes) has settled.
sleep 2
$PY "$SM" "$SERVER_PID" "idle"

# viewers N: N VP9 peers on the painted display; smaps after WARM s.
viewers() {
	paint "$MODE" $((WARM + SECS + 1)) "$D/p.log"
	ps=""
	i=0
	while [ "$i" -lt "$1" ]; do
		"$PEER" -p "$PORT" -w Secret-42 -c vp9 \
		    bench-video "$WARM" "$SECS" - >"$D/peer.$i" 2>&1 &
		ps="$ps $!"
		i=$((i + 1))
	done
	sleep "$WARM"
	$PY "$SM" "$SERVER_PID" "$1 vp9 viewer(s), $MODE" | tee "$D/v$1"
	for p in $ps; do wait "$p" || echo "peer $p failed: $(tail -2 "$D/peer.0")"; done
	wait $PPID_
}
viewers 1
viewers 2
# After the last viewer left, its encoder stays warm (svc_video.c
# vspare_*: trimmed, then replaced by a fresh one after 30 s).
sleep 3
$PY "$SM" "$SERVER_PID" "3 s after the viewers left"
r1=$(sed -n '1s/.*: RSS \([0-9.]*\) MB.*/\1/p' "$D/v1")
r2=$(sed -n '1s/.*: RSS \([0-9.]*\) MB.*/\1/p' "$D/v2")
awk -v a="$r1" -v b="$r2" 'BEGIN { printf "one viewer %.1f MB (target 64), the second +%.1f MB (target 16)\n", a, b - a }'
