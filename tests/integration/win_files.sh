#!/bin/sh
# win_files.sh: file transfer of the Windows host (make win:
# build-win/cdesk.exe) under Debian's wine64, through the test peer as the
# stock client drives it (tests/integration/files.sh does the same on
# Linux). The host starts `cdesk.exe --helper` in the session
# (server/win/fsh_win.c), which touches every path; the server moves the
# bytes with the handles the helper passes (server/win/fio_win.c):
# - the empty path lists the home folder (the profile, C:\users\NAME);
# - 6 MiB up and down with sha256 equal, the upload through NAME.download;
# - a download cut at 2 MiB resumes to the same bytes;
# - mkdir, rename, remove a file, remove a tree, rmdir of a full folder;
# - a `..` name and a drive name in an upload are refused with upstream's
#   words, and nothing is written outside the folder.
# A missing toolchain or wine is installed (packaging/deps.sh --win),
# never skipped.
. "$TOP/tests/lib.sh"
. "$TOP/tests/win/wine.sh"

win_build winf
EXE="$TOP/build-win/cdesk.exe"
wine_env winf
WPID=

# Stop the host and everything of the prefix (by the prefix, not by name).
winf_stop() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null && wait "$WPID" 2>/dev/null
	WPID=
	"$WINESERVER" -k 2>/dev/null
	rm -rf "$WINEPREFIX"
}
trap winf_stop EXIT

# wmatch TEXT PATTERN WHAT: expect_match for texts with backslashes (the
# host's paths), which sh's echo would read as escapes; the host's log on
# a failure.
wmatch() {
	printf '%s\n' "$1" | grep -Eq "$2" && return 0
	tail -n 30 "$DIR/log" | tr -d '\r'
	fail "$3: got '$(printf '%s' "$1" | tr '\\' /)', want /$2/"
}

DIR=$(cdesk_dir winf)
PORT=$(cat "$DIR/port")
"$WINE" "$EXE" --config "$DIR" --password 'Secret-42' >/dev/null 2>&1 ||
    fail "--password"
"$WINE" "$EXE" --config "$DIR" -v --server >"$DIR/out" 2>"$DIR/log" &
WPID=$!
wait_for "$DIR/out" '^READY' "the host under wine did not start" 1200

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
echo "listing: $(echo "$out" | grep -c ENTRY) entries in $WH"

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
# A file the helper cannot find: the system's words, as upstream's.
wmatch "$($F get "$WH\\nothere.bin" "$L/nothere")" "^ERROR 0 Not exists" \
    "missing file"

echo "ok"
