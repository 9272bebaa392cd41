# TCP tunnels (PROTOCOL.md §12) through the test peer playing the stock
# client: to a loopback echo server, early bytes (sent after PeerInfo in
# the same write as the echo of the probe the host waits for) and 1 MiB
# come back intact; a peer that stops reading blocks the tunnel, not the
# server's memory; a closed port, a destination that never answers (after
# the 3 s deadline), RDP with nothing on 3389 and a destination option
# tunnel-destinations leaves out get upstream's text and a prompt close;
# enable-tunnel N refuses; the host serves others throughout and exits
# cleanly.
. "$TOP/tests/lib.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
DIR=$(cdesk_dir tunnel)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"

# A loopback echo server; it prints its port.
cat >"$DIR/echo.py" <<'EOF'
import socket, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
python3 "$DIR/echo.py" >"$DIR/echo.port" 2>"$DIR/echo.err" &
ECHO_PID=$!
trap 'kill $ECHO_PID 2>/dev/null' EXIT
wait_for "$DIR/echo.port" '^[0-9]+$' "echo server did not start"
EP=$(cat "$DIR/echo.port")

# Under AddressSanitizer freed memory waits in a quarantine: keep it small
# so the memory bound below measures what the server holds.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
export ASAN_OPTIONS
cdesk_start "$DIR" || fail "server start"
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status"; }
tunnel() { "$PEER" -p "$PORT" -w Secret-42 -t 20000 tunnel "$@"; }

# Early bytes and 1 MiB, through an address and through a name.
out=$(tunnel 127.0.0.1 "$EP" 4096 1048576)
expect_match "$out" "PEERINFO displays=" "tunnel login"
expect_match "$out" "TUNNEL ok bytes=1052672 " "1 MiB through the tunnel"
# The server writes it when it sees the close, which may be after the
# peer has exited.
wait_for "$DIR/log" \
    "tunnel to 127\.0\.0\.1:$EP closed \(1052672 bytes up, 1052672 down\)" \
    "no tunnel summary in the log"
out=$(tunnel localhost "$EP" 1 100000)
expect_match "$out" "TUNNEL ok bytes=100001 " "tunnel by name"
# Probes answered during the login (the host turns raw with PeerInfo).
out=$(tunnel 127.0.0.1 "$EP" 512 65536 echo)
expect_match "$out" "TUNNEL ok bytes=66048 " "tunnel, probes answered"

# Back-pressure: 24 MiB pushed while nothing is read back stalls in the
# sockets; the server's memory stays put, and all comes back in order.
before=$(rss)
tunnel 127.0.0.1 "$EP" 0 25165824 stall >"$WORK/stall.out" &
tp=$!
wait_for "$WORK/stall.out" '^STALLED' "the pushing peer never stalled" 400
during=$(rss)
wait "$tp"
out=$(cat "$WORK/stall.out")
expect_match "$out" "TUNNEL ok bytes=25165824 " "24 MiB after a stall"
[ $((during - before)) -lt 16384 ] ||
    fail "server grew from $before to $during KiB while the peer stalled"
echo "stall: server RSS $before -> $during KiB; $(head -n 2 "$WORK/stall.out" | tail -n 1)"

# A closed port: upstream's text, and the host closes within ~1 s.
cp=$(free_port)
out=$(tunnel 127.0.0.1 "$cp")
expect_match "$out" "^ERROR Failed to access remote 127.0.0.1:$cp. Please make sure it is reachable/open.\$" \
    "closed port refusal"
ms=$(echo "$out" | sed -n 's/^EOF \([0-9]*\)$/\1/p')
[ -n "$ms" ] && [ "$ms" -lt 3000 ] || fail "closed port: no prompt close: $out"

# A destination that never answers (a listener whose queue is full drops
# the SYN): the same text once the 3 s connect deadline passes, no hang.
cat >"$DIR/hole.py" <<'EOF'
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = []
for i in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    fill.append(c)
time.sleep(0.3)
print(s.getsockname()[1], flush=True)
time.sleep(120)
EOF
python3 "$DIR/hole.py" >"$DIR/hole.port" 2>"$DIR/hole.err" &
HOLE_PID=$!
trap 'kill $ECHO_PID $HOLE_PID 2>/dev/null' EXIT
wait_for "$DIR/hole.port" '^[0-9]+$' "blackhole listener did not start"
HP=$(cat "$DIR/hole.port")
t0=$(date +%s)
out=$(tunnel 127.0.0.1 "$HP")
expect_match "$out" "^ERROR Failed to access remote 127.0.0.1:$HP. Please make sure it is reachable/open.\$" \
    "unanswered destination"
expect_match "$out" "^EOF [0-9]+\$" "unanswered destination: no close"
[ $(($(date +%s) - t0)) -le 8 ] || fail "unanswered destination took too long"
grep -q "tunnel to 127.0.0.1:$HP: timed out" "$DIR/log" ||
    fail "no connect timeout in the log"

# RDP: localhost:3389, named "RDP" in the refusal.
if ! python3 -c 'import socket; socket.create_connection(("localhost", 3389), 1)' \
    2>/dev/null; then
	out=$(tunnel RDP 0)
	expect_match "$out" "^ERROR Failed to access remote RDP. Please make sure it is reachable/open.\$" \
	    "RDP refusal"
fi

# tunnel-destinations: a listed prefix admits a name resolving into it,
# an unlisted destination gets the same refusal.
"$CDESK" --config "$DIR" --option tunnel-destinations "10.0.0.0/8:*, 127.0.0.0/8:$EP" ||
    fail "--option tunnel-destinations"
out=$(tunnel localhost "$EP" 10 1000)
expect_match "$out" "TUNNEL ok bytes=1010 " "listed destination"
# No wait before the next change: the server re-reads a config file whose
# inode, size or time (in nanoseconds) changed, and --option writes a new
# file by rename.
"$CDESK" --config "$DIR" --option tunnel-destinations "10.0.0.0/8:*, localhost:1-1024" ||
    fail "--option tunnel-destinations"
out=$(tunnel 127.0.0.1 "$EP")
expect_match "$out" "^ERROR Failed to access remote 127.0.0.1:$EP. Please make sure it is reachable/open.\$" \
    "unlisted destination"
grep -q "tunnel to 127.0.0.1:$EP: not in option tunnel-destinations" "$DIR/log" ||
    fail "no log line for the unlisted destination"

# enable-tunnel N refuses at login.
"$CDESK" --config "$DIR" --option enable-tunnel N || fail "--option"
out=$(tunnel 127.0.0.1 "$EP")
expect_match "$out" "^ERROR No permission of IP tunneling\$" "enable-tunnel N"

# Others are served after all this.
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "a remote session after the tunnels"
cdesk_stop || fail "server exit"
echo "ok"
