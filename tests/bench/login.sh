# Login round trip on loopback (p50/p99 over 1000 logins), logins/s with
# 100 concurrent clients, server RSS idle and with 100 sessions.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir bench-login)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# Quiet server: a log line per login would measure the terminal.
"$CDESK" --config "$DIR" --server >"$DIR/out" 2>"$DIR/log" &
SERVER_PID=$!
until grep -q '^READY' "$DIR/out" 2>/dev/null; do sleep 0.05; done
PORT=$(sed -n 's/^READY //p' "$DIR/out")
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$SERVER_PID/status"; }
echo "server RSS idle: $(rss)"
"$PEER" -p "$PORT" -w Secret-42 bench-login 1000
"$PEER" -p "$PORT" -w Secret-42 bench-conc 100 3000
"$PEER" -p "$PORT" -w Secret-42 hold 100 4 >"$WORK/hold.out" &
h=$!
until grep -q HELD "$WORK/hold.out"; do sleep 0.1; done
sleep 1
echo "server RSS with $(sed -n 's/HELD //p' "$WORK/hold.out") sessions: $(rss)"
wait $h
echo "server RSS after: $(rss)"
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
