# A silent peer is closed after idle-timeout seconds (30 by default; the
# option shortens it for tests); a peer that answers TestDelay stays.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir idle)
echo "idle-timeout = 2" >>"$DIR/cdesk.conf"
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"
out=$("$PEER" -p "$PORT" idle)
secs=$(echo "$out" | sed -n 's/^CLOSED \([0-9.]*\)$/\1/p')
[ -n "$secs" ] || fail "idle peer: $out"
awk "BEGIN { exit !($secs >= 1.9 && $secs <= 4.5) }" ||
    fail "idle peer closed after $secs s, want about 2-3"
grep -q 'closed (Timeout)' "$DIR/log" || fail "no Timeout log line"
out=$("$PEER" -p "$PORT" -w Secret-42 hold 1 5)
expect_match "$out" "ALIVE 1" "active session survives the idle timer"
cdesk_stop || fail "server exit"
echo "ok"
