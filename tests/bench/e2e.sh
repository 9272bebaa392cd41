# End to end through a real cdesk connection (make bench): a 1920x1080
# Xvfb painted by painter.c, `cdesk --server`, and the test peer decoding
# every frame and reading the painter's stamp; x0vncserver and x11vnc read
# by rfbclient.py on the same display in the same run; ratios cdesk/VNC.
# Latency is glass to client: the painter's paint-done time to the arrival
# of the frame (or RFB update) carrying its stamp, as rfbclient.py defines
# it; the peer also prints the latency once the frame is decoded.
# Each run prints p50 and p95, server CPU and RSS (sampled while the
# viewers are still connected), and the time from the login (PeerInfo) to
# the first picture (the worker and its encoder start cold each run).
# After the three workloads: the video workload with E2E_VIEWERS viewers at
# once (one decodes and measures, the others only receive; each server's
# total CPU with them against one viewer's, and cdesk's against the VNC
# server's), the video
# workload painted at 60 Hz with the client asking for 60 fps, and the raw
# encoders on the same pictures (video_bench raw), so the pipeline's
# overhead over the encoder stays visible.
# The static workload warms up for at least 10 s: "static" is meant as the
# state a still desktop settles in (after a login the audio service sends
# half a second of silence before its gate closes, HOST.md §5.4).
# E2E_WARM / E2E_SECS / E2E_CODECS / E2E_VNC / E2E_MODES / E2E_VIEWERS /
# E2E_HIGH (codecs of the 60 Hz run; "" skips it) / E2E_RAW (0 skips the
# raw encoders) override the defaults; E2E_MODES="" and E2E_VIEWERS=1
# skip the three workloads and the many-viewer run (the 60 Hz run alone).
set -u
. "$TOP/tests/lib.sh"
WARM=${E2E_WARM:-5}
SECS=${E2E_SECS:-10}
CODECS=${E2E_CODECS:-"vp9 h264"}
VNC=${E2E_VNC:-"x0vncserver x11vnc"}
MODES=${E2E_MODES-"typing video static"}
NVIEW=${E2E_VIEWERS:-4}
HIGH=${E2E_HIGH-"h264 vp9"}
RAW=${E2E_RAW:-1}
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
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server RSS before any viewer: $(rss_mb "$SERVER_PID") MB"

# cdesk_run TAG MODE CODEC VIEWERS [FPS]: the painter's MODE at $PAINT_HZ
# watched by VIEWERS peers (the first decodes and measures); one result
# line, also kept in $D/res as "TAG CODEC key=value...".
cdesk_run() {
	tag=$1 mode=$2 c=$3 nv=$4 fopt=""
	[ $# -ge 5 ] && fopt="-F $5"
	paint "$mode" $((WARM + SECS + 1)) "$D/p.log"
	( sleep "$WARM"; cpu_ticks "$SERVER_PID" >"$D/cpu0";
	  sleep "$SECS"; cpu_ticks "$SERVER_PID" >"$D/cpu1";
	  rss_mb "$SERVER_PID" >"$D/rss" ) &
	cw=$!
	others=""
	i=1
	while [ "$i" -lt "$nv" ]; do
		# shellcheck disable=SC2086
		"$PEER" -p "$PORT" -w Secret-42 -c "$c" $fopt \
		    bench-video "$WARM" "$SECS" - >"$D/other.$i" 2>&1 &
		others="$others $!"
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	r=$("$PEER" -p "$PORT" -w Secret-42 -c "$c" $fopt \
	    bench-video "$WARM" "$SECS" "$D/p.log" | grep VIDEOBENCH)
	for p in $others; do wait "$p"; done
	wait $cw
	wait $PPID_
	cpu=$(awk -v a="$(cat "$D/cpu0")" -v b="$(cat "$D/cpu1")" \
	    -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) * 100 / hz / s }')
	rss=$(cat "$D/rss")
	echo "$r cpu=$cpu rss=$rss" | $PY -c '
import re, sys
kv = dict(re.findall(r"(\w+)=([-\w.]+)", sys.stdin.read()))
print("  cdesk %-5s: %s paints/s, latency p50 %s ms, p95 %s ms (decoded "
      "%s / %s), %s Mbit/s, server CPU %s %%, RSS %s MB, first picture "
      "%s ms (decoded %s)" % (kv.get("codec"), kv.get("paints_per_s"),
      kv.get("latency_p50_ms"), kv.get("latency_p95_ms"),
      kv.get("decoded_p50_ms"), kv.get("decoded_p95_ms"), kv.get("mbit_s"),
      kv.get("cpu"), kv.get("rss"), kv.get("first_ms"),
      kv.get("first_decoded_ms")))'
	echo "$tag $c $r cpu=$cpu rss=$rss" >>"$D/res"
}

