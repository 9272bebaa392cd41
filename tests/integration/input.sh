# Input through a real connection: the test peer moves, clicks and types
# (Map and Legacy modes, shifted characters, a Ctrl shortcut) into an X
# client (tests/bin/xevlog); Keyboard switched off the way the CM does it
# stops input within one round trip; nothing stays pressed after the peer
# disconnects.
. "$TOP/tests/lib.sh"
XEV="$TOP/$B/tests/bin/xevlog"
IPCP="$TOP/$B/tests/bin/ipc_perm"
DIR=$(cdesk_dir input)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# The CM's switches below come right after the peer's input: its guard
# against that (a second) is options_remote's test, not this one's.
echo "allow-remote-cm-modification = Y" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"

"$XEV" >"$WORK/xev.out" 2>"$WORK/xev.err" &
xpid=$!
wait_for "$WORK/xev.out" '^ready' "xevlog not ready"
peer_session peer -w Secret-42
trap 'exec 3>&-; kill $xpid $PEER_PID 2>/dev/null' EXIT
grep -q '^PEERINFO' "$WORK/peer.out" || fail "login: $(cat "$WORK/peer.out")"
cid=$(grep -o 'conn [0-9]* peer [^ ]*: login ok' "$DIR/log" | tail -n 1 |
    awk '{print $2}')

# wait_xev PATTERN: until xevlog printed a line matching the grep -E pattern.
wait_xev() {
	wait_for "$WORK/xev.out" "$1" "X client never saw /$1/"
}

echo "mouse 0 100 120" >&3
wait_xev '^motion [0-9]+ 100 120$'
echo "mouse 9 0 0" >&3
echo "mouse 10 0 0" >&3
wait_xev '^brelease [0-9]+ 1 100 120 '
grep -Eq '^bpress [0-9]+ 1 100 120 ' "$WORK/xev.out" || fail "no press"

# Map mode: X11 keycodes. h i, then Shift+a -> "A".
for k in 43 31; do echo "map $k 1" >&3; echo "map $k 0" >&3; done
echo "map 50 1" >&3; echo "map 38 1" >&3; echo "map 38 0" >&3; echo "map 50 0" >&3
# Legacy mode: characters in lower case plus modifiers: x, Shift+1 -> "!",
# Ctrl+a.
echo "chr 120 1" >&3; echo "chr 120 0" >&3
echo "chr 49 1 shift" >&3; echo "chr 49 0 shift" >&3
echo "chr 97 1 ctrl" >&3; echo "chr 97 0 ctrl" >&3
# Until the last key's text came: h i A x ! and Ctrl+a (0x01 as text: the
# shortcut carried Control).
typed() {
	awk '$1 == "kpress" && $6 != "-" { printf "%s", $6 }' "$WORK/xev.out"
}
i=0
until [ "$(typed | cut -c 1-12)" = 686941782101 ]; do
	i=$((i + 1))
	[ $i -gt 200 ] &&
	    fail "typed text was '$(typed)', want 68 69 41 78 21 01 (hiAx! ^A)"
	sleep 0.05
done

# Keyboard off, as the CM's toggle does: the peer is told, input stops.
"$IPCP" "$DIR" "$cid" keyboard 0 || fail "ipc_perm"
wait_for "$WORK/peer.out" '^PERMISSION 0 0$' "no PermissionInfo{Keyboard,false}"
n=$(grep -c '^motion' "$WORK/xev.out")
echo "mouse 0 300 300" >&3
# Handled before Keyboard is on again.
echo "ping 1" >&3
wait_for "$WORK/peer.out" '^PONG 1$' "no PONG 1"
"$IPCP" "$DIR" "$cid" keyboard 1 || fail "ipc_perm on"
wait_for "$WORK/peer.out" '^PERMISSION 0 1$' "no PermissionInfo{Keyboard,true}"

# Block input: the local devices go off, the peer's XTest input still works,
# and the peer is told both ways (BlockInputState 2 on, 4 off).
echo "option block_input 1" >&3
wait_for "$WORK/peer.out" '^BLOCK 2' "block input was not confirmed"
echo "mouse 0 200 210" >&3
wait_xev '^motion [0-9]+ 200 210$'
# The first motion since Keyboard went off is this one: a move injected
# while it was off would have come before (the host's XTest requests are
# in order).
expect_match "$(grep '^motion' "$WORK/xev.out" | sed -n "$((n + 1))p")" \
    '^motion [0-9]+ 200 210$' "input injected with Keyboard off"
echo "option block_input 0" >&3
wait_for "$WORK/peer.out" '^BLOCK 4' "unblock was not confirmed"

# Hold Shift and leave: the host releases it.
echo "map 50 1" >&3
wait_for "$WORK/xev.out" "^kpress [0-9]+ 50 " "Shift not pressed"
n=$(grep -c '^krelease [0-9]* 50 ' "$WORK/xev.out")
echo "quit" >&3
wait_more "$WORK/xev.out" '^krelease [0-9]* 50 ' "$n" "Shift left pressed after disconnect" 100
last=$(grep -E '^k(press|release) [0-9]+ 50 ' "$WORK/xev.out" | tail -n 1)
expect_match "$last" '^krelease' "Shift left pressed after disconnect"
cdesk_stop || fail "server exit"
echo "ok"
