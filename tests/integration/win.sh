#!/bin/sh
# win.sh: the Windows host (make win: build-win/cdesk.exe, cross-compiled
# with mingw-w64 against the cached libraries) under Debian's wine64 on the
# test's Xvfb: --get-id prints an ID; --server with direct access takes
# the test peer's password login over direct IP, and the picture the peer
# decodes (VP9) matches a grab of the Xvfb screen, on which wine's desktop
# is, in every 16x16 block. The CLI reaches a running host over its named
# pipe (tests/win/test_ipc_win.exe tests the pipe alone). The wine prefix
# is the test's own, removed after. The .msi of make win holds that very
# cdesk.exe; wine's msiexec installs it over an older version (a major
# upgrade keeping the ID and options; the older one is then refused), its
# service runs, the CLI verbs of the installed cdesk.exe work through it,
# it logs to a file, and it uninstalls cleanly.
# A missing toolchain or wine is installed (packaging/deps.sh --win),
# never skipped.
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

win_build win
EXE="$TOP/build-win/cdesk.exe"
[ -f "$EXE" ] || fail "no $EXE"
mkdir -p "$WORK/msi-x"
msiextract -C "$WORK/msi-x" "$TOP/build-win/cdesk.msi" >/dev/null 2>&1 ||
    fail "msiextract build-win/cdesk.msi"
got=$(find "$WORK/msi-x" -name cdesk.exe | head -n 1)
[ -n "$got" ] && cmp -s "$got" "$EXE" ||
    fail "the .msi does not hold build-win/cdesk.exe"
echo "cdesk.msi: $(stat -c %s "$TOP/build-win/cdesk.msi") bytes, holds" \
    "cdesk.exe ($(stat -c %s "$EXE") bytes)"
wine_env wine
WPID=

# Stop the host and everything of the prefix (by the prefix, not by name).
win_stop() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	WPID=
	"$WINESERVER" -k 2>/dev/null
	rm -rf "$WINEPREFIX"
}
trap win_stop EXIT

DIR=$(cdesk_dir win)
PORT=$(cat "$DIR/port")
t0=$(date +%s)
id=$("$WINE" "$EXE" --config "$DIR" --get-id 2>"$WORK/win-getid.err" |
    tr -d '\r')
echo "--get-id: '$id' ($(($(date +%s) - t0)) s with a new wine prefix)"
expect_match "$id" '^[0-9]{9,10}$' "--get-id"
"$WINE" "$EXE" --config "$DIR" --password 'Secret-42' >/dev/null 2>&1 ||
    fail "--password"

# Something to look at: a colour and rectangles all over the screen.
xsetroot -solid '#3366cc'
"$TOP/$B/tests/bin/xrects" 300 7 5 || fail "xrects"

"$WINE" "$EXE" --config "$DIR" -v --server >"$DIR/out" 2>"$DIR/log" &
WPID=$!
wait_for "$DIR/out" '^READY' "the host under wine did not start" 1200
grep -q "^ID: $id" "$DIR/out" || fail "server ID: $(tr -d '\r' <"$DIR/out")"

info=$("$PEER" -p "$PORT" -w Secret-42 login) || fail "login: $info"
echo "$info"
size=$(xdpyinfo | sed -n 's/.*dimensions: *\([0-9]*x[0-9]*\) .*/\1/p')
expect_match "$info" "^PEERINFO .* platform=Windows .* display0=${size}\\+0\\+0" "PeerInfo"

