# A still screen with a viewer (issue 16): the server wakes for the
# protocol's own once-a-second work (the TestDelay probe and its echo, the
# video service's tick, the rendezvous retry), not on a grid of its own.
# Measured: 4.5 wake-ups a second in all threads; 13.5 before the
# connections' timer was set for the first one due instead of firing
# every 100 ms, and before libevent's timer was made precise (its coarse
# clock made each timer spin through 1 ms epoll waits until the next
# jiffy). Audio is off: its silence gate has wake-ups of its own.
. "$TOP/tests/lib.sh"
MAX_PER_S=7
DIR=$(cdesk_dir still)
echo "enable-audio = N" >>"$DIR/cdesk.conf"
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
trap 'kill $PEER_PID 2>/dev/null' EXIT
peer_session still -w Secret-42 -c vp9
OUT="$WORK/still.out"
wait_for "$OUT" '^VIDEO 1 ' "no first picture"

# Still: the encoder has refined the first picture and stopped (no
# picture in a second; timed on purpose, it is the window).
peer_frames "$OUT"
a=$FRAMES i=0
while :; do
	i=$((i + 1)); [ $i -gt 20 ] && fail "pictures keep coming: $a"
	sleep 1
	peer_frames "$OUT"
	[ "$FRAMES" -eq "$a" ] && break
	a=$FRAMES
done

wakeups() {
	cat "/proc/$SERVER_PID/task/"*/status |
	    awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n }'
}
w0=$(wakeups)
t0=$(date +%s.%N)
sleep 4	# the measured window
w1=$(wakeups)
t=$(echo "$(date +%s.%N) $t0" | awk '{ printf "%.2f", $1 - $2 }')
peer_frames "$OUT"
[ "$FRAMES" -eq "$a" ] || fail "still screen: $((FRAMES - a)) pictures"
per_s=$(echo "$((w1 - w0)) $t" | awk '{ printf "%.1f", $1 / $2 }')
echo "still screen, one viewer: $((w1 - w0)) wake-ups in $t s ($per_s/s)"
awk "BEGIN { exit !($per_s <= $MAX_PER_S) }" ||
    fail "$per_s wake-ups a second on a still screen (at most $MAX_PER_S)"

echo quit >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
