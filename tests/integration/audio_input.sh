# The audio-input option follows a change at once (HOST.md: upstream
# restarts its capture loop): a private PulseAudio has two null sinks,
# "ai_a" (the default sink, playing 440 Hz) and "ai_b" (playing 1000 Hz).
# A logged-in peer first hears ai_a's monitor (the option empty); after
# `cdesk --option audio-input ai_b.monitor` on the running host it hears
# 1000 Hz, and after the option is cleared 440 Hz again, in one session.
. "$TOP/tests/lib.sh"
for t in pulseaudio pacat pactl; do
	command -v $t >/dev/null || { echo "$t missing"; exit 77; }
done
TONE_PIDS=""
PEER_PID=""
pulse_private ai ai_a ai_b
trap 'exec 3>&- 2>/dev/null; kill $PA_PID $TONE_PIDS $PEER_PID 2>/dev/null' EXIT
pactl set-default-sink ai_a || fail "set-default-sink"
pulse_tone 440 ai_a
pulse_tone 1000 ai_b

# hear HZ WHAT: wait until the peer's latest TONE line says HZ.
hear() {
	i=0
	until [ "$(grep '^TONE ' "$OUT" | tail -n 1 | cut -d' ' -f2)" = "$1" ]
	do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			grep '^TONE ' "$OUT" | tail -n 5
			fail "$2"
		fi
		sleep 0.05
	done
}

DIR=$(cdesk_dir audio_input)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
peer_session p1 -w Secret-42
OUT="$WORK/p1.out"
grep -q '^PEERINFO' "$OUT" || fail "login: $(cat "$OUT")"
hear 440 "the default sink's monitor (440 Hz) not heard"

"$CDESK" --config "$DIR" --option audio-input ai_b.monitor ||
    fail "--option audio-input"
hear 1000 "audio-input=ai_b.monitor not followed while running"
wait_for "$DIR/log" 'audio: capture source now ai_b\.monitor' \
    "no log line for the new source"

"$CDESK" --config "$DIR" --option audio-input "" ||
    fail "--option audio-input ''"
hear 440 "clearing audio-input did not go back to the default monitor"
n=$(grep -c 'audio: capture source now' "$DIR/log")
[ "$n" -eq 2 ] || fail "$n source-change lines, want 2 (one per change)"

echo "quit" >&3
cdesk_stop || fail "server exit"
echo "ok"
