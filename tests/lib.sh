# tests/lib.sh: shell helpers for integration tests (sourced by tests/run.sh
# and by each tests/integration/*.sh). Needs CDESK, PEER, WORK from run.sh.

# A server under test starts the CM only for a click, not for every session
# (HOST.md §3.3): a CM window would cover the screen the video and input
# tests look at. The CM tests (cm_*.sh) unset it.
export CDESK_TEST_CM_CLICK_ONLY=1

# A test stopped by run.sh's timeout (TERM) or by hand (INT) exits through
# its EXIT trap, which kills what it started and removes the users it made:
# without these a shell dies of the signal with the trap unrun.
trap 'exit 143' TERM
trap 'exit 130' INT

# free_port: print a TCP port nobody listens on.
# Drawn below the kernel's ephemeral range (32768 and up), which the many
# outgoing connections of parallel tests take from: a port the kernel hands
# out there can be taken again before the server binds it.
free_port() {
	python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(20000, 32000)
    try:
        for fam, addr in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
            s = socket.socket(fam)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((addr, p))
            s.close()
    except OSError:
        continue
    print(p)
    break
else:
    raise SystemExit("free_port: no free port")
'
}

# cdesk_dir NAME: a fresh --config folder under $WORK with direct access on
# a free port; prints the folder. The port is in $DIR/port. The rendezvous
# server is a loopback port nobody serves (a test never reaches out to
# RustDesk's public servers); tests of access by ID replace that line.
cdesk_dir() {
	d="$WORK/$1"
	rm -rf "$d"
	mkdir -p "$d"
	p=$(free_port)
	printf '[options]\ndirect-server = Y\ndirect-access-port = %s\n' "$p" \
	    >"$d/cdesk.conf"
	echo "custom-rendezvous-server = 127.0.0.1:9" >>"$d/cdesk.conf"
	# Password-only: nothing waits for a click, so no CM window is
	# started (see CDESK_TEST_CM_CLICK_ONLY above); the click tests
	# remove this line.
	echo "approve-mode = password" >>"$d/cdesk.conf"
	echo "$p" >"$d/port"
	echo "$d"
}

# cdesk_start DIR: start `cdesk --server` on DIR, wait for READY; sets
# SERVER_PID, PORT, HOST_ID and OTP. Server stdout: DIR/out, log: DIR/log.
# The server prints the one-time password only on a terminal: OTP comes
# from `cdesk --get-temp-password` (see cdesk_otp).
cdesk_start() {
	d=$1
	# A restart on the same folder must not read the last server's
	# READY before the new one's shell has truncated the file.
	rm -f "$d/out"
	"$CDESK" --config "$d" -v --server >"$d/out" 2>"$d/log" &
	SERVER_PID=$!
	i=0
	while ! grep -q '^READY' "$d/out" 2>/dev/null; do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server died at start:"; cat "$d/log"; return 1
		fi
		i=$((i + 1))
		[ $i -gt 200 ] && { echo "server not ready"; cat "$d/log"; return 1; }
		sleep 0.05
	done
	SERVER_DIR=$d
	PORT=$(sed -n 's/^READY \([0-9]*\)$/\1/p' "$d/out")
	HOST_ID=$(sed -n 's/^ID: //p' "$d/out")
	OTP=$(cdesk_otp "$d")
	export SERVER_PID PORT HOST_ID OTP
}

# cdesk_otp DIR: print the one-time password of the server running on DIR
# (it changes after every authorized session).
cdesk_otp() {
	"$CDESK" --config "$1" --get-temp-password 2>/dev/null
}

# cdesk_stop: stop the server started by cdesk_start; fails if it does not
# exit cleanly (a crash or a sanitizer report is a failure).
cdesk_stop() {
	[ -n "${SERVER_PID:-}" ] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID"
	rc=$?
	SERVER_PID=
	if [ $rc -ne 0 ]; then
		echo "server exited with status $rc"
		[ -n "${DIR:-}" ] && grep -v " info: " "$DIR/log" | tail -n 40
		return 1
	fi
	# The CMs it started end with it (none left on the desk).
	for cm in $(sed -n 's/.* cm: started .* (pid \([0-9]*\)).*/\1/p' \
	    "${SERVER_DIR:-/nonexistent}/log" 2>/dev/null); do
		i=0
		while [ -d "/proc/$cm" ] &&
		    grep -q -- '--cm' "/proc/$cm/cmdline" 2>/dev/null; do
			i=$((i + 1))
			if [ $i -gt 60 ]; then
				echo "the CM the server started (pid $cm) outlived it"
				kill "$cm"
				return 1
			fi
			sleep 0.05
		done
	done
}

