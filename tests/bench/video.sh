# Video pipeline benchmark (make bench) on a 1920x1080 Xvfb of its own,
# painted by tests/bench/painter.c (copied from shared/bench):
#  - raw: grab, BGRX->I420 (libyuv vs libswscale) and each encoder's own
#    time per frame on the painter's "video" pictures;
#  - pipe: the video service (damage, grab, convert, encode, pack) with a
#    fake viewer that decodes every frame and reads the painter's stamp:
#    frames/s, glass-to-viewer latency p50/p95, bandwidth, CPU, RSS, for
#    the typing, video and static workloads and several codecs.
# VB_WARM / VB_SECS / VB_CODECS override the defaults.
set -u
WARM=${VB_WARM:-6}
SECS=${VB_SECS:-10}
CODECS=${VB_CODECS:-"vp9 h264 vp8"}
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

for mode in typing video static; do
	echo "== pipeline: painter $mode at 30 Hz ($SECS s after $WARM s warm-up)"
	for c in $CODECS; do
		paint "$mode" $((WARM + SECS + 1)) "$D/p.log"
		"$BIN" pipe "$c" "$WARM" "$SECS" "$D/p.log" || exit 1
		wait $PPID_
	done
done
