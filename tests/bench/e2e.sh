# End to end through a real cdesk connection (make bench): a 1920x1080
# Xvfb painted by painter.c, `cdesk --server`, and the test peer decoding
# every frame and reading the painter's stamp; x0vncserver and x11vnc read
# by rfbclient.py on the same display in the same run; ratios cdesk/VNC.
# Latency is glass to client: the painter's paint-done time to the arrival
# of the frame (or RFB update) carrying its stamp, as rfbclient.py defines
# it; the peer also prints the latency once the frame is decoded.
# The static workload warms up for at least 10 s: after a login the audio
# service sends 8 s of silence before its gate closes (HOST.md §5.4), and
# "static" is meant as the state a still desktop settles in.
# E2E_WARM / E2E_SECS / E2E_CODECS / E2E_VNC override the defaults.
set -u
. "$TOP/tests/lib.sh"
WARM=${E2E_WARM:-5}
SECS=${E2E_SECS:-10}
CODECS=${E2E_CODECS:-"vp9 h264"}
VNC=${E2E_VNC:-"x0vncserver x11vnc"}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
D="$WORK/e2e-bench"
mkdir -p "$D"
. "$TOP/tests/bench/lib.sh"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    { echo "cannot build painter"; exit 1; }
bench_xvfb
DIR=$(cdesk_dir e2e)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
"$CDESK" --config "$DIR" --server >"$DIR/out" 2>"$DIR/log" &
SERVER_PID=$!
until grep -q '^READY' "$DIR/out" 2>/dev/null; do sleep 0.05; done
PORT=$(sed -n 's/^READY //p' "$DIR/out")
trap 'kill $SERVER_PID $XPID 2>/dev/null' EXIT
hz=$(getconf CLK_TCK)

WARM0=$WARM
for mode in typing video static; do
	WARM=$WARM0
	[ "$mode" = static ] && [ "$WARM" -lt 10 ] && WARM=10
	echo "== painter $mode at 30 Hz, 1920x1080 ($SECS s after $WARM s)"
	for c in $CODECS; do
		paint "$mode" $((WARM + SECS + 1)) "$D/p.log"
		( sleep "$WARM"; cpu_ticks "$SERVER_PID" >"$D/cpu0";
		  sleep "$SECS"; cpu_ticks "$SERVER_PID" >"$D/cpu1" ) &
		cw=$!
		r=$("$PEER" -p "$PORT" -w Secret-42 -c "$c" \
		    bench-video "$WARM" "$SECS" "$D/p.log" | grep VIDEOBENCH)
		wait $cw
		wait $PPID_
		cpu=$(awk -v a="$(cat "$D/cpu0")" -v b="$(cat "$D/cpu1")" \
		    -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) * 100 / hz / s }')
		rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' \
		    "/proc/$SERVER_PID/status")
		echo "  cdesk $c : $r server_cpu=${cpu}% server_rss=${rss}MB"
		echo "$mode $c $r cpu=$cpu" >>"$D/cdesk.res"
	done
	for v in $VNC; do
		vnc "$v" "$mode"
		[ -s "$D/vnc.json" ] && cp "$D/vnc.json" "$D/$v.$mode.json"
	done
	# Ratios against each VNC server, per codec.
	for v in $VNC; do
		[ -s "$D/$v.$mode.json" ] || continue
		grep "^$mode " "$D/cdesk.res" | while read -r _ c rest; do
			$PY - "$v" "$c" "$D/$v.$mode.json" "$rest" <<'PY'
import json, re, sys
v, c, path, rest = sys.argv[1:5]
j = json.load(open(path))
kv = dict(re.findall(r"(\w+)=([-\d.]+)", rest))
def ratio(a, b):
    try:
        a, b = float(a), float(b)
        return "%.2f" % (a / b) if b else "n/a"
    except (TypeError, ValueError):
        return "n/a"
print("  ratio cdesk %s / %s: paints/s %s, latency p50 %s (decoded %s), "
      "bandwidth %s, CPU %s" % (c, v,
      ratio(kv.get("paints_per_s"), j.get("frames_per_s_received")),
      ratio(kv.get("latency_p50_ms"), j.get("latency_ms_median")),
      ratio(kv.get("decoded_p50_ms"), j.get("latency_ms_median")),
      ratio(kv.get("mbit_s"), j.get("mbit_per_s")),
      ratio(kv.get("cpu"), j["cpu_pct"].get("server"))))
PY
		done
	done
done
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
