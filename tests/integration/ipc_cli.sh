# With a server running, `cdesk --option` and `cdesk --password` go through
# the IPC: the server writes the file and applies it at once (no restart).
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir ipc_cli)
cdesk_start "$DIR" || fail "server start"
"$CDESK" --config "$DIR" --password 'Via-IPC-77' | grep -q '^Done!$' ||
    fail "--password through the IPC"
grep -q 'permanent password changed through the IPC' "$DIR/log" ||
    fail "the server did not take the password"
out=$("$PEER" -p "$PORT" -w Via-IPC-77 login)
expect_match "$out" "^PEERINFO" "login with the password set over IPC"
"$CDESK" --config "$DIR" --option enable-keyboard N || fail "--option"
grep -q 'option enable-keyboard changed through the IPC' "$DIR/log" ||
    fail "the server did not take the option"
[ "$("$CDESK" --config "$DIR" --option enable-keyboard)" = N ] ||
    fail "option not stored"
out=$("$PEER" -p "$PORT" -w Via-IPC-77 login)
expect_match "$out" "^PEERINFO" "login after the option change"
err=$("$CDESK" --config "$DIR" --option direct-access-port 0 2>&1) &&
    fail "a bad value was accepted"
echo "$err" | grep -q "direct-access-port" || fail "error '$err'"
st=$("$CDESK" --config "$DIR" --status)
expect_match "$st" "^(connecting|error: .*)$" "--status without a rendezvous server"
cdesk_stop || fail "server exit"
echo "ok"
