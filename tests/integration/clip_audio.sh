# Clipboard and sound through a real connection: host text set with xclip
# reaches the peer; the peer's text reaches `xclip -o` and is not echoed
# back; host sound arrives as AudioFormat + Opus frames; switching
# Clipboard or Audio off (the CM's call) stops each at once: a second
# session that still gets them proves the host sent them after the switch.
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
p1=$PEER_PID
noise=""
trap 'exec 3>&- 5>&-; kill $p1 $PEER_PID $noise 2>/dev/null' EXIT

# second NAME: a second session beside p1 (p1's commands move to fd 5);
# second_end: it quits, p1's commands are on fd 3 again.
second() {
	exec 5>&3
	peer_session "$1" -w Secret-42
	grep -q '^PEERINFO' "$WORK/$1.out" || fail "login: $(cat "$WORK/$1.out")"
}
second_end() {
	echo "quit" >&3
	exec 3>&5 5>&-
	wait $PEER_PID
	PEER_PID=$p1
}

# Host -> peer.
printf 'from the host 1' | xclip -selection clipboard -i
wait_for "$OUT" '^CLIP from the host 1$' "host clipboard did not reach the peer"
# Peer -> host, without echo: the server logs the X owner change its own
# set made as dropped; an echo would have been sent before that line, and
# the PONG after it.
own=$(grep -c 'clipboard: our own set, not sent back' "$DIR/log")
echo "clip from the peer 2" >&3
i=0
until [ "$(xclip -selection clipboard -o 2>/dev/null)" = "from the peer 2" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "peer clipboard not on the host"
	sleep 0.05
done
wait_more "$DIR/log" 'clipboard: our own set, not sent back' "$own" "the server did not drop its own set"
echo "ping 1" >&3
wait_for "$OUT" '^PONG 1$' "no PONG 1"
grep -q '^CLIP from the peer 2$' "$OUT" && fail "the peer's clipboard was echoed"

# Clipboard off: a host change no longer reaches the peer. A second
# session gets it: the host sent it to its subscribers, and p1's copy would
# have come before PONG 2.
"$IPCP" "$DIR" "$cid" clipboard 0 || fail "ipc_perm"
wait_for "$OUT" '^PERMISSION 2 0$' "no PermissionInfo{Clipboard,false}"
second p2
printf 'secret after off' | xclip -selection clipboard -i
wait_for "$WORK/p2.out" '^CLIP secret after off$' "the second session got no host change"
second_end
echo "ping 2" >&3
wait_for "$OUT" '^PONG 2$' "no PONG 2"
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
	# Frames queued before the switch came before its PermissionInfo (one
	# queue). A session started after it gets 101 frames (the peer prints
	# every 50th): p1, were it still served, would print at least one
	# AUDIO line more before PONG 3.
	second p3
	wait_for "$WORK/p3.out" '^AUDIO 101$' "the second session got no sound"
	second_end
	echo "ping 3" >&3
	wait_for "$OUT" '^PONG 3$' "no PONG 3"
	sed -n '/^PERMISSION 3 0$/,$p' "$OUT" | grep -q '^AUDIO ' &&
	    fail "audio frames after Audio was switched off"
	kill $noise
else
	fail "PulseAudio not reachable: the audio half cannot run"
fi
echo "quit" >&3
cdesk_stop || fail "server exit"
echo "ok"
