#!/bin/sh
# trust.sh: whose trust (issue 11) on a desktop that is not root's. A user
# made for this test runs an X display and a session bus, the server runs
# as root, and:
#  - the CM the server starts runs as that user, with the clean
#    environment of session_spawn() and the user's HOME;
#  - `cdesk --status` and `cdesk --get-temp-password` as that user work,
#    and the one-time password is on no stdout that is not a terminal;
#  - a third user's IPC is refused; clients refuse a third user's server
#    (through $CDESK_IPC_DIR, and planted as /tmp/cdesk-UID), and a user's
#    own server refuses to listen in that planted folder;
#  - an option the admin's file sets cannot be changed over the IPC (the
#    error names the file); another one can, and lands in the user's file;
#  - `cdesk --password -` reads the password from stdin.
# Needs root (useradd, setpriv); every user it makes is removed on exit.
. "$TOP/tests/lib.sh"
set -u
[ "$(id -u)" -eq 0 ] || { echo "needs root (useradd, setpriv)"; exit 77; }
for c in useradd userdel setpriv Xvfb dbus-daemon getent; do
	command -v $c >/dev/null || { echo "$c missing"; exit 77; }
done

U="cdtr$$d"		# the person at the desk
X="cdtr$$x"		# another local user
top=$(mktemp -d /tmp/cdesk-trust.XXXXXX)
chmod 0755 "$top"
DIR="$top/srv"
made="" xpid="" bpid="" ppid="" cmpid="" ipid="" upid="" SERVER_PID=""

