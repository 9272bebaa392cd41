# Voice calls (issue 13) as a stock 1.4 client makes them: the test peer
# asks, the desk user answers in the CM window the server starts (driven
# through AT-SPI, tests/integration/voice.py), and while the call runs the
# peer's microphone (a tone, Opus) plays on the desk's PulseAudio and the
# desk's microphone (another tone) reaches the peer instead of the desk's
# sound. A private PulseAudio has two null sinks: "voice_out" (the default
# sink: what the desk hears; its monitor is the desk's sound) and
# "voice_mic" (its monitor is the default source: the desk's
# microphone). Also: a declined call, hang-up from the peer, from the CM
# and by closing, and a peer sending faster than real time.
. "$TOP/tests/lib.sh"
unset CDESK_TEST_CM_CLICK_ONLY
[ -n "${DISPLAY:-}" ] || { echo "no X display"; exit 77; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "no D-Bus session"; exit 77; }
for t in pulseaudio pacat parec pactl; do
	command -v $t >/dev/null || { echo "$t missing"; exit 77; }
done
PY=/usr/bin/python3
"$PY" -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
    { echo "python3-gi or gir1.2-atspi-2.0 missing"; exit 77; }
launcher=/usr/libexec/at-spi-bus-launcher
[ -x "$launcher" ] || { echo "at-spi2-core missing"; exit 77; }

# The private sound server: nothing of the harness' one is changed.
lpid=""
TONE_PIDS=""
pulse_private voice voice_out voice_mic
trap 'kill $PA_PID $lpid $TONE_PIDS 2>/dev/null' EXIT
pactl set-default-sink voice_out || fail "set-default-sink"
pactl set-default-source voice_mic.monitor || fail "set-default-source"

# The desk's microphone hears 440 Hz for the whole test.
pulse_tone 440 voice_mic

unset NO_AT_BRIDGE
export GTK_THEME=Adwaita
"$launcher" --launch-immediately >"$WORK/a11y-voice.log" 2>&1 &
lpid=$!
# Under make asan, ASan's quarantine (256 MB by default) holds every freed
# block, so the flood's RSS check would measure the quarantine, not what
# the server keeps: hold it to 1 MB here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1"
DIR=$(cdesk_dir voice)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
export DIR PORT
"$PY" tests/integration/voice.py >"$WORK/voice.py.out" 2>&1
rc=$?
cat "$WORK/voice.py.out"
[ $rc -eq 0 ] || fail "voice.py failed: $(grep -v '^peer: ' \
    "$WORK/voice.py.out" | tail -n 8)"
# One line per event, with the connection and the peer.
for w in "voice call requested" "voice call accepted by the local user" \
    "voice call declined by the local user" \
    "voice call ended (hung up by the local user)" \
    "voice call ended (the peer hung up)" \
    "voice call ended (the connection closed)"; do
	grep -E "conn [0-9]+ peer [^ ]+: " "$DIR/log" | grep -qF ": $w" ||
	    fail "no log line '$w'"
done
grep -q "sound capture now records the default microphone" "$DIR/log" ||
    fail "no switch to the microphone in the log"
grep -q "sound capture now records the output's monitor" "$DIR/log" ||
    fail "no switch back in the log"
# The flood: the buffer dropped what did not fit, and said so.
grep -Eq 'voice call played [0-9]+ packets, dropped [1-9][0-9]* \(buffer' \
    "$DIR/log" || fail "the flood dropped nothing"
cdesk_stop || fail "server exit"
echo "ok"
