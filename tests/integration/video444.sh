# True colour (issue 13): a peer that logs in asking for 4:4:4 (and says
# it decodes VP9 in 4:4:4, as the stock client does) gets VP9 profile 1:
# its decoder outputs yuv444p, and the picture matches an `import` grab of
# the screen, one-pixel colour stripes included (4:2:0 averages every two
# columns' colours). Turned off (Misc.option{supported_decoding}), the host
# reopens its encoder in 4:2:0: yuv420p, and the stripes' colours are
# averaged. The host announces VP9 in PeerInfo.encoding.i444. The same for
# AV1 (its High profile, libaom through libavcodec), which the stock client
# also decodes in 4:4:4.
. "$TOP/tests/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v xsetroot >/dev/null || { echo "xsetroot missing"; exit 77; }
command -v import >/dev/null || { echo "ImageMagick import missing"; exit 77; }
$PY -c 'import numpy' 2>/dev/null || { echo "numpy missing"; exit 77; }
DIR=$(cdesk_dir video444)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# Columns alternately red and blue: only 4:4:4 keeps their colours apart.
printf '#define s_width 2\n#define s_height 2\n%s\n   %s\n' \
    'static unsigned char s_bits[] = {' '0x01, 0x01};' >"$WORK/stripes.xbm"
xsetroot -bitmap "$WORK/stripes.xbm" -fg '#e02020' -bg '#2020e0' ||
    fail "xsetroot"
cdesk_start "$DIR" || fail "server start"

out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" " i444vp9=1 i444av1=1" \
    "PeerInfo.encoding.i444 lacks VP9 or AV1"

# snapcmp NAME: the peer's last picture against the screen; prints
# ppmdiff's line.
snapcmp() {
	import -window root -depth 8 "ppm:$WORK/screen.ppm" ||
	    fail "cannot grab the screen"
	rm -f "$WORK/$1.ppm"
	n=$(grep -c '^SNAP ' "$OUT")
	echo "snap $WORK/$1.ppm" >&3
	wait_for "$OUT" "^SNAP " "$1: no snapshot"
	wait_more "$OUT" '^SNAP ' "$n" "$1: no snapshot"
	grep '^SNAP ' "$OUT" | tail -n 1 | grep -q 'SNAP ok' ||
	    fail "$1: snapshot failed"
	$PY "$TOP/tests/integration/ppmdiff.py" "$WORK/screen.ppm" \
	    "$WORK/$1.ppm" || fail "ppmdiff"
}

# psnr LINE: the psnr= of a ppmdiff line.
psnr() {
	echo "$1" | sed -n 's/.*psnr=\([0-9.]*\).*/\1/p'
}

# keyafter N WHAT: waits for more than N key frames reported.
keyafter() {
	wait_more "$OUT" 'key=1' "$1" "$2"
}

# truecolour CODEC: a session asking for 4:4:4 in CODEC gets it, matching
# the screen; turned off, a 4:2:0 key frame whose stripes average out;
# turned on again, 4:4:4 on the same connection.
truecolour() {
	c=$1
	peer_session "${c}444" -w Secret-42 -c "$c" -4
	OUT="$WORK/${c}444.out"
	wait_for "$OUT" '^VIDEO 1 ' "$c: no first picture"
	expect_match "$(grep '^VIDEO 1 ' "$OUT")" \
	    "^VIDEO 1 $c 0 .* key=1 .* fmt=yuv444p$" "$c: first picture not 4:4:4"
	# Timed on purpose: the picture is compared once the encoder has
	# refined it (a second of pictures after the key frame).
	sleep 1
	d444=$(snapcmp "${c}444")
	echo "$c 4:4:4: $d444"
	worst=$(echo "$d444" | sed -n 's/.*worst_block=\([0-9.]*\).*/\1/p')
	awk -v w="$worst" 'BEGIN { exit !(w != "" && w < 40) }' ||
	    fail "$c: 4:4:4 picture differs from the screen ($d444)"

	# Off again: the host goes back to 4:2:0.
	keys=$(grep -c 'key=1' "$OUT")
	echo "i444 0" >&3
	keyafter "$keys" "$c: no key frame after turning true colour off"
	wait_for "$OUT" "^VIDEO [0-9]+ $c 0 .* key=1 .* fmt=yuv420p\$" \
	    "$c: no 4:2:0 key frame after turning true colour off"
	sleep 1	# refined, as above
	d420=$(snapcmp "${c}420")
	echo "$c 4:2:0: $d420"
	# The stripes' colours average out in 4:2:0: clearly worse.
	awk -v a="$(psnr "$d444")" -v b="$(psnr "$d420")" \
	    'BEGIN { exit !(a != "" && b != "" && a > b + 6) }' ||
	    fail "$c: 4:4:4 ($d444) not clearly closer than 4:2:0 ($d420)"

	# And on again, on the same connection.
	echo "i444 1" >&3
	n=$(grep -c 'fmt=yuv444p' "$OUT")
	wait_more "$OUT" 'fmt=yuv444p' "$n" "$c: 4:4:4 did not come back"
	grep -q '^VIDEOERROR' "$OUT" &&
	    fail "$c: decode error: $(grep VIDEOERROR "$OUT")"
	echo quit >&3
	exec 3>&-
	wait $PEER_PID
}

truecolour vp9
# AV1 in its High profile, libaom through libavcodec.
truecolour av1
grep -q "display 0: av1 4:4:4 (libav)" "$DIR/log" ||
    fail "av1 4:4:4 encoder not in the log"

# A peer that decodes 4:4:4 but does not ask for it gets 4:2:0.
peer_session t420 -w Secret-42 -c vp9
OUT="$WORK/t420.out"
wait_for "$OUT" '^VIDEO 1 ' "t420: no first picture"
expect_match "$(grep '^VIDEO 1 ' "$OUT")" " fmt=yuv420p$" \
    "4:4:4 without asking"
echo quit >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
