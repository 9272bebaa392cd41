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
PY=/usr/bin/python3

AP="$WORK/ai-pulse"
mkdir -p -m 0700 "$AP" "$AP/state"
env -u DBUS_SESSION_BUS_ADDRESS PULSE_RUNTIME_PATH="$AP" \
    PULSE_STATE_PATH="$AP/state" pulseaudio -n --daemonize=no \
    --exit-idle-time=-1 --system=false --disallow-exit --use-pid-file=no \
    -L "module-native-protocol-unix auth-anonymous=1 socket=$AP/native" \
    -L "module-null-sink sink_name=ai_a rate=48000" \
    -L "module-null-sink sink_name=ai_b rate=48000" \
    >"$WORK/ai-pulse.log" 2>&1 &
pa_pid=$!
tones=""
PEER_PID=""
trap 'exec 3>&- 2>/dev/null; kill $pa_pid $tones $PEER_PID 2>/dev/null' EXIT
export PULSE_SERVER="unix:$AP/native"
i=0
until pactl info >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the private PulseAudio did not start: \
$(cat "$WORK/ai-pulse.log")"
	sleep 0.05
done
pactl set-default-sink ai_a || fail "set-default-sink"

# tone HZ SINK: play a sine into SINK until the test ends.
tone() {
	"$PY" -c '
import math, struct, sys
hz = int(sys.argv[1])
one = b"".join(struct.pack("<hh", v, v) for v in
    (int(12000 * math.sin(2 * math.pi * hz * i / 48000))
     for i in range(48000)))
while True:
    sys.stdout.buffer.write(one)' "$1" 2>/dev/null |
	    pacat --raw --format=s16le --rate=48000 --channels=2 \
	    --latency-msec=50 -d "$2" >/dev/null 2>&1 &
	tones="$tones $!"
}
tone 440 ai_a
tone 1000 ai_b

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
