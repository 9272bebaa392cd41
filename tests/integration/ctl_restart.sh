# "Restart remote device" (issue 13): with the Restart permission the host
# asks logind to reboot (python3-dbusmock's logind template on a private
# system bus sees Reboot(false)); with the permission off the client is
# told so again (PermissionInfo{Restart, false}) and nothing reboots; when
# logind fails the client gets a message box, never silence.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
command -v dbus-daemon >/dev/null || fail "dbus-daemon missing"
bus_pid=""
MOCK_PID=""
trap 'exec 3>&-; [ -n "$PEER_PID" ] && kill $PEER_PID 2>/dev/null;
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null;
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null' EXIT

session_system_bus
bus_pid=$BUS_PID

# restart_once NAME: a session that asks for a restart; output in NAME.out.
# PONG markers, not sleeps: the first proves the login's PermissionInfo
# has all arrived, the second that the restart request has been handled
# (a refusal is sent before the host reads the next message).
restart_once() {
	peer_session "$1" -w Secret-42
	grep -q '^PEERINFO' "$WORK/$1.out" ||
	    fail "login: $(cat "$WORK/$1.out"); server: $(tail -n 5 "$DIR/log")"
	echo "ping 1" >&3
	wait_for "$WORK/$1.out" '^PONG 1$' "no PONG after the login"
	before=$(grep -c '^PERMISSION 5 0$' "$WORK/$1.out")
	echo "restart" >&3
	echo "ping 2" >&3
	wait_for "$WORK/$1.out" '^PONG 2$' "no PONG after the restart"
}

# restart_end: the peer of restart_once quits.
restart_end() {
	echo "quit" >&3
	exec 3>&-
	wait $PEER_PID
	PEER_PID=""
}

# No logind at all: the client is told it failed.
DIR=$(cdesk_dir ctl_restart)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
restart_once nologind
wait_for "$WORK/nologind.out" '^MSGBOX Restart remote device: Failed to restart' \
    "no message when logind is missing"
restart_end

# logind with this display as seat0's active session, which the server shares.
session_logind_desk

# Permission on: logind is asked to reboot, and the client told nothing.
restart_once on
wait_for "$WORK/mock.log" 'Reboot False' "logind saw no Reboot" 60
# logind has answered; a failure's message box would come before PONG 3.
echo "ping 3" >&3
wait_for "$WORK/on.out" '^PONG 3$' "no PONG after the reboot"
restart_end
grep -q '^MSGBOX' "$WORK/on.out" && fail "a message box on success"
cdesk_stop || fail "server exit"

# Permission off: PermissionInfo{Restart (5), false} again; no Reboot.
reboots=$(grep -c "Reboot" "$WORK/mock.log")
echo "enable-remote-restart = N" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
restart_once off
restart_end
[ "$(grep -c '^PERMISSION 5 0$' "$WORK/off.out")" -eq $((before + 1)) ] ||
    fail "the refused restart was not answered: $(cat "$WORK/off.out")"
[ "$(grep -c 'Reboot' "$WORK/mock.log")" -eq "$reboots" ] ||
    fail "rebooted without the permission: $(cat "$WORK/mock.log")"
cdesk_stop || fail "server exit"
echo "ok"
