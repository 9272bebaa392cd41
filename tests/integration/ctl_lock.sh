# "Insert Lock" and "Lock after session end" (issue 13): both lock the
# desk's session through logind's LockSession (python3-dbusmock's logind
# template on a private system bus sees LockSession("c1"), the active
# session of seat0 on this test's display). Lock after session end locks
# when the session ends only while the option is on, and only with the
# Keyboard permission, as upstream's on_close.
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
# logind with this display as seat0's active session, which the server shares.
session_logind_desk

# locks: how many LockSession("c1") logind saw.
locks() {
	grep -c 'LockSession "c1"' "$WORK/mock.log" 2>/dev/null
}

# wait_locks N WHAT: until logind saw N locks (5 s).
wait_locks() {
	i=0
	until [ "$(locks)" -ge "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "$2: $(cat "$WORK/mock.log")"
		sleep 0.05
	done
}

# marker N WHAT: a round trip on the session: whatever the host did for
# the commands sent before it is done (a lock is a synchronous D-Bus call).
marker() {
	echo "ping $1" >&3
	wait_for "$WORK/$2.out" "^PONG $1\$" "no PONG $1 ($2)"
}

# session_end NAME: quit the session and wait for the server to log it.
session_end() {
	n=$(grep -c ': closed (' "$DIR/log")
	echo "quit" >&3
	exec 3>&-
	wait $PEER_PID
	PEER_PID=""
	wait_more "$DIR/log" ': closed (' "$n" "$1 did not end"
}

DIR=$(cdesk_dir ctl_lock)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
wait_for "$DIR/log" "session: .* session c1 at seat0" \
    "the server did not take logind's session c1"

# Insert Lock: KeyEvent LockScreen -> LockSession("c1").
peer_session insert -w Secret-42
grep -q '^PEERINFO' "$WORK/insert.out" || fail "login: $(cat "$WORK/insert.out")"
echo "lock" >&3
wait_locks 1 "Insert Lock did not lock"
echo "insert lock: LockSession(c1)"
session_end insert

# Lock after session end: on -> locked as the session ends.
peer_session after -w Secret-42
# The server took this login after it had closed the last one (a lock at
# its end would have been called by then).
grep -q '^PEERINFO' "$WORK/after.out" || fail "login: $(cat "$WORK/after.out")"
[ "$(locks)" -eq 1 ] || fail "locked at the end without the option"
echo "set lock 1" >&3
marker 1 after
[ "$(locks)" -eq 1 ] || fail "locked when the option was set"
session_end after
wait_locks 2 "Lock after session end did not lock"
echo "lock after session end: LockSession(c1)"

# Turned off again before the end: no lock.
peer_session off -w Secret-42
echo "set lock 1" >&3
echo "set lock 0" >&3
marker 1 off
session_end off
# The server has exited: any lock it called at the end is in the log.
cdesk_stop || fail "server exit"
[ "$(locks)" -eq 2 ] || fail "locked with the option turned off"

# Without the Keyboard permission neither locks.
echo "enable-keyboard = N" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
peer_session nokbd -w Secret-42
echo "set lock 1" >&3
echo "lock" >&3
marker 1 nokbd
[ "$(locks)" -eq 2 ] || fail "Insert Lock locked without the Keyboard permission"
session_end nokbd
cdesk_stop || fail "server exit"
[ "$(locks)" -eq 2 ] || fail "locked without the Keyboard permission"
echo "ok"
