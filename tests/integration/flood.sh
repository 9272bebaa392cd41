# Connections that never log in are capped: 300 from 127.0.0.2 leave at
# most 8 open (the rest are closed at once, with one log line a second),
# and a real client from 127.0.0.1 logs in within a second meanwhile. A
# click approval waits at most approve-timeout seconds.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir flood)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"

python3 - "$PORT" >"$WORK/flood.out" 2>&1 <<'PY' &
import select, socket, sys, time
port = int(sys.argv[1])
socks = []
for i in range(300):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    socks.append(s)
time.sleep(1)
open_ = 0
for s in socks:
    s.setblocking(False)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
    except BlockingIOError:
        open_ += 1
    except ConnectionResetError:
        pass
print("OPEN %d" % open_, flush=True)
time.sleep(4)
PY
flood=$!
trap 'kill $flood 2>/dev/null' EXIT
wait_for "$DIR/log" 'refused [0-9]* connection' "no refusal logged"
out=$("$PEER" -h 127.0.0.1 -p "$PORT" -w Secret-42 bench-login 1)
echo "during the flood: $out"
expect_match "$out" "^LOGINS ok=1 of 1" "login during the flood"
ms=$(echo "$out" | sed -n 's/.* max=\([0-9]*\)\..*/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 1000 ] || fail "login took ${ms} ms during the flood"
wait_for "$WORK/flood.out" '^OPEN' "flood client"
n=$(sed -n 's/^OPEN //p' "$WORK/flood.out")
echo "flood connections left open: $n of 300"
[ "$n" -le 8 ] || fail "$n connections from one address stayed open"
lines=$(grep -c 'refused [0-9]* connection' "$DIR/log")
[ "$lines" -le 3 ] || fail "$lines refusal lines for one flood"
wait $flood
cdesk_stop || fail "server exit"

# A click that never comes: refused after approve-timeout.
sed -i 's/^approve-mode = .*/approve-mode = click/' "$DIR/cdesk.conf"
echo "approve-timeout = 5" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start (click)"
t0=$(date +%s)
peer_session p1
trap 'exec 3>&-; kill $PEER_PID 2>/dev/null' EXIT
wait_for "$WORK/p1.out" '^CLOSED Timeout' "the click wait did not end" 300
t=$(( $(date +%s) - t0 ))
echo "click wait ended after ${t} s"
[ "$t" -ge 4 ] && [ "$t" -le 9 ] || fail "the click wait took ${t} s"
cdesk_stop || fail "server exit"
echo "ok"
