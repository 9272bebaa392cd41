#!/bin/sh
# win_ui.sh: the Windows main window (cdesk.exe with no mode, the native
# Win32 window of ui/win/ui_win32.c, what the installer's Start menu entry
# opens; issue 15) under Debian's wine64 on the test's Xvfb, driven by
# tests/win/cm_drive.exe ui by control id, against the host under wine:
# the ID is the one --get-id prints; the one-time password is hidden
# until Show, then the one --get-temp-password prints, Copy puts it on
# the clipboard and Refresh changes it; Approve with = click reaches the
# server (--option approve-mode), Apply the rendezvous server and key;
# the verification method, which the admin's file locks, is disabled
# with the note naming that file; a permanent password set in the window
# logs the test peer in; the
# two-factor section sets 2FA up with a code, lists a trusted device and
# forgets it, and turns 2FA off; Direct access goes off and on; with the
# host stopped the window says the service is not running; it closes.
# A missing toolchain or wine is installed (packaging/deps.sh --win).
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"

win_build winui
EXE="$TOP/build-win/cdesk.exe"
drive_build
wine_env winui
WPID= DPID= UPID=

# Stop what we started, then the host and the prefix.
winui_stop() {
	for p in $UPID $DPID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	wine_stop
}
trap winui_stop EXIT
trap 'exit 1' INT TERM PIPE
t0=$(date +%s)
at() {
	echo "$(($(date +%s) - t0)) s"
}

wine_host winui "verification-method = use-both-passwords"
echo "wine prefix and host up ($(at))"
cli() {
	"$WINE" "$EXE" --config "$DIR" "$@" 2>&1 | tr -d '\r'
}
# option_becomes KEY VALUE: wait (10 s at most) until the host says so.
option_becomes() {
	i=0
	until [ "$(cli --option "$1")" = "$2" ]; do
		i=$((i + 1))
		[ $i -gt 40 ] && fail "$1: '$(cli --option "$1")', not '$2'"
		sleep 0.25
	done
}

drive_start ui
# answer VERB: the text of the last command's OK line after VERB.
answer() {
	sed -n "s/^$N OK $1 //p" "$WORK/drv.out" | tr -d '\r'
}

"$WINE" "$EXE" --config "$DIR" >"$WORK/ui.out" 2>&1 &
UPID=$!
drive window
id=$(cli --get-id)
expect_match "$id" '^[0-9]{9,10}$' "--get-id"
drive text 2001 "$id"
drive text 2051 "Running (cdesk"
echo "the window shows the ID $id and the service running ($(at))"
# Every control has a stable id and a name.
drive names
for want in "2000 Static 'ID'" "2002 Static 'One-time password'" \
    "2004 Button 'Show'" "2005 Button 'Copy'" "2006 Button 'Refresh'" \
    "2010 Static 'Permanent password'" "2012 Button 'Set'" \
    "2020 Static 'Approve with'" "2021 ComboBox 'Password only'" \
    "2022 Static 'Verification method'" "2030 Button 'Direct access'" \
    "2032 Edit '$PORT'" "2040 Static 'Rendezvous server'" \
    "2041 Edit '127.0.0.1:9'" "2044 Button 'Apply'"; do
	tr -d '\r' <"$WORK/drv.out" | grep -q "^$N CTL $want" ||
	    fail "no control $want"
done

# The one-time password: dots until Show.
otp=$(cli --get-temp-password)
expect_match "$otp" '^[a-z0-9]{6,10}$' "--get-temp-password"
drive get 2003
[ "$(answer get)" = "••••••" ] ||
    fail "the password is not hidden: '$(answer get)'"
drive click 2004
drive text 2003 "$otp"
drive click 2005
drive clipboard
[ "$(answer clipboard)" = "$otp" ] ||
    fail "Copy put '$(answer clipboard)' on the clipboard, not '$otp'"
drive text 2051 One-time password copied.
drive click 2006
i=0
while :; do
	drive get 2003
	new=$(answer get)
	[ -n "$new" ] && [ "$new" != "$otp" ] && [ "$new" != "—" ] && break
	i=$((i + 1))
	[ $i -gt 100 ] && fail "Refresh did not change the password"
	sleep 0.1
done
[ "$new" = "$(cli --get-temp-password)" ] ||
    fail "the window shows '$new', --get-temp-password another"
