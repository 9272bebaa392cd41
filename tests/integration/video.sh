# The picture through a real connection: the test peer decodes the frames
# (libavcodec, as a client) for every encoder the host announces; the first
# is a key frame of the announced display size showing the colour the test
# painted; a new colour arrives; a still screen sends nothing for 3 s; a
# refresh request brings a key frame; after hundreds of small changes all
# over the screen (VP9 codes only the blocks X Damage names), the last
# picture decoded matches the screen in every 16x16 block.
. "$TOP/tests/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v xsetroot >/dev/null || { echo "xsetroot missing"; exit 77; }
DIR=$(cdesk_dir video)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
xsetroot -solid '#3366cc'
cdesk_start "$DIR" || fail "server start"

# near R G B LINE: the rgb= of a VIDEO line is within 16 of R G B.
near() {
	echo "$4" | sed -n 's/.*rgb=\([0-9]*\),\([0-9]*\),\([0-9]*\).*/\1 \2 \3/p' |
	    awk -v r="$1" -v g="$2" -v b="$3" '{
		d = 0
		if ($1 - r > d) d = $1 - r; if (r - $1 > d) d = r - $1
		if ($2 - g > d) d = $2 - g; if (g - $2 > d) d = g - $2
		if ($3 - b > d) d = $3 - b; if (b - $3 > d) d = b - $3
		exit !(NF == 3 && d <= 16) }'
}

codecs=vp9
info=$("$PEER" -p "$PORT" -w Secret-42 login)
for c in vp8 av1 h264 h265; do
	echo "$info" | grep -q " $c=1" && codecs="$codecs $c"
done
size=$(echo "$info" | sed -n 's/.* display0=\([0-9]*x[0-9]*\)+.*/\1/p')
echo "host encodes: $codecs; display $size"

for c in $codecs; do
	peer_session "v_$c" -w Secret-42 -c "$c"
	OUT="$WORK/v_$c.out"
	wait_for "$OUT" '^VIDEO 1 ' "$c: no first picture"
	first=$(grep '^VIDEO 1 ' "$OUT")
	expect_match "$first" "^VIDEO 1 $c 0 $size key=1 " "$c: first picture"
	near 51 102 204 "$first" || fail "$c: colour of '$first', want 51,102,204"
	echo "$c: $first"
	echo quit >&3
	exec 3>&-
	wait $PEER_PID
done

# One session in depth (VP9): a change, a still screen, a refresh.
peer_session depth -w Secret-42 -c vp9
OUT="$WORK/depth.out"
wait_for "$OUT" '^VIDEO 1 ' "no first picture"
xsetroot -solid '#cc3333'
i=0
until near 204 51 51 "$(grep '^VIDEO' "$OUT" | tail -n 1)"; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "frames" >&3; sleep 0.2; tail -n 5 "$OUT"
		fail "the new colour never arrived"
	fi
	# Force a report line: a refresh is a key frame, always printed.
	[ $((i % 20)) -eq 0 ] && echo "refresh" >&3
	sleep 0.05
done
# Timed on purpose: the encoder refines the new colour over a few more
# pictures; after a second they are through and the count starts.
sleep 1
peer_frames "$OUT"
a=$FRAMES
# The test itself: 3 s of a still screen in which no picture may come.
sleep 3
peer_frames "$OUT"
[ "$FRAMES" -eq "$a" ] || fail "still screen: $((FRAMES - a)) frames in 3 s"
keys=$(grep -c 'key=1' "$OUT")
echo "refresh" >&3
wait_more "$OUT" 'key=1' "$keys" "refresh brought no key frame" 100
echo quit >&3
exec 3>&-
wait $PEER_PID

# Small changes everywhere, a few at a time, then a still screen: the last
# picture must show every one of them.
if command -v import >/dev/null && $PY -c 'import numpy' 2>/dev/null; then
	peer_session partial -w Secret-42 -c vp9
	OUT="$WORK/partial.out"
	wait_for "$OUT" '^VIDEO 1 ' "partial: no first picture"
	"$TOP/$B/tests/bin/xrects" 300 7 5 || fail "xrects"
	# Timed on purpose: the last rectangles' blocks are refined over the
	# next pictures (CBR); the comparison is of the settled picture.
	sleep 1.5
	import -window root -depth 8 "ppm:$WORK/screen.ppm" ||
	    fail "cannot grab the screen"
	echo "snap $WORK/decoded.ppm" >&3
	wait_for "$OUT" '^SNAP ' "partial: no snapshot"
	grep -q '^SNAP ok' "$OUT" || fail "partial: snapshot failed"
	d=$($PY "$TOP/tests/integration/ppmdiff.py" "$WORK/screen.ppm" \
	    "$WORK/decoded.ppm") || fail "ppmdiff"
	echo "partial changes: $(grep -c '^VIDEO' "$OUT") reports; $d"
	# Lossy coding leaves up to ~25 on a block with a thin line in it; a
	# block left stale by a short change map measured 159.
	worst=$(echo "$d" | sed -n 's/.*worst_block=\([0-9.]*\).*/\1/p')
	awk -v w="$worst" 'BEGIN { exit !(w != "" && w < 40) }' ||
	    fail "partial: a block differs from the screen ($d)"
	echo quit >&3
	exec 3>&-
	wait $PEER_PID
else
	echo "partial changes: not checked (ImageMagick import or numpy missing)"
	exit 77
fi
cdesk_stop || fail "server exit"
echo "ok"
