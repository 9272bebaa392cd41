# Every option in common/config.c's table is read by some code (its key
# appears as a string in a source file other than config.c). The options
# below are not implemented yet (issue 14): each must be implemented or
# removed from the table, --help and the shipped cdesk.conf, and then
# taken off this list; the check fails for a new unread option and for a
# listed one that became read, so the list only shrinks.
PENDING=""
cd "$TOP" || exit 1
opts=$(sed -n '/^static const struct opt opts\[\] = {/,/^};/p' common/config.c |
    grep -o '{ "[a-z0-9-]*"' | cut -d'"' -f2)
[ "$(echo "$opts" | wc -l)" -gt 30 ] || { echo "FAIL: option table not found"; exit 1; }
bad=0
for o in $opts; do
	if grep -rlF "\"$o\"" --include=*.c cdesk.c common server cm ui ipc gui |
	    grep -qv '^common/config\.c$'; then
		read=1
	else
		read=0
	fi
	pending=0
	for p in $PENDING; do [ "$p" = "$o" ] && pending=1; done
	if [ $read -eq 0 ] && [ $pending -eq 0 ]; then
		echo "FAIL: option $o is read by no code"; bad=1
	elif [ $read -eq 1 ] && [ $pending -eq 1 ]; then
		echo "FAIL: option $o is read now: take it off PENDING"; bad=1
	fi
done
for p in $PENDING; do
	echo "$opts" | grep -qx "$p" || { echo "FAIL: $p is not in the table"; bad=1; }
done
# The shipped file shows every option of the table, and nothing else; the
# README's table names each one.
conf=packaging/deb/cdesk.conf
for o in $opts; do
	grep -q "^# $o =" "$conf" || { echo "FAIL: $o is not in $conf"; bad=1; }
	grep -qF "\`$o\`" README.md || { echo "FAIL: $o is not in README.md"; bad=1; }
done
for o in $(sed -n 's/^# \([a-z0-9-]*\) =.*/\1/p' "$conf"); do
	echo "$opts" | grep -qx "$o" ||
	    { echo "FAIL: $conf shows $o, which is no option"; bad=1; }
done
echo "$(echo "$PENDING" | wc -w) option(s) still pending"
[ $bad -eq 0 ] && echo "ok"
exit $bad
