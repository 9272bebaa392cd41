#!/bin/sh
# win_cm.sh: the Windows connection manager (cdesk.exe --cm, the native
# Win32 window of cm/win/cm_win32.c) under Debian's wine64 on the test's
# Xvfb. The host under wine takes logins by click (approve-mode click) and
# starts the CM itself; tests/win/cm_drive.exe, another wine program,
# drives the CM by control id (FindWindow, BM_CLICK, WM_GETTEXT,
# WM_SETTEXT). The test peer waits (the CM warns that the direct session
# is not encrypted, and does not take the focus); Accept lets it in; its
# chat shows in the CM and the CM's reaches it; the Keyboard check box
# off reaches it as PermissionInfo; a second peer is dismissed (refused);
# Disconnect ends the first; the CM then quits by itself. Under wine the
# host runs as the wine user, so the CM is started with CreateProcess
# (session_win.c); the service's CreateProcessAsUser into another session
# needs real Windows.
# A missing toolchain or wine is installed (packaging/deps.sh --win).
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"
unset CDESK_TEST_CM_CLICK_ONLY

win_build wincm
EXE="$TOP/build-win/cdesk.exe"
drive_build
wine_env wine-cm
WPID= DPID= P2PID= PEER_PID=

# Stop what we started, then everything of our prefix (by the prefix).
wincm_stop() {
	for p in $P2PID $PEER_PID $DPID $WPID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	"$WINESERVER" -k 2>/dev/null
	rm -rf "$WINEPREFIX"
}
trap wincm_stop EXIT
# A signal (a write to a driver or peer gone: SIGPIPE) ends us through
# the EXIT trap too, so no wine process of ours is left behind.
trap 'exit 1' INT TERM PIPE
t0=$(date +%s)
# at: seconds since the test began, for the stage lines.
at() {
	echo "$(($(date +%s) - t0)) s"
}

DIR=$(cdesk_dir wincm)
PORT=$(cat "$DIR/port")
sed -i '/^approve-mode/d' "$DIR/cdesk.conf"
echo "approve-mode = click" >>"$DIR/cdesk.conf"

# The driver first: it also brings the new prefix up.
drive_start

"$WINE" "$EXE" --config "$DIR" -v --server >"$DIR/out" 2>"$DIR/log" &
WPID=$!
wait_for "$DIR/out" '^READY' "the host under wine did not start" 1200
echo "wine prefix, driver and host up ($(at))"

# A login by click: the peer waits, the server starts the CM.
peer_session wcm1
grep -q '^ERROR No Password Access' "$WORK/wcm1.out" ||
    fail "the peer was not told to wait: $(cat "$WORK/wcm1.out")"
drive window
drive text 1001 Connection 1
drive text 1003 Wants to connect to this computer
# Over direct IP the session is not encrypted: the CM warns.
drive text 1004 Not encrypted
grep -q "cm: started pid" "$DIR/log" || fail "the host did not start the CM"
# Never focused by itself (HOST.md §3.4).
drive focus
grep -q "^$N OK focus 0" "$WORK/drv.out" ||
    fail "the CM took the focus by itself"
# Every control has a stable id and a name.
drive names
for want in "1000 Static 'Connections'" "1010 Button 'Accept'" \
    "1011 Button 'Dismiss'" "1012 Button 'Disconnect'" \
    "1020 Button 'Keyboard'" "1021 Button 'Clipboard'" \
    "1026 Button 'Block input'" "1040 Static 'Chat history'" \
    "1042 Static 'Message'" "1044 Button 'Send'"; do
	tr -d '\r' <"$WORK/drv.out" | grep -q "^$N CTL $want" ||
	    fail "no control $want"
done
# Accept is clickable only after the guard (drive waits for it).
drive click 1010
wait_for "$WORK/wcm1.out" '^PEERINFO' "Accept did not let the peer in" 600
drive text 1003 Connected.
echo "accepted in the CM: the peer logged in ($(at))"

# Chat both ways.
echo "chat hello from the peer" >&3
drive text 1041 Peer: hello from the peer
drive set 1043 hello from the desk
drive click 1044
wait_for "$WORK/wcm1.out" '^CHAT hello from the desk' \
    "the CM's chat did not reach the peer" 600
drive text 1041 You: hello from the desk
echo "chat: both ways ($(at))"

# The server's click guard (HOST.md §3.4): switching off always passes,
# a grant right after the peer's input is refused (the CM shows the
# permission as it still is), and passes once the peer is still.
drive click 1021
wait_for "$WORK/wcm1.out" '^PERMISSION 2 0' "clipboard off did not pass" 600
(
	i=0
	while [ $i -lt 40 ] && kill -0 "$PEER_PID" 2>/dev/null; do
		echo "mouse 0 700 700" >&3
		i=$((i + 1))
		sleep 0.1
	done
) &
MPID=$!
drive cursor 700 700
drive click 1021
drive checked 1021 0
wait_for "$DIR/log" 'cm: clipboard for conn 1 refused: a peer.s input' \
    "the grant right after the peer's input was not refused" 600
wait "$MPID"
grep -q '^PERMISSION 2 1' "$WORK/wcm1.out" &&
    fail "a grant went through right after the peer's input"
sleep 1.2	# the guard's 1000 ms (CMLINK_INPUT_GUARD_MS) run out
drive click 1021
wait_for "$WORK/wcm1.out" '^PERMISSION 2 1' \
    "the grant after the guard did not pass" 600
echo "click guard: a grant right after the peer's input refused," \
    "later not ($(at))"

# Keyboard off, live.
drive checked 1020 1
drive click 1020
wait_for "$WORK/wcm1.out" '^PERMISSION 0 0' \
    "the peer was not told the keyboard is off" 600
drive checked 1020 0
echo "keyboard switched off: the peer got PermissionInfo ($(at))"

# A second peer, dismissed: refused.
rm -f "$WORK/wcm2.in"
mkfifo "$WORK/wcm2.in"
"$PEER" -p "$PORT" -t 30000 session <"$WORK/wcm2.in" >"$WORK/wcm2.out" 2>&1 &
P2PID=$!
exec 5>"$WORK/wcm2.in"
wait_for "$WORK/wcm2.out" '^ERROR No Password Access' \
    "the second peer was not told to wait" 600
drive text 1001 Connection 2
drive text 1003 Wants to connect to this computer
drive click 1011
wait_for "$WORK/wcm2.out" '^CLOSED' "Dismiss did not refuse the peer" 600
grep -q '^PEERINFO' "$WORK/wcm2.out" && fail "a dismissed peer logged in"
echo "second peer dismissed: $(grep '^CLOSED' "$WORK/wcm2.out") ($(at))"
exec 5>&-
wait "$P2PID" 2>/dev/null
P2PID=

# Disconnect the first from the CM; the CM then quits by itself.
drive text 1003 Connected.
drive click 1012
wait_for "$WORK/wcm1.out" '^CLOSED' "Disconnect did not end the session" 600
echo "disconnected: $(grep '^CLOSED' "$WORK/wcm1.out") ($(at))"
drive gone
echo "the CM quit after the last connection ($(at))"
# The peer ends by itself on the close.
exec 3>&-
wait "$PEER_PID" 2>/dev/null
PEER_PID=
echo "0 quit" >&4
exec 4>&-
wait "$DPID" 2>/dev/null
DPID=
grep -q 'login ok (accepted by the local user)' "$DIR/log" ||
    fail "no accepted login in the host's log"
grep -E ' (error|fatal):' "$DIR/log" && fail "errors in the host's log"
echo "win_cm: $(at) after make win"
echo "ok"
