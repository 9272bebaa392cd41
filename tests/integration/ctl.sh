# The toolbar's controls as a stock 1.4 client uses them (issue 13): a
# login with a 200 KiB avatar works and a 2 MiB one is refused with a
# message; switching to the display already shown changes nothing (no
# SwitchDisplay, no key frame, no decode error) while the client's
# automatic fps messages come every second; the host announces the version
# docs/version-gates.md chooses; a screenshot decodes to the screen's
# picture; an image and HTML copied on the peer land on the host's
# CLIPBOARD as image/png and text/html; elevation, switch sides and
# privacy mode, which a Linux host cannot serve, are answered as upstream
# answers (so the client shows a message); recording gets a key frame and
# the 240-picture key-frame interval until it stops.
. "$TOP/tests/lib.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
command -v xsetroot >/dev/null || { echo "xsetroot missing"; exit 77; }
command -v xclip >/dev/null || { echo "xclip missing"; exit 77; }
DIR=$(cdesk_dir ctl)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
xsetroot -solid '#3366cc'
cdesk_start "$DIR" || fail "server start"

# Avatars: flutter clients may send one as a data: URI.
out=$("$PEER" -p "$PORT" -w Secret-42 -A 204800 login)
expect_match "$out" "^PEERINFO" "200 KiB avatar"
out=$("$PEER" -p "$PORT" -w Secret-42 -A 2097152 login)
expect_match "$out" "^ERROR Login request too large" "2 MiB avatar"

want=$(sed -n 's/.*CDESK_RUSTDESK_VERSION[^"]*"\([^"]*\)".*/\1/p' \
    "$TOP/common/version.h")
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" " version=$want " "announced version"
grep -q "^| *\`$want\` *|" "$TOP/docs/version-gates.md" ||
    fail "docs/version-gates.md does not name $want"

peer_session s -w Secret-42 -c vp9
OUT="$WORK/s.out"
trap 'exec 3>&-; kill $PEER_PID 2>/dev/null' EXIT
pings=0
snaps=0

# pong: a round trip; the messages sent before it are handled.
pong() {
	pings=$((pings + 1))
	echo "ping $pings" >&3
	wait_for "$OUT" "^PONG $pings\$" "no PONG $pings"
}

