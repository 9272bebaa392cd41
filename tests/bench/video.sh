# The video pipeline without a connection (make bench), on a 1920x1080
# Xvfb of its own painted by tests/bench/painter.c:
#  - raw: grab, BGRX->I420 (libyuv vs libswscale) and each encoder's own
#    time per frame on the painter's "video" pictures;
#  - pipe: the video service (damage, grab, convert, encode, pack) with a
#    fake in-process viewer that decodes every frame and reads the
#    painter's stamp: frames/s, latency p50/p95, bandwidth, CPU, RSS, for
#    the typing, video and static workloads and several codecs.
# Set against the raw numbers this shows the pipeline's own overhead; the
# same workloads through a real connection and VNC servers are in e2e.sh.
# VB_WARM / VB_SECS / VB_CODECS override the defaults.
set -u
WARM=${VB_WARM:-6}
SECS=${VB_SECS:-10}
CODECS=${VB_CODECS:-"vp9 h264 vp8"}
PY=python3
D="$WORK/vbench"
mkdir -p "$D"
. "$TOP/tests/bench/lib.sh"
BIN="$TOP/$B/tests/bin/video_bench"
cc -O2 -o "$D/painter" "$TOP/tests/bench/painter.c" -lxcb -lxcb-shm ||
    { echo "cannot build painter"; exit 1; }
bench_xvfb
trap 'kill $XPID 2>/dev/null' EXIT

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
