#!/bin/sh
# cli.sh: the command line: --get-id, --option, --password, usage errors
# and --version, all on a private --config folder under $WORK.
set -u
: "${CDESK:?}" "${WORK:?}"
D="$WORK/cli"
rm -rf "$D"

fail() {
	echo "FAIL: $*"
	exit 1
}

# run EXPECTED_STATUS ARGS...: run cdesk, keep stdout in $OUT and stderr in
# $ERR, and check the exit status.
run() {
	want=$1
	shift
	"$CDESK" "$@" >"$WORK/cli.out" 2>"$WORK/cli.err"
	rc=$?
	OUT=$(cat "$WORK/cli.out")
	ERR=$(cat "$WORK/cli.err")
	[ "$rc" -eq "$want" ] ||
	    fail "cdesk $*: exit $rc, want $want; stdout '$OUT' stderr '$ERR'"
}

# --get-id: 9 digits, first not 0, stable across calls; state is private.
run 0 --config "$D" --get-id
id1=$OUT
echo "$id1" | grep -Eq '^[1-9][0-9]{8}$' || fail "ID '$id1' is not 9 digits"
run 0 --config "$D" --get-id
[ "$OUT" = "$id1" ] || fail "ID changed: '$id1' then '$OUT'"
[ "$(stat -c %a "$D/state")" = 600 ] || fail "state file mode is not 0600"
[ "$(stat -c %a "$D")" = 700 ] || fail "state folder mode is not 0700"

# --option: default, set, get, remove.
run 0 --config "$D" --option direct-access-port
[ "$OUT" = 21118 ] || fail "default port '$OUT'"
run 0 --config "$D" --option direct-access-port 22000
[ -z "$OUT" ] || fail "set printed '$OUT'"
run 0 --config "$D" --option direct-access-port
[ "$OUT" = 22000 ] || fail "port after set '$OUT'"
grep -q '^direct-access-port = 22000$' "$D/cdesk.conf" ||
    fail "conf file lacks the new line"
[ "$(stat -c %a "$D/cdesk.conf")" = 644 ] || fail "conf mode is not 0644"
run 0 --config "$D" --option approve-mode click
run 0 --config "$D" --option approve-mode
[ "$OUT" = click ] || fail "approve-mode '$OUT'"
run 0 --config "$D" --option direct-access-port ""
run 0 --config "$D" --option direct-access-port
[ "$OUT" = 21118 ] || fail "port after remove '$OUT'"
grep -q direct-access-port "$D/cdesk.conf" && fail "removed key still in file"
# Setting the default value stores nothing.
run 0 --config "$D" --option enable-audio Y
grep -q enable-audio "$D/cdesk.conf" && fail "default value was stored"
# The --config flag may follow the mode.
run 0 --option approve-mode --config "$D"
[ "$OUT" = click ] || fail "approve-mode with --config last '$OUT'"

# Bad values are refused with exit 1 and a message; the file is unchanged.
cp "$D/cdesk.conf" "$WORK/cli.before"
run 1 --config "$D" --option direct-access-port 70000
echo "$ERR" | grep -q "key 'direct-access-port'" ||
    fail "no key in the message: '$ERR'"
echo "$ERR" | grep -q "from 1 to 65535" || fail "no reason: '$ERR'"
run 1 --config "$D" --option direct-server yes
run 1 --config "$D" --option whitelist "10.0.0.0/40"
run 1 --config "$D" --option no-such-option 1
echo "$ERR" | grep -q "unknown option" || fail "unknown key message '$ERR'"
run 1 --config "$D" --option no-such-option
cmp -s "$D/cdesk.conf" "$WORK/cli.before" || fail "refused set changed file"

# A broken config file: exit 1 naming file, line and key.
printf '[options]\n; note\nidle-timeout = 0\n' >"$D/cdesk.conf"
run 1 --config "$D" --option idle-timeout
echo "$ERR" | grep -q "$D/cdesk.conf:3: key 'idle-timeout'" ||
    fail "config error message '$ERR'"
# ... which --option can still repair, keeping the comment.
run 0 --config "$D" --option idle-timeout 5
run 0 --config "$D" --option idle-timeout
[ "$OUT" = 5 ] || fail "idle-timeout after repair '$OUT'"
grep -q '^; note$' "$D/cdesk.conf" || fail "comment lost"
# Unknown keys in the file are warnings, not errors.
printf 'future-key = 1\n' >>"$D/cdesk.conf"
run 0 --config "$D" --option idle-timeout
echo "$ERR" | grep -q "warning: .*key 'future-key': unknown option" ||
    fail "no warning for an unknown key: '$ERR'"

# --password: "Done!", refused when short, and no plaintext on disk.
run 1 --config "$D" --password abc
echo "$ERR" | grep -q "at least 6" || fail "short password message '$ERR'"
run 0 --config "$D" --password 'Zebra-Quartz-71'
[ "$OUT" = "Done!" ] || fail "--password printed '$OUT'"
grep -q '^password_h1 = ' "$D/state" || fail "no h1 in the state file"
grep -rq 'Zebra-Quartz-71' "$D" && fail "plaintext password on disk"
[ "$(stat -c %a "$D/state")" = 600 ] || fail "state mode after password"
run 0 --config "$D" --get-id
[ "$OUT" = "$id1" ] || fail "ID changed after --password"

# A corrupt state file is an error, not a new ID.
cp "$D/state" "$WORK/cli.state"
sed -i 's/^id = .*/id = 12/' "$D/state"
run 1 --config "$D" --get-id
echo "$ERR" | grep -q "$D/state:3: key 'id'" || fail "state error '$ERR'"
cp "$WORK/cli.state" "$D/state"

# Wrong usage: exit 2 with a message on stderr.
run 2
run 2 --config "$D"
run 2 --bogus
echo "$ERR" | grep -q "unknown argument" || fail "usage message '$ERR'"
run 2 --get-id --version
run 2 --option
run 2 --password
run 2 --config
run 2 --get-id extra
[ -z "$OUT" ] || fail "usage error wrote to stdout"

# --version and --help.
run 0 --version
echo "$OUT" | grep -Eq '^cdesk [0-9]+\.[0-9]+' || fail "--version '$OUT'"
run 0 --help
echo "$OUT" | grep -q -- '--option KEY' || fail "--help lacks --option"
echo "$OUT" | grep -q 'idle-timeout' || fail "--help lacks the options"
echo "PASS"
