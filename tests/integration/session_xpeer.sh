# Where no logind runs, the session is the uid serving $DISPLAY, asked of
# the kernel (SO_PEERCRED), never the owner of a file in /tmp/.X11-unix:
# - an Xvfb run by a user made here is that user's session, for the
#   session source and for the real server run as root;
# - a regular file, a dead socket, or a symlink to a file, planted there
#   by a third user, make nobody's session (a symlink to the user's own
#   socket still reaches, and names, the user's X server);
# - the X authority comes from the session's processes when they name a
#   file the user owns, else the X server's -auth file; a file planted by
#   the third user is not used;
# - an X server that goes away is noticed (nobody's session).
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb xauth
WATCH="$TOP/$B/tests/bin/session_watch"
# No logind here: a system bus nobody serves.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$WORK/no-system-bus"
export DBUS_SYSTEM_BUS_ADDRESS
planted=""
watch_pid=""
trap 'exec 7>&- 2>/dev/null; [ -n "$watch_pid" ] && wait "$watch_pid";
    session_cleanup; rm -f $planted' EXIT

ua=cdxa$$
uc=cdxc$$
session_user "$ua"
session_user "$uc"
uid_a=$(id -u "$ua")
uid_c=$(id -u "$uc")
home_a=$(session_home "$ua")
home_c=$(session_home "$uc")

# The user's X server, without X authority (the real server uses it).
session_xvfb "$ua"
da=$XD
pida=$XPID
out=$(DISPLAY=$da "$WATCH" once </dev/null)
echo "$out"
[ "$(session_field "$out" uid)" = "$uid_a" ] || fail "session is not $ua's"
[ "$(session_field "$out" xpid)" = "$pida" ] || fail "X server pid"
[ "$(session_field "$out" how)" = xpeer ] || fail "found by what"

# Planted by the third user under unused display numbers.
n1=$(session_free_display)
as_user "$uc" touch "/tmp/.X11-unix/X$n1" || fail "plant a file"
planted="$planted /tmp/.X11-unix/X$n1"
n2=$(session_free_display)
as_user "$uc" /usr/bin/python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "/tmp/.X11-unix/X$n2" ||
    fail "plant a dead socket"
planted="$planted /tmp/.X11-unix/X$n2"
n3=$(session_free_display)
as_user "$uc" touch "$home_c/x"
as_user "$uc" ln -s "$home_c/x" "/tmp/.X11-unix/X$n3" || fail "plant a link"
planted="$planted /tmp/.X11-unix/X$n3"
for n in $n1 $n2 $n3; do
	[ "$(stat -L -c %u "/tmp/.X11-unix/X$n")" = "$uid_c" ] ||
	    fail "X$n is not owned by $uc"
	out=$(DISPLAY=":$n" "$WATCH" once </dev/null)
	echo "$out"
	got=$(session_field "$out" uid)
	[ "$got" = -1 ] || fail "a file planted as X$n made uid $got's session"
done
n4=$(session_free_display)
as_user "$uc" ln -s "/tmp/.X11-unix/X${da#:}" "/tmp/.X11-unix/X$n4" ||
    fail "plant a link to the real socket"
planted="$planted /tmp/.X11-unix/X$n4"
out=$(DISPLAY=":$n4" "$WATCH" once </dev/null)
[ "$(session_field "$out" uid)" = "$uid_a" ] ||
    fail "a link to $ua's socket: session of uid $(session_field "$out" uid)"

# X authority: the server's -auth file, unless a session process names a
# file the user owns; one owned by the third user is refused.
as_user "$ua" xauth -q -f "$home_a/srv.auth" add :0 . \
    0123456789abcdef0123456789abcdef || fail "xauth"
session_xvfb "$ua" -auth "$home_a/srv.auth"
db=$XD
out=$(DISPLAY=$db "$WATCH" once </dev/null)
echo "$out"
[ "$(session_field "$out" uid)" = "$uid_a" ] || fail "session with -auth"
[ "$(session_field "$out" xauthority)" = "$home_a/srv.auth" ] ||
    fail "X authority from -auth: $(session_field "$out" xauthority)"
as_user "$uc" touch "/tmp/cdesk-evil-auth.$$"
planted="$planted /tmp/cdesk-evil-auth.$$"
session_bg "$ua" DISPLAY="$db" XAUTHORITY="/tmp/cdesk-evil-auth.$$" \
    sleep 600
bg1=$BGPID
as_user "$ua" cp "$home_a/srv.auth" "$home_a/session.auth"
session_bg "$ua" DISPLAY="$db" XAUTHORITY="$home_a/session.auth" \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/tmp/cdesk-test-bus sleep 600
# Until both run `sleep` (before that exec their environment is not the
# session's).
for p in $bg1 $BGPID; do
	i=0
	until [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ]; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "session process $p did not start"
		sleep 0.05
	done
done
out=$(DISPLAY=$db "$WATCH" once </dev/null 2>"$WORK/watch.err")
echo "$out"
cat "$WORK/watch.err"
[ "$(session_field "$out" xauthority)" = "$home_a/session.auth" ] ||
    fail "X authority from the session: $(session_field "$out" xauthority)"
[ "$(session_field "$out" dbus)" = unix:path=/tmp/cdesk-test-bus ] ||
    fail "D-Bus address from the session"
grep -q "cdesk-evil-auth.$$ (session environment) is owned by uid $uid_c" \
    "$WORK/watch.err" || fail "the planted X authority was not refused"

# Followed: the X server goes away, nobody's session within seconds.
mkfifo "$WORK/watch.in"
DISPLAY=$db "$WATCH" <"$WORK/watch.in" >"$WORK/watch.out" 2>&1 &
watch_pid=$!
exec 7>"$WORK/watch.in"
wait_for "$WORK/watch.out" "^SESSION uid=$uid_a " "first session line"
kill "$XPID"
wait "$XPID" 2>/dev/null
wait_for "$WORK/watch.out" "^SESSION uid=-1 .*display=$db " \
    "no change after the X server stopped" 300
exec 7>&-
wait "$watch_pid"
watch_pid=""

# The real server, as root, on the user's display.
DIR=$(cdesk_dir session_xpeer)
DISPLAY=$da cdesk_start "$DIR" || fail "server start"
grep -q "session: uid $uid_a ($ua), display $da served by pid $pida" \
    "$DIR/log" || fail "the server did not find $ua's session"
cdesk_stop || fail "server exit"
echo "ok"
