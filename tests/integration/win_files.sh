#!/bin/sh
# win_files.sh: file transfer of the Windows host (make win:
# build-win/cdesk.exe) under Debian's wine64, through the test peer as the
# stock client drives it (tests/integration/files.sh does the same on
# Linux). The host starts `cdesk.exe --helper` in the session
# (server/win/fsh_win.c), which touches every path; the server moves the
# bytes with the handles the helper passes (server/win/fio_win.c):
# - the empty path lists the home folder (the profile, C:\users\NAME),
#   hidden files are those with the hidden attribute, "/" the drives;
# - 6 MiB up and down with sha256 equal, the upload through NAME.download;
# - a download and an upload cut at 2 MiB resume to the same bytes; a
#   cancelled upload leaves nothing;
# - a tree with an empty file, an empty folder and UTF-8 names goes up
#   and comes back the same;
# - mkdir, rename, remove a file, remove a tree, rmdir of a full folder;
# - a `..` name and a drive name in an upload are refused with upstream's
#   words, as is one through a link, and nothing is written outside the
#   folder;
# - the helper's Windows calls on their own (tests/win/test_helper_win.c):
#   UTF-8 names, links, errors in the system's words, offsets past 4 GiB;
# - the event loop goes on while the helper starts (a second connection's
#   TestDelay comes back within 500 ms all along), a local program that
#   calls the helper's port and says nothing holds no listing up, and a
#   request waiting for a helper that never calls fails after 15 s with
#   the words of a helper that cannot start;
# - a folder tree deeper than MAX_PATH: mkdir, listing, upload, download,
#   rename, remove.
# A missing toolchain or wine is installed (packaging/deps.sh --win),
# never skipped.
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"

win_build winf
EXE="$TOP/build-win/cdesk.exe"
wine_env winf
WPID=

trap wine_stop EXIT

# wmatch TEXT PATTERN WHAT: expect_match for texts with backslashes (the
# host's paths), which sh's echo would read as escapes; the host's log on
# a failure.
wmatch() {
	printf '%s\n' "$1" | grep -Eq "$2" && return 0
	tail -n 30 "$DIR/log" | tr -d '\r'
	fail "$3: got '$(printf '%s' "$1" | tr '\\' /)', want /$2/"
}

# ping_start SECS: another connection (a terminal login) sends the host
# a TestDelay every 20 ms for SECS seconds, each once the last came back:
# its longest round trip bounds how long the host's loop stood still.
ping_start() {
	"$PEER" -p "$PORT" -t 60000 -w Secret-42 -k terminal pingmax "$1" \
	    >"$WORK/winf-ping.out" 2>&1 &
	PING=$!
	wait_for "$WORK/winf-ping.out" '^(LOGGED_IN|NOLOGIN)' "no pinger" 600
}

# ping_check WHEN: the longest round trip since ping_start was under
# 500 ms.
ping_check() {
	wait "$PING"
	stall=$(sed -n 's/^PINGMAX \([0-9]*\) .*/\1/p' "$WORK/winf-ping.out")
	[ -n "$stall" ] || fail "pinger: $(cat "$WORK/winf-ping.out")"
	echo "event loop: longest TestDelay round trip $stall ms $1"
	[ "$stall" -lt 500 ] || fail "the host's loop stood still $stall ms $1"
}

# helper_end: ends the running helper (taskkill) and waits until the
# host noticed.
helper_end() {
	he_pid=$(sed -n 's/.*helper: started pid \([0-9]*\) .*/\1/p' \
	    "$DIR/log" | tail -n 1)
	"$WINE" taskkill /F /PID "$he_pid" >/dev/null 2>&1 ||
	    fail "taskkill $he_pid"
	wait_for "$DIR/log" "helper: pid $he_pid: the file helper exited" \
	    "the host missed its helper's end" 600
}

wine_host winf

F="$PEER -p $PORT -t 60000 -w Secret-42 files"
L="$WORK/winf.local"
rm -rf "$L"
mkdir -p "$L"
# The home as the host names it, and where it is on this machine.
WU=$(id -un)
WH="C:\\users\\$WU"
H="$WINEPREFIX/drive_c/users/$WU"
[ -d "$H" ] || fail "no profile folder $H"

