# tests/bench/lib.sh: helpers for the screen benchmarks (sourced). Needs
# D (scratch folder), DISPLAY, PY, TOP, WARM, SECS.

# bench_xvfb: a 1920x1080 Xvfb of our own; sets DISPLAY and XPID.
bench_xvfb() {
	exec 3>"$D/dfd"
	Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -noreset \
	    +extension RANDR +extension DAMAGE >"$D/xvfb.log" 2>&1 &
	XPID=$!
	exec 3>&-
	i=0
	while [ ! -s "$D/dfd" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	DISPLAY=":$(cat "$D/dfd")"
	export DISPLAY
}

# paint MODE SECONDS LOG: starts the painter (at $PAINT_HZ, default 30)
# and waits for its first frame.
paint() {
	"$D/painter" -D "$DISPLAY" -m "$1" -r "${PAINT_HZ:-30}" -d "$2" -l "$3" \
	    >"$D/painter.out" 2>&1 &
	PPID_=$!
	i=0
	until grep -q READY "$D/painter.out" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
		[ $i -gt 200 ] && { echo "painter did not start"; exit 1; }
	done
}

# cpu_ticks PID: user+system clock ticks the process used so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# rss_mb PID: resident memory in MB.
rss_mb() {
	awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" \
	    2>/dev/null || echo 0
}

# vnc NAME MODE [VIEWERS]: one reference run of a VNC server read by
# rfbclient.py (shared/bench), summarised on one line; the JSON of the
# first viewer (the one that measures) is left in $D/vnc.json.
vnc() {
	rm -f "$D/vnc.json"
	command -v "$1" >/dev/null 2>&1 || { echo "  $1: not installed"; return; }
	$PY -c 'import numpy' 2>/dev/null ||
	    { echo "  $1: python3-numpy missing"; return; }
	port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	paint "$2" $((WARM + SECS + 1)) "$D/v.log"
	if [ "$1" = x11vnc ]; then
		x11vnc -display "$DISPLAY" -localhost -nopw -shared -forever \
		    -rfbport "$port" -q >"$D/vnc.log" 2>&1 &
	else
		x0vncserver -display "$DISPLAY" -rfbport "$port" \
		    -SecurityTypes None -localhost yes >"$D/vnc.log" 2>&1 &
	fi
	vpid=$!
	i=0
	until $PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
		sleep 0.1; i=$((i + 1)); [ $i -gt 100 ] && break
	done
	# x0vncserver forks: measure and stop the process that listens.
	lp=$(pgrep -n -f -- "-rfbport $port")
	[ -n "$lp" ] && vpid=$lp
	others=""
	i=1
	while [ "$i" -lt "${3:-1}" ]; do
		$PY "$TOP/tests/bench/rfbclient.py" --port "$port" \
		    --encoding tight --warmup $((WARM - 1)) --duration "$SECS" \
		    >/dev/null 2>&1 &
		others="$others $!"
		i=$((i + 1))
	done
	$PY "$TOP/tests/bench/rfbclient.py" --port "$port" \
	    --encoding tight --painter-log "$D/v.log" --warmup $((WARM - 1)) \
	    --duration "$SECS" --pid "server=$vpid" >"$D/vnc.json" 2>"$D/vnc.err"
	for p in $others; do wait "$p"; done
	kill $vpid 2>/dev/null
	wait $vpid 2>/dev/null
	wait $PPID_
	$PY - "$1" "$D/vnc.json" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[2]))
except Exception as e:
    print("  %s: no result (%s)" % (sys.argv[1], e)); sys.exit(0)
print("  %-11s: %.1f paints/s, latency p50 %s ms, p95 %s ms, "
      "%.2f Mbit/s, server CPU %s %%, RSS %s MB, first picture %s ms" % (
      sys.argv[1], j.get("frames_per_s_received", 0),
      j.get("latency_ms_median"), j.get("latency_ms_p95"),
      j.get("mbit_per_s", 0), j["cpu_pct"].get("server"),
      j["rss_max_mb"].get("server"), j.get("first_update_ms")))
PY
}
