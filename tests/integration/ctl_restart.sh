# "Restart remote device" (issue 13): with the Restart permission the host
# asks logind to reboot (python3-dbusmock's logind template on a private
# system bus sees Reboot(false)); with the permission off the client is
# told so again (PermissionInfo{Restart, false}) and nothing reboots; when
# logind fails the client gets a message box, never silence.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
command -v dbus-daemon >/dev/null || { echo "dbus-daemon missing"; exit 77; }
PY=/usr/bin/python3
"$PY" -c 'import dbus, dbusmock' 2>/dev/null ||
    fail "python3-dbusmock missing (packaging/deps.sh installs it)"
bus_pid=""
mock_pid=""
trap 'exec 3>&-; [ -n "$PEER_PID" ] && kill $PEER_PID 2>/dev/null;
    [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null;
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

"$PY" -m dbusmock --system --template logind -l "$WORK/mock.log" \
    >"$WORK/mock.out" 2>&1 &
mock_pid=$!
i=0
until grep -q 'org.freedesktop.login1' "$WORK/mock.out" 2>/dev/null ||
    busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.freedesktop.login1 \
    >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "the logind mock did not start"
	sleep 0.05
done
# With logind on the bus the server shares logind's active session: make
# the test's own display (root's) seat0's active x11 session.
"$PY" - "$DISPLAY" <<'EOP' || fail "no logind session for $DISPLAY"
import sys, dbus
bus = dbus.SystemBus()
name = 'org.freedesktop.login1'
mock = dbus.Interface(bus.get_object(name, '/org/freedesktop/login1'),
                      'org.freedesktop.DBus.Mock')
mock.AddSession('c1', 'seat0', dbus.UInt32(0), 'root', True)
props = dbus.Interface(bus.get_object(
    name, '/org/freedesktop/login1/session/c1'),
    'org.freedesktop.DBus.Properties')
props.Set('org.freedesktop.login1.Session', 'Type', 'x11')
props.Set('org.freedesktop.login1.Session', 'Display', sys.argv[1])
EOP

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
