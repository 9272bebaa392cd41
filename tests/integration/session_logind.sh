# With logind (python3-dbusmock's logind template on a private system
# bus), whose desktop it is follows logind's active session of seat0
# through log-ins, user switches, a greeter, a Wayland session and a
# log-out, and is checked against the X server: a display served by a
# user other than the session's (and not root) is a squatter, refused and
# logged once. tests/integration/session_logind.py scripts the mock and
# asserts on the session source (tests/bin/session_watch) and on the real
# server run as root.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb dbus-daemon
PY=/usr/bin/python3
"$PY" -c 'import dbus, dbusmock' 2>/dev/null ||
    fail "python3-dbusmock missing (packaging/deps.sh installs it)"
bus_pid=""
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null;
    [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null; session_cleanup' EXIT

session_system_bus
bus_pid=$BUS_PID
# The template takes a new session's Display from its own environment.
env -u DISPLAY "$PY" -m dbusmock --template logind \
    >"$WORK/logind-mock.log" 2>&1 &
mock_pid=$!

ua=cdla$$
ub=cdlb$$
uc=cdlc$$
for u in $ua $ub $uc; do session_user "$u"; done
home_a=$(session_home "$ua")
session_xvfb "$ua"
DA=$XD XPID_A=$XPID
session_xvfb "$ub"
DB=$XD XPID_B=$XPID
session_xvfb root
DR=$XD
# A's session leader, with the session's environment.
as_user "$ua" touch "$home_a/session.auth"
session_bg "$ua" DISPLAY="$DA" XAUTHORITY="$home_a/session.auth" \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/tmp/cdesk-a-bus sleep 600
LEADER_A=$BGPID

DIR=$(cdesk_dir session_logind)
WATCH="$TOP/$B/tests/bin/session_watch"
MOCK_PID=$mock_pid BUS_PID=$bus_pid
export DA DB DR XPID_A XPID_B LEADER_A DIR WATCH MOCK_PID BUS_PID
UA=$ua UB=$ub UC=$uc HOME_A=$home_a
UID_A=$(id -u "$ua") UID_B=$(id -u "$ub") UID_C=$(id -u "$uc")
export UA UB UC HOME_A UID_A UID_B UID_C
"$PY" tests/integration/session_logind.py || fail "session_logind.py"
echo "ok"
