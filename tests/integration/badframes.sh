# Bad input from a peer closes only that connection, with one log line:
# a garbage header, an oversized frame, a truncated protobuf and a message
# not allowed before login. A held session and a new login keep working.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir badframes)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"

"$PEER" -p "$PORT" -w Secret-42 hold 1 6 >"$WORK/hold.out" &
hold=$!
i=0
until grep -q '^HELD 1' "$WORK/hold.out"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "held session did not log in"
	sleep 0.05
done

# A 4-byte header announcing 1 GiB - 1.
out=$("$PEER" -p "$PORT" raw ffffffff)
expect_match "$out" "^CLOSED" "garbage header"
# 2 MiB announced before login (the cap is 1 MiB), body never sent: the
# peer is told "Login request too large", then closed.
out=$("$PEER" -p "$PORT" raw 020080)
expect_match "$out" "^CLOSED" "oversized frame"
# A LoginRequest whose username claims 16 bytes but has 3.
out=$("$PEER" -p "$PORT" raw 143a100a0931)
expect_match "$out" "^CLOSED" "truncated protobuf"
# A MouseEvent (field 10) before login.
out=$("$PEER" -p "$PORT" raw 1052020801)
expect_match "$out" "^CLOSED" "input before login"

out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "login while others misbehave"
wait $hold
grep -q '^ALIVE 1' "$WORK/hold.out" || fail "held session was closed: $(cat "$WORK/hold.out")"
n=$(grep -c 'closed (bad frame\|Login request too large\|closed (unparsable\|closed (message before login\|closed (input before login' "$DIR/log")
[ "$n" -ge 4 ] || fail "expected a log line per bad peer, got $n"
kill -0 "$SERVER_PID" || fail "server died"
cdesk_stop || fail "server exit"
echo "ok"
