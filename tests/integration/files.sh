#!/bin/sh
# files.sh: file transfer as the stock client does it (PROTOCOL.md §10),
# on the installed service's shape: a user made here, an Xvfb owned by
# that user, the server as root. Every path is touched by the file
# helper, which runs as that user: uploads belong to the user, root's
# files stay out of reach. Listing, 64 MiB up and down, a folder tree with
# an empty file, an empty folder and UTF-8 names, downloads and uploads
# cut at 20 MiB and resumed to identical bytes, mkdir/rename/remove, bad
# names, FIFOs and devices, a full disk, the file permission switched off
# mid-transfer, the helper killed mid-transfer (and started again), a
# download over 4 GiB, the audit log; a remote-control peer is served
# throughout. The server reads and writes the descriptors the helper
# passes: mid-download only the server has the file open, and after each
# transfer's end (done, cut, cancelled, refused, its helper killed)
# neither keeps one. Needs root (useradd, setpriv); skips otherwise.
. "$TOP/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root: a test user, the server as root"; exit 77; }
for t in useradd userdel setpriv Xvfb sha256sum python3; do
	command -v $t >/dev/null || { echo "$t missing"; exit 77; }
done
IPCP="$TOP/$B/tests/bin/ipc_perm"
U="cdft$$"
H="/home/$U"
XPID=""
WPID=""
MOUNTED=""
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	[ -n "${SERVER_PID:-}" ] && kill -TERM "$SERVER_PID" 2>/dev/null
	[ -n "${SERVER_PID:-}" ] && wait "$SERVER_PID" 2>/dev/null
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null
	[ -n "$XPID" ] && wait "$XPID" 2>/dev/null
	[ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
	userdel -r "$U" >/dev/null 2>&1
}
trap cleanup EXIT
useradd -m -s /bin/sh "$U" || fail "useradd"
UID_=$(id -u "$U")
GID_=$(id -g "$U")
as_user() { setpriv --reuid="$UID_" --regid="$GID_" --init-groups "$@"; }
# in_home PID: how many descriptors of PID name a file under $H (the files
# a transfer opens: the helper opens them, the server moves their bytes).
in_home() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c " -> $H/"; }
helper_pid() {
	sed -n 's/.*helper: started .* (pid \([0-9]*\)).*/\1/p' "$DIR/log" |
	    tail -n 1
}
# closed WHAT: after a transfer ended, neither the server nor the helper
# keeps a descriptor of it (the last closes when its I/O returns).
closed() {
	n=0
	until [ "$(in_home "$SERVER_PID") $(in_home "$(helper_pid)")" = "0 0" ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && fail "$1: descriptors left open: $(ls -l "/proc/$SERVER_PID/fd" "/proc/$(helper_pid)/fd" | grep " -> $H/")"
		sleep 0.05
	done
}

# The user's own X display, as a desktop session would have it.
exec 4>"$WORK/files.dfd"
# Not through as_user: $! would be the function's subshell, and killing
# it left Xvfb running after the test.
setpriv --reuid="$UID_" --regid="$GID_" --init-groups \
    Xvfb -displayfd 4 -screen 0 1024x768x24 -nolisten tcp -noreset \
    >"$WORK/files.xvfb.log" 2>&1 &
XPID=$!
exec 4>&-
i=0
until [ -s "$WORK/files.dfd" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "Xvfb as $U did not start"
	sleep 0.05
done
XD=":$(cat "$WORK/files.dfd")"
[ "$(stat -c %U "/tmp/.X11-unix/X${XD#:}")" = "$U" ] || fail "X socket owner"

DIR=$(cdesk_dir files)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# The server as root shares the user's display: the helper runs as $U.
DISPLAY=$XD
export DISPLAY
cdesk_start "$DIR" || fail "server start"
F="$PEER -p $PORT -t 30000 -w Secret-42 files"
L="$WORK/files.local"
rm -rf "$L"
mkdir -p "$L"

# Another peer, remote control, watches the screen the whole time.
peer_session watch -w Secret-42
WPID=$PEER_PID
grep -q '^PEERINFO' "$WORK/watch.out" || fail "remote-control peer"
wait_for "$WORK/watch.out" '^VIDEO ' "remote-control peer gets no video"

# Listing: the empty path is the user's home (as the helper sees it).
as_user sh -c "echo hi >$H/hello.txt; echo s >$H/.secret"
out=$($F ls "")
expect_match "$out" "^DIR $H [0-9]+" "home listed"
expect_match "$out" "ENTRY File 3 hello.txt" "home listing"
echo "$out" | grep -q secret && fail "hidden file listed without hidden"
out=$($F ls "" hidden)
expect_match "$out" "ENTRY File 2 .secret hidden" "hidden file with hidden"
out=$($F ls /nonexistent)
expect_match "$out" "^DIR $H " "a folder that is none: home"
HP=$(sed -n 's/.*helper: started .* as uid \([0-9]*\) (pid \([0-9]*\)).*/\1 \2/p' \
    "$DIR/log" | tail -n 1)
[ "${HP% *}" = "$UID_" ] || fail "helper uid: '$HP' (want $UID_)"
[ "$(ps -o user= -p "${HP#* }")" = "$U" ] || fail "helper runs as $(ps -o user= -p "${HP#* }")"

# 64 MiB up and down, byte for byte; the upload belongs to the user.
head -c 67108864 /dev/urandom >"$L/big.bin"
SUM=$(sha256sum <"$L/big.bin")
out=$($F put "$L/big.bin" "$H/big.bin")
expect_match "$out" "^DONE 1" "upload 64 MiB"
echo "upload: $(echo "$out" | grep SPEED) MB/s"
[ "$(sha256sum <"$H/big.bin")" = "$SUM" ] || fail "upload sha256"
[ "$(stat -c %U:%a "$H/big.bin")" = "$U:644" ] || fail "upload owner $(stat -c %U:%a "$H/big.bin")"
[ -e "$H/big.bin.download" ] || [ -e "$H/big.bin.digest" ] && fail "upload left its partial files"
out=$($F get "$H/big.bin" "$L/down.bin")
expect_match "$out" "^DONE 1" "download 64 MiB"
echo "download: $(echo "$out" | grep SPEED) MB/s"
[ "$(sha256sum <"$L/down.bin")" = "$SUM" ] || fail "download sha256"
[ "$(stat -c %Y "$L/down.bin")" = "$(stat -c %Y "$H/big.bin")" ] || fail "download mtime"
closed "64 MiB up and down"

# Overwrite and skip, as the stock client's user would choose them.
echo "first" >"$L/over.txt"
expect_match "$($F put "$L/over.txt" "$H/over.txt")" "^DONE 1" "upload"
echo "second, longer" >"$L/over.txt"
expect_match "$($F put "$L/over.txt" "$H/over.txt" skip)" "^DONE 1" "overwrite"
cmp "$L/over.txt" "$H/over.txt" || fail "overwrite: old content"
out=$($F put "$L/over.txt" "$H/over.txt" skip)
expect_match "$out" "^SKIP 0" "upload of an identical file skipped"
expect_match "$out" "^DONE 1" "skipped upload done"
out=$($F get "$H/over.txt" "$L/over.txt" skip)
expect_match "$out" "^SKIP 0" "download of an identical file skipped"
expect_match "$out" "^ERROR 1 skipped" "a single skipped download (upstream's word)"

# A tree: nested files, an empty file, an empty folder, UTF-8 names.
T="$L/tree"
mkdir -p "$T/a/b" "$T/empty dir" "$T/ünï cödé"
echo one >"$T/a/one.txt"
head -c 300000 /dev/urandom >"$T/a/b/two.bin"
: >"$T/empty.txt"
echo "日本語" >"$T/ünï cödé/名前.txt"
out=$($F put "$T" "$H/tree")
expect_match "$out" "^DONE 4" "tree upload"
expect_match "$out" "^EMPTY 1" "tree upload: empty folder"
[ -d "$H/tree/empty dir" ] || fail "empty folder not uploaded"
[ -f "$H/tree/empty.txt" ] && [ ! -s "$H/tree/empty.txt" ] || fail "empty file"
[ "$(find "$H/tree" ! -user "$U" | wc -l)" = 0 ] || fail "tree owner"
out=$($F get "$H/tree" "$L/tree.back")
expect_match "$out" "^DONE 4" "tree download"
expect_match "$out" "^EMPTY 1" "tree download: empty folder"
diff -r "$T" "$L/tree.back" || fail "tree differs after the round trip"

# A download cut at 20 MiB resumes from its .download to the same bytes.
out=$($F get "$H/big.bin" "$L/cut.bin" cut=20971520)
expect_match "$out" "^CUT 20971520" "download cut"
[ -e "$L/cut.bin" ] && fail "cut download has its final name"
[ "$(stat -c %s "$L/cut.bin.download")" = 20971520 ] || fail "cut download size"
out=$($F get "$H/big.bin" "$L/cut.bin" resume)
expect_match "$out" "^RESUME 20971520" "download resumed at 20 MiB"
expect_match "$out" "^MOVED 46137344" "download resumed: the rest only"
[ "$(sha256sum <"$L/cut.bin")" = "$SUM" ] || fail "resumed download sha256"
closed "a download cut and resumed"

# The same for an upload: the host keeps NAME.download and NAME.digest.
out=$($F put "$L/big.bin" "$H/up2.bin" cut=20971520)
expect_match "$out" "^CUT 20971520" "upload cut"
# The host writes what reached it, then the connection's end stops it.
part=-1
i=0
until [ -s "$H/up2.bin.digest" ] &&
    [ "$(stat -c %s "$H/up2.bin.download" 2>/dev/null)" = "$part" ]; do
	part=$(stat -c %s "$H/up2.bin.download" 2>/dev/null)
	i=$((i + 1)); [ $i -gt 100 ] && fail "no partial upload kept"
	sleep 0.3
done
[ -e "$H/up2.bin" ] && fail "cut upload has its final name"
[ "$part" -gt 0 ] || fail "nothing of the cut upload kept"
closed "an upload whose peer went away"
out=$($F put "$L/big.bin" "$H/up2.bin" resume)
expect_match "$out" "^RESUME $part" "upload resumed at $part"
expect_match "$out" "^DONE 1" "resumed upload"
[ "$(sha256sum <"$H/up2.bin")" = "$SUM" ] || fail "resumed upload sha256"
[ -e "$H/up2.bin.download" ] || [ -e "$H/up2.bin.digest" ] && fail "resume left partial files"

# Cancel: an upload's partial file goes, a download stops.
out=$($F put "$L/big.bin" "$H/cancel.bin" cancel=10485760)
expect_match "$out" "^CANCELLED" "upload cancel"
i=0
while [ -e "$H/cancel.bin.download" ] || [ -e "$H/cancel.bin.digest" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "cancelled upload left files"
	sleep 0.05
done
[ -e "$H/cancel.bin" ] && fail "cancelled upload has its final name"
closed "a cancelled upload"
out=$($F get "$H/big.bin" "$L/cancel.bin" cancel=10485760 rate=20000000)
expect_match "$out" "^CANCELLED" "download cancel"
closed "a cancelled download"

# mkdir (with parents), rename, remove a file, remove a tree.
expect_match "$($F mkdir "$H/new/deep")" "^OK" "mkdir"
[ "$(stat -c %U "$H/new/deep")" = "$U" ] || fail "mkdir owner"
expect_match "$($F rename "$H/new" renamed)" "^OK" "rename"
[ -d "$H/renamed/deep" ] || fail "rename"
expect_match "$($F rename "$H/renamed" ../out)" "^ERROR path traversal detected in file name" "rename out of the folder"
expect_match "$($F rm "$H/up2.bin")" "^OK" "remove file"
[ -e "$H/up2.bin" ] && fail "file not removed"
expect_match "$($F rmtree "$H/tree")" "^TREE OK" "remove tree"
[ -e "$H/tree" ] && fail "tree not removed"
expect_match "$($F rmdir "$H/renamed")" "^ERROR Directory not empty" "rmdir of a full folder"

# one-way-file-transfer: what would change the host, and sends, refused.
"$CDESK" --config "$DIR" --option one-way-file-transfer Y >/dev/null ||
    fail "option"
expect_match "$($F mkdir "$H/oneway")" "^ERROR one-way-file-transfer-tip" "one-way mkdir"
expect_match "$($F get "$H/big.bin" "$L/oneway")" "^ERROR 0 one-way-file-transfer-tip" "one-way send"
[ -e "$H/oneway" ] && fail "one-way: folder made"
# No wait before the next change: the server re-reads a config file whose
# inode, size or time (in nanoseconds) changed, and --option writes a new
# file by rename.
"$CDESK" --config "$DIR" --option one-way-file-transfer N >/dev/null ||
    fail "option"
expect_match "$($F mkdir "$H/twoway")" "^OK" "one-way off again"

# What the user may not touch, the helper cannot: its own EACCES. The
# error names the next file, as upstream's does (it steps past first).
install -m 0600 -o root /dev/null "$H/rootonly"
echo secret >"$H/rootonly"
expect_match "$($F get "$H/rootonly" "$L/rootonly")" "^ERROR 1 Permission denied \(os error 13\)" "root-only file"
[ -s "$L/rootonly" ] && fail "root-only file came through"
expect_match "$($F get /etc/shadow "$L/shadow")" "^ERROR 1 Permission denied" "/etc/shadow"
expect_match "$($F mkdir /root/cdesk-test)" "^ERROR Permission denied \(os error 13\)" "mkdir in /root"
echo x >"$L/small.txt"
expect_match "$($F put "$L/small.txt" /root/small.txt)" "^ERROR 0 Permission denied" "upload to /root"
[ -e /root/small.txt ] || [ -e /root/small.txt.download ] && fail "wrote into /root"
expect_match "$($F dir /root)" "^NODIR" "/root listed"

# Names a stock client never sends get upstream's words.
expect_match "$($F evil "$H" ../escape)" "^ERROR path traversal detected in file name" "../ name"
expect_match "$($F evil "$H" /etc/passwd)" "^ERROR absolute path detected in file name" "absolute name"
as_user ln -s /etc "$H/link"
expect_match "$($F evil "$H" link/x)" "^ERROR symlink path component is not allowed" "symlinked folder"

# FIFOs and devices never block: not sent alone, skipped in a folder.
as_user mkdir "$H/special"
as_user mkfifo "$H/special/fifo"
echo ok >"$H/special/file.txt"
t0=$(date +%s)
expect_match "$($F get "$H/special/fifo" "$L/fifo")" "^ERROR 0 Not exists" "FIFO download"
expect_match "$($F get /dev/zero "$L/zero")" "^ERROR 0 Not exists" "device download"
out=$($F get "$H/special" "$L/special")
expect_match "$out" "^DONE 1" "folder with a FIFO"
[ $(($(date +%s) - t0)) -lt 20 ] || fail "a FIFO blocked"

# A disk that fills up: the error, no file under its final name.
if mkdir -p "$H/full" && mount -t tmpfs -o "size=1m,uid=$UID_,gid=$GID_" \
    tmpfs "$H/full" 2>/dev/null; then
	MOUNTED="$H/full"
	head -c 3000000 /dev/urandom >"$L/three.bin"
	out=$($F put "$L/three.bin" "$H/full/three.bin" raw)
	expect_match "$out" "^ERROR 0 No space left on device \(os error 28\)" "full disk"
	[ -e "$H/full/three.bin" ] && fail "full disk: final name"
	closed "an upload to a full disk"
	umount "$H/full"
	MOUNTED=""
else
	echo "note: no tmpfs mount here, full-disk case not run"
fi

# The file permission switched off mid-download stops it, with a message.
n0=$(grep -c ": login ok" "$DIR/log")
$F get "$H/big.bin" "$L/slow.bin" rate=4000000 >"$WORK/slow.out" 2>&1 &
SLOW=$!
wait_more "$DIR/log" ": login ok" "$n0" "slow download: no login"
# Mid-download the server reads the file the helper opened; the helper
# keeps no descriptor of it.
i=0
until [ "$(in_home "$SERVER_PID")" = 1 ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the server does not read the file: $(ls -l "/proc/$SERVER_PID/fd" | grep " -> $H/")"
	sleep 0.05
done
# (It hands the descriptor over, then closes its own: a second at most.)
i=0
until [ "$(in_home "$(helper_pid)")" = 0 ]; do
	i=$((i + 1)); [ $i -gt 20 ] && fail "the helper keeps the file open"
	sleep 0.05
done
cid=$(sed -n 's/.*conn \([0-9]*\) peer 987654321: login ok.*/\1/p' "$DIR/log" | tail -n 1)
"$IPCP" "$DIR" "$cid" file 0 || fail "ipc_perm"
wait $SLOW
out=$(cat "$WORK/slow.out")
expect_match "$out" "No permission of file transfer" "permission off mid-transfer"
expect_match "$out" "PERMISSION file 0" "peer told of the permission"
closed "a download stopped by the permission"
grep -q "permission file off (cm pid" "$DIR/log" || fail "who switched it not logged"

# The helper dies mid-download: a clear error, then a new helper.
$F get "$H/big.bin" "$L/slow2.bin" rate=4000000 >"$WORK/slow2.out" 2>&1 &
SLOW=$!
# Mid-download: the server has the file open.
i=0
until [ "$(in_home "$SERVER_PID")" = 1 ]; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "the second slow download did not start"
	sleep 0.05
done
hp=$(sed -n 's/.*helper: started .* (pid \([0-9]*\)).*/\1/p' "$DIR/log" | tail -n 1)
kill -KILL "$hp"
wait $SLOW
expect_match "$(cat "$WORK/slow2.out")" "ERROR [0-9]+ connection manager error: the file helper stopped" "helper death"
closed "a download whose helper died"
expect_match "$($F ls "")" "^DIR $H " "a new helper after the death"
hp2=$(sed -n 's/.*helper: started .* (pid \([0-9]*\)).*/\1/p' "$DIR/log" | tail -n 1)
[ "$hp2" != "$hp" ] || fail "no new helper"

# Over 4 GiB (sparse on the host): sizes and offsets past 32 bits.
as_user truncate -s 4295032832 "$H/huge.bin"
out=$($F get "$H/huge.bin" "$L/huge.bin" sink)
expect_match "$out" "^LIST 1 4295032832" "4 GiB listing"
expect_match "$out" "^MOVED 4295032832" "4 GiB download"
expect_match "$out" "^DONE 1" "4 GiB download done"

# The remote-control peer was served all along.
echo frames >&3
wait_for "$WORK/watch.out" '^FRAMES [1-9]' "remote-control peer"
grep -Eq '^(EOF|CLOSED)' "$WORK/watch.out" && fail "remote-control peer lost"
echo quit >&3
wait "$WPID"
WPID=""

# The audit log: root-only JSON lines with the events of this test.
A="$DIR/audit.log"
[ "$(stat -c %U:%a "$A")" = "root:600" ] || fail "audit log mode $(stat -c %U:%a "$A")"
python3 - "$A" "$H" <<'PY' || fail "audit log"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
h = sys.argv[2]
def has(**kw):
    return any(all(e.get(k) == v for k, v in kw.items()) for e in ev)
assert has(event="session_start", type="file_transfer", encrypted=False,
           via="direct", peer_id="987654321"), "session_start"
assert has(event="session_start", type="remote"), "remote session_start"
assert has(event="session_end", type="file_transfer"), "session_end"
assert has(event="file", direction="upload", path=h + "/big.bin",
           size=67108864, result="done"), "upload"
assert has(event="file", direction="download", path=h + "/big.bin",
           result="done"), "download"
assert has(event="file", direction="download", path=h + "/rootonly",
           result="error"), "denied download"
assert has(event="file_op", op="rename", path=h + "/new",
           new_name="renamed", result="done"), "rename"
assert has(event="transfer", direction="upload", path=h + "/cancel.bin",
           result="cancelled"), "upload cancelled"
assert has(event="transfer", direction="download", path=h + "/big.bin",
           result="cancelled"), "download cancelled"
assert any(e["event"] == "permission" and e["permission"] == "file" and
           e["enabled"] is False and e["by"].startswith("cm pid ")
           for e in ev), "permission"
print("audit: %d events" % len(ev))
PY
cdesk_stop || fail "server exit"
echo "ok"