# ratios TAG: each cdesk codec of run TAG against each VNC server's JSON
# ($D/NAME.TAG.json) of the same workload.
ratios() {
	for v in $VNC; do
		[ -s "$D/$v.$1.json" ] || continue
		grep "^$1 " "$D/res" | while read -r _ c rest; do
			$PY - "$v" "$c" "$D/$v.$1.json" "$rest" <<'PY'
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
      "p95 %s, bandwidth %s, CPU %s, RSS %s, first picture %s" % (c, v,
      ratio(kv.get("paints_per_s"), j.get("frames_per_s_received")),
      ratio(kv.get("latency_p50_ms"), j.get("latency_ms_median")),
      ratio(kv.get("decoded_p50_ms"), j.get("latency_ms_median")),
      ratio(kv.get("latency_p95_ms"), j.get("latency_ms_p95")),
      ratio(kv.get("mbit_s"), j.get("mbit_per_s")),
      ratio(kv.get("cpu"), j["cpu_pct"].get("server")),
      ratio(kv.get("rss"), j["rss_max_mb"].get("server")),
      ratio(kv.get("first_ms"), j.get("first_update_ms"))))
PY
		done
	done
}

# vnc_all TAG MODE [VIEWERS]: every VNC server on the workload.
vnc_all() {
	for v in $VNC; do
		vnc "$v" "$2" "${3:-1}"
		[ -s "$D/vnc.json" ] && cp "$D/vnc.json" "$D/$v.$1.json"
	done
}

PAINT_HZ=30
WARM0=$WARM
for mode in $MODES; do
	WARM=$WARM0
	[ "$mode" = static ] && [ "$WARM" -lt 10 ] && WARM=10
	echo "== painter $mode at 30 Hz, 1920x1080 ($SECS s after $WARM s)"
	for c in $CODECS; do
		cdesk_run "$mode" "$mode" "$c" 1
	done
	vnc_all "$mode" "$mode"
	ratios "$mode"
done
WARM=$WARM0

if [ "$NVIEW" -gt 1 ]; then
	echo "== painter video at 30 Hz, $NVIEW viewers at once (one decodes)"
	cdesk_run "video$NVIEW" video vp9 "$NVIEW"
	vnc_all "video$NVIEW" video "$NVIEW"
	ratios "video$NVIEW"
	$PY - "$D" "$NVIEW" "$VNC" <<'PY'
import json, re, sys
d, n, vncs = sys.argv[1], sys.argv[2], sys.argv[3].split()
one = many = None
for line in open(d + "/res"):
    tag, c, rest = line.split(None, 2)
    kv = dict(re.findall(r"(\w+)=([-\d.]+)", rest))
    if c == "vp9" and tag == "video":
        one = kv
    if c == "vp9" and tag == "video" + n:
        many = kv
# (CPU, RSS) of one and of n viewers: cdesk's, then each VNC server's.
rows = []
if one and many:
    rows.append(("cdesk vp9", float(one["cpu"]), float(many["cpu"]),
                 float(one["rss"]), float(many["rss"])))
for v in vncs:
    try:
        a = json.load(open("%s/%s.video.json" % (d, v)))
        b = json.load(open("%s/%s.video%s.json" % (d, v, n)))
        rows.append((v, a["cpu_pct"]["server"], b["cpu_pct"]["server"],
                     a["rss_max_mb"]["server"], b["rss_max_mb"]["server"]))
    except (OSError, KeyError, ValueError):
        pass
growth = {}
for name, c1, cn, r1, rn in rows:
    growth[name] = cn / c1 if c1 else None
    print("  %-11s %s viewers / 1 viewer: CPU %.1f / %.1f %% = %s, RSS "
          "%+.1f MB (%+.1f MB a viewer)" % (name, n, cn, c1,
          "%.2f" % growth[name] if growth[name] else "n/a", rn - r1,
          (rn - r1) / (int(n) - 1)))
for name, c1, cn, r1, rn in rows[1:]:
    if rows[0][0] == "cdesk vp9" and growth.get(name):
        print("  ratio cdesk vp9 / %s with %s viewers: CPU %.2f, growth "
              "%.2f" % (name, n, rows[0][2] / cn if cn else 0,
              growth["cdesk vp9"] / growth[name]))
PY
fi

if [ -n "$HIGH" ]; then
	# The QoS of HOST.md §5.2.3 starts at 15 fps and climbs by 5 per
	# TestDelay (one a second) after three good ones: 60 after ~11 s.
	PAINT_HZ=60
	[ "$WARM" -lt 12 ] && WARM=12
	echo "== painter video at 60 Hz, client asks for 60 fps" \
	    "($SECS s after $WARM s)"
	for c in $HIGH; do
		cdesk_run video60 video "$c" 1 60
	done
	vnc_all video60 video
	ratios video60
	PAINT_HZ=30
	WARM=$WARM0
fi

if [ "$RAW" != 0 ]; then
	echo "== raw encoders on the painter's video pictures (video_bench raw)"
	paint video 8 "$D/raw.log"
	sleep 1
	"$TOP/$B/tests/bin/video_bench" raw 30 | sed 's/^/  /'
	wait $PPID_
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