# Listing: the empty path is the profile folder. It starts the helper,
# which calls back seconds later under wine: meanwhile the host's loop
# answers another connection's TestDelay probes (every 20 ms) in time.
echo hi >"$H/hello.txt"
ping_start 4
out=$($F ls "")
ping_check "while the helper started"
wmatch "$out" "^DIR C:\\\\users\\\\$WU [0-9]+" "home listed"
wmatch "$out" "ENTRY File 3 hello.txt" "home listing"
grep -q 'helper: started pid' "$DIR/log" || fail "no helper started"
# Hidden is the hidden attribute here (wine gives it to dot-files).
echo s >"$H/.secret"
out=$($F ls "")
printf '%s\n' "$out" | grep -q secret && fail "hidden file listed"
wmatch "$($F ls "" hidden)" "ENTRY File 2 .secret hidden" "hidden file"
# "/" lists the drives, as upstream's Windows host does.
wmatch "$($F ls /)" "ENTRY DirDrive 0 C:" "drives"
printf 'listing: %s entries in %s\n' "$(echo "$out" | grep -c ENTRY)" "$WH"
echo "the helper called after $(sed -n 's/.*helper: pid [0-9]* called after \([0-9]*\) ms.*/\1/p' \
    "$DIR/log" | head -n 1) ms (load $(cut -d' ' -f1 /proc/loadavg))"

# Download and upload, byte for byte.
head -c 6291456 /dev/urandom >"$H/big.bin"
SUM=$(sha256sum <"$H/big.bin")
out=$($F get "$WH\\big.bin" "$L/down.bin")
wmatch "$out" "^DONE 1" "download 6 MiB"
[ "$(sha256sum <"$L/down.bin")" = "$SUM" ] || fail "download sha256"
echo "download: $(echo "$out" | grep SPEED) MB/s (load $(cut -d' ' -f1 /proc/loadavg))"
out=$($F put "$L/down.bin" "$WH\\up.bin")
wmatch "$out" "^DONE 1" "upload 6 MiB"
[ "$(sha256sum <"$H/up.bin")" = "$SUM" ] || fail "upload sha256"
[ -e "$H/up.bin.download" ] || [ -e "$H/up.bin.digest" ] &&
    fail "upload left its partial files"
echo "upload: $(echo "$out" | grep SPEED) MB/s"

# A download cut at 2 MiB resumes to the same bytes.
out=$($F get "$WH\\big.bin" "$L/cut.bin" cut=2097152)
wmatch "$out" "^CUT 2097152" "download cut"
[ -e "$L/cut.bin" ] && fail "cut download has its final name"
out=$($F get "$WH\\big.bin" "$L/cut.bin" resume)
wmatch "$out" "^RESUME 2097152" "download resumed at 2 MiB"
wmatch "$out" "^MOVED 4194304" "download resumed: the rest only"
[ "$(sha256sum <"$L/cut.bin")" = "$SUM" ] || fail "resumed download sha256"

# An upload cut at 2 MiB leaves NAME.download and NAME.digest, never
# NAME, and resumes from them to the same bytes.
out=$($F put "$L/down.bin" "$WH\\up2.bin" cut=2097152)
wmatch "$out" "^CUT 2097152" "upload cut"
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
out=$($F put "$L/down.bin" "$WH\\up2.bin" resume)
wmatch "$out" "^RESUME $part" "upload resumed at $part"
wmatch "$out" "^DONE 1" "resumed upload"
[ "$(sha256sum <"$H/up2.bin")" = "$SUM" ] || fail "resumed upload sha256"
[ -e "$H/up2.bin.download" ] || [ -e "$H/up2.bin.digest" ] &&
    fail "resume left partial files"

