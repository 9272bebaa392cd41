# A viewer that stops reading while the screen changes at 30 Hz: the
# server keeps serving another viewer, what it holds for the stalled one
# stays bounded (server RSS), and it closes the stalled one after the
# write deadline (12 s for a remote session) with one log line.
. "$TOP/tests/lib.sh"
D="$WORK/fault_reader.d"
mkdir -p "$D"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    fail "cannot build painter"
DIR=$(cdesk_dir fault_reader)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
"$D/painter" -m typing -r 30 -d 60 -l "$D/p.log" >"$D/painter.out" 2>&1 &
PAINTER=$!
trap 'kill $PAINTER $VIEW $STALL 2>/dev/null' EXIT
wait_for "$D/painter.out" '^READY' "painter"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }

"$PEER" -p "$PORT" -w Secret-42 view 1 36 >"$D/view.out" 2>&1 &
VIEW=$!
wait_for "$D/view.out" '^STREAMING' "the good viewer got no picture" 600
rss0=$(rss)
t0=$(date +%s)
"$PEER" -p "$PORT" -w Secret-42 stall 22 >"$D/stall.out" 2>&1 &
STALL=$!
wait_for "$D/stall.out" '^STALLING logged-in' "the stalling viewer" 200
max=$rss0
while kill -0 $STALL 2>/dev/null; do
	r=$(rss)
	[ "$r" -gt "$max" ] && max=$r
	if grep -q 'peer stopped reading' "$DIR/log" && [ -z "${tclose:-}" ]; then
		tclose=$(($(date +%s) - t0))
	fi
	sleep 0.5
done
cat "$D/stall.out"
grep -a 'stopped reading' "$DIR/log"
echo "closed after ${tclose:-never} s; server RSS $((rss0 / 1024)) MiB before, at most $((max / 1024)) MiB during the stall"
[ -n "${tclose:-}" ] && [ "$tclose" -ge 12 ] && [ "$tclose" -le 21 ] ||
    fail "closed after ${tclose:-never} s (deadline 12 s)"
n=$(grep -c 'peer stopped reading' "$DIR/log")
[ "$n" -eq 1 ] || fail "$n 'stopped reading' lines"
[ $((max - rss0)) -lt $((32 * 1024)) ] ||
    fail "RSS grew $(((max - rss0) / 1024)) MiB for one stalled viewer"
wait $VIEW
cat "$D/view.out"
v=$(grep '^VIEW' "$D/view.out")
expect_match "$(grep '^ALIVE' "$D/view.out")" '^ALIVE 1 of 1' "the good viewer stayed"
gap=$(echo "$v" | sed -n 's/.*maxgap=\([0-9]*\)ms.*/\1/p')
fps=$(echo "$v" | sed -n 's/.*minfps=\([0-9.]*\).*/\1/p')
echo "good viewer: $fps fps, longest gap $gap ms (load $(cut -d' ' -f1 /proc/loadavg))"
awk "BEGIN { exit !($fps >= 5) }" || fail "the good viewer got $fps fps"
[ "$gap" -lt 2000 ] || fail "the good viewer waited $gap ms for a picture"
cdesk_stop || fail "server exit"
echo "ok"
