# Direct-IP login against a real cdesk --server on the headless display:
# right password -> PeerInfo with the display's real size; wrong -> the
# stock "Wrong Password"; the one-time password works once and rotates.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir login)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"
[ -n "$HOST_ID" ] && [ -n "$OTP" ] || fail "no ID or one-time password printed"

size=$(xdpyinfo | sed -n 's/^ *dimensions: *\([0-9]*x[0-9]*\) pixels.*/\1/p')
[ -n "$size" ] || fail "xdpyinfo gave no size"

out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO displays=1 .*platform=Linux" "permanent password"
expect_match "$out" " display0=${size}\+0\+0" "display size"
expect_match "$out" "hostname=$(hostname)" "hostname"
expect_match "$out" "version=1\.4\.9" "version"

out=$("$PEER" -p "$PORT" -u "$HOST_ID" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "username = host ID"

out=$("$PEER" -p "$PORT" -w wrong-one login)
expect_match "$out" "^ERROR Wrong Password$" "wrong password"

out=$("$PEER" -p "$PORT" -u 111222333 -w Secret-42 login)
expect_match "$out" "^ERROR Offline$" "foreign username"

out=$("$PEER" -p "$PORT" login)
expect_match "$out" "^ERROR Empty Password$" "empty password in password mode"

# Every authorized session that closes draws a new one-time password, so
# ask for the current one (the server prints it only on a terminal).
sessions_closed "$DIR"
OTP=$(cdesk_otp "$DIR")
out=$("$PEER" -p "$PORT" -w "$OTP" login)
expect_match "$out" "^PEERINFO" "one-time password"
# The session closed: the one-time password rotates.
sessions_closed "$DIR"
out=$("$PEER" -p "$PORT" -w "$OTP" login)
expect_match "$out" "^ERROR Wrong Password$" "used one-time password"
new=$(cdesk_otp "$DIR")
[ "$new" != "$OTP" ] || fail "one-time password did not rotate"
out=$("$PEER" -p "$PORT" -w "$new" login)
expect_match "$out" "^PEERINFO" "new one-time password"

grep -q 'Secret-42' "$DIR/log" "$DIR/state" && fail "password in log or state"
grep -q "$new" "$DIR/log" && fail "one-time password in the log"
# stdout is no terminal here: the one-time password is not printed there.
grep -q "one-time password" "$DIR/out" ||
    grep -qw -e "$new" -e "$OTP" "$DIR/out" &&
    fail "one-time password on a stdout that is not a terminal"
cdesk_stop || fail "server exit"
echo "ok"
