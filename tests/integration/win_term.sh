#!/bin/sh
# win_term.sh: terminals of the Windows host (make win: build-win/cdesk.exe;
# server/win/term_conpty.c: a pseudoconsole, cdesk.exe --term-shell
# running the shell in it) under Debian's wine64, driven by the test peer
# as tests/integration/term.sh drives the Linux one: PeerInfo offers
# terminals; the shell (cmd.exe under wine: no PowerShell there) runs a
# command whose output comes back; a resize reaches the pseudoconsole
# (wine 8 has no ResizePseudoConsole: the host says so once and the
# terminal goes on); two terminals at once keep their output apart; the
# peer closes one (-1); a persistent terminal comes back after a
# reconnect with its output replayed; `exit 3` reports exit code 3; a
# shell printing without end while the peer reads nothing does not grow
# the host, and closing it ends its process tree.
# A missing toolchain or wine is installed (packaging/deps.sh --win),
# never skipped.
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"

win_build wint
EXE="$TOP/build-win/cdesk.exe"
wine_env wint
WPID=
TP=

# Stop the peer, then the host and the prefix.
wint_stop() {
	[ -n "$TP" ] && kill "$TP" 2>/dev/null && wait "$TP" 2>/dev/null
	wine_stop
}
trap wint_stop EXIT

wine_host wint

# term_peer NAME ARGS: a terminal session, commands on fd 3, events in
# $WORK/NAME.ev, terminal N's output in $WORK/NAME.N (as term.sh).
term_peer() {
	n=$1; shift
	rm -f "$WORK/$n.in" "$WORK/$n".[0-9]*
	mkfifo "$WORK/$n.in"
	"$PEER" -p "$PORT" -w Secret-42 -t 30000 term "$WORK/$n" "$@" \
	    <"$WORK/$n.in" >"$WORK/$n.ev" 2>&1 &
	TP=$!
	exec 3>"$WORK/$n.in"
	wait_for "$WORK/$n.ev" '^(PEERINFO|ERROR|CLOSED|EOF)' "no login outcome" 600
}
term_end() { echo quit >&3; exec 3>&-; wait "$TP"; TP=""; }
# Markers are expanded by the shell (%USERNAME%), so the echo of the
# command line, which the console shows too, does not match them.
ME=$(id -un)

t0=$(date +%s)
term_peer a
grep -q '^PEERINFO terminal=1 .*platform=Windows' "$WORK/a.ev" ||
    fail "no Features.terminal from the Windows host: $(cat "$WORK/a.ev")"
echo "open 1 24 80" >&3
wait_for "$WORK/a.ev" '^OPENED 1 ok=1 pid=[0-9]+ service=ts_' \
    "terminal 1 not opened" 600
echo 'send 1 echo W1-%USERNAME%' >&3
wait_for "$WORK/a.1" "W1-$ME" "no output of the shell in terminal 1" 600
echo 'send 1 ver' >&3
wait_for "$WORK/a.1" 'Microsoft Windows' "no output of ver"
echo "first output after $(($(date +%s) - t0)) s"

# Resize: the pseudoconsole takes it, or the host says once that it
# cannot; either way the terminal goes on.
echo "resize 1 30 100" >&3
echo 'send 1 echo R1-%USERNAME%' >&3
wait_for "$WORK/a.1" "R1-$ME" "terminal 1 after a resize"
if grep -q 'pseudoconsole cannot be resized here' "$DIR/log"; then
	echo "resize: not in this wine ($(grep -c 'cannot be resized' \
	    "$DIR/log") log line)"
else
	echo "resize: taken by ResizePseudoConsole"
fi

# Two terminals at once, their output apart; the peer closes the second.
echo "open 2 10 40" >&3
wait_for "$WORK/a.ev" '^OPENED 2 ok=1 ' "terminal 2 not opened" 600
p1=$(sed -n 's/^OPENED 1 ok=1 pid=\([0-9]*\) .*/\1/p' "$WORK/a.ev")
p2=$(sed -n 's/^OPENED 2 ok=1 pid=\([0-9]*\) .*/\1/p' "$WORK/a.ev")
[ "$p1" != "$p2" ] || fail "terminals 1 and 2 share pid $p1"
echo 'send 2 echo T2-%USERNAME%' >&3
echo 'send 1 echo Y1-%USERNAME%' >&3
wait_for "$WORK/a.2" "T2-$ME" "terminal 2 output" 600
wait_for "$WORK/a.1" "Y1-$ME" "terminal 1 output beside terminal 2"
grep -q "T2-$ME" "$WORK/a.1" && fail "terminal 2's output in terminal 1"
grep -q "Y1-$ME" "$WORK/a.2" && fail "terminal 1's output in terminal 2"
echo "close 2" >&3
wait_for "$WORK/a.ev" '^TCLOSED 2 -1$' "close of terminal 2"
grep -q '^BADZSTD' "$WORK/a.ev" && fail "bad compressed output"
# The shell's own exit code.
echo 'send 1 exit 3' >&3
wait_for "$WORK/a.ev" '^TCLOSED 1 3$' "exit code 3 of terminal 1" 600
term_end