# kill_pid PID: stop one process this test started and reap it.
kill_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# cleanup: stop everything started here, then remove the users (and
# whatever they still run: processes this test caused, killed by id).
cleanup() {
	for p in $ppid $ipid $upid $cmpid $SERVER_PID $bpid $xpid; do
		kill_pid "$p"
	done
	for u in $made; do
		for p in $(ps -o pid= -u "$u" 2>/dev/null); do
			kill "$p" 2>/dev/null
		done
		sleep 0.2
		for p in $(ps -o pid= -u "$u" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		rm -rf "/tmp/cdesk-$(id -u "$u" 2>/dev/null)"
		userdel -r "$u" >/dev/null 2>&1 ||
		    echo "warning: userdel $u failed"
	done
	rm -rf "$top"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# as_user NAME CMD...: run CMD as NAME with a fresh login-like environment.
as_user() {
	u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups --reset-env "$@"
}

for u in "$U" "$X"; do
	useradd -m -s /bin/sh "$u" || fail "useradd $u"
	made="$made $u"
done
UID_U=$(id -u "$U")
UID_X=$(id -u "$X")

# The user's desktop: an X display, a session bus, a runtime folder.
: >"$top/displayfd"
as_user "$U" Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp \
    +extension RANDR +extension DAMAGE 3>"$top/displayfd" \
    >"$top/xvfb.log" 2>&1 &
xpid=$!
i=0
until [ -s "$top/displayfd" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { cat "$top/xvfb.log"; fail "no Xvfb as $U"; }
	sleep 0.05
done
DISPLAY=":$(cat "$top/displayfd")"
[ "$(stat -c %U "/tmp/.X11-unix/X${DISPLAY#:}")" = "$U" ] ||
    fail "the X socket is not $U's"
as_user "$U" dbus-daemon --session --nofork --nopidfile --nosyslog \
    --print-address=4 4>"$top/bus" 2>/dev/null &
bpid=$!
wait_for "$top/bus" '^unix:' "no session bus for $U"
mkdir -m 0700 "$top/xdg"
chown "$U:" "$top/xdg"
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$top/bus")
XDG_RUNTIME_DIR="$top/xdg"
export DISPLAY DBUS_SESSION_BUS_ADDRESS XDG_RUNTIME_DIR
unset XAUTHORITY

# The server, as root, on --config DIR with an admin's file in it.
mkdir -m 0700 "$DIR"
p=$(free_port)
printf '[options]\ndirect-server = Y\ndirect-access-port = %s\n' "$p" \
    >"$DIR/cdesk.conf"
echo "custom-rendezvous-server = 127.0.0.1:9" >>"$DIR/cdesk.conf"
printf '[options]\nenable-file-transfer = N\n' >"$DIR/admin.conf"
cp "$DIR/admin.conf" "$top/admin.before"
cdesk_start "$DIR" || fail "server start"

# A login without a password waits for a click: the server starts the CM
# in the desk user's session, as that user.
"$PEER" -p "$PORT" -t 30000 login >"$top/peer.out" 2>&1 &
ppid=$!
wait_for "$DIR/log" "cm: attached \\(pid [0-9]+ uid $UID_U\\)" \
    "no CM attached as $U" 400
cmpid=$(sed -n "s/.*cm: attached (pid \\([0-9]*\\) uid $UID_U).*/\\1/p" \
    "$DIR/log" | head -n 1)
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$cmpid/status")
[ "$uids" = "$UID_U $UID_U $UID_U $UID_U" ] || fail "CM uids: $uids"
grep -q "cm: started .* as uid $UID_U " "$DIR/log" ||
    fail "the server did not say it started the CM as $U"
tr '\0' '\n' <"/proc/$cmpid/environ" >"$top/cm.env"
allowed='DISPLAY|XAUTHORITY|HOME|USER|LOGNAME|SHELL|PATH|LANG|LANGUAGE'
allowed="$allowed|LC_[A-Z_]*|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS"
allowed="$allowed|CDESK_IPC_DIR|ASAN_OPTIONS|LSAN_OPTIONS|UBSAN_OPTIONS"
bad=$(sed 's/=.*//' "$top/cm.env" | grep -Ev "^($allowed)\$")
[ -z "$bad" ] || fail "CM environment has: $bad"
grep -qx "HOME=$(getent passwd "$U" | cut -d: -f6)" "$top/cm.env" ||
    fail "CM HOME is not $U's"
grep -qx "USER=$U" "$top/cm.env" || fail "CM USER is not $U"
grep -qx "DISPLAY=$DISPLAY" "$top/cm.env" || fail "CM DISPLAY"
grep -qx "CDESK_IPC_DIR=$DIR" "$top/cm.env" || fail "CM CDESK_IPC_DIR"
kill_pid "$ppid"
ppid=""

# The desk user reaches the root server: status and one-time password.
st=$(as_user "$U" "$CDESK" --config "$DIR" --status) ||
    fail "--status as $U: $st"
expect_match "$st" "^(connecting|error: .*)$" "--status as $U"
otp=$(as_user "$U" "$CDESK" --config "$DIR" --get-temp-password) ||
    fail "--get-temp-password as $U"
[ "$otp" = "$(cdesk_otp "$DIR")" ] || fail "the user's OTP is not root's"
out=$("$PEER" -p "$PORT" -w "$otp" login)
expect_match "$out" "^PEERINFO" "login with the OTP the user asked for"
grep -q "one-time password" "$DIR/out" ||
    grep -qw "$otp" "$DIR/out" "$DIR/log" &&
    fail "the one-time password is on the server's stdout or log"

# Another local user is refused by the server.
err=$(as_user "$X" "$CDESK" --config "$DIR" --status 2>&1) &&
    fail "--status as $X was answered: $err"
echo "$err" | grep -q "does not let uid $UID_X in" ||
    fail "refusal of $X: '$err'"
wait_for "$DIR/log" "ipc: refused pid [0-9]+ uid $UID_X" "no refusal logged"

# Clients refuse a server run by another user: a socket of $X's, named
# by CDESK_IPC_DIR ...
mkdir -m 0700 "$top/xrun"
chown "$X:" "$top/xrun"
as_user "$X" "$B/tests/bin/ipc_echo" serve "$top/xrun" >"$top/imp.out" \
    2>"$top/imp.err" &
ipid=$!
wait_for "$top/imp.out" READY "no impostor server"
for who in "$U" root; do
	err=$(as_user "$who" env CDESK_IPC_DIR="$top/xrun" "$CDESK" \
	    --status 2>&1) && fail "$who talked to $X's server: $err"
	echo "$err" | grep -q "$top/xrun belongs to uid $UID_X" ||
	    fail "$who's refusal of $X's server: '$err'"
done
as_user "$U" "$B/tests/bin/ipc_echo" request "$top/xrun" >"$top/req.out"
[ $? -eq 3 ] || fail "ipc_echo as $U was not refused"
grep -q "neither root nor you" "$top/req.out" ||
    fail "ipc_echo refusal: $(cat "$top/req.out")"
kill_pid "$ipid"
# ... and planted where the desk user's client and server look when no
# XDG_RUNTIME_DIR is set: /tmp/cdesk-UID.
plant="/tmp/cdesk-$UID_U"
rm -rf "$plant"
mkdir -m 0700 "$plant"
chown "$X:" "$plant"
as_user "$X" "$B/tests/bin/ipc_echo" serve "$plant" >"$top/imp.out" \
    2>"$top/imp.err" &
ipid=$!
wait_for "$top/imp.out" READY "no planted server"
err=$(as_user "$U" "$CDESK" --status 2>&1)
echo "$err" | grep -q "$plant belongs to uid $UID_X" ||
    fail "the planted folder was not refused: '$err'"
echo "$err" | grep -Eq '^$|status id' && fail "talked to the planted server"
as_user "$U" "$CDESK" -v --server >"$top/user.out" 2>"$top/user.log" &
upid=$!
wait_for "$top/user.log" "$plant: owned by uid $UID_X, not by us" \
    "the user's server took the planted folder"
kill_pid "$upid"
upid=""
kill_pid "$ipid"
ipid=""
rm -rf "$plant"

# The admin's file wins: its keys cannot be changed over the IPC, the
# others can and land in the user's file, never in the admin's.
err=$(as_user "$U" "$CDESK" --config "$DIR" --option enable-file-transfer Y \
    2>&1) && fail "a locked option was changed: $err"
echo "$err" | grep -q "set by the administrator in $DIR/admin.conf" ||
    fail "locked option error: '$err'"
err=$("$CDESK" --config "$DIR" --option enable-file-transfer Y 2>&1) &&
    fail "root over the IPC changed a locked option: $err"
grep -q "enable-file-transfer" "$DIR/cdesk.conf" &&
    fail "the locked option reached the user's file"
as_user "$U" "$CDESK" --config "$DIR" --option enable-audio N ||
    fail "an unlocked option was refused"
grep -qx "enable-audio = N" "$DIR/cdesk.conf" ||
    fail "the option is not in the user's file"
cmp -s "$DIR/admin.conf" "$top/admin.before" ||
    fail "the admin's file changed"
v=$("$CDESK" --config "$DIR" --option enable-file-transfer 2>"$top/note")
[ "$v" = N ] || fail "effective enable-file-transfer '$v'"
grep -q "set by the administrator in $DIR/admin.conf" "$top/note" ||
    fail "--option KEY does not say the key is locked"
grep -q "option enable-audio changed through the IPC" "$DIR/log" ||
    fail "the server did not take the option"

# --password - reads stdin (so the password is in no command line).
printf 'Stdin-Pass-93\n' |
    as_user "$U" "$CDESK" --config "$DIR" --password - >"$top/pw.out" ||
    fail "--password - as $U"
grep -qx 'Done!' "$top/pw.out" || fail "--password - said $(cat "$top/pw.out")"
out=$("$PEER" -p "$PORT" -w Stdin-Pass-93 login)
expect_match "$out" "^PEERINFO" "login with the password read from stdin"
printf 'short\n' | "$CDESK" --config "$DIR" --password - 2>"$top/pw.err" &&
    fail "a short password from stdin was taken"
grep -q "at least 6" "$top/pw.err" || fail "short: $(cat "$top/pw.err")"
grep -q 'Stdin-Pass-93' "$DIR/log" "$DIR/out" && fail "password in the log"

kill_pid "$cmpid"
cmpid=""
cdesk_stop || fail "server exit"
echo "ok"
