# Login throttling (PROTOCOL.md §4): 7 wrong tries per calendar minute from
# one address, then "Please try 1 minute later" even for the right
# password; another address is not affected.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir throttle)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"

# Keep the whole test inside one calendar minute.
s=$(date +%S); s=${s#0}
[ "$s" -ge 45 ] && sleep $((61 - s))

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
cdesk_stop || fail "server exit"
echo "ok"
