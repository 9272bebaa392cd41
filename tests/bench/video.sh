# Video pipeline benchmark (make bench) on a 1920x1080 Xvfb of its own,
# painted by tests/bench/painter.c (copied from shared/bench):
#  - raw: grab, BGRX->I420 (libyuv vs libswscale) and each encoder's own
#    time per frame on the painter's "video" pictures;
#  - pipe: the video service (damage, grab, convert, encode, pack) with a
#    fake viewer that decodes every frame and reads the painter's stamp:
#    frames/s, glass-to-viewer latency p50/p95, bandwidth, CPU, RSS, for
#    the typing, video and static workloads and several codecs;
#  - end to end: `cdesk --server` on that display and the test peer
#    (`peer video-bench`: login, codec preference, decode, stamp) over a
#    real connection (loopback TCP, encrypted), with server CPU and RSS;
#  - the same workloads through x0vncserver and x11vnc (when installed)
#    read by rfbclient.py (copied from shared/bench), in the same run.
# VB_WARM / VB_SECS / VB_CODECS / VB_E2E / VB_VNC override the defaults.
set -u
WARM=${VB_WARM:-6}
SECS=${VB_SECS:-10}
CODECS=${VB_CODECS:-"vp9 h264 vp8"}
VNC=${VB_VNC:-"x0vncserver x11vnc"}
E2E=${VB_E2E:-"vp9 h264"}
# Debian's python3 (with python3-numpy), not whatever is first in PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
D="$WORK/vbench"
mkdir -p "$D"
BIN="$TOP/$B/tests/bin/video_bench"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    { echo "cannot build painter"; exit 1; }

exec 3>"$D/dfd"
Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -noreset \
    +extension RANDR +extension DAMAGE >"$D/xvfb.log" 2>&1 &
XPID=$!
exec 3>&-
i=0
while [ ! -s "$D/dfd" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
DISPLAY=":$(cat "$D/dfd")"
export DISPLAY
trap 'kill $XPID 2>/dev/null' EXIT

# paint MODE SECONDS LOG: starts the painter and waits for its first frame.
paint() {
	"$D/painter" -D "$DISPLAY" -m "$1" -r 30 -d "$2" -l "$3" \
	    >"$D/painter.out" 2>&1 &
	PPID_=$!
	i=0
	until grep -q READY "$D/painter.out" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
		[ $i -gt 200 ] && { echo "painter did not start"; exit 1; }
	done
}

echo "== raw: painter video, 1920x1080"
paint video 8 "$D/raw.log"
sleep 1
"$BIN" raw 30 || exit 1
wait $PPID_

# vnc NAME MODE: one reference run of a VNC server, summarised.
vnc() {
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
	$PY "$TOP/tests/bench/rfbclient.py" --port "$port" \
	    --encoding tight --painter-log "$D/v.log" --warmup $((WARM - 1)) \
	    --duration "$SECS" --pid "server=$vpid" >"$D/vnc.json" 2>"$D/vnc.err"
	kill $vpid 2>/dev/null
	wait $vpid 2>/dev/null
	wait $PPID_
	$PY - "$1" "$D/vnc.json" <<'PY'
import json, sys
try:
    j = json.load(open(sys.argv[2]))
except Exception as e:
    print("  %s: no result (%s)" % (sys.argv[1], e)); sys.exit(0)
print("  %-11s: %.1f distinct paints/s seen, latency p50 %s ms, p95 %s ms, "
      "%.2f Mbit/s, server CPU %s %%, RSS %s MB" % (sys.argv[1],
      j.get("frames_per_s_received", 0), j.get("latency_ms_median"),
      j.get("latency_ms_p95"), j.get("mbit_per_s", 0),
      j["cpu_pct"].get("server"), j["rss_max_mb"].get("server")))
PY
}

# cdesk --server on the bench display, password login.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir bench-video)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    { echo "cannot set the password"; exit 1; }
cdesk_start "$DIR" || exit 1
trap 'kill $XPID 2>/dev/null; kill $SERVER_PID 2>/dev/null' EXIT

# cpu_ticks PID: utime + stime of a process.
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# e2e CODEC MODE: the test peer against cdesk over a real connection.
e2e() {
	paint "$2" $((WARM + SECS + 1)) "$D/e.log"
	"$PEER" -p "$PORT" -w Secret-42 -t 5000 video-bench "$1" "$WARM" \
	    "$SECS" "$D/e.log" >"$D/e.out" 2>&1 &
	ppid=$!
	sleep "$WARM"
	c0=$(cpu_ticks "$SERVER_PID")
	sleep "$SECS"
	c1=$(cpu_ticks "$SERVER_PID")
	wait $ppid
	wait $PPID_
	hz=$(getconf CLK_TCK)
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
	sed -n 's/^VIDEO /  cdesk e2e: /p' "$D/e.out"
	echo "             server CPU $(echo "$c0 $c1 $hz $SECS" |
	    awk '{printf "%.0f", ($2 - $1) / $3 / $4 * 100}') %, RSS $rss kB"
	grep -q '^VIDEO' "$D/e.out" || tail -n 5 "$D/e.out"
}

for mode in typing video static; do
	echo "== pipeline: painter $mode at 30 Hz ($SECS s after $WARM s warm-up)"
	for c in $CODECS; do
		paint "$mode" $((WARM + SECS + 1)) "$D/p.log"
		"$BIN" pipe "$c" "$WARM" "$SECS" "$D/p.log" || exit 1
		wait $PPID_
	done
	for c in $E2E; do
		e2e "$c" "$mode"
	done
	for v in $VNC; do
		vnc "$v" "$mode"
	done
done
cdesk_stop
