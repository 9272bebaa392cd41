# Terminals (PROTOCOL.md §11) through the test peer playing the stock
# client, with the server as root and the desktop (an Xvfb) owned by a user
# this test creates: the shell is that user's login shell in their home,
# on a terminal they own; resize reaches `stty size`; two terminals at
# once; output over 512 bytes comes compressed; close and exit codes; a
# persistent terminal survives a reconnect (same shell, output kept), one
# that is not goes with its connection; a shell printing without end while
# the peer reads nothing leaves the server's memory alone and others are
# served; enable-terminal N refuses; with no desktop to name a user, a
# root server starts no shell.
. "$TOP/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root (a user of its own)"; exit 77; }
for c in useradd userdel setpriv Xvfb; do
	command -v $c >/dev/null || { echo "$c missing"; exit 77; }
done
U="cdterm$$"
XPID=""
TP=""
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$TP" ] && kill "$TP" 2>/dev/null
	[ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID"
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null && wait "$XPID"
	userdel -r "$U" 2>/dev/null
}
trap cleanup EXIT
useradd -m -s /bin/bash "$U" || { echo "useradd failed"; exit 77; }
DIR=$(cdesk_dir term)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"

# The user's own X display: the server shares that user's session.
exec 4>"$DIR/displayfd"
setpriv --reuid="$U" --regid="$U" --init-groups Xvfb -displayfd 4 \
    -screen 0 640x480x24 -nolisten tcp >"$DIR/xvfb.log" 2>&1 &
