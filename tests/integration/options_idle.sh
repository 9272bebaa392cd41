# allow-auto-disconnect with auto-disconnect-timeout (issue 14): a remote
# session without input for the timeout is told upstream's "Connection
# failed due to inactivity" and closed; input keeps one alive; without the
# option nobody is closed. A minute of the timeout is 1.5 s here
# (CDESK_TEST_AUTO_DISCONNECT_MS), the option's smallest value 1.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir options_idle)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
printf 'allow-auto-disconnect = Y\nauto-disconnect-timeout = 1\n' \
    >>"$DIR/cdesk.conf"
export CDESK_TEST_AUTO_DISCONNECT_MS=1500
cdesk_start "$DIR" || fail "server start"
unset CDESK_TEST_AUTO_DISCONNECT_MS
busy=""
trap 'exec 3>&- 4>&-; kill $PEER_PID $busy 2>/dev/null' EXIT

# An idle session is closed with the reason, after the timeout.
t0=$(date +%s%N)
peer_session idle -w Secret-42
grep -q '^PEERINFO' "$WORK/idle.out" || fail "login: $(cat "$WORK/idle.out")"
wait_for "$WORK/idle.out" '^CLOSED Connection failed due to inactivity$' \
    "idle session not closed"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -ge 1500 ] || fail "closed after $ms ms, before the timeout"
echo "idle session closed after $ms ms (timeout 1500 ms)"
exec 3>&-
wait $PEER_PID

# A session that moves the mouse every 0.3 s outlives several timeouts,
# then is closed once it stops.
peer_session busy -w Secret-42
grep -q '^PEERINFO' "$WORK/busy.out" || fail "login: $(cat "$WORK/busy.out")"
exec 4>&3
(for i in $(seq 1 16); do echo "mouse 0 $((100 + i)) 100" >&4; sleep 0.3; done) &
busy=$!
wait $busy
busy=""
echo "ping 1" >&3
wait_for "$WORK/busy.out" '^PONG 1$' "a busy session was closed"
grep -q '^CLOSED' "$WORK/busy.out" && fail "a busy session was closed"
wait_for "$WORK/busy.out" '^CLOSED Connection failed due to inactivity$' \
    "the session was not closed after its input stopped"
exec 3>&- 4>&-
wait $PEER_PID

# Option off (through the running server): no idle close; the session is
# still answered after three timeouts.
"$CDESK" --config "$DIR" --option allow-auto-disconnect N >/dev/null ||
    fail "--option"
peer_session off -w Secret-42
grep -q '^PEERINFO' "$WORK/off.out" || fail "login: $(cat "$WORK/off.out")"
# A timed wait, the test itself: three timeouts pass without input.
sleep 4.5
echo "ping 2" >&3
wait_for "$WORK/off.out" '^PONG 2$' "the session without the option is gone"
grep -q '^CLOSED' "$WORK/off.out" && fail "closed without the option"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
