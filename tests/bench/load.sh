# Heavy load: LOAD_N (1000) remote-control sessions log in over LOAD_T (8)
# threads, each from its own loopback address, on a still screen and stay
# logged in answering TestDelay. All must stay up; login p99 under
# LOAD_P99_MS (50) while they arrive; server RSS growth under
# LOAD_RSS_MB (128); CPU while they idle under LOAD_CPU_PCT (5) % of a
# core, and what each idle session adds to the server's CPU (over the
# server's own with none) under LOAD_CPU_US (40) us a second: a second's
# TestDelay round trip is about 20 us. The server is started with a soft
# open-file limit of 1024 and must raise it itself.
# tests/integration/load.sh runs this with 100 sessions.
. "$TOP/tests/lib.sh"
N=${LOAD_N:-1000}
T=${LOAD_T:-8}
P99_MS=${LOAD_P99_MS:-50}
RSS_MB=${LOAD_RSS_MB:-128}
CPU_PCT=${LOAD_CPU_PCT:-5}
CPU_US=${LOAD_CPU_US:-40}
IDLE_S=${LOAD_IDLE_S:-10}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# The unit gives the service room for many peers.
lim=$(sed -n 's/^LimitNOFILE=//p' "$TOP/packaging/deb/cdesk.service")
[ "${lim:-0}" -ge 4096 ] || fail "the unit's LimitNOFILE is '${lim}'"

DIR=$(cdesk_dir load)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# A soft limit of 1024, as a login shell has: the server raises it.
(ulimit -Sn 1024 && exec "$CDESK" --config "$DIR" --server) \
    >"$DIR/out" 2>"$DIR/log" &
SERVER_PID=$!
wait_for "$DIR/out" '^READY' "server start"
PORT=$(sed -n 's/^READY //p' "$DIR/out")
nofile=$(awk '/^Max open files/ {print $4}' "/proc/$SERVER_PID/limits")
echo "server open-file limit: $nofile"
[ "$nofile" -ge $((N + 64)) ] || fail "the server kept an open-file limit of $nofile"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
# The server's CPU time in ns, all threads (schedstat: finer than ticks).
cpu() { cat /proc/$SERVER_PID/task/*/schedstat | awk '{n += $1} END {print n}'; }
# pct C0 C1 T0 T1: % of a core between two cpu/date readings.
pct() { echo "$@" | awk '{printf "%.2f", 100 * ($2 - $1) / 1e9 / ($4 - $3)}'; }
# Settle: the first viewer starts the encoder; measure from a warm server.
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" '^PEERINFO' "a first login"
sleep 2
rss0=$(rss)
echo "server RSS before: $((rss0 / 1024)) MiB"
c0=$(cpu)
t0=$(date +%s.%N)
sleep 3
pctb=$(pct "$c0" "$(cpu)" "$t0" "$(date +%s.%N)")
echo "server CPU with no session: $pctb % of a core"

(ulimit -n $((N + 256)) && exec "$PEER" -p "$PORT" -w Secret-42 -t 20000 \
    swarm "$N" $((IDLE_S + 16)) "$T") >"$WORK/swarm.out" 2>&1 &
sp=$!
wait_for "$WORK/swarm.out" '^HELD' "the sessions did not log in" 2400
cat "$WORK/swarm.out"
# Half a second of a new audio stream's silence goes out (svc_audio.h:
# SVC_AUDIO_SILENCE_FRAMES); then only TestDelay probes while nothing moves.
rss1=$(rss)
c0=$(cpu)
t0=$(date +%s.%N)
sleep 4
pct0=$(pct "$c0" "$(cpu)" "$t0" "$(date +%s.%N)")
sleep 2
c0=$(cpu)
t0=$(date +%s.%N)
# LOAD_PROFILE="perf stat" or "strace -c -f": that command watches the
# server (-p PID) for the idle window; its report goes to the output.
if [ -n "${LOAD_PROFILE:-}" ]; then
	timeout -s INT "$IDLE_S" $LOAD_PROFILE -p "$SERVER_PID" \
	    >"$WORK/profile.out" 2>&1 &
	prof=$!
fi
sleep "$IDLE_S"
c1=$(cpu)
t1=$(date +%s.%N)
rss2=$(rss)
conns=$(ls "/proc/$SERVER_PID/fd" | wc -l)
pct=$(pct "$c0" "$c1" "$t0" "$t1")
us=$(echo "$pct $pctb $N" | awk '{printf "%.1f", ($1 - $2) * 1e4 / $3}')
wait $sp
cat "$WORK/swarm.out" | grep -v '^LOGINS\|^HELD'
echo "server descriptors open with $N sessions: $conns"
echo "server RSS with $N sessions: $((rss1 / 1024)) MiB, after ${IDLE_S} s idle $((rss2 / 1024)) MiB (growth $(((rss2 - rss0) / 1024)) MiB, $(((rss2 - rss0) / N)) KiB a session)"
echo "server CPU in the 4 s after $N logins: $pct0 % of a core"
echo "server CPU while $N sessions idle: $pct % of a core ($us us a second per session)"
if [ -n "${LOAD_PROFILE:-}" ]; then
	wait $prof
	cat "$WORK/profile.out"
fi
echo "server VmHWM: $(awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status") MiB"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

logins=$(grep '^LOGINS' "$WORK/swarm.out")
expect_match "$logins" "^LOGINS ok=$N of $N " "all sessions logged in"
p99=$(echo "$logins" | sed -n 's/.* p99=\([0-9.]*\)ms.*/\1/p')
alive=$(grep '^ALIVE' "$WORK/swarm.out")
expect_match "$alive" "^ALIVE $N of $N" "all sessions stayed up"
awk "BEGIN { exit !($p99 < $P99_MS) }" || fail "login p99 ${p99} ms (limit $P99_MS)"
[ $((rss2 - rss0)) -lt $((RSS_MB * 1024)) ] ||
    fail "RSS grew $(((rss2 - rss0) / 1024)) MiB (limit $RSS_MB)"
awk "BEGIN { exit !($pct < $CPU_PCT) }" || fail "idle CPU $pct % (limit $CPU_PCT)"
awk "BEGIN { exit !($us < $CPU_US) }" ||
    fail "an idle session costs $us us a second (limit $CPU_US)"
grep -E 'warn|error' "$DIR/log" | head -5
cdesk_stop || fail "server exit"
echo "ok"
