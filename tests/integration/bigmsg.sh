# Memory per message is bounded: a logged-in peer's MultiClipboards of
# 4 Mi empty entries (an 8 MiB frame that protobuf-c would unpack to about
# 490 MiB) is refused before unpacking; the server's peak RSS (VmHWM) grows
# by less than 64 MiB, the peer is closed with one log line, and a new
# login still works.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir bigmsg)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }

peer_session p1 -w Secret-42
OUT="$WORK/p1.out"
grep -q '^PEERINFO' "$OUT" || fail "login: $(cat "$OUT")"
trap 'exec 3>&-; kill $PEER_PID 2>/dev/null' EXIT
# The session's own buffers first: the encoder is up, frames flow.
wait_for "$DIR/log" 'display 0: .* kbit/s' "no video encoder"
# ... until the key frame a refresh asks for has come.
keys=$(grep -c 'key=1' "$OUT")
echo refresh >&3
wait_more "$OUT" 'key=1' "$keys" "no key frame after a refresh"
before=$(hwm)
echo "multiclip 4194304" >&3
wait_for "$OUT" '^SENT 0' "the peer could not send"
wait_for "$OUT" '^EOF' "the server kept the connection" 400
after=$(hwm)
grow=$(( (after - before) / 1024 ))
echo "VmHWM before ${before} kB, after ${after} kB: +${grow} MiB"
[ "$grow" -lt 64 ] || fail "one message grew the server by ${grow} MiB"
grep -q 'closed (message too big' "$DIR/log" ||
    fail "no log line for the refused message"

out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "login after the big message"
kill -0 "$SERVER_PID" || fail "server died"
cdesk_stop || fail "server exit"
echo "ok"
