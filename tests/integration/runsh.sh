# tests/run.sh tells the truth: a skipped test is listed by name at the
# end, and with CI=true it fails the run.
. "$TOP/tests/lib.sh"
T="$WORK/runsh"
rm -rf "$T"
mkdir -p "$T/tests/integration" "$T/build/tests/unit"
cp "$TOP/tests/run.sh" "$T/tests/run.sh"
printf 'echo "needs a unicorn"; exit 77\n' >"$T/tests/integration/skipme.sh"
printf 'echo ok\n' >"$T/tests/integration/passme.sh"

out=$(cd "$T" && env -u CI B=build TESTS= sh tests/run.sh 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "a skip failed the run outside CI"
echo "$out" | grep -q '^skipped: integration/skipme$' ||
    fail "skips not listed at the end"
echo "$out" | grep -q '^1 passed, 0 failed, 1 skipped$' || fail "summary"

out=$(cd "$T" && CI=true B=build TESTS= sh tests/run.sh 2>&1)
rc=$?
echo "$out"
[ $rc -ne 0 ] || fail "a skip passed the run in CI"
echo "$out" | grep -q '^failed: integration/skipme$' ||
    fail "the CI skip is not named as a failure"
echo "ok"
