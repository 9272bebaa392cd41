# Headless (issue 11): a server run as root with no display and no logind
# starts, with option headless-user, an Xvfb of its own as that user (with
# an X authority cookie nobody else holds) and serves it: a stock-shaped
# login gets a PeerInfo naming that user and display, then pictures; the
# mouse reaches that display; stopping the server ends the display.
# headless-user is read live: another user named in the config and a
# reload (SIGHUP) start that user's display and stop the old one while a
# peer stays connected; unset (noticed at the next connection), the
# display goes.
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

# headless-user read live: a second user's display replaces the first on a
# reload; the connected peer gets a PeerInfo naming the new user and
# pictures of the new display.
hu2=cdhm$$
session_user "$hu2"
uid2=$(id -u "$hu2")
sed -i "s/^headless-user = .*/headless-user = $hu2/" "$DIR/cdesk.conf"
kill -HUP "$SERVER_PID"
wait_for "$DIR/log" \
    "session changed: uid $uid2 \\($hu2\\), display :[0-9]* served by" \
    "no headless display for $hu2 after the reload" 400
line=$(grep "session changed: uid $uid2 ($hu2)" "$DIR/log")
hd2=$(echo "$line" | sed -n 's/.*display \(:[0-9]*\) served.*/\1/p')
xpid2=$(echo "$line" | sed -n 's/.*served by pid \([0-9]*\) .*/\1/p')
echo "headless display of $hu2: $hd2, X server pid $xpid2"
[ "$(ps -o uid= -p "$xpid2" | tr -d ' ')" = "$uid2" ] ||
    fail "the new X server does not run as $hu2"
wait_for "$WORK/headless.out" "^PEERINFO .*username=$hu2 " \
    "no PeerInfo naming $hu2 after the reload"
# A key frame of the new display after that PeerInfo.
i=0
until sed -n "/^PEERINFO .*username=$hu2 /,\$p" "$WORK/headless.out" |
    grep -q '^VIDEO [0-9]* [a-z0-9]* 0 1920x1080 key=1'; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "no picture of $hu2's display"
	sleep 0.05
done
i=0
while kill -0 "$xpid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "$hu's X server still runs after the reload"
	sleep 0.05
done
[ -e "$auth" ] && fail "$hu's X authority was left behind"
echo quit >&3
exec 3>&-
wait "$peer_pid"
peer_pid=""

# Unset: the display goes, remote control is refused again. No SIGHUP
# this time: the next connection notices the changed file.
sed -i '/^headless-user/d' "$DIR/cdesk.conf"
"$PEER" -p "$PORT" login >/dev/null
wait_for "$DIR/log" "session changed: nobody" \
    "headless-user unset: still a session" 400
i=0
while kill -0 "$xpid2" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "$hu2's X server still runs after unset"
	sleep 0.05
done
out=$("$PEER" -p "$PORT" -w "$(cdesk_otp "$DIR")" login)
expect_match "$out" "^ERROR The host has no desktop session to share" \
    "remote control after headless-user was unset"

cdesk_stop || fail "server exit"
left=$(ps -o pid=,stat=,cmd= -u "$uid2" | awk '$2 !~ /^Z/')
[ -z "$left" ] || fail "$hu2's headless session outlived us: $left"
kill -0 "$xpid" 2>/dev/null && fail "the headless X server outlived us"
# Killed ones may wait as zombies for their new parent to reap them.
left=$(ps -o pid=,stat=,cmd= -u "$uid" | awk '$2 !~ /^Z/')
[ -z "$left" ] || fail "the headless session outlived us: $left"
[ -e "$auth" ] && fail "the X authority was left behind"
DISPLAY=$saved_display
echo "ok"
