# Every TCP connection to a peer has Nagle off (TCP_NODELAY), as upstream's
# streams do. With it on, a picture written while the client's delayed
# ACK still held back the last one waited for that ACK: on typing, the
# picture after each TestDelay probe arrived 9 ms late. The server's
# sockets are read with pidfd_getfd(2) (root: the test runs as CI does).
. "$TOP/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root: pidfd_getfd of the server"; exit 77; }
DIR=$(cdesk_dir nodelay)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
trap 'kill $PEER_PID 2>/dev/null' EXIT
peer_session nd -w Secret-42
expect_match "$(head -n 1 "$WORK/nd.out")" '^PEERINFO' "login"

out=$(python3 - "$SERVER_PID" <<'EOF'
import ctypes, os, socket, sys

pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
SYS_pidfd_getfd = 438
pidfd = os.pidfd_open(pid)
n = bad = 0
for name in os.listdir("/proc/%d/fd" % pid):
    try:
        if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith(
                "socket:"):
            continue
    except OSError:
        continue
    fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
    if fd < 0:
        sys.exit("pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
    s = socket.socket(fileno=fd)
    try:
        if s.type != socket.SOCK_STREAM or s.family not in (
                socket.AF_INET, socket.AF_INET6):
            continue
        try:
            peer = s.getpeername()
        except OSError:
            continue            # the listener
        nd = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        print("fd %s to %s:%d: TCP_NODELAY %d" % (name, peer[0], peer[1], nd))
        n += 1
        bad += nd == 0
    finally:
        s.close()
print("CONNECTED %d NAGLE %d" % (n, bad))
EOF
) || fail "socket check: $out"
echo "$out"
expect_match "$(echo "$out" | tail -n 1)" '^CONNECTED [1-9][0-9]* NAGLE 0$' \
    "the peer's connection"

echo quit >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