peer_session winv -w Secret-42 -c vp9
OUT="$WORK/winv.out"
wait_for "$OUT" '^VIDEO 1 vp9 0 ' "no picture from the host under wine" 600
# Grab and compare until the picture matches, at most 10 times.
n=0
while :; do
	n=$((n + 1))
	sleep 1
	import -window root -depth 8 "ppm:$WORK/win-screen.ppm" ||
	    fail "cannot grab the screen"
	echo "snap $WORK/win-decoded.ppm" >&3
	i=0
	until [ "$(grep -c '^SNAP ' "$OUT")" -ge $n ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && fail "no snapshot"
		sleep 0.05
	done
	grep '^SNAP ' "$OUT" | tail -n 1 | grep -q '^SNAP ok' ||
	    fail "snapshot failed"
	d=$($PY "$TOP/tests/integration/ppmdiff.py" "$WORK/win-screen.ppm" \
	    "$WORK/win-decoded.ppm") || fail "ppmdiff"
	worst=$(echo "$d" | sed -n 's/.*worst_block=\([0-9.]*\).*/\1/p')
	awk -v w="$worst" 'BEGIN { exit !(w != "" && w < 40) }' && break
	[ $n -ge 10 ] && fail "the picture differs from the screen ($d;" \
	    "$(grep -c '^VIDEO' "$OUT") frames)"
	# The host sends a still screen once, as the first keyframe of an
	# encoder just started (blurred on a loaded machine): ask for a new
	# keyframe, which its rate control makes sharper.
	k=$(grep -c '^VIDEO .* key=1' "$OUT")
	echo refresh >&3
	i=0
	while [ "$(grep -c '^VIDEO .* key=1' "$OUT")" -le "$k" ] &&
	    [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.05
	done
done
echo "decoded picture against the screen: $d (grab $n)"

# Input: a click and typed text reach a window of a program under wine
# (tests/win/winlog.c: its client area is 100,100 400x300 on screen).
x86_64-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O2 \
    tests/win/winlog.c -o "$WORK/winlog.exe" -lgdi32 || fail "winlog.c"
"$WINE" "$WORK/winlog.exe" >"$WORK/winlog.out" 2>/dev/null &
LPID=$!
wait_for "$WORK/winlog.out" '^READY' "winlog.exe did not start" 600
echo "mouse 0 300 250" >&3
echo "mouse 9 300 250" >&3
echo "mouse 10 300 250" >&3
wait_for "$WORK/winlog.out" '^CLICK 300 250' "the click did not reach the window"
for c in 104 105 33; do	# h i !
	echo "chr $c 1" >&3
	echo "chr $c 0" >&3
done
wait_for "$WORK/winlog.out" '^CHAR 33' "the typed text did not reach the window"
typed=$(sed -n 's/^CHAR //p' "$WORK/winlog.out" | tr -d '\r' | tr '\n' ' ')
[ "$typed" = "104 105 33 " ] || fail "typed '$typed', want '104 105 33 '"
echo "input: $(grep -c '^CLICK' "$WORK/winlog.out") click, typed $typed"
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
echo quit >&3
exec 3>&-
wait $PEER_PID
# The CLI talks to this host over its named pipe: its one-time password
# logs in.
otp=$("$WINE" "$EXE" --config "$DIR" --get-temp-password 2>&1 | tr -d '\r')
expect_match "$otp" '^[a-z0-9]{6,10}$' "--get-temp-password"
info=$("$PEER" -p "$PORT" -w "$otp" login) || fail "login with the OTP: $info"
echo "the one-time password from --get-temp-password logs in"
grep -E ' (error|fatal):' "$DIR/log" && fail "errors in the host's log"
kill "$WPID"
wait "$WPID" 2>/dev/null
WPID=

# The named-pipe transport alone (tests/win/test_ipc_win.c).
"$WINE" "$TOP/build-win/tests/win/test_ipc_win.exe" >"$WORK/win-ipc.out" \
    2>&1 || fail "test_ipc_win.exe: $(tr -d '\r' <"$WORK/win-ipc.out" |
    tr '\\' /)"
tr -d '\r' <"$WORK/win-ipc.out" | sed 's/^/test_ipc_win: /'

# The package: installed, the service "cdesk" runs (cdesk.exe --server
# under wine's service manager), the installed cdesk.exe says its ID; an
# uninstall alone, with the service running, leaves no process, no
# service and no folder. A wine process of ours keeps the wine session
# (and its services) up.
SVC_EXE='C:\Program Files\cdesk\cdesk.exe'
# svc_procs: the service processes of cdesk.exe running now.
svc_procs() {
	ps -eo pid,args | grep -F "$SVC_EXE --server" | grep -v grep
}
# svc_state: the service's state as sc says it (empty: no such service).
svc_state() {
	"$WINE" sc query cdesk 2>/dev/null | tr -d '\r' |
	    sed -n 's/.*STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p'
}
# msiexec fails (exit 91) while the prefix is still booting: wait for
# every wine process of the prefix to end first.
"$WINESERVER" -w
"$WINE" cmd.exe /c "ping -n 300 127.0.0.1 > nul" >/dev/null 2>&1 &
KEEP=$!
# svc_running WHAT: wait until the service runs and has a process.
svc_running() {
	i=0
	until [ "$(svc_state)" = RUNNING ] && [ -n "$(svc_procs)" ]; do
		i=$((i + 1))
		[ $i -gt 60 ] &&
		    fail "$1: '$(svc_state)', process: '$(svc_procs)'"
		sleep 0.5
	done
}
# msi_versions: the versions of cdesk the installer has on record.
msi_versions() {
	"$WINE" reg query \
	    'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s \
	    2>/dev/null | tr -d '\r' | awk '
	    /^HKEY/ { name = ""; ver = "" }
	    $1 == "DisplayName" { name = $3 }
	    $1 == "DisplayVersion" { ver = $3 }
	    name == "cdesk" && ver != "" { print ver; name = "" }'
}
# msi_expect VERSIONS WHAT: the installer's record reads VERSIONS, read
# again for a few seconds until it does: once (CI, session 12) the read
# right after the refused downgrade's msiexec returned did not, and the
# read a moment later did. What counts is the record once it settled.
msi_expect() {
	i=0
	until [ "$(msi_versions)" = "$1" ]; do
		i=$((i + 1))
		[ $i -gt 10 ] && fail "$2, installed: '$(msi_versions)'"
		sleep 0.5
	done
}
# An older release first (the same cdesk.exe in an installer of version
# 0.0.9), which the real one then upgrades: MajorUpgrade removes the old
# product (its service stopped and deleted) and installs the new, whose
# service starts; the host's ID and options (state and config under
# AppData/ProgramData, not the install folder) are kept, one product is
# on record, and the old installer is refused over the new (downgrade).
( cd "$TOP" && wixl -a x64 -D Version=0.0.9 -D SourceDir=build-win \
    -o "$WORK/cdesk-0.0.9.msi" packaging/msi/cdesk.wxs ) ||
    fail "wixl of an older version"
"$WINE" msiexec /i "$WORK/cdesk-0.0.9.msi" /qn ||
    fail "msiexec /i cdesk-0.0.9.msi: exit $?"
svc_running "service of 0.0.9"
old_id=$("$WINE" "$SVC_EXE" --get-id 2>/dev/null | tr -d '\r')
expect_match "$old_id" '^[0-9]{9,10}$' "the --get-id of 0.0.9"
old_pid=$(svc_procs | awk 'NR == 1 { print $1 }')
out=$("$WINE" "$SVC_EXE" --option custom-rendezvous-server 127.0.0.1:9 \
    2>&1) || fail "--option through 0.0.9: $(echo "$out" | tr -d '\r')"
msi_expect 0.0.9 "0.0.9"
"$WINE" msiexec /i "$TOP/build-win/cdesk.msi" /qn ||
    fail "msiexec /i (upgrade from 0.0.9): exit $?"
[ -f "$WINEPREFIX/drive_c/Program Files/cdesk/cdesk.exe" ] ||
    fail "cdesk.exe not installed"
VERSION=$(cat "$TOP/VERSION")
msi_expect "$VERSION" "after the upgrade"
svc_running "service after the upgrade"
[ "$(svc_procs | wc -l)" = 1 ] || fail "service processes: $(svc_procs)"
[ "$(svc_procs | awk '{ print $1 }')" != "$old_pid" ] ||
    fail "the service of 0.0.9 (pid $old_pid) was not restarted"
printf 'service cdesk: RUNNING, %s\n' "$(svc_procs | head -n 1)"
iid=$("$WINE" "$SVC_EXE" --get-id 2>/dev/null | tr -d '\r')
[ "$iid" = "$old_id" ] || fail "ID '$old_id' before the upgrade, '$iid' after"
rs=$("$WINE" "$SVC_EXE" --option custom-rendezvous-server 2>/dev/null |
    tr -d '\r')
[ "$rs" = 127.0.0.1:9 ] || fail "option after the upgrade: '$rs'"
"$WINE" msiexec /i "$WORK/cdesk-0.0.9.msi" /qn >/dev/null 2>&1 &&
    fail "0.0.9 installed over $VERSION"
msi_expect "$VERSION" "after a refused downgrade"
svc_running "service after a refused downgrade"
echo "upgrade 0.0.9 -> $VERSION: one product, service restarted, ID" \
    "$iid and options kept; the downgrade refused"

# The CLI verbs of the installed cdesk.exe reach the running service
# over its pipe: --status answers (only a server can); options set
# through it land in the service's config (no public rendezvous server,
# direct access on a new port, which the service opens when it starts
# again); the permanent password set with --password and the one-time
# password from --get-temp-password both log in there.
st=$("$WINE" "$SVC_EXE" --status 2>&1) ||
    fail "--status of the service: $(echo "$st" | tr -d '\r')"
st=$(echo "$st" | tr -d '\r')
[ -n "$st" ] && [ "$st" != "not running" ] ||
    fail "--status of the service: '$st'"
echo "service --status: $st"
PORT=$(free_port)
for kv in "approve-mode password" \
    "direct-access-port $PORT" "direct-server Y"; do
	# shellcheck disable=SC2086
	out=$("$WINE" "$SVC_EXE" --option $kv 2>&1) ||
	    fail "--option $kv: $(echo "$out" | tr -d '\r')"
done
# The service answers a Stop within SERVICE_WIN_STOP_MS (under wine's
# 10 s) and says STOPPED when the host is down: start it again only then.
# The service logs to cdesk.log in its state folder (ProgramData's cdesk
# as LocalSystem; wine runs services as its one user: AppData's cdesk).
SLOG=$(find "$WINEPREFIX/drive_c" -path '*/cdesk/cdesk.log' | head -n 1)
# Once in a CI run net.exe ended with exit 1 and said nothing, and the
# service never saw a Stop (no "signal 15" in its log, still RUNNING):
# the command failed inside wine before it reached the manager. Wine's
# errors are shown for this call, and a Stop that never arrived (the log
# has no more "stopping" lines than before: 0.0.9's stop is there too)
# is sent once more, saying so.
stops() { grep -c 'signal [0-9]*: stopping' "$SLOG"; }
stops0=$(stops)
# net_stop: 0, or 1 with $why (its exit and what it and wine said).
net_stop() {
	WINEDEBUG=err+all "$WINE" net stop cdesk >"$WORK/net-stop.out" 2>&1 &&
	    return 0
	why="exit $?: $(tr -d '\r' <"$WORK/net-stop.out" | tail -n 5)"
	return 1
}
net_stop_fail() {
	fail "net stop cdesk$1: $why; state '$(svc_state)'; the service's" \
	    "log: $(tail -n 8 "$SLOG")"
}
net_stop || {
	[ "$(svc_state)" = RUNNING ] && [ "$(stops)" = "$stops0" ] ||
	    net_stop_fail ""
	echo "net stop cdesk: $why; the Stop never arrived: again"
	sleep 1
	net_stop || net_stop_fail ", again"
}
i=0
until [ "$(svc_state)" = STOPPED ]; do
	i=$((i + 1))
	[ $i -gt 60 ] && fail "service after net stop: '$(svc_state)'"
	sleep 0.5
done
"$WINE" net start cdesk >/dev/null 2>&1 || fail "net start cdesk: exit $?"
i=0
until [ "$(svc_state)" = RUNNING ] && [ -n "$(svc_procs)" ] &&
    "$WINE" "$SVC_EXE" --status >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 60 ] && fail "service after a restart: '$(svc_state)'"
	sleep 0.5
