# Following the session (issue 11): with logind (python3-dbusmock's
# template on a private system bus) and three X servers, the real server
# run as root follows user switches, a log-out to the login screen, a
# Wayland session and nobody while a peer stays connected:
# - A's Xvfb: 640x480, red, no X authority (every Xvfb -noreset: the
#   colour outlives the xsetroot that set it);
# - B's Xvfb: 800x600, blue, with an X authority cookie in B's home (the
#   server must present it: it has no XAUTHORITY of its own);
# - the login screen (user C's greeter session) on root's Xvfb: 1024x768,
#   green.
# The peer sees a new PeerInfo, SwitchDisplay and pictures of the new
# screen; its mouse and clipboard reach the new display; the CM of the
# old user is stopped and the next click-login starts one as the new
# user; file transfer and terminal are refused on the login screen;
# remote control is refused on Wayland and with nobody, and a peer left
# without a desk is closed after the grace time with the reason.
# tests/integration/session_follow.py drives the mock and the peers.
. "$TOP/tests/lib.sh"
. "$TOP/tests/session_lib.sh"
session_need useradd userdel setpriv Xvfb dbus-daemon xauth xsetroot \
    xdotool xclip
BUS_PID=""
MOCK_PID=""
trap '[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null;
    [ -n "$BUS_PID" ] && kill "$BUS_PID" 2>/dev/null; session_cleanup' EXIT
session_logind_mock

ua=cdfa$$
ub=cdfb$$
uc=cdfc$$
for u in $ua $ub $uc; do session_user "$u"; done
home_a=$(session_home "$ua")
home_b=$(session_home "$ub")

session_xvfb "$ua" -screen 0 640x480x24 -noreset
DA=$XD XPID_A=$XPID
DISPLAY=$DA xsetroot -solid red || fail "xsetroot on A"
# The cookie Xvfb loads (any entry), then the one for its display number.
cookie=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
as_user "$ub" xauth -q -f "$home_b/.Xauthority" add :0 . "$cookie" \
    2>/dev/null || fail "xauth"
session_xvfb "$ub" -screen 0 800x600x24 -noreset -auth "$home_b/.Xauthority"
DB=$XD XPID_B=$XPID
as_user "$ub" xauth -q -f "$home_b/.Xauthority" add "$DB" . "$cookie" ||
    fail "xauth $DB"
DISPLAY=$DB xsetroot -solid blue 2>/dev/null &&
    fail "B's X server lets anyone in"
DISPLAY=$DB XAUTHORITY=$home_b/.Xauthority xsetroot -solid blue ||
    fail "xsetroot on B"
session_xvfb root -screen 0 1024x768x24 -noreset
DG=$XD XPID_G=$XPID
DISPLAY=$DG xsetroot -solid green || fail "xsetroot on the greeter's"
# The users' session leaders, with their sessions' environment.
session_bg "$ua" DISPLAY="$DA" sleep 600
LEADER_A=$BGPID
session_bg "$ub" DISPLAY="$DB" XAUTHORITY="$home_b/.Xauthority" sleep 600
LEADER_B=$BGPID

DIR=$(cdesk_dir session_follow)
# Both: a password lets in, a login without one waits for a click (CM).
sed -i '/^approve-mode/d' "$DIR/cdesk.conf"
AUTH_B=$home_b/.Xauthority
UA=$ua UB=$ub UC=$uc UID_A=$(id -u "$ua") UID_B=$(id -u "$ub")
UID_C=$(id -u "$uc")
export DA DB DG XPID_A XPID_B XPID_G LEADER_A LEADER_B DIR AUTH_B
export UA UB UC UID_A UID_B UID_C MOCK_PID
/usr/bin/python3 tests/integration/session_follow.py ||
    fail "session_follow.py"
echo "ok"
