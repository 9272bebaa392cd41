# keep-awake-during-incoming-sessions (issue 14): while a session is live
# the host holds a logind inhibitor "idle:sleep" (python3-dbusmock's logind
# template on a private system bus lists it), and gives it back when the
# last session ends; without the option it asks for none. A change of the
# option reaches live sessions within a second, as upstream's.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
command -v dbus-daemon >/dev/null || fail "dbus-daemon missing"
PY=/usr/bin/python3
bus_pid=""
MOCK_PID=""
trap 'exec 3>&-; [ -n "$PEER_PID" ] && kill $PEER_PID 2>/dev/null;
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null;
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null' EXIT

session_system_bus
bus_pid=$BUS_PID
# logind with this display as seat0's active session, which the server shares.
session_logind_desk

# inhibitors: logind's inhibitors now, one "what who why mode" a line.
inhibitors() {
	"$PY" - <<'EOP'
import dbus
bus = dbus.SystemBus()
m = dbus.Interface(bus.get_object('org.freedesktop.login1',
    '/org/freedesktop/login1'), 'org.freedesktop.login1.Manager')
for i in m.ListInhibitors():
    print(' '.join(str(x) for x in i[:4]))
EOP
}

# wait_inhibitors N: until logind lists N inhibitors.
wait_inhibitors() {
	i=0
	until [ "$(inhibitors | wc -l)" -eq "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && fail "want $1 inhibitor(s), have: $(inhibitors)"
		sleep 0.05
	done
}

DIR=$(cdesk_dir options_awake)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
echo "keep-awake-during-incoming-sessions = Y" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
[ -z "$(inhibitors)" ] || fail "an inhibitor without a session"

# A session: the lock is taken, and given back when it ends.
peer_session one -w Secret-42
grep -q '^PEERINFO' "$WORK/one.out" || fail "login: $(cat "$WORK/one.out")"
wait_inhibitors 1
inhibitors | grep -q '^idle:sleep cdesk .* block$' ||
    fail "not the inhibitor wanted: $(inhibitors)"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
PEER_PID=""
wait_inhibitors 0

# Option off while a session runs: the lock goes within a second; on
# again: it comes back.
peer_session two -w Secret-42
wait_inhibitors 1
"$CDESK" --config "$DIR" --option keep-awake-during-incoming-sessions N \
    >/dev/null || fail "--option N"
wait_inhibitors 0
"$CDESK" --config "$DIR" --option keep-awake-during-incoming-sessions Y \
    >/dev/null || fail "--option Y"
wait_inhibitors 1
echo "quit" >&3
exec 3>&-
wait $PEER_PID
PEER_PID=""
wait_inhibitors 0

# Without the option: a session takes no lock (one Inhibit call per lock
# so far, and none once the session's ticks of more than a second ran).
"$CDESK" --config "$DIR" --option keep-awake-during-incoming-sessions N \
    >/dev/null || fail "--option N"
calls=$(grep -c ' Inhibit ' "$WORK/mock.log")
[ "$calls" -eq 3 ] || fail "$calls Inhibit calls for three locks"
peer_session three -w Secret-42
grep -q '^PEERINFO' "$WORK/three.out" || fail "login: $(cat "$WORK/three.out")"
wait_for "$DIR/log" "conn [0-9]* peer [^ ]*: login ok" "no login logged"
# A timed wait, the test itself: the once-a-second tick that applies the
# option runs (its Inhibit would be an asynchronous call, which no marker
# on the session orders).
sleep 1.2
echo "ping 1" >&3
wait_for "$WORK/three.out" '^PONG 1$' "no PONG"
[ "$(grep -c ' Inhibit ' "$WORK/mock.log")" -eq 3 ] ||
    fail "an inhibitor asked for without the option"
[ -z "$(inhibitors)" ] || fail "an inhibitor without the option"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
PEER_PID=""
cdesk_stop || fail "server exit"
echo "ok"
