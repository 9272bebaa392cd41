# The idle server's memory on a 1920x1080 display (issue 16), so it cannot
# grow back silently: no GTK and no libavcodec mapped (cdesk-gui has the
# windows, avlib.c loads libavcodec when a viewer needs it), and RSS at
# most MEM_IDLE_MB once the warm VP9 encoder settled.
# The bound: 26.6 MB measured (2026-12-02) = 11.3 MB of files (libc,
# libvpx, ...) + 12.0 MB the warm encoder's arena + 3.3 MB the rest;
# 32 MB leaves room for library updates, and fails when libavcodec's
# closure (+14 MB) or a second encoder comes back. tests/bench/mem.sh
# prints the full breakdown. Under AddressSanitizer (shadow memory, its
# own allocator) only the mappings are checked, which the output says.
. "$TOP/tests/lib.sh"
BOUND_MB=${MEM_IDLE_MB:-32}
. "$TOP/tests/bench/lib.sh"
D=$WORK
bench_xvfb
[ -s "$D/dfd" ] || { kill $XPID; fail "no Xvfb"; }
trap 'kill $XPID 2>/dev/null' EXIT
DIR=$(cdesk_dir mem_idle)
cdesk_start "$DIR" || fail "server start"

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }
# Settled: the encoder probe answered and the warm encoder opened and was
# trimmed, seen as RSS unchanged within 256 kB for 2 s in a row (at most
# 60 s).
i=0 same=0 last=0
while [ $same -lt 8 ]; do
	i=$((i + 1)); [ $i -gt 240 ] && fail "RSS never settled (last $last kB)"
	sleep 0.25
	grep -q 'encoders: ' "$DIR/log" || continue
	now=$(rss_kb)
	if [ $((now - last)) -le 256 ] && [ $((last - now)) -le 256 ]; then
		same=$((same + 1))
	else
		same=0
	fi
	last=$now
done
grep -E 'libgtk|libgdk|librsvg|libavcodec|libx265' "/proc/$SERVER_PID/maps" |
    awk '{ print $6 }' | sort -u >"$WORK/mem_idle.libs"
[ -s "$WORK/mem_idle.libs" ] &&
    fail "the idle server maps $(tr '\n' ' ' <"$WORK/mem_idle.libs")"
python3 "$TOP/tests/bench/smaps.py" "$SERVER_PID" "idle server"
if grep -q libasan "/proc/$SERVER_PID/maps"; then
	echo "AddressSanitizer build: RSS bound not applied ($((last / 1024)) MB)"
else
	[ "$last" -le $((BOUND_MB * 1024)) ] ||
	    fail "idle RSS $((last / 1024)) MB, bound $BOUND_MB MB"
fi
cdesk_stop || fail "server exit"
echo "ok: idle RSS $((last / 1024)) MB (bound $BOUND_MB MB)"
