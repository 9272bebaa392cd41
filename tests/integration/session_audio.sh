# Sound of the session user (issue 11): the server, run as root, records
# the PulseAudio server of the user whose session is on the screen (in
# their runtime folder, with their cookie), not its own, and moves to the
# next user's on a user switch while a peer stays connected. Users A and B
# each run Xvfb, a PulseAudio with a null sink and a tone into it (A 500
# Hz, B 1200 Hz); the server's own PulseAudio plays 800 Hz. The peer
# decodes the Opus frames and reports the loudest tone. A third user C
# whose session points at B's sound server (XDG_RUNTIME_DIR, B's cookie
# copied) is not recorded: that server says it runs as B.
# tests/integration/session_audio.py drives the logind mock and the peer.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb dbus-daemon pulseaudio pacat
pactl info >/dev/null 2>&1 ||
    fail "the test harness' PulseAudio is not reachable"
BUS_PID=""
MOCK_PID=""
tone_pid=""
trap '[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null;
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null;
    [ -n "$tone_pid" ] && kill "$tone_pid" 2>/dev/null; session_cleanup' EXIT
session_logind_mock
# Folders of the test's own the users may pass through.
chmod 0711 "$WORK"

# user_sound NAME HZ: NAME's runtime folder, PulseAudio (null sink) and a
# tone into it; sets RUN (the runtime folder).
user_sound() {
	RUN="$WORK/run-$1"
	mkdir -m 0700 "$RUN"
	chown "$1:" "$RUN"
	session_bg "$1" XDG_RUNTIME_DIR="$RUN" pulseaudio -n --daemonize=no \
	    --exit-idle-time=-1 --system=false --disallow-exit \
	    -L module-native-protocol-unix \
	    -L "module-null-sink sink_name=user_null"
	i=0
	until [ -S "$RUN/pulse/native" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "$1's PulseAudio did not start"
		sleep 0.05
	done
	tone_pcm "$2" | setpriv --reuid="$1" --regid="$(id -g "$1")" \
	    --init-groups env -i PATH=/usr/bin:/bin \
	    HOME="$(session_home "$1")" XDG_RUNTIME_DIR="$RUN" \
	    pacat --raw --format=s16le --rate=48000 --channels=2 \
	    --latency-msec=50 -d user_null >/dev/null 2>&1 &
	SESSION_PIDS="$SESSION_PIDS $!"
}

ua=cdaa$$
ub=cdab$$
uc=cdac$$
for u in $ua $ub $uc; do session_user "$u"; done
session_xvfb "$ua" -screen 0 640x480x24 -noreset
DA=$XD
session_xvfb "$ub" -screen 0 800x600x24 -noreset
DB=$XD
session_xvfb "$uc" -screen 0 320x240x24 -noreset
DC=$XD
user_sound "$ua" 500
RUN_A=$RUN
user_sound "$ub" 1200
RUN_B=$RUN
# C's cookie is B's: only the server's own word tells them apart.
home_c=$(session_home "$uc")
mkdir -p "$home_c/.config/pulse"
cp "$(session_home "$ub")/.config/pulse/cookie" "$home_c/.config/pulse/" ||
    fail "no cookie of B's"
chown -R "$uc:" "$home_c/.config"
# The users' session leaders, with their sessions' environment.
session_bg "$ua" DISPLAY="$DA" XDG_RUNTIME_DIR="$RUN_A" sleep 600
LEADER_A=$BGPID
session_bg "$ub" DISPLAY="$DB" XDG_RUNTIME_DIR="$RUN_B" sleep 600
LEADER_B=$BGPID
session_bg "$uc" DISPLAY="$DC" XDG_RUNTIME_DIR="$RUN_B" sleep 600
LEADER_C=$BGPID
# The server's own PulseAudio (the harness'): 800 Hz.
tone_pcm 800 | pacat --raw --format=s16le --rate=48000 --channels=2 \
    --latency-msec=50 -d cdesk_null >/dev/null 2>&1 &
tone_pid=$!

DIR=$(cdesk_dir session_audio)
UA=$ua UB=$ub UC=$uc UID_A=$(id -u "$ua") UID_B=$(id -u "$ub")
UID_C=$(id -u "$uc")
export DA DB DC LEADER_A LEADER_B LEADER_C RUN_A RUN_B DIR
export UA UB UC UID_A UID_B UID_C
/usr/bin/python3 tests/integration/session_audio.py || fail "session_audio.py"
echo "ok"
