# Wayland said plainly (issue 11): with logind (python3-dbusmock on a
# private system bus) naming a Wayland session of user W, the server run as
# root refuses remote control with upstream's text, `cdesk --status` and
# W's main window's status say why and what to do, and a login refused for
# it starts a CM as W, with the session's WAYLAND_DISPLAY, that shows the
# notice (checked through AT-SPI on W's own session bus); when W's next
# session is X11 the
# notice goes from the status and the CM quits by itself.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb dbus-daemon dbus-send xdotool
unset CDESK_TEST_CM_CLICK_ONLY
PY=/usr/bin/python3
"$PY" -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
    fail "python3-gi or gir1.2-atspi-2.0 missing"
launcher=/usr/libexec/at-spi-bus-launcher
[ -x "$launcher" ] || fail "at-spi2-core missing"
BUS_PID=""
MOCK_PID=""
trap '[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null;
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null;
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null; session_cleanup' EXIT
session_logind_mock
chmod 0711 "$WORK"

uw=cdwl$$
session_user "$uw"
uid=$(id -u "$uw")
session_xvfb "$uw" -screen 0 800x600x24 -noreset
DW=$XD
# W's session bus and accessibility bus, as a desktop session has.
wdir="$WORK/w-$uw"
mkdir -m 0700 "$wdir"
chown "$uw:" "$wdir"
wbus="unix:path=$wdir/bus"
session_bg "$uw" dbus-daemon --session --nofork --nopidfile \
    --address="$wbus"
i=0
until [ -S "$wdir/bus" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "W's session bus did not start"
	sleep 0.05
done
session_bg "$uw" DISPLAY="$DW" DBUS_SESSION_BUS_ADDRESS="$wbus" \
    "$launcher" --launch-immediately
# The leader's WAYLAND_DISPLAY names no compositor here: GTK falls back
# to W's X display.
session_bg "$uw" DISPLAY="$DW" DBUS_SESSION_BUS_ADDRESS="$wbus" \
    WAYLAND_DISPLAY=wayland-cdesk-test sleep 600
LEADER=$BGPID

# mock_session ID TYPE: W logs in to a session of TYPE on W's display.
mock_session() {
	dbus-send --system --print-reply --dest=org.freedesktop.login1 \
	    /org/freedesktop/login1 org.freedesktop.DBus.Mock.AddSession \
	    "string:$1" string:seat0 "uint32:$uid" "string:$uw" \
	    boolean:true >/dev/null || fail "AddSession $1"
	for p in "Type variant:string:$2" "Class variant:string:user" \
	    "Leader variant:uint32:$LEADER" "Display variant:string:$DW"; do
		# shellcheck disable=SC2086
		dbus-send --system --print-reply \
		    --dest=org.freedesktop.login1 \
		    "/org/freedesktop/login1/session/$1" \
		    org.freedesktop.DBus.Properties.Set \
		    string:org.freedesktop.login1.Session \
		    string:${p% *} ${p#* } >/dev/null || fail "Set $p"
	done
}

DIR=$(cdesk_dir session_wayland)
"$CDESK" --config "$DIR" --password 'Way-Pass-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"
i=0
until grep -q "session: following logind" "$DIR/log"; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the server does not follow the logind mock"
	sleep 0.05
done

mock_session w1 wayland
wait_for "$DIR/log" "session changed: uid $uid \\($uw\\): wayland user" \
    "the Wayland session was not followed"
st=$("$CDESK" --config "$DIR" --status) || fail "cdesk --status"
expect_match "$st" "This desktop is a Wayland session: cdesk can show" \
    "the status on Wayland"
expect_match "$st" "GNOME on Xorg" "what to do, in the status"
# A wrong password only hears so, and pops nothing up at the desk.
out=$("$PEER" -p "$PORT" -w 'not-it' login)
expect_match "$out" "^ERROR Wrong Password" "a wrong password on Wayland"
grep -q "cm: starting one" "$DIR/log" &&
    fail "a wrong password started a CM at the desk"
out=$("$PEER" -p "$PORT" -w 'Way-Pass-42' login)
expect_match "$out" "^ERROR Unsupported display server type wayland, x11 expected$" \
    "remote control of a Wayland session"
wait_for "$DIR/log" "cm: starting one to tell the desk: This desktop is" \
    "no CM started for the notice"
wait_for "$DIR/log" "cm: started .* as uid $uid \\(pid [0-9]+\\)" \
    "the CM did not start as $uw"
cm=$(sed -n "s/.*cm: started .* as uid $uid (pid \\([0-9]*\\)).*/\\1/p" \
    "$DIR/log" | head -n 1)
# The log line comes right after the fork: until the child's exec its
# environment is still the server's.
i=0
until tr '\0' '\n' <"/proc/$cm/environ" 2>/dev/null |
    grep -qx WAYLAND_DISPLAY=wayland-cdesk-test; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "the CM did not get the session's WAYLAND_DISPLAY"
	sleep 0.05
done
i=0
until [ -n "$(DISPLAY=$DW xdotool search --onlyvisible --pid "$cm" \
    2>/dev/null)" ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "the CM shows no window on $DW"
	sleep 0.05
done
# W's main window, on the server's IPC.
session_bg "$uw" DISPLAY="$DW" DBUS_SESSION_BUS_ADDRESS="$wbus" \
    "$CDESK" --config "$DIR"
ui=$BGPID
# The notice in both, read through W's accessibility bus, as W.
setpriv --reuid="$uw" --regid="$(id -g "$uw")" --init-groups \
    env -i PATH=/usr/bin:/bin HOME="$(session_home "$uw")" DISPLAY="$DW" \
    DBUS_SESSION_BUS_ADDRESS="$wbus" CM_PID="$cm" UI_PID="$ui" \
    "$PY" "$TOP/tests/integration/session_wayland.py" ||
    fail "the notice in the CM or the main window"
kill "$ui"
# An X11 session: the status says nothing more, the CM goes by itself.
mock_session w2 x11
wait_for "$DIR/log" "session changed: uid $uid \\($uw\\): x11 user" \
    "the X11 session was not followed"
st=$("$CDESK" --config "$DIR" --status) || fail "cdesk --status"
case "$st" in *Wayland*) fail "the notice outlived the Wayland session" ;;
esac
wait_for "$DIR/log" "cm: pid $cm exited \\(status 0\\)" \
    "the CM did not quit once the notice went" 400
cdesk_stop || fail "server exit"
echo "ok"