# centre: "R G B" of the centre pixel of the peer's last decoded picture.
centre() {
	snaps=$((snaps + 1))
	echo "snap $WORK/snap.ppm" >&3
	i=0
	until [ "$(grep -c '^SNAP ' "$OUT")" -ge $snaps ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "no SNAP"
		sleep 0.05
	done
	$PY - "$WORK/snap.ppm" <<'PYEOF'
import re, sys
d = open(sys.argv[1], "rb").read()
m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", d)
w, h = int(m.group(1)), int(m.group(2))
o = m.end() + ((h // 2) * w + w // 2) * 3
print(d[o], d[o + 1], d[o + 2])
PYEOF
}

# wait_picture R G B WHAT: until the peer decoded a picture whose centre is
# R G B (give or take 25 a channel). Only a frame captured after the paint
# shows it: a marker that comes after all the host did before the paint.
wait_picture() {
	j=0
	until centre | awk -v r="$1" -v g="$2" -v b="$3" '
	    function d(x, y) { return x > y ? x - y : y - x }
	    { exit !(d($1, r) <= 25 && d($2, g) <= 25 && d($3, b) <= 25) }'; do
		j=$((j + 1)); [ $j -gt 100 ] && fail "$4: centre $(centre)"
		sleep 0.05
	done
}

wait_for "$OUT" '^VIDEO 1 ' "no first picture"
cur=$(sed -n 's/^PEERINFO.* current=\([0-9]*\) .*/\1/p' "$OUT")
# The login's messages handled, and a picture painted after them seen:
# a key frame they asked for has come by then.
pong
xsetroot -solid '#33cc66'
wait_picture 51 204 102 "no picture of the green screen"
keys=$(grep -c 'key=1' "$OUT")
# The same display again, with fps caps as the client sends them (each
# handled before the next).
for f in 30 29 28; do
	echo "switch $cur" >&3
	echo "fps $f" >&3
	pong
done
# A SwitchDisplay goes on the video queue, and a key frame a switch asks
# for is the next picture encoded: both come before the first picture of
# a screen painted after the switches were handled.
xsetroot -solid '#cc3333'
wait_picture 204 51 51 "video stopped after the switch"
grep -q '^SWITCH' "$OUT" && fail "SwitchDisplay for the display shown: $(grep '^SWITCH' "$OUT")"
grep -q '^VIDEOERROR' "$OUT" && fail "decode error after a same-display switch"
[ "$(grep -c 'key=1' "$OUT")" -eq "$keys" ] ||
    fail "a same-display switch restarted the encoder"
echo "same-display switch: no SwitchDisplay, same codec, video goes on"

# Screenshot (clients >= 1.4.0): the PNG is the screen, pixel for pixel.
if command -v import >/dev/null && command -v convert >/dev/null; then
	# xrects waits for each rectangle to be drawn; the screenshot is a
	# grab of its own when asked for.
	"$TOP/$B/tests/bin/xrects" 200 5 1 || fail "xrects"
	import -window root -depth 8 "ppm:$WORK/screen.ppm" ||
	    fail "cannot grab the screen"
	echo "screenshot $cur $WORK/shot.png" >&3
	wait_for "$OUT" '^SCREENSHOT ' "no ScreenshotResponse"
	grep -q '^SCREENSHOT ok [0-9]* test-sid$' "$OUT" ||
	    fail "screenshot: $(grep '^SCREENSHOT' "$OUT")"
	convert "$WORK/shot.png" -alpha off -depth 8 "ppm:$WORK/shot.ppm" ||
	    fail "the screenshot is not a PNG"
	# The same tool writes both, so the same pixels give the same bytes.
	convert "$WORK/screen.ppm" -depth 8 "ppm:$WORK/screen2.ppm" ||
	    fail "convert"
	cmp -s "$WORK/screen2.ppm" "$WORK/shot.ppm" ||
	    fail "the screenshot is not the screen"
	echo "screenshot 9 $WORK/none.png" >&3
	wait_for "$OUT" '^SCREENSHOT error' "no error for display 9"
	grep -q '^SCREENSHOT error Failed to take screenshot, please try again later.$' \
	    "$OUT" || fail "error text: $(grep '^SCREENSHOT error' "$OUT")"
else
	fail "ImageMagick (import, convert) missing"
fi

# MultiClipboards from the peer (clients >= 1.3.0 send them to hosts that
# announce 1.3.0 or later): a PNG, then HTML with its text.
$PY - "$WORK/img.png" <<'PYEOF' || fail "cannot write a PNG"
import struct, sys, zlib
w, h = 5, 3
raw = b"".join(b"\0" + bytes([200, 30, 60, 255]) * w for _ in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + \
        struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + \
    chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)) + \
    chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PYEOF
echo "clippng $WORK/img.png" >&3
i=0
until xclip -selection clipboard -t TARGETS -o 2>/dev/null | grep -qx 'image/png'; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no image/png on the host's CLIPBOARD"
	sleep 0.05
done
xclip -selection clipboard -t image/png -o >"$WORK/got.png" ||
    fail "cannot read image/png"
cmp -s "$WORK/img.png" "$WORK/got.png" || fail "image/png differs"
echo "cliphtml <b>bold</b> from the peer" >&3
i=0
until [ "$(xclip -selection clipboard -t text/html -o 2>/dev/null)" = \
    "<b>bold</b> from the peer" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no text/html on the host's CLIPBOARD"
	sleep 0.05
done
echo "peer clipboard: image/png and text/html on the host"

# Relative mouse (clients >= 1.4.5): moved by what the client sends.
"$TOP/$B/tests/bin/xevlog" >"$WORK/xev.out" 2>"$WORK/xev.err" &
xpid=$!
trap 'exec 3>&-; kill $PEER_PID $xpid 2>/dev/null' EXIT
wait_for "$WORK/xev.out" '^ready' "xevlog not ready"
echo "mouse 0 200 210" >&3
wait_for "$WORK/xev.out" '^motion [0-9]+ 200 210$' "no absolute move"
echo "mouse 5 30 -20" >&3
wait_for "$WORK/xev.out" '^motion [0-9]+ 230 190$' "no relative move"
# Insert Lock without logind (none here): Super+L, as upstream types it.
echo "lock" >&3
wait_for "$WORK/xev.out" '^kpress [0-9]+ [0-9]+ ffeb ' "Insert Lock: no Super_L"
wait_for "$WORK/xev.out" '^kpress [0-9]+ [0-9]+ 6c ' "Insert Lock: no l"
wait_for "$WORK/xev.out" '^krelease [0-9]+ [0-9]+ ffeb ' "Insert Lock: Super_L held"
kill $xpid

# The client starts recording: its recorder gets a key frame to start at.
keys=$(grep -c 'key=1' "$OUT")
echo "record 1" >&3
wait_more "$OUT" 'key=1' "$keys" "no key frame when recording started"
grep -q "recording started" "$DIR/log" || fail "recording not logged"
# ... and, as upstream, a key frame every 240 pictures while it records
# (counted in test_svc_video), none once it stops.
wait_for "$DIR/log" "video key frames every 240 pictures" \
    "no key-frame interval while recording"
echo "record 0" >&3
wait_for "$DIR/log" "video key frames every 0 pictures" \
    "key-frame interval kept after recording stopped"
echo "recording start: a key frame, then one every 240 pictures until it stops"

# What a Linux host cannot do, answered so the client shows a message:
# elevation as upstream's host that needs none, switch sides with a
# message box (cdesk has no client to connect back with).
echo "elevate" >&3
wait_for "$OUT" '^ELEVATION ' "no answer to an elevation request"
grep -q '^ELEVATION No need to elevate$' "$OUT" ||
    fail "elevation: $(grep '^ELEVATION' "$OUT")"
echo "switchsides" >&3
wait_for "$OUT" '^MSGBOX Switch Sides: ' "no answer to switch sides"
grep -q 'switch sides refused' "$DIR/log" || fail "switch sides not logged"
echo "elevation and switch sides answered"
# Privacy mode: none on X11, so PrvNotSupported (3) with upstream's text;
# without the permission, turning it on is PrvOnFailedDenied (5).
echo "privacy 1" >&3
wait_for "$OUT" '^PRIVACY ' "no answer to privacy mode"
grep -q '^PRIVACY 3 privacy_mode_impl_mag: Unsupported. 1 Multi-screen' \
    "$OUT" || fail "privacy mode: $(grep '^PRIVACY' "$OUT")"
grep -q '^NOTSENT' "$OUT" &&
    fail "the peer, as a stock client, withheld: $(grep '^NOTSENT' "$OUT")"

echo "quit" >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"

echo "enable-privacy-mode = N" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
peer_session p -w Secret-42
echo "privacy 1" >&3
wait_for "$WORK/p.out" '^PRIVACY ' "no answer to privacy mode (off)"
grep -q '^PRIVACY 5 ' "$WORK/p.out" ||
    fail "privacy mode without the permission: $(grep '^PRIVACY' "$WORK/p.out")"
echo "privacy mode: not supported, denied without the permission"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