done
out=$("$WINE" "$SVC_EXE" --password Secret-43 2>&1 | tr -d '\r')
[ "$out" = "Done!" ] || fail "--password through the service: '$out'"
otp=$("$WINE" "$SVC_EXE" --get-temp-password 2>&1 | tr -d '\r')
expect_match "$otp" '^[a-z0-9]{6,10}$' "the service's --get-temp-password"
i=0
until info=$("$PEER" -p "$PORT" -w Secret-43 login 2>&1); do
	i=$((i + 1))
	[ $i -gt 40 ] && fail "login to the service on $PORT: $info"
	sleep 0.5
done
expect_match "$info" "^PEERINFO .* platform=Windows" "the service's PeerInfo"
info=$("$PEER" -p "$PORT" -w "$otp" login) ||
    fail "login to the service with its OTP: $info"
echo "service: options, --password and --get-temp-password through the" \
    "pipe; both passwords log in on port $PORT"
[ -n "$SLOG" ] || fail "no cdesk.log of the service"
for want in 'option direct-server changed through the IPC' \
    'permanent password changed through the IPC' ': login ok' \
    'service: host down [0-9]* ms after the Stop'; do
	grep -q "$want" "$SLOG" ||
	    fail "the service's log has no '$want': $(tail -n 5 "$SLOG")"