XPID=$!
exec 4>&-
wait_for "$DIR/displayfd" '^[0-9]+' "the user's Xvfb did not start"
DISPLAY=":$(cat "$DIR/displayfd")"
export DISPLAY
# Under AddressSanitizer freed memory waits in a quarantine: keep it small
# so the memory bound below measures what the server holds.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
export ASAN_OPTIONS
# The server raises its own soft limit on open files; the shell must get
# the one the server started with.
ulimit -Sn 1000
cdesk_start "$DIR" || fail "server start"
srvnofile=$(sed -n 's/^Max open files *\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/limits")
[ "$(ulimit -Hn)" -le 1000 ] || [ "$srvnofile" -gt 1000 ] ||
    fail "the server did not raise its limit on open files ($srvnofile)"

# term_peer NAME ARGS: a terminal session, commands on fd 3, events in
# $WORK/NAME.ev, terminal N's output in $WORK/NAME.N.
term_peer() {
	n=$1; shift
	rm -f "$WORK/$n.in" "$WORK/$n".[0-9]*
	mkfifo "$WORK/$n.in"
	"$PEER" -p "$PORT" -w Secret-42 -t 30000 term "$WORK/$n" "$@" \
	    <"$WORK/$n.in" >"$WORK/$n.ev" 2>&1 &
	TP=$!
	exec 3>"$WORK/$n.in"
	wait_for "$WORK/$n.ev" '^(PEERINFO|ERROR|CLOSED|EOF)' "no login outcome"
}
term_end() { echo quit >&3; exec 3>&-; wait "$TP"; TP=""; }
# term_closed: term_end, then until the server logged the close.
term_closed() {
	tc_n=$(grep -c ': closed (' "$DIR/log")
	term_end
	wait_more "$DIR/log" ': closed (' "$tc_n" "the server did not close the session"
}
# pong NAME N: a round trip; what was sent before it is handled.
pong() {
	echo "ping $2" >&3
	wait_for "$WORK/$1.ev" "^PONG $2\$" "no PONG $2"
}
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$SERVER_PID/status"; }
# Markers are split in the command ("U""=") so its echo does not match.

# 1. The user's shell: name, home, working folder, the terminal's owner.
term_peer a
grep -q '^PEERINFO terminal=1 ' "$WORK/a.ev" || fail "no Features.terminal: $(cat "$WORK/a.ev")"
echo "open 1 24 80" >&3
wait_for "$WORK/a.ev" '^OPENED 1 ok=1 pid=[0-9]+ service=ts_' "terminal 1 not opened"
echo 'send 1 echo "U""=$(id -un) H""=$HOME W""=$(pwd) T""=$(stat -c %U $(tty)) S""=$0"' >&3
wait_for "$WORK/a.1" "U=$U H=/home/$U W=/home/$U T=$U S=-bash" "not the user's login shell"
echo 'send 1 echo "N""=$(ulimit -Sn)"' >&3
wait_for "$WORK/a.1" 'N=1000' "the shell's limit on open files is not the one the server started with"
echo 'send 1 echo "Z""=$(stty size)"' >&3
wait_for "$WORK/a.1" 'Z=24 80' "stty size at open"
echo "resize 1 30 100" >&3
echo 'send 1 echo "R""=$(stty size)"' >&3
wait_for "$WORK/a.1" 'R=30 100' "stty size after resize"
# 2. A second terminal at the same time, then closed by the peer.
echo "open 2 10 40" >&3
wait_for "$WORK/a.ev" '^OPENED 2 ok=1 ' "terminal 2 not opened"
pid2=$(sed -n 's/^OPENED 2 ok=1 pid=\([0-9]*\) .*/\1/p' "$WORK/a.ev")
echo 'send 2 echo "X""=$((6*7)) $(stty size)"' >&3
echo 'send 1 echo "Y""=one"' >&3
wait_for "$WORK/a.2" 'X=42 10 40' "terminal 2 output"
wait_for "$WORK/a.1" 'Y=one' "terminal 1 output beside terminal 2"
grep -q 'X=42' "$WORK/a.1" && fail "terminal 2's output in terminal 1"
echo "close 2" >&3
wait_for "$WORK/a.ev" '^TCLOSED 2 -1$' "close of terminal 2"
i=0
while kill -0 "$pid2" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "shell $pid2 outlived its close"
	sleep 0.05
done
# 3. Output over 512 bytes comes compressed; an exit code comes back.
echo 'send 1 seq 1 3000' >&3
wait_for "$WORK/a.ev" '^COMPRESSED 1$' "no compressed output"
wait_for "$WORK/a.1" '^3000' "seq output"
echo 'send 1 exit 3' >&3
wait_for "$WORK/a.ev" '^TCLOSED 1 3$' "exit code of terminal 1"
term_end

# 4. Persistent: the shell and its output wait for the next connection.
term_peer p - persistent
echo "open 1 24 80" >&3
wait_for "$WORK/p.ev" '^OPENED 1 ok=1 ' "persistent terminal not opened"
sid=$(sed -n 's/^OPENED 1 ok=1 pid=[0-9]* service=\([^ ]*\) .*/\1/p' "$WORK/p.ev")
ppid1=$(sed -n 's/^OPENED 1 ok=1 pid=\([0-9]*\) .*/\1/p' "$WORK/p.ev")
# A job that prints once the connection is gone (~/go), then says so.
rm -f "/home/$U/go" "/home/$U/done"
echo 'send 1 (until [ -e ~/go ]; do sleep 0.05; done; echo "L""ATE=$$"; : >~/done) &' >&3
term_closed
: >"/home/$U/go"
i=0
until [ -e "/home/$U/done" ]; do
	i=$((i + 1)); [ $i -gt 400 ] && fail "the detached shell did not print"
	sleep 0.05
done
kill -0 "$ppid1" 2>/dev/null || fail "persistent shell gone after the disconnect"
term_peer q "$sid" persistent
echo "open 7 24 80" >&3
wait_for "$WORK/q.ev" "^OPENED 7 ok=1 pid=$ppid1 service=$sid replay=1 " \
    "the persistent terminal did not come back"
wait_for "$WORK/q.7" "LATE=$ppid1" "output of the detached time not replayed"
echo 'send 7 echo "A""GAIN=$$"' >&3
wait_for "$WORK/q.7" "AGAIN=$ppid1" "not the same shell after the reconnect"
# Persistence off: the set goes with this connection.
echo "persistent no" >&3
pong q 1
term_end
i=0
while kill -0 "$ppid1" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "shell $ppid1 outlived its set"
	sleep 0.05
done

# 5. A shell printing without end while the peer reads nothing.
term_peer f
echo "open 1 24 80" >&3
wait_for "$WORK/f.ev" '^OPENED 1 ok=1 ' "flood terminal not opened"
before=$(rss)
echo "send 1 yes" >&3
echo "pause 4000" >&3
# A timed window: the flood runs 2.5 s of the peer's 4 s pause, long
# enough to fill every buffer on the way; the largest RSS in it counts.
during=$before
t_end=$(($(date +%s%N) / 1000000 + 2500))
while [ $(($(date +%s%N) / 1000000)) -lt $t_end ]; do
	r=$(rss)
	[ "$r" -gt "$during" ] && during=$r
	sleep 0.05
done
[ $((during - before)) -lt 16384 ] ||
    fail "server grew from $before to $during KiB during the flood"
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "a login during the flood"
# The peer reads these once its pause is over.
echo "ctrl 1 c" >&3
echo 'send 1 echo "D""ONE"' >&3
wait_for "$WORK/f.1" 'DONE' "the flood did not end" 600
echo "flood: server RSS $before -> $during KiB, $(wc -c <"$WORK/f.1") bytes read"
term_end

# 6. enable-terminal N.
"$CDESK" --config "$DIR" --option enable-terminal N || fail "--option"
term_peer n
grep -q '^ERROR No permission of terminal$' "$WORK/n.ev" ||
    fail "enable-terminal N: $(cat "$WORK/n.ev")"
exec 3>&-
wait "$TP"
TP=""
cdesk_stop || fail "server exit"

# 7. As root with no display naming the desktop's user: no shell at all
# (not a root one): the login itself is refused, there being no desk.
"$CDESK" --config "$DIR" --option enable-terminal "" || fail "--option"
unset DISPLAY
cdesk_start "$DIR" || fail "server start without a display"
term_peer r
wait_for "$WORK/r.ev" '^ERROR The host has no desktop session to share' \
    "a shell without a desktop user"
term_end
cdesk_stop || fail "server exit"
echo "ok"