# fail MSG: print and exit 1 (after stopping the server).
fail() {
	echo "FAIL: $*"
	if [ -n "${SERVER_PID:-}" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		[ -n "${DIR:-}" ] && tail -n 40 "$DIR/log"
	fi
	exit 1
}

# expect_match TEXT PATTERN WHAT: fail unless TEXT matches the grep -E PATTERN.
expect_match() {
	echo "$1" | grep -Eq "$2" || fail "$3: got '$1', want /$2/"
}

# wait_for FILE PATTERN WHAT [TENTHS]: until FILE has a line matching the
# grep -E PATTERN (default 10 s), else fail naming WHAT.
wait_for() {
	i=0
	until grep -Eq "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt "${4:-200}" ]; then
			echo "--- $1:"; tail -n 20 "$1"
			fail "$3"
		fi
		sleep 0.05
	done
}

# wait_more FILE REGEX N MSG [TRIES]: until more than N lines of FILE
# match REGEX (a basic one, as grep -c reads it), polling each 0.05 s,
# TRIES times at most (200); then fails with MSG.
wait_more() {
	wm_i=0
	until [ "$(grep -c "$2" "$1" 2>/dev/null)" -gt "$3" ]; do
		wm_i=$((wm_i + 1))
		[ $wm_i -gt "${5:-200}" ] && fail "$4"
		sleep 0.05
	done
}

# sessions_closed DIR: until every session that logged in on the server of
# DIR has closed in its log (then its end's work, such as the one-time
# password's rotation, is done: both are one step of the server's loop).
sessions_closed() {
	for sc_id in $(sed -n 's/.*conn \([0-9]*\) peer [^ ]*: login ok.*/\1/p' \
	    "$1/log"); do
		wait_for "$1/log" "conn $sc_id peer [^ ]*: closed \(" \
		    "session $sc_id did not close"
	done
}

# a11y_wait PID: until the accessibility bus launcher PID owns org.a11y.Bus
# on the session bus (a client asking before would have D-Bus start one).
a11y_wait() {
	i=0
	until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
	    /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
	    string:org.a11y.Bus 2>/dev/null | grep -q "uint32 $1\$"; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "the accessibility bus did not start"
		sleep 0.05
	done
}

# pulse_private NAME SINK...: start a PulseAudio of the test's own (the
# harness' one is not changed) with a 48 kHz null sink per SINK, the first
# the default, off the session bus (the harness' server holds PulseAudio's
# name there); exports PULSE_SERVER and sets PA_PID, which the caller's
# EXIT trap kills.
pulse_private() {
	pp="$WORK/$1-pulse"
	shift
	mkdir -p -m 0700 "$pp" "$pp/state"
	n=$#
	for s in "$@"; do
		set -- "$@" -L "module-null-sink sink_name=$s rate=48000"
	done
	shift "$n"
	env -u DBUS_SESSION_BUS_ADDRESS PULSE_RUNTIME_PATH="$pp" \
	    PULSE_STATE_PATH="$pp/state" pulseaudio -n --daemonize=no \
	    --exit-idle-time=-1 --system=false --disallow-exit \
	    --use-pid-file=no \
	    -L "module-native-protocol-unix auth-anonymous=1 socket=$pp/native" \
	    "$@" >"$pp.log" 2>&1 &
	PA_PID=$!
	export PULSE_SERVER="unix:$pp/native"
	i=0
	until pactl info >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			kill "$PA_PID" 2>/dev/null
			fail "the private PulseAudio did not start: $(cat "$pp.log")"
		fi
		sleep 0.05
	done
}

# tone_pcm HZ: 48 kHz stereo s16le sine on stdout, for ever.
tone_pcm() {
	/usr/bin/python3 -c '
import math, struct, sys
hz = int(sys.argv[1])
one = b"".join(struct.pack("<hh", v, v) for v in
    (int(12000 * math.sin(2 * math.pi * hz * i / 48000))
     for i in range(48000)))
while True:
    sys.stdout.buffer.write(one)' "$1"
}

# pulse_tone HZ SINK: play a sine into SINK until killed; adds its pid to
# TONE_PIDS.
pulse_tone() {
	tone_pcm "$1" 2>/dev/null |
	    pacat --raw --format=s16le --rate=48000 --channels=2 \
	    --latency-msec=50 -d "$2" >/dev/null 2>&1 &
	TONE_PIDS="${TONE_PIDS:-} $!"
}

# peer_session NAME PEER-ARGS...: start `peer ... session` with commands
# read from fd 3 (write lines with: echo "cmd" >&3) and events in
# $WORK/NAME.out; waits for its login outcome. Sets PEER_PID.
peer_session() {
	n=$1; shift
	# The old output goes first: the background shell truncates it only
	# after the fifo opens, and the wait below must not read it.
	rm -f "$WORK/$n.in" "$WORK/$n.out"
	mkfifo "$WORK/$n.in"
	"$PEER" -p "$PORT" -t 30000 "$@" session <"$WORK/$n.in" \
	    >"$WORK/$n.out" 2>&1 &
	PEER_PID=$!
	exec 3>"$WORK/$n.in"
	wait_for "$WORK/$n.out" '^(PEERINFO|ERROR|CLOSED|EOF)' "no login outcome"
}

# peer_frames FILE: asks the session peer on fd 3 (peer_session) how many
# pictures it has had; sets FRAMES once FILE, its output, has the answer.
# Not for $(...): a failure must end the test, not a subshell.
peer_frames() {
	pf_n=$(grep -c '^FRAMES ' "$1")
	echo "frames" >&3
	wait_more "$1" '^FRAMES ' "$pf_n" "no frame count"
	FRAMES=$(grep '^FRAMES ' "$1" | tail -n 1 | awk '{ print $2 }')
}

# totp SECRET [wrong]: the 6-digit code of now (RFC 6238, SHA-1, 30 s),
# or with "wrong" a code no step within two minutes of now has (twofa.sh,
# win_ui.sh).
totp() {
	python3 - "$1" "${2:-}" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1]
key = base64.b32decode(s + "=" * (-len(s) % 8))

def code(t):
    mac = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    off = mac[-1] & 15
    n = struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff
    return "%06d" % (n % 1000000)

now = time.time()
if sys.argv[2] != "wrong":
    print(code(now))
else:
    near = {code(now + d) for d in range(-120, 121, 30)}
    w = (int(code(now)) + 500000) % 1000000
    while "%06d" % w in near:
        w = (w + 1) % 1000000
    print("%06d" % w)
EOF
}
