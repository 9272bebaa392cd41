# The real server, the test peer and the CM window the server starts,
# driven through AT-SPI (tests/integration/cm_e2e.py): approval by click,
# a permission switch, chat, a CM that dies and comes back, dismissal.
. "$TOP/tests/lib.sh"
unset CDESK_TEST_CM_CLICK_ONLY
[ -n "${DISPLAY:-}" ] || { echo "no X display"; exit 77; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "no D-Bus session"; exit 77; }
PY=/usr/bin/python3
"$PY" -c 'import gi; gi.require_version("Atspi", "2.0")' 2>/dev/null ||
    { echo "python3-gi or gir1.2-atspi-2.0 missing"; exit 77; }
launcher=/usr/libexec/at-spi-bus-launcher
[ -x "$launcher" ] || { echo "at-spi2-core missing"; exit 77; }
unset NO_AT_BRIDGE
export GTK_THEME=Adwaita
"$launcher" --launch-immediately >"$WORK/a11y-e2e.log" 2>&1 &
lpid=$!
DIR=$(cdesk_dir cm_e2e)
sed -i '/^approve-mode/d' "$DIR/cdesk.conf"
echo "approve-mode = click" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || { kill $lpid; fail "server start"; }
export DIR PORT
a11y_wait $lpid
"$PY" tests/integration/cm_e2e.py
rc=$?
kill $lpid 2>/dev/null
[ $rc -eq 0 ] || fail "cm_e2e.py failed"
grep -q 'login ok (accepted by the local user)' "$DIR/log" ||
    fail "no accepted login in the log"
cdesk_stop || fail "server exit"
echo "ok"
