# Options acting on a connection, each shown through the test peer (issue
# 14): access-mode view (the picture and nothing else: every permission
# off, input and the peer's clipboard ignored, other kinds of session
# refused) and full (every permission on whatever its option says);
# one-way-clipboard-redirection (the peer's clipboard reaches the host,
# the host's never goes out); allow-only-conn-window-open (logins only
# while the main window is open); enable-perm-change-in-accept-window N
# (the CM's toggles change nothing); whitelist. "Nothing arrived" is
# proven with a round trip (peer "ping N" / PONG N) after the action,
# never by waiting.
. "$TOP/tests/lib.sh"
IPCP="$TOP/$B/tests/bin/ipc_perm"
command -v xclip >/dev/null || fail "xclip missing"
command -v xdotool >/dev/null || fail "xdotool missing"
DIR=$(cdesk_dir options_conn)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
echo "access-mode = view" >>"$DIR/cdesk.conf"
cdesk_start "$DIR" || fail "server start"
uipid=""
trap 'exec 3>&-; kill $PEER_PID $uipid 2>/dev/null' EXIT

# opt KEY VALUE: set an option through the running server.
opt() {
	"$CDESK" --config "$DIR" --option "$1" "$2" >/dev/null ||
	    fail "--option $1 $2"
}

# roundtrip NAME N: a ping through session NAME, waited for.
roundtrip() {
	echo "ping $2" >&3
	wait_for "$WORK/$1.out" "^PONG $2\$" "no PONG $2 in $1"
}

# pointer: where X has the pointer now, as "X Y".
pointer() {
	xdotool getmouselocation | sed 's/^x:\([0-9]*\) y:\([0-9]*\).*/\1 \2/'
}

# --- access-mode = view: the picture and nothing else.
peer_session view -w Secret-42
grep -q '^PEERINFO' "$WORK/view.out" || fail "view login: $(cat "$WORK/view.out")"
wait_for "$WORK/view.out" '^VIDEO 1 ' "no picture in view mode"
for p in 0 2 3 4 5 6 7 8; do
	grep -q "^LOGINPERM $p 0\$" "$WORK/view.out" ||
	    fail "view: no PermissionInfo{$p, false}"
done
xdotool mousemove 10 10
printf 'host text' | xclip -selection clipboard -i
echo "mouse 0 200 210" >&3
echo "clip from a viewer" >&3
roundtrip view 1
[ "$(pointer)" = "10 10" ] || fail "view: the peer moved the pointer to $(pointer)"
[ "$(xclip -selection clipboard -o)" = "host text" ] ||
    fail "view: the peer's clipboard reached the host"
grep -q '^CLIP ' "$WORK/view.out" && fail "view: the host's clipboard went out"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
for k in terminal file; do
	out=$("$PEER" -p "$PORT" -w Secret-42 -k $k login)
	case $k in
	terminal) want="^ERROR No permission of terminal$" ;;
	file) want="^ERROR No permission of file transfer$" ;;
	esac
	expect_match "$out" "$want" "view: $k session"
done

# --- access-mode = full: every permission on, even one its option denies.
opt access-mode full
opt enable-keyboard N
peer_session full -w Secret-42
grep -q '^PEERINFO' "$WORK/full.out" || fail "full login: $(cat "$WORK/full.out")"
echo "mouse 0 200 210" >&3
roundtrip full 1
grep -Eq "PERMISSION|LOGINPERM" "$WORK/full.out" && fail "full: a permission is off"
i=0
until [ "$(pointer)" = "200 210" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "full: the pointer did not move"
	sleep 0.05
done
echo "quit" >&3
exec 3>&-
wait $PEER_PID
opt access-mode custom
opt enable-keyboard Y

# --- one-way-clipboard-redirection: peer -> host only.
opt one-way-clipboard-redirection Y
peer_session oneway -w Secret-42
grep -q '^PEERINFO' "$WORK/oneway.out" || fail "one-way login"
printf 'host secret 1' | xclip -selection clipboard -i
# xclip takes the selection from a child of its own: wait until it holds
# it, or it could take it back after the peer's text landed.
i=0
until [ "$(xclip -selection clipboard -o 2>/dev/null)" = "host secret 1" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "xclip did not take the clipboard"
	sleep 0.05
done
echo "clip from the peer 2" >&3
i=0
until [ "$(xclip -selection clipboard -o 2>/dev/null)" = "from the peer 2" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "one-way: peer clipboard not on the host"
	sleep 0.05
done
printf 'host secret 3' | xclip -selection clipboard -i
roundtrip oneway 1
grep -q '^CLIP' "$WORK/oneway.out" && fail "one-way: the host's clipboard went out"
echo "quit" >&3
exec 3>&-
wait $PEER_PID
# The same steps without the option: the host's text arrives.
opt one-way-clipboard-redirection N
peer_session twoway -w Secret-42
printf 'host text 4' | xclip -selection clipboard -i
wait_for "$WORK/twoway.out" '^CLIP host text 4$' "two-way: host clipboard missing"
echo "quit" >&3
exec 3>&-
wait $PEER_PID

# --- enable-perm-change-in-accept-window N: the CM's toggles do nothing.
opt enable-perm-change-in-accept-window N
peer_session toggles -w Secret-42
cid=$(grep -o 'conn [0-9]* peer [^ ]*: login ok' "$DIR/log" | tail -n 1 |
    awk '{print $2}')
"$IPCP" "$DIR" "$cid" clipboard 0 || fail "ipc_perm"
wait_for "$DIR/log" "conn $cid.*clipboard off refused" "no refusal logged"
roundtrip toggles 1
grep -q '^PERMISSION' "$WORK/toggles.out" && fail "a toggle changed a permission"
opt enable-perm-change-in-accept-window Y
"$IPCP" "$DIR" "$cid" clipboard 0 || fail "ipc_perm"
wait_for "$WORK/toggles.out" '^PERMISSION 2 0$' "toggle ignored with the option on"
echo "quit" >&3
exec 3>&-
wait $PEER_PID

# --- whitelist: another address is refused with the stock text.
opt whitelist 10.1.2.3,192.168.0.0/16
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^ERROR Your ip is blocked by the peer$" "whitelist miss"
opt whitelist 10.1.2.3,127.0.0.0/8
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "whitelist hit"
opt whitelist ""

# --- allow-only-conn-window-open: logins only while the main window runs.
opt allow-only-conn-window-open Y
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^ERROR The main window is not open$" "no main window"
"$CDESK" --config "$DIR" >"$WORK/ui.log" 2>&1 &
uipid=$!
i=0
until out=$("$PEER" -p "$PORT" -w Secret-42 login) &&
    echo "$out" | grep -q '^PEERINFO'; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "main window open, still: $out"
	sleep 0.2
done
kill $uipid
wait $uipid 2>/dev/null
uipid=""
i=0
until out=$("$PEER" -p "$PORT" -w Secret-42 login) &&
    echo "$out" | grep -q '^ERROR The main window is not open$'; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "main window closed, still: $out"
	sleep 0.2
done
opt allow-only-conn-window-open N
cdesk_stop || fail "server exit"
echo "ok"
