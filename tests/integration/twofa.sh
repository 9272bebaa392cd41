# Two-factor logins (PROTOCOL.md §3.10, HOST.md §4.6) against a real
# cdesk --server, with the test peer playing the stock client 1.4.9: set
# up through `cdesk --2fa` (a drawn secret counts only after a right
# code), then a right password hears "2FA Required", a wrong code "Wrong
# 2FA Code", a right one PeerInfo; a trusted device skips the code until
# `cdesk --2fa untrust` forgets it (`--2fa trusted` lists them); wrong
# codes are throttled like wrong passwords (7 a minute, then "Please try 1
# minute later"). Codes are computed here with Python's hmac, apart from
# common/totp.c.
. "$TOP/tests/lib.sh"
DIR=$(cdesk_dir twofa)
"$CDESK" --config "$DIR" --password 'Secret-42' >/dev/null ||
    fail "cdesk --password"
cdesk_start "$DIR" || fail "server start"

out=$("$CDESK" --config "$DIR" --2fa status) || fail "--2fa status"
expect_match "$out" "^2FA off$" "status before setup"

# Setup: the secret and upstream's URI (issuer, the host's ID).
out=$("$CDESK" --config "$DIR" --2fa setup) || fail "--2fa setup"
secret=$(echo "$out" | sed -n 's/^secret: //p')
uri=$(echo "$out" | sed -n 's/^uri: //p')
expect_match "$secret" "^[A-Z2-7]{32}$" "secret in base32"
[ "$uri" = "otpauth://totp/RustDesk%20Connection:$HOST_ID?secret=$secret&issuer=RustDesk%20Connection" ] ||
    fail "uri: $uri"

# Not on until a right code confirms it.
out=$("$PEER" -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "login while the secret waits"
out=$("$CDESK" --config "$DIR" --2fa enable "$(totp "$secret" wrong)" 2>&1) &&
    fail "a wrong code enabled 2FA: $out"
expect_match "$out" "wrong code" "wrong code refused"
out=$("$CDESK" --config "$DIR" --2fa status)
expect_match "$out" "^2FA off$" "off after a wrong code"
expect_match "$out" "waits for its first code" "still waiting"
out=$("$CDESK" --config "$DIR" --2fa enable "$(totp "$secret")") ||
    fail "--2fa enable: $out"
expect_match "$out" "^2FA on$" "enable"
out=$("$CDESK" --config "$DIR" --2fa status)
expect_match "$out" "^2FA on$" "status after enable"
expect_match "$out" "^trusted devices: 0$" "no trusted device yet"

# A right password, then a wrong code, then the right one.
out=$("$PEER" -p "$PORT" -w Secret-42 tfa "$(totp "$secret" wrong)" \
    "$(totp "$secret")")
expect_match "$(echo "$out" | sed -n 1p)" "^ERROR 2FA Required$" "asked for a code"
expect_match "$(echo "$out" | sed -n 2p)" "^OFFER trusted_devices=1$" "trust offered"
expect_match "$(echo "$out" | sed -n 3p)" "^ERROR Wrong 2FA Code$" "wrong code"
expect_match "$(echo "$out" | sed -n 4p)" "^PEERINFO displays=1 version=1\.4\.9$" \
    "right code"
grep -q "login ok (permanent password and 2FA code)" "$DIR/log" ||
    fail "log: how the login went"

# A wrong password never reaches the code; nor does an empty one.
out=$("$PEER" -p "$PORT" -w wrong-one tfa right)
expect_match "$out" "^ERROR Wrong Password$" "wrong password with 2FA"

# The peer's own code (common/totp.c) agrees.
out=$(PEER_TOTP_SECRET=$secret "$PEER" -p "$PORT" -w Secret-42 tfa right)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "peer-made code"

# Trust this device: its next login skips the code; another device, or
# the same one under another name, does not.
out=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-1 "$PEER" -p "$PORT" \
    -w Secret-42 tfa trust)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "trusted login"