# A persistent terminal survives the reconnect, its output replayed.
term_peer p - persistent
echo "open 1 24 80" >&3
wait_for "$WORK/p.ev" '^OPENED 1 ok=1 ' "persistent terminal not opened" 600
sid=$(sed -n 's/^OPENED 1 ok=1 pid=[0-9]* service=\([^ ]*\) .*/\1/p' \
    "$WORK/p.ev")
pp=$(sed -n 's/^OPENED 1 ok=1 pid=\([0-9]*\) .*/\1/p' "$WORK/p.ev")
echo 'send 1 echo P1-%USERNAME%' >&3
wait_for "$WORK/p.1" "P1-$ME" "persistent terminal output" 600
term_end
term_peer q "$sid" persistent
echo "open 7 24 80" >&3
wait_for "$WORK/q.ev" "^OPENED 7 ok=1 pid=$pp service=$sid replay=1 " \
    "the persistent terminal did not come back" 600
wait_for "$WORK/q.7" "P1-$ME" "output of the first connection not replayed"
echo 'send 7 echo Q7-%USERNAME%' >&3
wait_for "$WORK/q.7" "Q7-$ME" "the shell after the reconnect" 600
echo 'send 7 exit 5' >&3
wait_for "$WORK/q.ev" '^TCLOSED 7 5$' "exit code 5 after the reconnect" 600
term_end
# A shell printing without end while the peer reads nothing: the host
# stops reading at its bound (the socket pair fills, the reader thread and
# the console block), its memory stays put, other logins are served, and
# reading resumes after; closing the terminal ends the shell and what it
# started (the job object). Wine's console puts out some 40 KB/s, so the
# bound itself is reached only by the Linux test (term.sh); here the
# pause and resume go through the Windows pumps. The host's processes are
# told apart by the prefix in their environment.
prefix_procs() {
	for e in /proc/[0-9]*/environ; do
		{ tr '\0' '\n' <"$e" | grep -qx "WINEPREFIX=$WINEPREFIX" &&
		    tr '\0' ' ' <"${e%environ}cmdline" | grep -Ei "$1"; } \
		    2>/dev/null
	done
}
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$WPID/status"; }
[ -n "$(rss)" ] || fail "no RSS of the host (pid $WPID)"
seq 1 400000 | sed 's/$/ the quick brown fox jumps over the lazy dog/' \
    >"$WORK/big.txt"
big=$(printf 'Z:%s' "$WORK/big.txt" | tr / '\\')
term_peer f
echo "open 1 24 80" >&3
wait_for "$WORK/f.ev" '^OPENED 1 ok=1 ' "flood terminal not opened" 600
# printf: dash's echo would take the backslashes for escapes.
printf 'send 1 for /L %%i in (1,1,1000) do @type %s\n' "$big" >&3
wait_for "$WORK/f.1" "[0-9]+ the quick brown fox" "the flood did not start" 600
before=$(rss)
echo "pause 5000" >&3
sleep 1
n1=$(wc -c <"$WORK/f.1")
sleep 3
during=$(rss)
[ $((during - before)) -lt 16384 ] ||
    fail "the host grew from $before to $during KiB during the flood"
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "a login during the flood"
i=0
while [ "$(wc -c <"$WORK/f.1")" -le $((n1 + 65536)) ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && fail "reading did not resume after the pause"
	sleep 0.1
done
[ -n "$(prefix_procs 'cmd\.exe')" ] || fail "no shell seen in the prefix"
echo "close 1" >&3
wait_for "$WORK/f.ev" '^TCLOSED 1 -1$' "close of the flooding terminal" 600
i=0
while [ -n "$(prefix_procs 'cmd\.exe|--term-shell')" ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the shell outlived its close: $(prefix_procs 'cmd\.exe|--term-shell')"
	sleep 0.1
done
echo "flood: host RSS $before -> $during KiB, $(wc -c <"$WORK/f.1") bytes read"
term_end
grep -q 'terminal.*shell exited (3)' "$DIR/log" ||
    fail "the host did not log the exit: $(grep terminal "$DIR/log" | tail -n 5)"
echo "all after $(($(date +%s) - t0)) s"