echo "one-time password: hidden, shown, copied, refreshed ($(at))"

# Approve with: click, then back to the default (stored as unset).
drive select 2021 2
option_becomes approve-mode click
drive text 2051 Saved.
drive select 2021 0
option_becomes approve-mode ""
echo "approve-mode set to click in the window, then unset ($(at))"

# Rendezvous server and key: a key that is no key is refused, and the
# status line says why; Apply stores a right one and the server (another
# loopback port nobody serves).
drive set 2043 not-a-key
drive click 2044
drive text 2051 "public key (base64 of 32 bytes)"
KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
drive set 2041 127.0.0.1:10
drive set 2043 "$KEY"
drive click 2044
i=0
until [ "$(cli --option custom-rendezvous-server)" = 127.0.0.1:10 ] &&
    [ "$(cli --option key)" = "$KEY" ]; do
	i=$((i + 1))
	[ $i -gt 40 ] && fail "Apply: $(cli --option custom-rendezvous-server)"
	sleep 0.25
done
echo "rendezvous server and key applied ($(at))"

# The admin's lock: disabled, with the note naming the file.
drive disabled 2023
drive text 2052 set by the administrator in
drive text 2052 admin.conf
drive enabled 2021
echo "the locked verification method is disabled, with the note ($(at))"

# A permanent password set in the window logs in.
drive set 2011 Window-77x
drive click 2012
# (The peer says ERROR and exits 0 when the host refuses.)
i=0
until info=$("$PEER" -p "$PORT" -w Window-77x login 2>&1) &&
    echo "$info" | grep -q '^PEERINFO'; do
	i=$((i + 1))
	[ $i -gt 20 ] && fail "login with the window's password: $info"
	sleep 0.5
done
info=$("$PEER" -p "$PORT" -w Secret-42 login 2>&1)
expect_match "$info" "^ERROR Wrong Password" "the old permanent password"
echo "the permanent password set in the window logs in ($(at))"

# Two-factor: Set up shows the secret and its otpauth URI as text; a
# wrong code is refused in the section; the right one turns 2FA on; a
# device the peer has trusted is listed and Remove forgets it; Turn off.
drive text 2061 Two-factor authentication is off
drive click 2062
drive text 2067 otpauth://totp/
drive get 2065
secret=$(answer get)
expect_match "$secret" '^[A-Z2-7]{32}$' "the secret in the window"
drive text 2067 "secret=$secret"
drive set 2069 "$(totp "$secret" wrong)"
drive click 2070
drive text 2071 wrong code
drive set 2069 "$(totp "$secret")"
drive click 2070
drive text 2061 "Two-factor authentication is on (0 trusted devices)"
expect_match "$(cli --2fa status)" "^2FA on" "--2fa status after Enable"
info=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-w "$PEER" -p "$PORT" \
    -w Window-77x tfa trust 2>&1)
expect_match "$(echo "$info" | tail -n 1)" "^PEERINFO" "a trusted login"
drive text 2061 "(1 trusted device)"
drive text 2073 987654321
drive select 2073 0
drive click 2074
drive text 2051 Trusted device removed.
drive text 2061 "(0 trusted devices)"
drive click 2063
drive text 2061 Two-factor authentication is off
expect_match "$(cli --2fa status)" "^2FA off" "--2fa status after Turn off"
echo "two-factor: set up, enabled with a code, a trusted device" \
    "removed, turned off ($(at))"

# Direct access off: stored, and its port box disabled; then on again.
drive checked 2030 1
drive click 2030
# (Off is stored as unset: the effective value is the default, N.)
option_becomes direct-server N
drive disabled 2032
drive click 2030
drive enabled 2032
option_becomes direct-server Y
echo "direct access switched off and on in the window ($(at))"

# The host gone: the window says so and forgets the ID and password.
kill "$WPID"
wait "$WPID" 2>/dev/null
WPID=
drive text 2051 The cdesk service is not running.
drive text 2001 —
drive text 2003 —
echo "the host stopped: the window says the service is not running ($(at))"

drive close
drive gone
wait "$UPID" 2>/dev/null || fail "the window exited with $?"
UPID=
echo "0 quit" >&4
exec 4>&-
wait "$DPID" 2>/dev/null
DPID=
grep -E ' (error|fatal):' "$DIR/log" && fail "errors in the host's log"
echo "win_ui: $(at) after make win"
echo "ok"
