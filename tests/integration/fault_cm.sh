# A CM that hangs (SIGSTOP, not killed): a login that needs a click ends
# with Timeout after approve-timeout, a password login is not held up, the
# server's loop answers the IPC and keeps serving; after SIGCONT the CM
# is still attached and the server stops cleanly.
. "$TOP/tests/lib.sh"
unset CDESK_TEST_CM_CLICK_ONLY
DIR=$(cdesk_dir fault_cm)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
sed -i 's/^approve-mode = .*/approve-mode = both/' "$DIR/cdesk.conf"
echo "approve-timeout = 5" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
CM=
cleanup() {
	[ -n "$CM" ] && kill -CONT "$CM" 2>/dev/null
	exec 3>&- 2>/dev/null
	kill $PEER_PID 2>/dev/null
}
trap cleanup EXIT

# A password login attaches the CM (it shows every session) and stays.
peer_session p1 -w Secret-42
expect_match "$(head -n 1 "$WORK/p1.out")" '^PEERINFO' "password login"
wait_for "$DIR/log" 'cm: attached \(pid [0-9]+' "the CM did not attach" 600
CM=$(sed -n 's/.*cm: attached (pid \([0-9]*\).*/\1/p' "$DIR/log" | tail -n 1)
kill -STOP "$CM" || fail "SIGSTOP $CM"
echo "CM $CM stopped"

# A login that waits for a click times out; the loop was never blocked:
# a password login meanwhile takes well under a second.
t0=$(date +%s.%N)
out=$("$PEER" -p "$PORT" -t 20000 login)
t=$(echo "$(date +%s.%N) $t0" | awk '{printf "%.1f", $1 - $2}')
echo "click login while the CM is stopped: $out after $t s"
expect_match "$out" '^(CLOSED Timeout|ERROR .*)' "the click login"
awk "BEGIN { exit !($t >= 4 && $t <= 10) }" || fail "the click wait took $t s"
out=$("$PEER" -p "$PORT" -w Secret-42 bench-login 5)
echo "password logins while the CM is stopped: $out"
expect_match "$out" '^LOGINS ok=5 of 5' "password logins"
ms=$(echo "$out" | sed -n 's/.* max=\([0-9]*\)\..*/\1/p')
[ "$ms" -lt 1000 ] || fail "a login took $ms ms with the CM stopped"
st=$("$CDESK" --config "$DIR" --status 2>&1) || fail "--status: $st"
echo "$st" | head -n 3
# Enough chat (7.5 MB) to fill the CM's socket and its queue in the
# server (IPC_OUTQ_MAX): the server must not block on it.
x=$(head -c 3000 /dev/zero | tr '\0' x)
i=0
while [ $i -lt 2500 ]; do
	echo "chat $x $i" >&3
	i=$((i + 1))
done
out=$("$PEER" -p "$PORT" -w Secret-42 bench-login 3)
expect_match "$out" '^LOGINS ok=3 of 3' "logins after the CM's socket filled"
ms=$(echo "$out" | sed -n 's/.* max=\([0-9]*\)\..*/\1/p')
[ "$ms" -lt 1000 ] || fail "a login took $ms ms with the CM's socket full"
kill -0 "$SERVER_PID" || fail "server died"
# A CM that reads nothing is dropped once its queue is full: said once.
wait_for "$DIR/log" 'output stuck, dropping' "the stuck CM was not dropped"
n=$(grep -c 'output stuck' "$DIR/log")
[ "$n" -eq 1 ] || fail "$n lines about the stuck CM"

kill -CONT "$CM"
CM=
echo quit >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
grep -c 'approve-timeout\|Timeout' "$DIR/log" | sed 's/^/timeout lines: /'
echo "ok"
