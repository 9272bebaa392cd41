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
# Direct access follows its options at once: a new port opens (the old
# one closes), off closes it, on opens it again.
P2=$(free_port)
"$CDESK" --config "$DIR" --option direct-access-port "$P2" ||
    fail "--option direct-access-port"
out=$("$PEER" -p "$P2" -w Via-IPC-77 login)
expect_match "$out" "^PEERINFO" "login on the port moved over IPC"
"$PEER" -p "$PORT" -w Via-IPC-77 login >/dev/null 2>&1 &&
    fail "the old port still answers"
"$CDESK" --config "$DIR" --option direct-server N || fail "direct-server N"
"$PEER" -p "$P2" -w Via-IPC-77 login >/dev/null 2>&1 &&
    fail "direct access still answers after direct-server N"
"$CDESK" --config "$DIR" --option direct-server Y || fail "direct-server Y"
out=$("$PEER" -p "$P2" -w Via-IPC-77 login)
expect_match "$out" "^PEERINFO" "login after direct-server Y"
st=$("$CDESK" --config "$DIR" --status)
expect_match "$st" "^(connecting|error: .*)$" "--status without a rendezvous server"
cdesk_stop || fail "server exit"
echo "ok"
