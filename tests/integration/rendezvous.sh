# Access by ID through tests/bin/hbbs_double (a stand-in for hbbs/hbbr):
# cdesk --server registers; the test peer dials the ID, verifies the key
# hbbs signed, logs in over an encrypted relayed stream; a tampered frame
# closes the session; a client that cannot verify us makes the host send
# RegisterPk again; the relay dropping closes only its session; hbbs going
# away and coming back -> registered again within one cycle (15 s).
. "$TOP/tests/lib.sh"
DBL="$TOP/$B/tests/bin/hbbs_double"
DIR=$(cdesk_dir rendezvous)

"$DBL" -p 0 >"$DIR/dbl.out" 2>"$DIR/dbl.err" &
DPID=$!
i=0
while ! grep -q '^READY' "$DIR/dbl.out"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "double not ready"; sleep 0.05
done
HP=$(sed -n 's/^READY \([0-9]*\) .*/\1/p' "$DIR/dbl.out")
KEY=$(sed -n 's/^KEY //p' "$DIR/dbl.out")
dbl_stop() { kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; }
trap dbl_stop EXIT
sed -i '/^custom-rendezvous-server/d' "$DIR/cdesk.conf"
printf 'custom-rendezvous-server = 127.0.0.1:%s\nkey = %s\n' "$HP" "$KEY" \
    >>"$DIR/cdesk.conf"
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"

now_ms() { date +%s%3N; }
t0=$(now_ms)
cdesk_start "$DIR" || fail "server start"
i=0
st() { "$CDESK" --config "$DIR" --status 2>/dev/null; }
until [ "$(st)" = registered ]; do
	i=$((i + 1)); [ $i -gt 500 ] && fail "not registered: $(st)"
	sleep 0.01
done
echo "time from start to registered: $(( $(now_ms) - t0 )) ms"
st=$("$CDESK" --config "$DIR" --status)
[ "$st" = registered ] || fail "cdesk --status said '$st'"
grep -q "register_pk $HOST_ID result=0" "$DIR/dbl.out" || fail "no RegisterPk"

P="$PEER -R 127.0.0.1:$HP -K $KEY -i $HOST_ID"
out=$($P -w Secret-42 login)
expect_match "$out" "^PATH relay" "relayed path"
expect_match "$out" "^HANDSHAKE encrypted" "key exchange over the relay"
expect_match "$out" "^PEERINFO displays=1 " "relayed login"
grep -q "encrypted session" "$DIR/log" || fail "host did not log encryption"
grep -q "relay_response version=[0-9]" "$DIR/dbl.out" ||
    fail "RelayResponse without version"

out=$($P -w Secret-42 bench-login 20)
echo "relayed login round trip: $(echo "$out" | grep LOGINS)"

# A client whose NAT can be punched: the host punches (PunchHoleSent) and
# accepts it directly.
out=$($P -P -w Secret-42 login)
expect_match "$out" "^PATH direct" "punched path"
expect_match "$out" "^HANDSHAKE encrypted" "punched key exchange"
expect_match "$out" "^PEERINFO" "punched login"
grep -q "punch_hole_sent version=[0-9]" "$DIR/dbl.out" || fail "no PunchHoleSent"

# A frame that does not open under the session key closes the session.
out=$($P -w Secret-42 raw 80$(printf '%064d' 0))
expect_match "$out" "^HANDSHAKE encrypted" "tamper: key exchange"
expect_match "$out" "^CLOSED [0-9]+" "tampered frame"

# A client holding another server key cannot check what hbbs signed: it
# continues unencrypted (stock behaviour, the user sees a warning).
other=$(python3 -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')
out=$($PEER -R "127.0.0.1:$HP" -K "$other" -i "$HOST_ID" -w Secret-42 login)
expect_match "$out" "^HANDSHAKE plain" "client with another server key"
expect_match "$out" "^PEERINFO" "login without key"

# refuse-unencrypted: the same client is refused, an encrypted one is not.
echo "refuse-unencrypted = Y" >>"$DIR/cdesk.conf"
out=$($PEER -R "127.0.0.1:$HP" -K "$other" -i "$HOST_ID" -w Secret-42 login)
echo "$out" | grep -q '^PEERINFO' && fail "unencrypted session let in"
grep -q 'refused (This host refuses unencrypted sessions)' "$DIR/log" ||
    fail "no refusal of the unencrypted session"
out=$($P -w Secret-42 login)
expect_match "$out" "^PEERINFO" "encrypted login with refuse-unencrypted"
sed -i '/^refuse-unencrypted/d' "$DIR/cdesk.conf"

# hbbs hands out a stale host key: the client's check of our SignedId
# fails, it answers an empty PublicKey, and the host re-sends RegisterPk
# on its next tick.
n0=$(grep -c "register_pk $HOST_ID result=0" "$DIR/dbl.out")
kill -ALRM "$DPID"
wait_for "$DIR/dbl.out" '^EVENT stale_key 1$' "the double kept its key"
out=$($P -w Secret-42 login)
kill -ALRM "$DPID"
expect_match "$out" "^HANDSHAKE plain" "stale key"
grep -q "could not verify our key" "$DIR/log" || fail "no unverified log"
wait_for "$DIR/dbl.out" '^EVENT stale_key 0$' "the double kept the stale key"
# On the host's next tick: within 1.5 s, as before.
t1=$(now_ms)
until [ "$(grep -c "register_pk $HOST_ID result=0" "$DIR/dbl.out")" -gt "$n0" ]; do
	[ $(($(now_ms) - t1)) -gt 1500 ] &&
	    fail "no RegisterPk after an unverified client"
	sleep 0.05
done

# The relay drops one session: only that one closes.
$P -w Secret-42 hold 1 4 >"$DIR/hold_relay" &
h1=$!
"$PEER" -p "$PORT" -w Secret-42 hold 1 4 >"$DIR/hold_direct" &
h2=$!
i=0
until grep -q HELD "$DIR/hold_relay" && grep -q HELD "$DIR/hold_direct"; do
	i=$((i + 1)); [ $i -gt 200 ] && fail "sessions not held"; sleep 0.05
done
grep -q "HELD 1" "$DIR/hold_relay" || fail "relayed hold: $(cat "$DIR/hold_relay")"
kill -HUP "$DPID"
wait $h1 $h2
grep -q "ALIVE 0" "$DIR/hold_relay" || fail "relayed session survived the drop"
grep -q "ALIVE 1" "$DIR/hold_direct" || fail "direct session closed too"
out=$($P -w Secret-42 login)
expect_match "$out" "^PEERINFO" "login after the relay drop"

# hbbs goes away and comes back with no memory: registered again within
# one cycle (RegisterPeer -> request_pk -> RegisterPk).
n0=$(grep -c "register_pk $HOST_ID result=0" "$DIR/dbl.out")
kill -USR1 "$DPID"
wait_for "$DIR/dbl.out" '^EVENT down$' "hbbs did not go away"
kill -USR2 "$DPID"
t0=$(now_ms)
i=0
until [ "$(grep -c "register_pk $HOST_ID result=0" "$DIR/dbl.out")" -gt "$n0" ]; do
	i=$((i + 1)); [ $i -gt 1900 ] && fail "not registered again in 19 s"
	sleep 0.01
done
echo "registered again $(( $(now_ms) - t0 )) ms after hbbs came back"
grep -q "register_peer $HOST_ID request_pk=1" "$DIR/dbl.out" ||
    fail "no request_pk"
[ "$(st)" = registered ] || fail "status $(st)"

cdesk_stop || fail "server exit"
[ "$(st)" = "not running" ] || fail "--status after the stop: $(st)"
echo "ok"
