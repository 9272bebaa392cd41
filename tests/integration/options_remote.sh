# What a peer's injected input may reach on the host (issue 14):
# allow-remote-config-modification: within a second of a peer's input
# the main window ("ui") may not change settings (upstream locks its
# settings page then), the CLI may; with the option Y, or access-mode
# full, it may. allow-remote-cm-modification: the CM's guard refuses a
# grant right after a peer's input; with the option Y it is let through.
. "$TOP/tests/lib.sh"
IPCP="$TOP/$B/tests/bin/ipc_perm"
IPCO="$TOP/$B/tests/bin/ipc_opt"
DIR=$(cdesk_dir options_remote)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
trap 'exec 3>&-; kill $PEER_PID 2>/dev/null' EXIT
peer_session s -w Secret-42
grep -q '^PEERINFO' "$WORK/s.out" || fail "login: $(cat "$WORK/s.out")"
cid=$(grep -o 'conn [0-9]* peer [^ ]*: login ok' "$DIR/log" | tail -n 1 |
    awk '{print $2}')
n=0

# input: the peer moves the mouse; returns once the host handled it.
input() {
	n=$((n + 1))
	echo "mouse 0 $((100 + n)) 100" >&3
	echo "ping $n" >&3
	wait_for "$WORK/s.out" "^PONG $n\$" "no PONG $n"
}

# set_as ROLE KEY VALUE: print the server's answer to ROLE's OptionsSet.
set_as() {
	"$IPCO" "$DIR" "$1" "$2" "$3" || fail "ipc_opt $*"
}

# The main window right after a peer's input: refused, nothing changed.
input
out=$(set_as ui idle-timeout 31)
expect_match "$out" "^RESULT -[0-9]+ A remote peer is using this desktop" \
    "ui right after input"
[ "$("$CDESK" --config "$DIR" --option idle-timeout)" = 30 ] ||
    fail "the refused change was made"
# The command line is not guarded.
input
out=$(set_as cli idle-timeout 32)
expect_match "$out" "^RESULT 0 " "cli right after input"
# A second after the input the main window may again.
i=0
until out=$(set_as ui idle-timeout 33) && echo "$out" | grep -q '^RESULT 0 '; do
	i=$((i + 1)); [ $i -gt 40 ] && fail "ui still refused: $out"
	sleep 0.1
done
[ "$("$CDESK" --config "$DIR" --option idle-timeout)" = 33 ] ||
    fail "the main window's change was not made"
# allow-remote-config-modification Y: let through.
set_as cli allow-remote-config-modification Y >/dev/null
input
out=$(set_as ui idle-timeout 34)
expect_match "$out" "^RESULT 0 " "ui with allow-remote-config-modification"
# ... unless access-mode is view; access-mode full lets through alone.
set_as cli access-mode view >/dev/null
input
out=$(set_as ui idle-timeout 35)
expect_match "$out" "^RESULT -[0-9]+ " "ui with access-mode view"
set_as cli allow-remote-config-modification N >/dev/null
set_as cli access-mode full >/dev/null
input
out=$(set_as ui idle-timeout 36)
expect_match "$out" "^RESULT 0 " "ui with access-mode full"
set_as cli access-mode custom >/dev/null

# The CM's guard: a grant right after input is refused...
"$IPCP" "$DIR" "$cid" clipboard 0 || fail "ipc_perm off"
wait_for "$WORK/s.out" '^PERMISSION 2 0$' "clipboard not switched off"
input
"$IPCP" "$DIR" "$cid" clipboard 1 || fail "ipc_perm on"
wait_for "$DIR/log" "cm: clipboard for conn $cid refused: a peer's input" \
    "the guard did not refuse"
input
grep -q '^PERMISSION 2 1$' "$WORK/s.out" && fail "granted right after input"
# ... and let through with allow-remote-cm-modification Y.
set_as cli allow-remote-cm-modification Y >/dev/null
input
"$IPCP" "$DIR" "$cid" clipboard 1 || fail "ipc_perm on"
wait_for "$WORK/s.out" '^PERMISSION 2 1$' "not granted with the option Y"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
cdesk_stop || fail "server exit"
echo "ok"
