#!/bin/sh
# cm_atspi.sh: the connection manager and main window driven through
# AT-SPI against the real cmlink (tests/integration/cm_atspi.py). Needs the
# X display and D-Bus session tests/run.sh starts; brings up the
# accessibility bus itself.
set -u
B=${B:-build}
TOP=${TOP:-$(pwd)}
WORK=${WORK:-$(mktemp -d /tmp/cdesk-cm.XXXXXX)}
export B TOP WORK
[ -n "${DISPLAY:-}" ] || { echo "no X display"; exit 77; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "no D-Bus session"; exit 77; }
# Debian's python3 has python3-gi; a python3 earlier in PATH may not.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
    { echo "python3-gi or gir1.2-atspi-2.0 missing"; exit 77; }
command -v import >/dev/null || { echo "imagemagick missing"; exit 77; }
command -v xdotool >/dev/null || { echo "xdotool missing"; exit 77; }
launcher=/usr/libexec/at-spi-bus-launcher
[ -x "$launcher" ] || { echo "at-spi2-core missing"; exit 77; }
unset NO_AT_BRIDGE
export GTK_THEME=Adwaita
"$launcher" --launch-immediately >"$WORK/a11y.log" 2>&1 &
lpid=$!
trap 'kill $lpid 2>/dev/null' EXIT
# Until the launcher owns org.a11y.Bus (a client asking before would have
# D-Bus start one of its own).
i=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
    string:org.a11y.Bus 2>/dev/null | grep -q "uint32 $lpid\$"; do
	i=$((i + 1))
	[ $i -gt 200 ] && { echo "the accessibility bus did not start"; exit 1; }
	sleep 0.05
done
"$PY" tests/integration/cm_atspi.py
