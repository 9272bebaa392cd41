# Clipboard and sound through a real connection: host text set with xclip
# reaches the peer; the peer's text reaches `xclip -o` and is not echoed
# back; host sound arrives as AudioFormat + Opus frames; switching
# Clipboard or Audio off (the CM's call) stops each within a round trip.
. "$TOP/tests/lib.sh"
IPCP="$TOP/$B/tests/bin/ipc_perm"
command -v xclip >/dev/null || { echo "xclip missing"; exit 77; }
DIR=$(cdesk_dir clip_audio)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
peer_session p1 -w Secret-42
OUT="$WORK/p1.out"
grep -q '^PEERINFO' "$OUT" || fail "login: $(cat "$OUT")"
cid=$(grep -o 'conn [0-9]* peer [^ ]*: login ok' "$DIR/log" | tail -n 1 |
    awk '{print $2}')
trap 'exec 3>&-; kill $PEER_PID $noise 2>/dev/null' EXIT

# Host -> peer.
printf 'from the host 1' | xclip -selection clipboard -i
wait_for "$OUT" '^CLIP from the host 1$' "host clipboard did not reach the peer"
# Peer -> host, without echo.
echo "clip from the peer 2" >&3
i=0
until [ "$(xclip -selection clipboard -o 2>/dev/null)" = "from the peer 2" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "peer clipboard not on the host"
	sleep 0.05
done
sleep 0.5
grep -q '^CLIP from the peer 2$' "$OUT" && fail "the peer's clipboard was echoed"

# Clipboard off: a host change no longer reaches the peer.
"$IPCP" "$DIR" "$cid" clipboard 0 || fail "ipc_perm"
wait_for "$OUT" '^PERMISSION 2 0$' "no PermissionInfo{Clipboard,false}"
printf 'secret after off' | xclip -selection clipboard -i
sleep 1
grep -q 'secret after off' "$OUT" && fail "clipboard sent with the permission off"

# Sound: noise into the null sink arrives as Opus frames.
if command -v pacat >/dev/null && pactl info >/dev/null 2>&1; then
	pacat --raw --format=s16le --rate=48000 --channels=2 \
	    -d cdesk_null </dev/urandom &
	noise=$!
	wait_for "$OUT" '^AUDIOFORMAT 48000 2$' "no AudioFormat"
	wait_for "$OUT" '^AUDIO 51$' "fewer than 51 audio frames"
	"$IPCP" "$DIR" "$cid" audio 0 || fail "ipc_perm audio"
	wait_for "$OUT" '^PERMISSION 3 0$' "no PermissionInfo{Audio,false}"
	sleep 0.3
	before=$(grep -c '^AUDIO ' "$OUT")
	sleep 2
	[ "$(grep -c '^AUDIO ' "$OUT")" -le $((before + 1)) ] ||
	    fail "audio frames after Audio was switched off"
	kill $noise
else
	fail "PulseAudio not reachable: the audio half cannot run"
fi
echo "quit" >&3
cdesk_stop || fail "server exit"
echo "ok"