# Cancel: an upload's partial file goes.
out=$($F put "$L/down.bin" "$WH\\cancel.bin" cancel=1048576 rate=2000000)
wmatch "$out" "^CANCELLED" "upload cancel"
i=0
while [ -e "$H/cancel.bin.download" ] || [ -e "$H/cancel.bin.digest" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "cancelled upload left files"
	sleep 0.1
done
[ -e "$H/cancel.bin" ] && fail "cancelled upload has its final name"

# A tree: nested files, an empty file, an empty folder, UTF-8 names; the
# host names them with '\' (the peer turns them as the stock client does).
T="$L/tree"
mkdir -p "$T/a/b" "$T/empty dir" "$T/ünï cödé"
echo one >"$T/a/one.txt"
head -c 300000 /dev/urandom >"$T/a/b/two.bin"
: >"$T/empty.txt"
echo "日本語" >"$T/ünï cödé/名前.txt"
out=$($F put "$T" "$WH\\tree")
wmatch "$out" "^DONE 4" "tree upload"
wmatch "$out" "^EMPTY 1" "tree upload: empty folder"
[ -d "$H/tree/empty dir" ] || fail "empty folder not uploaded"
[ -f "$H/tree/ünï cödé/名前.txt" ] || fail "UTF-8 names not kept"
out=$($F get "$WH\\tree" "$L/tree.back")
wmatch "$out" "^DONE 4" "tree download"
wmatch "$out" "^EMPTY 1" "tree download: empty folder"
diff -r "$T" "$L/tree.back" || fail "tree differs after the round trip"

# mkdir (with parents), rename, remove.
wmatch "$($F mkdir "$WH\\new\\deep")" "^OK" "mkdir"
[ -d "$H/new/deep" ] || fail "mkdir made nothing"
wmatch "$($F rename "$WH\\new" renamed)" "^OK" "rename"
[ -d "$H/renamed/deep" ] || fail "rename"
wmatch "$($F rename "$WH\\renamed" '..\out')" \
    "^ERROR path traversal detected in file name" "rename out of the folder"
wmatch "$($F rmdir "$WH\\renamed")" "^ERROR .*\(os error 145\)" \
    "rmdir of a full folder"
wmatch "$($F rm "$WH\\up.bin")" "^OK" "remove file"
[ -e "$H/up.bin" ] && fail "file not removed"
wmatch "$($F rmtree "$WH\\renamed")" "^TREE OK" "remove tree"
[ -e "$H/renamed" ] && fail "tree not removed"

# Paths past MAX_PATH (260): five folders of 60 characters below the
# home, through \\?\ on the host (server/win/helper_win.c).
seg=folder-with-a-name-of-sixty-characters-for-long-paths-000000
LW="$WH\\lp\\$seg\\$seg\\$seg\\$seg\\$seg"
LH="$H/lp/$seg/$seg/$seg/$seg/$seg"
echo "long path: ${#LW} characters"
[ "${#LW}" -gt 300 ] || fail "long path too short"
wmatch "$($F mkdir "$LW")" "^OK" "mkdir of a long path"
[ -d "$LH" ] || fail "long mkdir made nothing"
out=$($F put "$L/down.bin" "$LW\\big.bin")
wmatch "$out" "^DONE 1" "upload to a long path"
[ "$(sha256sum <"$LH/big.bin")" = "$SUM" ] || fail "long upload sha256"
wmatch "$($F dir "$LW")" "ENTRY File 6291456 big.bin" "long listing"
out=$($F get "$LW\\big.bin" "$L/long.bin")
wmatch "$out" "^DONE 1" "download from a long path"
[ "$(sha256sum <"$L/long.bin")" = "$SUM" ] || fail "long download sha256"
wmatch "$($F rename "$LW\\big.bin" big2.bin)" "^OK" "long rename"
[ -f "$LH/big2.bin" ] || fail "long rename"
wmatch "$($F mkdir "$LW\\sub")" "^OK" "mkdir below a long path"
wmatch "$($F rmdir "$LW\\sub")" "^OK" "rmdir of a long path"
[ -e "$LH/sub" ] && fail "long rmdir"
wmatch "$($F rm "$LW\\big2.bin")" "^OK" "remove of a long path"
[ -e "$LH/big2.bin" ] && fail "long remove"
echo x >"$LH/x.txt"
wmatch "$($F rmtree "$WH\\lp")" "^TREE OK" "remove a long tree"
[ -e "$H/lp" ] && fail "long tree not removed"

# Names a stock client never sends get upstream's words.
wmatch "$($F evil "$WH" ../escape)" \
    "^ERROR path traversal detected in file name" "../ name"
wmatch "$($F evil "$WH" '..\escape')" \
    "^ERROR path traversal detected in file name" "..\\ name"
wmatch "$($F evil "$WH" 'C:\evil')" \
    "^ERROR absolute path detected in file name" "drive name"
[ -e "$WINEPREFIX/drive_c/users/escape" ] && fail "wrote outside the folder"
# A folder reached through a link (wine shows a Unix link to a folder as
# a reparse point) is refused in a job's names.
ln -s "$WINEPREFIX/drive_c/windows" "$H/wlink"
wmatch "$($F evil "$WH" 'wlink\x.txt')" \
    "^ERROR symlink path component is not allowed" "a name through a link"
[ -e "$WINEPREFIX/drive_c/windows/x.txt" ] && fail "wrote through a link"
rm "$H/wlink"
# A file that is not there: upstream's word.
wmatch "$($F get "$WH\\nothere.bin" "$L/nothere")" "^ERROR 0 Not exists" \
    "missing file"

# A local program that calls the helper's port and says nothing holds no
# one up: with the helper ended, the next listing starts another, and six
# silent callers (more than the host hears at once) sit on its port while
# it starts; the helper still gets in, the listing comes, and the loop
# never stands still (it waited FSH_WIN_WAIT_MS for such a caller).
helper_end
ping_start 4
# The caller watches the host's log for the port (said before the helper
# starts) and calls at once.
python3 -c '
import re, socket, sys, time
log, n0, end = sys.argv[1], int(sys.argv[2]), time.time() + 30
ports = []
pat = re.compile(r"its call awaited on port ([0-9]+)")
print("WATCHING", flush=True)
while time.time() < end:
    ports = pat.findall(open(log, errors="replace").read())
    if len(ports) > n0:
        break
    time.sleep(0.005)
s = []
for i in range(6):
    try:
        s.append(socket.create_connection(("127.0.0.1", int(ports[-1]))))
    except (OSError, IndexError):
        break
    print("SILENT", len(s), flush=True)
time.sleep(20)
' "$DIR/log" "$(grep -c 'its call awaited on port' "$DIR/log")" \
    >"$WORK/winf-silent.py" 2>&1 &
SIL=$!
wait_for "$WORK/winf-silent.py" '^WATCHING' "no silent caller" 600
t0=$(date +%s%N)
$F ls "" >"$WORK/winf-silent.out" 2>&1 &
LS=$!
wait "$LS"
ms=$((($(date +%s%N) - t0) / 1000000))
kill "$SIL" 2>/dev/null; wait "$SIL" 2>/dev/null
echo "listing with silent callers on the helper's port: $ms ms" \
    "($(tail -n 1 "$WORK/winf-silent.py"), $(grep -c 'pushed out' "$DIR/log")" \
    "pushed out)"
grep -Eq '^SILENT [1-9]' "$WORK/winf-silent.py" ||
    fail "no silent caller got in: $(cat "$WORK/winf-silent.py")"
wmatch "$(cat "$WORK/winf-silent.out")" "ENTRY File 3 hello.txt" \
    "a listing with silent callers"
[ "$ms" -lt 10000 ] || fail "silent callers held the listing $ms ms"
ping_check "with silent callers on the helper's port"

# A helper that never calls: stopped here (by its wine prefix) once the
# host started it, before it calls. The loop goes on, and after
# FSH_WIN_WAIT_MS (15 s) a request that waited for it fails as when the
# helper cannot start. A helper that called first is let go (LATE), and
# that is tried again.
tries=0
while :; do
	helper_end
	python3 -c '
import os, re, signal, sys, time
env, log = ("WINEPREFIX=" + sys.argv[1]).encode(), sys.argv[2]
def seg():
    t = open(log, errors="replace").read().split("its call awaited")
    return t[-1] if len(t) > int(sys.argv[3]) + 1 else ""
end = time.time() + 30
print("WATCHING", flush=True)
while time.time() < end and "started pid" not in seg():
    time.sleep(0.002)
wpid = re.search(r"started pid ([0-9]+)", seg())
for p in filter(str.isdigit, os.listdir("/proc")):
    try:
        cl = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
        ev = open("/proc/%s/environ" % p, "rb").read().split(b"\0")
    except OSError:
        continue
    if cl[0].endswith(b"cdesk.exe") and b"--helper" in cl and env in ev:
        os.kill(int(p), signal.SIGSTOP)
        if wpid and "pid %s called" % wpid.group(1) in seg():
            os.kill(int(p), signal.SIGCONT)
            print("LATE", p, flush=True)
        else:
            print("STOPPED", p, flush=True)
        sys.exit(0)
print("NOHELPER", flush=True)
' "$WINEPREFIX" "$DIR/log" "$(grep -c 'its call awaited' "$DIR/log")" \
	    >"$WORK/winf-stop.out" 2>&1 &
	STOPPER=$!
	wait_for "$WORK/winf-stop.out" '^WATCHING' "no stopper" 600
	ping_start 17
	out=$($F mkdir "$WH\\never" nowait)
	wait "$STOPPER"
	grep -q '^LATE' "$WORK/winf-stop.out" || break
	tries=$((tries + 1))
	[ $tries -lt 3 ] || fail "the helper called before it was stopped, 3 times"
	rmdir "$H/never"
	ping_check "while a helper started"
done
echo "a helper that never calls: $(tail -n 1 "$WORK/winf-stop.out")," \
    "$(grep -o 'did not call within [0-9]* ms' "$DIR/log")"
wmatch "$out" "^ERROR connection manager error: no file helper" \
    "a request while the helper never called"
[ -e "$H/never" ] && fail "mkdir without a helper"
ping_check "while a helper never called"

# The helper's system calls and fio's positioned I/O, in a program of
# their own (tests/win/test_helper_win.c), with links made here (wine's
# CreateSymbolicLinkW makes none).
mkdir -p "$H/hw/real"
printf data >"$H/hw/real/f.txt"
ln -s real "$H/hw/dlink"
ln -s real/f.txt "$H/hw/flink"
"$WINE" "$TOP/build-win/tests/win/test_helper_win.exe" "$WH\\hw" \
    >"$WORK/winf-t.out" 2>&1 || fail "test_helper_win.exe: $(tr -d '\r' \
    <"$WORK/winf-t.out" | tr '\\' /)"
tr -d '\r' <"$WORK/winf-t.out" | sed 's/^/test_helper_win: /'
[ "$(cat "$H/hw/real/f.txt")" = data ] || fail "a link's target changed"
grep -E ' (error|fatal):' "$DIR/log" && fail "errors in the host's log"
echo "ok"
