# A full disk when state is written: the config folder is a small tmpfs,
# filled up while the server runs. Changing the password or an option
# through the server fails with a clear error, the files on disk stay as
# they were (no half-written file, no temporary left), the old password
# still logs in, the log says it once per attempt, and once there is room
# again the change goes through.
. "$TOP/tests/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "mounting a tmpfs needs root"; exit 77; }
DIR=$(cdesk_dir fault_disk)
M="$WORK/fault_disk.mnt"
mkdir -p "$M"
mount -t tmpfs -o size=256k,mode=0755 tmpfs "$M" || fail "mount tmpfs"
trap 'umount "$M" 2>/dev/null' EXIT
cp "$DIR/cdesk.conf" "$M/"
DIR=$M
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null || fail "password"
# The server's own output goes elsewhere: the log must outlive the disk.
L="$WORK/fault_disk.log"
"$CDESK" --config "$DIR" -v --server >"$WORK/fault_disk.out" 2>"$L" &
SERVER_PID=$!
wait_for "$WORK/fault_disk.out" '^READY' "server start"
PORT=$(sed -n 's/^READY //p' "$WORK/fault_disk.out")
mkdir "$WORK/fault_disk.before"
for f in "$DIR"/*; do
	[ -f "$f" ] && cp -p "$f" "$WORK/fault_disk.before/"
done
# Fill it up.
dd if=/dev/zero of="$DIR/fill" bs=4k >/dev/null 2>&1
df -k "$DIR" | tail -n 1

if "$CDESK" --config "$DIR" --password 'Other-43x' >"$WORK/pw.out" 2>&1; then
	fail "setting the password on a full disk succeeded"
fi
echo "password: $(cat "$WORK/pw.out")"
grep -qi 'space' "$WORK/pw.out" || fail "the error does not say the disk is full"
if "$CDESK" --config "$DIR" --option idle-timeout 45 >"$WORK/opt.out" 2>&1; then
	fail "setting an option on a full disk succeeded"
fi
echo "option: $(cat "$WORK/opt.out")"
for f in "$WORK/fault_disk.before"/*; do
	cmp -s "$f" "$DIR/$(basename "$f")" ||
	    fail "$(basename "$f") changed on a full disk"
done
left=$(ls "$DIR" | grep -c '\.tmp')
[ "$left" -eq 0 ] || fail "temporary files left: $(ls "$DIR")"
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" '^PEERINFO' "the old password"
out=$("$PEER" -p "$PORT" -w Other-43x login)
expect_match "$out" '^ERROR' "the password that was not saved"
grep 'No space' "$L"
n=$(grep 'No space' "$L" | grep -vc 'audit:')
[ "$n" -eq 2 ] || fail "$n log lines for two failed writes"
# The audit log (in the same folder) fails at every session record: said
# once, not once a record.
n=$(grep 'No space' "$L" | grep -c 'audit:')
[ "$n" -le 1 ] || fail "$n log lines for the audit log's failed writes"
kill -0 "$SERVER_PID" || fail "server died"

rm "$DIR/fill"
"$CDESK" --config "$DIR" --password 'Other-43x' >/dev/null ||
    fail "setting the password with room again"
out=$("$PEER" -p "$PORT" -w Other-43x login)
expect_match "$out" '^PEERINFO' "the new password"
cdesk_stop || fail "server exit"
echo "ok"