out=$(PEER_DEVICE=dev-1 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^PEERINFO" "trusted device skips the code"
grep -q "2FA skipped: a trusted device" "$DIR/log" || fail "log: skipped"
out=$(PEER_DEVICE=dev-2 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^ERROR 2FA Required$" "another device"
out=$(PEER_DEVICE=dev-1 "$PEER" -p "$PORT" -w wrong-one tfa)
expect_match "$out" "^ERROR Wrong Password$" "trusted device, wrong password"
out=$("$CDESK" --config "$DIR" --2fa status)
expect_match "$out" "^trusted devices: 1$" "one trusted device"
# The host's user sees the list (upstream's trusted devices dialog: ID,
# name, platform, time) and forgets one by its key, another by its peer
# ID: each then needs the code again, the other still skips it.
out=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-3 "$PEER" -p "$PORT" \
    -w Secret-42 tfa trust)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "second trusted login"
out=$("$CDESK" --config "$DIR" --2fa trusted) || fail "--2fa trusted"
echo "$out"
expect_match "$(echo "$out" | sed -n 1p)" "^KEY +ID +NAME +PLATFORM +SINCE$" \
    "list header"
[ "$(echo "$out" | grep -c ' 987654321  *test-peer  *Linux  *20[0-9][0-9]-')" -eq 2 ] ||
    fail "two devices with the peer's ID, name, platform and time: $out"
key1=$(echo "$out" | sed -n 2p | cut -d' ' -f1)
expect_match "$key1" "^[A-Za-z0-9_-]{12}$" "a device's key"
out=$("$CDESK" --config "$DIR" --2fa untrust "$key1") ||
    fail "--2fa untrust KEY: $out"
expect_match "$out" "^trusted device forgotten$" "untrust by key"
out=$("$CDESK" --config "$DIR" --2fa trusted)
[ "$(echo "$out" | grep -c 987654321)" -eq 1 ] || fail "one left: $out"
echo "$out" | grep -q "^$key1 " && fail "forgotten device still listed"
out=$(PEER_DEVICE=dev-1 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^ERROR 2FA Required$" "forgotten device asked again"
out=$(PEER_DEVICE=dev-3 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^PEERINFO" "the other device still trusted"
out=$("$CDESK" --config "$DIR" --2fa untrust nosuchdevice 2>&1) &&
    fail "unknown device forgotten: $out"
expect_match "$out" "no trusted device 'nosuchdevice'" "unknown device"
out=$("$CDESK" --config "$DIR" --2fa untrust 987654321) ||
    fail "--2fa untrust ID: $out"
out=$(PEER_DEVICE=dev-3 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^ERROR 2FA Required$" "device forgotten by ID"
out=$("$CDESK" --config "$DIR" --2fa trusted)
expect_match "$out" "^no trusted devices$" "list empty"
# --all forgets every one.
out=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-1 "$PEER" -p "$PORT" \
    -w Secret-42 tfa trust)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "trusted again"
out=$("$CDESK" --config "$DIR" --2fa untrust --all) || fail "untrust --all"
expect_match "$out" "^every trusted device forgotten$" "untrust --all"
out=$(PEER_DEVICE=dev-1 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$out" "^ERROR 2FA Required$" "asked again after --all"
out=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-1 "$PEER" -p "$PORT" \
    -w Secret-42 tfa trust)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "trusted for what follows"
# Trusted devices switched off: not offered, not honoured.
"$CDESK" --config "$DIR" --option enable-trusted-devices N ||
    fail "--option enable-trusted-devices N"
out=$(PEER_DEVICE=dev-1 "$PEER" -p "$PORT" -w Secret-42 tfa)
expect_match "$(echo "$out" | sed -n 1p)" "^ERROR 2FA Required$" "trust off"
expect_match "$(echo "$out" | sed -n 2p)" "^OFFER trusted_devices=0$" "not offered"
"$CDESK" --config "$DIR" --option enable-trusted-devices Y ||
    fail "--option enable-trusted-devices Y"

# Wrong codes are throttled like wrong passwords: 7 a minute, then the
# throttle's text (and the close) even for the right code.
w=$(totp "$secret" wrong)
out=$("$PEER" -p "$PORT" -w Secret-42 tfa $w $w $w $w $w $w $w $w)
[ "$(echo "$out" | grep -c '^ERROR Wrong 2FA Code$')" -eq 7 ] ||
    fail "expected 7 Wrong 2FA Code, got: $out"
expect_match "$(echo "$out" | tail -n 1)" "^ERROR Please try 1 minute later$" \
    "8th code"
out=$("$PEER" -p "$PORT" -w Secret-42 tfa "$(totp "$secret")")
expect_match "$(echo "$out" | sed -n 3p)" "^ERROR Please try 1 minute later$" \
    "right code while throttled"
# Another address is not throttled (the listener is dual-stack).
out=$("$PEER" -h ::1 -p "$PORT" -w Secret-42 tfa "$(totp "$secret")")
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "other address"

# Off again: the password alone lets in.
out=$("$CDESK" --config "$DIR" --2fa disable) || fail "--2fa disable"
expect_match "$out" "^2FA off$" "disable"
out=$("$PEER" -h ::1 -p "$PORT" -w Secret-42 login)
expect_match "$out" "^PEERINFO" "login after disable"

[ "$(stat -c %a "$DIR/state")" = 600 ] || fail "state file mode"
grep -q "$secret" "$DIR/log" "$DIR/out" && fail "secret in the log"
cdesk_stop || fail "server exit"

# Without a server the verbs work on the state file.
out=$("$CDESK" --config "$DIR" --2fa setup) || fail "--2fa setup (file)"
secret=$(echo "$out" | sed -n 's/^secret: //p')
out=$("$CDESK" --config "$DIR" --2fa enable "$(totp "$secret")") ||
    fail "--2fa enable (file)"
expect_match "$out" "^2FA on$" "enable without a server"
grep -q "^totp = $secret$" "$DIR/state" || fail "secret not in the state file"
# The list on the state file: a device trusted through the server, then
# forgotten without it.
cdesk_start "$DIR" || fail "server restart"
out=$(PEER_TOTP_SECRET=$secret PEER_DEVICE=dev-5 "$PEER" -p "$PORT" \
    -w Secret-42 tfa trust)
expect_match "$(echo "$out" | tail -n 1)" "^PEERINFO" "trusted (file)"
cdesk_stop || fail "server exit"
out=$("$CDESK" --config "$DIR" --2fa trusted) || fail "--2fa trusted (file)"
[ "$(echo "$out" | grep -c ' 987654321  *test-peer  *Linux ')" -eq 1 ] ||
    fail "listed from the file: $out"
out=$("$CDESK" --config "$DIR" --2fa untrust 987654321) ||
    fail "--2fa untrust (file): $out"
out=$("$CDESK" --config "$DIR" --2fa trusted)
expect_match "$out" "^no trusted devices$" "forgotten in the file"
echo "ok"
