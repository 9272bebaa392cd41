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
restart_once() {
	peer_session "$1" -w Secret-42
	grep -q '^PEERINFO' "$WORK/$1.out" || fail "login: $(cat "$WORK/$1.out")"
	sleep 0.5
	before=$(grep -c '^PERMISSION 5 0$' "$WORK/$1.out")
	echo "restart" >&3
	sleep 1
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
grep -q '^MSGBOX Restart remote device: Failed to restart' \
    "$WORK/nologind.out" || fail "no message when logind is missing"

# logind with this display as seat0's active session, which the server shares.
session_logind_desk

# Permission on: logind is asked to reboot, and the client told nothing.
restart_once on
i=0
until grep -q 'Reboot False' "$WORK/mock.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 60 ] && fail "logind saw no Reboot: $(cat "$WORK/mock.log")"
	sleep 0.05
done
grep -q '^MSGBOX' "$WORK/on.out" && fail "a message box on success"
cdesk_stop || fail "server exit"

# Permission off: PermissionInfo{Restart (5), false} again; no Reboot.
reboots=$(grep -c "Reboot" "$WORK/mock.log")
echo "enable-remote-restart = N" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
restart_once off
[ "$(grep -c '^PERMISSION 5 0$' "$WORK/off.out")" -eq $((before + 1)) ] ||
    fail "the refused restart was not answered: $(cat "$WORK/off.out")"
[ "$(grep -c 'Reboot' "$WORK/mock.log")" -eq "$reboots" ] ||
    fail "rebooted without the permission: $(cat "$WORK/mock.log")"
cdesk_stop || fail "server exit"
echo "ok"
