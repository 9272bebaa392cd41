# Garbage flood: 10 good viewers watch the painter's typing at 30 Hz, first
# alone, then while JUNK_C (30) hostile clients connect again and again
# sending garbage, half frames, unparsable frames and oversized headers,
# beside JUNK_IDLE (60) logged-in idle sessions: 30 % of the connections
# are hostile. Each viewer's longest wait between two pictures is measured;
# with the flood it must stay under JUNK_GAP_MS (100), and within
# JUNK_SLACK_MS of the run without it. tests/integration/junk.sh is the
# short version.
. "$TOP/tests/lib.sh"
NV=${JUNK_VIEWERS:-10}
C=${JUNK_C:-30}
IDLE=${JUNK_IDLE:-60}
SECS=${JUNK_SECS:-15}
GAP_MS=${JUNK_GAP_MS:-100}
SLACK_MS=${JUNK_SLACK_MS:-1000000}
D="$WORK/junk.d"
mkdir -p "$D"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    fail "cannot build painter"
DIR=$(cdesk_dir junk)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
"$CDESK" --config "$DIR" --server >"$DIR/out" 2>"$DIR/log" &
SERVER_PID=$!
wait_for "$DIR/out" '^READY' "server start"
PORT=$(sed -n 's/^READY //p' "$DIR/out")
"$D/painter" -m typing -r 30 -d $((4 * SECS + 60)) -l "$D/p.log" \
    >"$D/painter.out" 2>&1 &
PAINTER=$!
trap 'kill $PAINTER $IDLEP $JUNKP 2>/dev/null' EXIT
wait_for "$D/painter.out" '^READY' "painter"
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

# view TAG: NV viewers for SECS; prints their result line.
view() {
	c0=$(cpu)
	"$PEER" -p "$PORT" -w Secret-42 view "$NV" "$SECS" >"$D/$1.out" 2>&1
	c1=$(cpu)
	v=$(grep '^VIEW' "$D/$1.out")
	echo "$1: $v alive=$(sed -n 's/^ALIVE //p' "$D/$1.out") server CPU $(((c1 - c0) * 100 / hz / (SECS + 2))) %"
	expect_match "$(grep '^ALIVE' "$D/$1.out")" "^ALIVE $NV of $NV" "$1: viewers dropped"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
view alone
gap0=$(sed -n 's/.*maxgap=\([0-9]*\)ms.*/\1/p' "$D/alone.out")

"$PEER" -p "$PORT" -w Secret-42 swarm "$IDLE" $((3 * SECS + 30)) 4 \
    >"$D/idle.out" 2>&1 &
IDLEP=$!
wait_for "$D/idle.out" '^HELD' "the idle sessions" 600
"$PEER" -p "$PORT" junk "$C" $((SECS + 20)) >"$D/junk.out" 2>&1 &
JUNKP=$!
sleep 2
view flood
gap1=$(sed -n 's/.*maxgap=\([0-9]*\)ms.*/\1/p' "$D/flood.out")
wait $JUNKP
cat "$D/junk.out"
echo "hostile share: $C of $((C + IDLE + NV)) connections"
kill $IDLEP 2>/dev/null
wait $IDLEP 2>/dev/null
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "longest wait for a picture: $gap0 ms alone, $gap1 ms in the flood"
echo "server log lines: $(wc -l <"$DIR/log") ($(grep -c warn "$DIR/log") warnings)"
kill -0 "$SERVER_PID" || fail "server died"
j=$(grep '^JUNK' "$D/junk.out")
conns=$(echo "$j" | sed -n 's/.* conns=\([0-9]*\).*/\1/p')
[ "${conns:-0}" -ge "$C" ] || fail "the hostile clients got $conns connections in"
[ "$gap1" -lt "$GAP_MS" ] || fail "a viewer waited $gap1 ms in the flood (limit $GAP_MS)"
[ "$gap1" -lt $((gap0 + SLACK_MS)) ] ||
    fail "the flood added $((gap1 - gap0)) ms to the longest wait (limit $SLACK_MS)"
cdesk_stop || fail "server exit"
echo "ok"
