#!/bin/sh
# packaging/run.sh (make run): start `cdesk --server` with direct access on,
# on $DISPLAY or, when there is none, on a headless Xvfb display of its own,
# and print the ID, port and one-time password (asked over the IPC with
# --get-temp-password, as the server prints it only to a terminal). Ctrl-C
# stops it (and the Xvfb it started).
set -u
B=${B:-build}
CONF=${CDESK_RUN_CONFIG:-$(pwd)/$B/run-config}
PORT=${CDESK_RUN_PORT:-21118}
xvfb=""
srv=""
out=""

cleanup() {
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
	fi
	[ -n "$xvfb" ] && kill "$xvfb" 2>/dev/null
	[ -n "$out" ] && rm -f "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${DISPLAY:-}" ] || ! xdpyinfo >/dev/null 2>&1; then
	fd=$(mktemp)
	exec 3>"$fd"
	Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp \
	    +extension RANDR +extension DAMAGE >/dev/null 2>&1 &
	xvfb=$!
	exec 3>&-
	i=0
	while [ ! -s "$fd" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	DISPLAY=":$(cat "$fd")"
	rm -f "$fd"
	export DISPLAY
	echo "run: no display found: started a headless one, $DISPLAY (1920x1080)"
else
	echo "run: serving display $DISPLAY"
fi

mkdir -p "$CONF"
"$B/cdesk" --config "$CONF" --option direct-server Y >/dev/null || exit 1
"$B/cdesk" --config "$CONF" --option direct-access-port "$PORT" >/dev/null ||
    exit 1
addr=$(hostname -I 2>/dev/null | awk '{print $1}')
echo "run: config and state in $CONF (use: $B/cdesk --config $CONF --help)"
echo "run: in a RustDesk client, type ${addr:-this machine's address}:$PORT as the ID"
echo "run: direct IP sessions are not encrypted (RustDesk clients never encrypt them)"
echo "run: Ctrl-C stops the host"
out=$(mktemp)
"$B/cdesk" --config "$CONF" --server >"$out" &
srv=$!
until grep -q '^READY' "$out"; do
	kill -0 "$srv" 2>/dev/null || { srv=""; exit 1; }
	sleep 0.1
done
echo "run: ID $(sed -n 's/^ID: //p' "$out")"
otp=$("$B/cdesk" --config "$CONF" --get-temp-password) &&
    echo "run: one-time password $otp (a new one after each session:" \
    "$B/cdesk --config $CONF --get-temp-password)"
wait "$srv"
srv=""
