# The person at the desk always knows (HOST.md §3.3): the real server, the
# test peer and the CM the server starts for a password login, under a
# window manager (openbox) on an X display of this test's own, driven
# through AT-SPI (tests/integration/cm_desk.py). Then the admin's hide
# settings: a CM runs but never shows.
. "$TOP/tests/lib.sh"
unset CDESK_TEST_CM_CLICK_ONLY
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "no D-Bus session"; exit 77; }
PY=/usr/bin/python3
"$PY" -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
    { echo "python3-gi or gir1.2-atspi-2.0 missing"; exit 77; }
launcher=/usr/libexec/at-spi-bus-launcher
[ -x "$launcher" ] || { echo "at-spi2-core missing"; exit 77; }
for c in Xvfb openbox xdotool xprop; do
	command -v $c >/dev/null || { echo "$c missing"; exit 77; }
done
unset NO_AT_BRIDGE XAUTHORITY
export GTK_THEME=Adwaita
pids=""
cleanup() {
	[ -n "${SERVER_PID:-}" ] && kill -TERM "$SERVER_PID" 2>/dev/null
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

# A display of our own: the window manager stays out of the other tests.
exec 5>"$WORK/desk-displayfd"
Xvfb -displayfd 5 -screen 0 1280x800x24 -nolisten tcp -noreset \
    +extension RANDR +extension DAMAGE >"$WORK/desk-xvfb.log" 2>&1 &
pids="$pids $!"
exec 5>&-
i=0
while [ ! -s "$WORK/desk-displayfd" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "Xvfb did not start"
	sleep 0.05
done
DISPLAY=":$(cat "$WORK/desk-displayfd")"
export DISPLAY
openbox --sm-disable >"$WORK/desk-openbox.log" 2>&1 &
pids="$pids $!"
i=0
until xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q window; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "openbox did not start"
	sleep 0.05
done
"$launcher" --launch-immediately >"$WORK/a11y-desk.log" 2>&1 &
pids="$pids $!"
a11y_wait $!

# Password-only with the permanent password. The hide settings are in the
# user's file first, where they hide nothing; cm_desk.py then writes them
# into the admin's file too.
DIR=$(cdesk_dir cm_desk)
printf 'verification-method = use-permanent-password\nallow-hide-cm = Y\n' \
    >>"$DIR/cdesk.conf"
"$CDESK" --config "$DIR" --password 'Desk-Pass-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"
export DIR PORT
"$PY" tests/integration/cm_desk.py || fail "cm_desk.py failed"
grep -q "config reloaded" "$DIR/log" || fail "the admin's file was not read"
cdesk_stop || fail "server exit"
echo "ok"
