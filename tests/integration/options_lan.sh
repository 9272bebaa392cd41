# enable-lan-discovery (issue 14): a RendezvousMessage.peer_discovery
# {cmd "ping"} on the LAN discovery port gets "pong" with this host's ID,
# hostname, desktop user, platform and MAC, as RustDesk's own host
# answers; a ping naming our own ID, another command, or the option off
# gets none (the test's next ping, answered, shows the earlier one was
# read). The port is CDESK_TEST_LAN_PORT here, not 21119, so that other
# servers on this machine do not matter.
. "$TOP/tests/lib.sh"
LANPORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(cdesk_dir options_lan)
export CDESK_TEST_LAN_PORT=$LANPORT
cdesk_start "$DIR" || fail "server start"
unset CDESK_TEST_LAN_PORT
wait_for "$DIR/log" "lan discovery: answering on UDP port $LANPORT" \
    "not answering LAN discovery"

# ping CMD ID...: send a ping per ID (in order) from one socket and print
# each answer as "PONG id=... hostname=... username=... platform=...
# mac=..." until 2 s pass without one.
ping() {
	python3 - "$LANPORT" "$@" <<'EOP'
import socket, sys

def varint(v):
    out = b""
    while v >= 0x80:
        out += bytes([v & 0x7f | 0x80]); v >>= 7
    return out + bytes([v])

def field(n, b):
    return varint(n << 3 | 2) + varint(len(b)) + b

def read_varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80:
            return v, i

def fields(b):
    i, out = 0, {}
    while i < len(b):
        key, i = read_varint(b, i)
        l, i = read_varint(b, i)
        out[key >> 3] = b[i:i + l]; i += l
    return out

port, cmd = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for pid in sys.argv[3:]:
    pd = field(1, cmd.encode()) + field(3, pid.encode())
    s.sendto(field(22, pd), ("127.0.0.1", port))
try:
    while True:
        d = fields(fields(s.recv(4096))[22])
        names = {1: "cmd", 2: "mac", 3: "id", 4: "username", 5: "hostname",
                 6: "platform"}
        print("PONG " + " ".join("%s=%s" % (names[k], d.get(k, b"").decode())
                                 for k in (1, 3, 5, 4, 6, 2)))
except socket.timeout:
    pass
EOP
}

out=$(ping ping 123)
expect_match "$out" "^PONG cmd=pong id=$HOST_ID hostname=$(hostname) username=[^ ]* platform=Linux mac=[0-9a-f:]*$" \
    "pong"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "more than one answer: $out"
# Our own ID and a command that is not ping: no answer; a ping after them
# is answered, alone.
out=$(ping ping "$HOST_ID" 456)
[ "$(echo "$out" | grep -c '^PONG')" -eq 1 ] ||
    fail "a ping with our own ID was answered: $out"
out=$(ping pong 789)
[ -z "$out" ] || fail "a pong was answered: $out"
# Option off: the next ping goes unanswered.
"$CDESK" --config "$DIR" --option enable-lan-discovery N >/dev/null ||
    fail "--option"
out=$(ping ping 123)
[ -z "$out" ] || fail "answered with the option off: $out"
cdesk_stop || fail "server exit"
echo "ok"