done
echo "service log ${SLOG#"$WINEPREFIX/"}: $(wc -l <"$SLOG") lines," \
    "$(grep -c ': login ok' "$SLOG") logins, $(grep -o 'host down .*' \
    "$SLOG" | head -n 1)"
# The uninstall alone stops the running service: wine's msiexec deletes
# cdesk.exe right after its Stop returns, which service_win.c answers
# once the host is down and has said STOPPED (or after 8 s at most).
"$WINE" msiexec /x "$TOP/build-win/cdesk.msi" /qn ||
    fail "msiexec /x: exit $?"
i=0
while [ -n "$(svc_state)" ] || [ -n "$(svc_procs)" ]; do
	i=$((i + 1))
	[ $i -gt 60 ] && fail "after uninstall: '$(svc_state)' $(svc_procs)"
	sleep 0.5
done
# Nor a CM the service started (cdesk.exe --cm, for the logins above).
i=0
while ps -eo args | grep -F "$SVC_EXE" | grep -qv grep; do
	i=$((i + 1))
	[ $i -gt 60 ] && fail "after uninstall: $(ps -eo pid,args |
	    grep -F "$SVC_EXE" | grep -v grep)"
	sleep 0.5
done
[ -e "$WINEPREFIX/drive_c/Program Files/cdesk" ] &&
    fail "Program Files/cdesk left after uninstall"
kill "$KEEP" 2>/dev/null
echo "uninstalled: no service, no process, no folder"
echo "ok"
