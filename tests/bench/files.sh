# File transfer throughput (make bench): the test peer uploads and
# downloads a file of random data (every block tried with zstd, as the
# stock client and host do) through a real `cdesk --server` and its file
# helper, over direct IP (plain) and over the encrypted relayed path
# (tests/bin/hbbs_double as hbbs and hbbr), and in the same run the
# references: the same bytes copied over loopback TCP in 128 KiB chunks,
# plain and sealed with crypto_secretbox (tests/bin/bench_copy). Uploads
# are compared with the references that fdatasync at the end, as the
# helper does before it renames. Server and helper CPU per MB moved.
# FILES_BENCH_MB (default 128) sets the size; each case runs twice, the
# better run counts. The test peer's CPU (its start included) and the
# relay's are shown too, to see that neither is what limits a case.
set -u
. "$TOP/tests/lib.sh"
MB=${FILES_BENCH_MB:-128}
D="$WORK/files-bench-data"
mkdir -p "$D"
COPY="$TOP/$B/tests/bin/bench_copy"
DBL="$TOP/$B/tests/bin/hbbs_double"
hz=$(getconf CLK_TCK)
head -c $((MB * 1048576)) /dev/urandom >"$D/src.bin"

# best CMD...: "MB/s CPU-ms/MB" of the better of two runs of a reference.
best() {
	a=$("$@" | sed -n 's/.*mb_s=\([0-9.]*\) cpu_ms_mb=\([0-9.]*\).*/\1 \2/p')
	b=$("$@" | sed -n 's/.*mb_s=\([0-9.]*\) cpu_ms_mb=\([0-9.]*\).*/\1 \2/p')
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		print (x[1] + 0 > y[1] + 0 ? a : b) }'
}
set -- $(best "$COPY" tcp "$D/src.bin" "$D/ref.out")
TCP=$1 TCPC=$2
set -- $(best "$COPY" tcp "$D/src.bin" "$D/ref.out" sync)
TCPS=$1 TCPSC=$2
set -- $(best "$COPY" box "$D/src.bin" "$D/ref.out")
BOX=$1 BOXC=$2
set -- $(best "$COPY" box "$D/src.bin" "$D/ref.out" sync)
BOXS=$1 BOXSC=$2
rm -f "$D/ref.out"

"$DBL" -p 0 >"$D/dbl.out" 2>"$D/dbl.err" &
DPID=$!
i=0
until grep -q '^READY' "$D/dbl.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "double not ready"; sleep 0.05
done
HP=$(sed -n 's/^READY \([0-9]*\) .*/\1/p' "$D/dbl.out")
KEY=$(sed -n 's/^KEY //p' "$D/dbl.out")
DIR=$(cdesk_dir files-bench)
sed -i '/^custom-rendezvous-server/d' "$DIR/cdesk.conf"
printf 'custom-rendezvous-server = 127.0.0.1:%s\nkey = %s\n' "$HP" "$KEY" \
    >>"$DIR/cdesk.conf"
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
cdesk_start "$DIR" || fail "server start"
trap 'kill $DPID 2>/dev/null; [ -n "${SERVER_PID:-}" ] && kill $SERVER_PID 2>/dev/null' EXIT
i=0
until [ "$("$CDESK" --config "$DIR" --status 2>/dev/null)" = registered ]; do
	i=$((i + 1)); [ $i -gt 500 ] && fail "not registered"; sleep 0.02
done
DIRECT="$PEER -p $PORT -t 60000 -w Secret-42 files"
RELAY="$PEER -R 127.0.0.1:$HP -K $KEY -i $HOST_ID -t 60000 -w Secret-42 files"
# The helper starts with the first request.
$DIRECT ls "" >/dev/null || fail "first listing"
HPID=$(sed -n 's/.*helper: started .* (pid \([0-9]*\)).*/\1/p' "$DIR/log" |
    tail -n 1)
[ -n "$HPID" ] || fail "no helper"

# run LABEL PEER-CMD...: two runs; prints "MB/s server_ms/MB helper_ms/MB
# peer_ms/MB relay_ms/MB" of the better one.
run() {
	label=$1; shift
	out="0 0 0 0 0"
	for k in 1 2; do
		s0=$(cpu_ticks "$SERVER_PID"); h0=$(cpu_ticks "$HPID")
		r0=$(cpu_ticks "$DPID")
		sp=$(peer_timed "$@" | sed -n 's/^SPEED //p')
		s1=$(cpu_ticks "$SERVER_PID"); h1=$(cpu_ticks "$HPID")
		r1=$(cpu_ticks "$DPID")
		pt=$(awk '{ print $1 + $2 }' "$D/peer.time" 2>/dev/null)
		[ -n "$sp" ] || fail "$label: no result"
		out=$(awk -v o="$out" -v sp="$sp" -v s="$((s1 - s0))" \
		    -v h="$((h1 - h0))" -v r="$((r1 - r0))" -v pt="${pt:-0}" \
		    -v hz="$hz" -v mb="$MB" 'BEGIN {
			split(o, p, " ");
			if (sp + 0 > p[1] + 0)
				printf "%s %.2f %.2f %.2f %.2f", sp,
				    s * 1000 / hz / mb, h * 1000 / hz / mb,
				    pt * 1000 / mb, r * 1000 / hz / mb;
			else
				print o }')
	done
	echo "$out"
}
# peer_timed CMD...: runs the peer, its CPU seconds into $D/peer.time.
peer_timed() {
	rm -f "$D/peer.time"
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S" -o "$D/peer.time" "$@"
	else
		"$@"
	fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# line NAME RESULT REF REFNAME
line() {
	set -- "$1" $2 "$3" "$4"
	echo "  $1: $2 MB/s = $(ratio "$2" "$7") x $8 ($7 MB/s); CPU ms/MB: server $3, helper $4, peer $5, relay $6"
}

echo "== file transfer of $MB MiB of random data over loopback"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  reference TCP copy: $TCP MB/s, with fdatasync $TCPS MB/s (CPU ms/MB, both ends: $TCPC, $TCPSC)"
echo "  reference secretbox copy: $BOX MB/s, with fdatasync $BOXS MB/s (CPU ms/MB: $BOXC, $BOXSC)"
r=$(run "direct up" $DIRECT put "$D/src.bin" "$D/up.bin")
line "direct IP, upload" "$r" "$TCPS" "TCP+sync"
r=$(run "direct down" $DIRECT get "$D/up.bin" "$D/down.bin")
line "direct IP, download" "$r" "$TCP" "TCP"
cmp "$D/src.bin" "$D/down.bin" || fail "direct: bytes differ"
r=$(run "relay up" $RELAY put "$D/src.bin" "$D/up2.bin")
line "relayed, encrypted, upload" "$r" "$BOXS" "secretbox+sync"
r=$(run "relay down" $RELAY get "$D/up2.bin" "$D/down2.bin")
line "relayed, encrypted, download" "$r" "$BOX" "secretbox"
cmp "$D/src.bin" "$D/down2.bin" || fail "relayed: bytes differ"
echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -q "encrypted session" "$DIR/log" || fail "the relayed path was not encrypted"
cdesk_stop || fail "server exit"
kill $DPID 2>/dev/null
rm -rf "$D"
