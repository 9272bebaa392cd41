#!/bin/sh
# ipc_uid.sh: the IPC server refuses a process of another uid (SO_PEERCRED),
# accepts root, and accepts the shared session's uid once it is told; a CM
# it starts runs as the session's user with a clean environment and none
# of the server's descriptors.
# Needs root (to switch uid with setpriv); skips otherwise.
set -u
B=${B:-build}
ECHO="$B/tests/bin/ipc_echo"
[ "$(id -u)" -eq 0 ] || { echo "needs root to run as another uid"; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv missing"; exit 77; }
# A folder nobody can write but everybody can traverse.
top=$(mktemp -d /tmp/cdesk-ipcuid.XXXXXX)
chmod 0755 "$top"
dir="$top/run"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$top"' EXIT

# start_server [SESSION_UID]: run the echo server, wait for READY.
start_server() {
	# A READY left by the previous server must not count.
	rm -f "$top/out"
	"$ECHO" serve "$dir" "$@" >"$top/out" 2>"$top/err" &
	pid=$!
	i=0
	until grep -q READY "$top/out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "server did not start"; cat "$top/err"; exit 1; }
		sleep 0.05
	done
}
stop_server() { kill "$pid"; wait "$pid"; pid=""; }

start_server
# The folder and socket modes for a root server.
[ "$(stat -c %a "$dir")" = 711 ] || { echo "folder mode $(stat -c %a "$dir")"; exit 1; }
[ "$(stat -c %a "$dir/cdesk.sock")" = 666 ] || { echo "socket mode wrong"; exit 1; }
"$ECHO" request "$dir" || { echo "root refused"; exit 1; }
setpriv --reuid=65534 --regid=65534 --clear-groups "$ECHO" request "$dir"
rc=$?
[ $rc -eq 3 ] || { echo "uid 65534 not refused (exit $rc)"; exit 1; }
stop_server
grep -q "refused pid .* uid 65534" "$top/err" || { echo "no refusal logged"; cat "$top/err"; exit 1; }

# Sharing uid 65534's session: now that uid may connect, others may not.
start_server 65534
setpriv --reuid=65534 --regid=65534 --clear-groups "$ECHO" request "$dir" ||
    { echo "session uid refused"; exit 1; }
setpriv --reuid=65533 --regid=65533 --clear-groups "$ECHO" request "$dir"
rc=$?
[ $rc -eq 3 ] || { echo "uid 65533 not refused (exit $rc)"; exit 1; }
stop_server

# A CM started for uid 65534's session runs as 65534 (never root), with the
# session's display and the server's folder in its environment, a clean
# environment otherwise, and none of the server's descriptors (not even
# one numbered past 1024).
out="$top/cm.out"
for f in "$out" "$out.env" "$out.fd"; do : >"$f"; chmod 0666 "$f"; done
fifo="$top/cmd"
mkfifo "$fifo"
CDESK_TEST_SECRET=leaked CDESK_TEST_LEAK_FD=1500 CDESK_TEST_SESSION_UID=65534 \
    DISPLAY=:77 LANG=C.UTF-8 "$B/tests/bin/cm_fake_server" "$dir" /bin/sh -c \
    'echo "$(id -u) $(id -g) $DISPLAY $CDESK_IPC_DIR" >"$0"; env >"$0.env"
    exec /bin/ls /proc/self/fd >"$0.fd"' "$out" \
    <"$fifo" >"$top/fake.out" 2>"$top/fake.err" &
pid=$!
exec 7>"$fifo"
echo "login 1 123456789 alice 192.0.2.1:5 0 0" >&7
i=0
until [ -s "$out.fd" ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "no CM started"; cat "$top/fake.err"; exit 1; }
	sleep 0.05
done
exec 7>&-
wait "$pid"
pid=""
read -r cuid cgid cdisp cdir <"$out"
[ "$cuid" = 65534 ] || { echo "CM ran as uid $cuid"; exit 1; }
[ "$cgid" = 65534 ] || { echo "CM ran as gid $cgid"; exit 1; }
[ "$cdisp" = :77 ] || { echo "CM got DISPLAY $cdisp"; exit 1; }
[ "$cdir" = "$dir" ] || { echo "CM got CDESK_IPC_DIR $cdir"; exit 1; }
# Only the allowlist of session_spawn (server/session.h).
# (PWD is the shell's own.)
allowed='DISPLAY|XAUTHORITY|HOME|USER|LOGNAME|SHELL|PATH|LANG|LANGUAGE'
allowed="$allowed|LC_[A-Z_]*|XDG_RUNTIME_DIR|DBUS_SESSION_BUS_ADDRESS"
allowed="$allowed|CDESK_IPC_DIR|ASAN_OPTIONS|LSAN_OPTIONS|UBSAN_OPTIONS|PWD"
bad=$(sed 's/=.*//' "$out.env" | grep -Ev "^($allowed)\$")
[ -z "$bad" ] || { echo "CM environment has: $bad"; exit 1; }
home=$(getent passwd 65534 | cut -d: -f6)
grep -q "^HOME=$home\$" "$out.env" ||
    { echo "CM HOME is not the user's ($home)"; cat "$out.env"; exit 1; }
grep -q '^LANG=C.UTF-8$' "$out.env" || { echo "CM lost LANG"; exit 1; }
# ls itself holds 3 (its listing of /proc/self/fd).
fds=$(tr '\n' ' ' <"$out.fd")
[ "$fds" = "0 1 2 3 " ] || { echo "CM inherited descriptors: $fds"; exit 1; }
echo "ok"
