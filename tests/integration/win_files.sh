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
#   UTF-8 names, links, errors in the system's words, offsets past 4 GiB.
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

# Listing: the empty path is the profile folder.
echo hi >"$H/hello.txt"
out=$($F ls "")
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
