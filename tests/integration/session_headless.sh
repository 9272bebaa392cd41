# Headless (issue 11): a server run as root with no display and no logind
# starts, with option headless-user, an Xvfb of its own as that user (with
# an X authority cookie nobody else holds) and serves it: a stock-shaped
# login gets a PeerInfo naming that user and display, then pictures; the
# mouse reaches that display; stopping the server ends the display.
# Without the option, it says once what to set and refuses remote control
# with a clear text.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb xdotool
# A folder of the test's own the user may pass through (the X authority
# is in the server's run folder, the config folder here).
WORK=$(mktemp -d /tmp/cdesk-headless.XXXXXX)
chmod 0711 "$WORK"
peer_pid=""
trap 'exec 3>&- 2>/dev/null; [ -n "$peer_pid" ] && kill "$peer_pid" \
    2>/dev/null; cdesk_stop; session_cleanup; rm -rf "$WORK"' EXIT
hu=cdhl$$
session_user "$hu"
uid=$(id -u "$hu")
saved_display=${DISPLAY:-}
unset DISPLAY

# Without the option: said once, and remote control is refused.
DIR=$(cdesk_dir session_headless_off)
cdesk_start "$DIR" || fail "server start"
grep -q "set option headless-user" "$DIR/log" ||
    fail "the server did not say what to set"
out=$("$PEER" -p "$PORT" -w "$OTP" login)
expect_match "$out" "^ERROR The host has no desktop session to share" \
    "remote control with nobody"
cdesk_stop || fail "server exit"
[ "$(grep -c "set option headless-user" "$DIR/log")" -eq 1 ] ||
    fail "the hint was not said once"

# With it: the headless display, as the user.
DIR=$(cdesk_dir session_headless)
echo "headless-user = $hu" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
line=$(grep "session changed: uid $uid ($hu), display :[0-9]* served by pid" \
    "$DIR/log") || fail "no headless session: $(grep headless "$DIR/log")"
hd=$(echo "$line" | sed -n 's/.*display \(:[0-9]*\) served.*/\1/p')
xpid=$(echo "$line" | sed -n 's/.*served by pid \([0-9]*\) .*/\1/p')
echo "headless display $hd, X server pid $xpid"
echo "$line" | grep -q "(headless)" || fail "not found as headless: $line"
[ "$(ps -o uid= -p "$xpid" | tr -d ' ')" = "$uid" ] ||
    fail "the X server does not run as $hu"
auth="$DIR/headless-$uid/Xauthority"
[ "$(stat -c '%u %a' "$auth")" = "$uid 600" ] ||
    fail "X authority $auth: $(stat -c '%u %a' "$auth")"
DISPLAY=$hd XAUTHORITY=/dev/null xdotool getmouselocation >/dev/null 2>&1 &&
    fail "the headless display lets a client in without the cookie"
grep -q "displays 1920x1080+0+0" "$DIR/log" || fail "not announced"

# A stock-shaped login, then a session with pictures and the mouse.
out=$("$PEER" -p "$PORT" -w "$OTP" login)
expect_match "$out" "^PEERINFO displays=1 .*username=$hu .*display0=1920x1080" \
    "login on the headless display"
# The server draws a new one-time password when a session ends.
i=0
while [ "$(cdesk_otp "$DIR")" = "$OTP" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "no new one-time password"
	sleep 0.05
done
OTP=$(cdesk_otp "$DIR")
peer_session headless -w "$OTP"
peer_pid=$PEER_PID
wait_for "$WORK/headless.out" "^VIDEO [0-9]+ [a-z0-9]+ 0 1920x1080 key=1" \
    "no picture of the headless display" 600
echo "mouse 0 1500 900" >&3
i=0
until [ "$(DISPLAY=$hd XAUTHORITY=$auth xdotool getmouselocation |
    sed 's/ screen.*//')" = "x:1500 y:900" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "the mouse did not reach the headless display"
	sleep 0.05
done
echo quit >&3
exec 3>&-
wait "$peer_pid"
peer_pid=""

cdesk_stop || fail "server exit"
kill -0 "$xpid" 2>/dev/null && fail "the headless X server outlived us"
# Killed ones may wait as zombies for their new parent to reap them.
left=$(ps -o pid=,stat=,cmd= -u "$uid" | awk '$2 !~ /^Z/')
[ -z "$left" ] || fail "the headless session outlived us: $left"
[ -e "$auth" ] && fail "the X authority was left behind"
DISPLAY=$saved_display
echo "ok"
