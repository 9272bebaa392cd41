# Login throttling (PROTOCOL.md §4): 7 wrong tries per minute from
# one address, then "Please try 1 minute later" even for the right
# password; another address is not affected. The one-time password has 6
# tries per address and a stranger cannot rotate it.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir throttle)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"

out=$("$PEER" -p "$PORT" -w bad-guess retry 9)
n=$(echo "$out" | grep -c '^ERROR Wrong Password$')
[ "$n" -eq 7 ] || fail "expected 7 Wrong Password, got: $out"
expect_match "$(echo "$out" | sed -n 8p)" "^ERROR Please try 1 minute later$" "8th try"
expect_match "$(echo "$out" | sed -n 9p)" "^EOF$" "closed after the throttle error"

out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^ERROR Please try 1 minute later$" "right password while throttled"

# ::1 is another address (the listener is dual-stack).
out=$("$PEER" -h ::1 -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "other address"

# The one-time password's tries are per address: after 6 wrong ones ::1
# no longer gets it checked, and the password the desk reads stays.
# Read once ::1's session closed (that drew a new one).
sessions_closed "$DIR"
otp=$(cdesk_otp "$DIR")
out=$("$PEER" -h ::1 -p "$PORT" -w bad-guess retry 6)
[ "$(echo "$out" | grep -c '^ERROR Wrong Password$')" -eq 6 ] ||
    fail "expected 6 Wrong Password from ::1, got: $out"
out=$("$PEER" -h ::1 -p "$PORT" -w "$otp" login)
expect_match "$out" "^ERROR Wrong Password$" "one-time password after 6 tries"
[ "$(cdesk_otp "$DIR")" = "$otp" ] || fail "a stranger rotated the password"
cdesk_stop || fail "server exit"
echo "ok"
