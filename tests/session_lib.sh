# tests/session_lib.sh: helpers for the session tests (sourced after
# tests/lib.sh): users made for the test and X servers run as them. Needs
# root. Call session_cleanup from the test's EXIT trap.
SESSION_USERS=""
SESSION_PIDS=""

# session_cleanup: stop what the helpers started, then remove the users.
session_cleanup() {
	for p in $SESSION_PIDS; do kill "$p" 2>/dev/null; done
	for p in $SESSION_PIDS; do wait "$p" 2>/dev/null; done
	for u in $SESSION_USERS; do userdel -r "$u" 2>/dev/null; done
}

# session_need CMD...: skip (77) unless root and each CMD exists.
session_need() {
	[ "$(id -u)" -eq 0 ] ||
	    { echo "needs root (creates users)"; exit 77; }
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
		    { echo "$c missing"; exit 77; }
	done
}

# session_user NAME: create user NAME with a home folder.
session_user() {
	useradd -m -s /bin/sh "$1" >/dev/null 2>&1 || fail "useradd $1"
	SESSION_USERS="$SESSION_USERS $1"
}

# session_home NAME: NAME's home folder.
session_home() {
	getent passwd "$1" | cut -d: -f6
}

# as_user NAME CMD...: run CMD as NAME (its groups, a clean environment
# plus any NAME=value given before CMD through env).
as_user() {
	u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
	    env -i PATH=/usr/bin:/bin HOME="$(session_home "$u")" \
	    "$@"
}

# session_xvfb NAME [XVFB-ARGS...]: start Xvfb as NAME on a display it
# picks; sets XD (":N") and XPID.
session_xvfb() {
	u=$1; shift
	f=$(mktemp "$WORK/xvfb.XXXXXX")
	exec 4>"$f"
	# Not through as_user: $! must be Xvfb's pid (setpriv and env exec).
	# A number of our choosing: -displayfd alone would take the first free
	# one, whose /tmp/server-N.xkm another user's X server may have left
	# behind (this user could not replace it, and Xvfb would die).
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
	    env -i PATH=/usr/bin:/bin HOME="$(session_home "$u")" \
	    Xvfb ":$(session_free_display)" -displayfd 4 -screen 0 640x480x24 \
	    -nolisten tcp "$@" >"$f.log" 2>&1 &
	XPID=$!
	exec 4>&-
	SESSION_PIDS="$SESSION_PIDS $XPID"
	i=0
	while [ ! -s "$f" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] &&
		    { cat "$f.log"; fail "Xvfb as $u did not start"; }
		sleep 0.05
	done
	XD=":$(cat "$f")"
}

# session_bg NAME CMD...: run CMD as NAME in the background; sets BGPID
# (CMD's pid).
session_bg() {
	u=$1; shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
	    env -i PATH=/usr/bin:/bin HOME="$(session_home "$u")" \
	    "$@" >/dev/null 2>&1 &
	BGPID=$!
	SESSION_PIDS="$SESSION_PIDS $BGPID"
}

# session_free_display: print a display number nobody uses (no socket, no
# lock, no keymap file left by another X server), well above the ones Xvfb
# -displayfd picks.
session_free_display() {
	n=$((200 + $$ % 500))
	while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] ||
	    [ -e "/tmp/server-$n.xkm" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# session_field LINE NAME: the value of NAME=... in a SESSION line.
session_field() {
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# session_system_bus: a private system bus (as dbusmock's own tests make
# one) in $WORK; sets BUS_PID and exports DBUS_SYSTEM_BUS_ADDRESS.
session_system_bus() {
	cat >"$WORK/system-bus.conf" <<EOC
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:dir=$WORK</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOC
	dbus-daemon --config-file="$WORK/system-bus.conf" --fork \
	    --nopidfile --print-address=5 --print-pid=6 \
	    5>"$WORK/sysbus.addr" 6>"$WORK/sysbus.pid" || fail "dbus-daemon"
	BUS_PID=$(cat "$WORK/sysbus.pid")
	DBUS_SYSTEM_BUS_ADDRESS=$(cat "$WORK/sysbus.addr")
	export DBUS_SYSTEM_BUS_ADDRESS
}

# session_logind_mock: a private system bus (as dbusmock's own tests make
# one) with python3-dbusmock's logind template on it; exports
# DBUS_SYSTEM_BUS_ADDRESS and sets BUS_PID and MOCK_PID (the caller's EXIT
# trap kills them). Fails without dbusmock.
session_logind_mock() {
	/usr/bin/python3 -c 'import dbus, dbusmock' 2>/dev/null ||
	    fail "python3-dbusmock missing (packaging/deps.sh installs it)"
	session_system_bus
	# The template takes a new session's Display from its environment.
	env -u DISPLAY /usr/bin/python3 -m dbusmock --template logind \
	    >"$WORK/logind-mock.log" 2>&1 &
	MOCK_PID=$!
}

# session_logind_desk: python3-dbusmock's logind template on the private
# system bus (session_system_bus first), logging the calls it gets to
# $WORK/mock.log, with this test's display as seat0's active x11 session
# "c1" of root; sets MOCK_PID as soon as the mock runs (the caller's EXIT
# trap kills it).
session_logind_desk() {
	/usr/bin/python3 -c 'import dbus, dbusmock' 2>/dev/null ||
	    fail "python3-dbusmock missing (packaging/deps.sh installs it)"
	/usr/bin/python3 -m dbusmock --system --template logind \
	    -l "$WORK/mock.log" >"$WORK/mock.out" 2>&1 &
	MOCK_PID=$!
	i=0
	until busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status \
	    org.freedesktop.login1 >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "the logind mock did not start"
		sleep 0.05
	done
	/usr/bin/python3 - "$DISPLAY" <<'EOP' || fail "no logind session for $DISPLAY"
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
}
