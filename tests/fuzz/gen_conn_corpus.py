#!/usr/bin/env python3
"""gen_conn_corpus.py: write the seed corpus of tests/fuzz/fuzz_conn.c.

Each seed is one selector byte (see fuzz_conn.c) followed by the bytes a
peer sends: length-prefixed frames (PROTOCOL.md 1.2) of protobuf Messages,
encoded here by hand so no protobuf package is needed.

Usage: tests/fuzz/gen_conn_corpus.py [OUTDIR]  (default tests/fuzz/corpus/conn)
"""
import os
import random
import sys

SECURE, CLIENT, IPV6 = 0x01, 0x02, 0x10
PERM_PROOF = b"<<cdesk-fuzz-permanent-proof-->>"
OTP_PROOF = b"<<cdesk-fuzz-one-time-proof--->>"
RECONNECT = b"<<cdesk-fuzz-reconnect>>"
assert len(PERM_PROOF) == 32 and len(OTP_PROOF) == 32


def sel(flags=0, cfg=0, chunk=0):
    """The selector byte: flags, host configuration 0-3, chunk size 0-7."""
    return bytes([flags | (cfg << 2) | (chunk << 5)])


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def fv(num, n):
    """Varint field."""
    return varint(num << 3) + varint(n)


def fb(num, data):
    """Length-delimited field (bytes, string or sub-message)."""
    if isinstance(data, str):
        data = data.encode()
    return varint((num << 3) | 2) + varint(len(data)) + data


def frame(payload):
    """Length-prefix codec header + payload."""
    n = len(payload)
    if n <= 0x3F:
        hdr = bytes([n << 2])
    elif n <= 0x3FFF:
        hdr = ((n << 2) | 1).to_bytes(2, "little")
    elif n <= 0x3FFFFF:
        hdr = ((n << 2) | 2).to_bytes(3, "little")
    else:
        hdr = ((n << 2) | 3).to_bytes(4, "little")
    return hdr + payload


def msg(field, body):
    """Message{union field = body} framed."""
    return frame(fb(field, body))


def login(password=None, username="fuzzhost", my_id="123456789",
          my_name="fuzzer", session_id=0x1234, kind=None):
    b = fb(1, username)
    if password is not None:
        b += fb(2, password)
    b += fb(4, my_id) + fb(5, my_name)
    b += fb(6, fv(3, 2) + fv(7, 1))        # OptionMessage
    if kind == "file":
        b += fb(7, fb(1, "/home/fuzz") + fv(2, 1))
    elif kind == "pf":
        b += fb(8, fb(1, "localhost") + fv(2, 22))
    elif kind == "pf_listed":     # the one destination config 2 lists
        b += fb(8, fb(1, "127.0.0.1") + fv(2, 9))
    elif kind == "rdp":
        b += fb(8, fb(1, "RDP"))
    elif kind == "camera":
        b += fb(15, b"")
    elif kind == "terminal":
        b += fb(16, fb(1, "svc-1"))
    b += fv(10, session_id) + fb(11, "1.4.2") + fb(13, "Linux")
    return msg(7, b)


def test_delay(from_client, t=1700000000000, last=0):
    return msg(5, fv(1, t) + (fv(2, 1) if from_client else b"") +
               fv(3, last))


def misc(body):
    return msg(19, body)


def terminal_action(body):
    return msg(31, body)


def terminal_session():
    """TerminalAction of every kind (no terminal service in the harness)."""
    return (terminal_action(fb(1, fv(1, 1) + fv(2, 24) + fv(3, 80))) +
            terminal_action(fb(2, fv(1, 1) + fb(2, b"echo hi\r"))) +
            terminal_action(fb(3, fv(1, 1) + fv(2, 30) + fv(3, 100))) +
            terminal_action(fb(4, fv(1, 1))) +
            misc(fb(7, fv(18, 1))))


def close_reason(text="bye"):
    return misc(fb(9, text))


def public_key(asym, sym):
    return msg(4, (fb(1, asym) if asym is not None else b"") +
               (fb(2, sym) if sym is not None else b""))


def after_login():
    """A few messages of an authorized session."""
    return (test_delay(True) + test_delay(False, last=12) +
            msg(10, fv(1, 1) + fv(2, 200) + fv(3, 300)) +
            msg(15, fv(5, 0x61)) +
            msg(16, fb(2, b"clip text") + fv(5, 0)) +
            misc(fv(10, 1)) + misc(fb(4, fb(1, "hello"))) +
            misc(fb(7, fv(3, 2))) +
            frame(b"") + frame(fb(99, b"future member")))


def file_session():
    """File actions and upload responses (PROTOCOL.md 10): a listing, a
    download, an upload with a name that climbs out, its digest, a block
    and done, a cancel, a mkdir."""
    def fa(num, body):
        return msg(17, fb(num, body))

    def fr(num, body):
        return msg(18, fb(num, body))
    return (fa(1, fb(1, "/tmp") + fv(2, 1)) +
            fa(2, fv(1, 3) + fb(2, "/etc/passwd")) +
            fa(3, fv(1, 4) + fb(2, "/tmp/x") +
               fb(3, fb(2, "../a") + fv(4, 5)) + fv(5, 5)) +
            fr(5, fv(1, 4) + fv(4, 5) + fv(8, 1)) +
            fr(2, fv(1, 4) + fb(3, b"hello")) +
            fr(4, fv(1, 4) + fv(2, 2)) +
            fa(8, fv(1, 3)) + fa(4, fv(1, 5) + fb(2, "/tmp/d")))


def seeds():
    rnd = random.Random(1)
    wrong = bytes(rnd.randrange(256) for _ in range(32))
    s = {}
    # Direct (plaintext) sessions, client mode: the proof is filled in.
    s["login_right_proof"] = sel(CLIENT) + test_delay(True) + \
        login(PERM_PROOF) + after_login() + close_reason()
    s["login_wrong_then_right"] = sel(CLIENT) + login(wrong) + \
        login(PERM_PROOF) + after_login()
    s["login_empty_then_otp"] = sel(CLIENT, cfg=1) + login(b"") + \
        login(OTP_PROOF) + after_login()
    s["login_empty_both"] = sel(CLIENT) + login(None)
    s["login_short_proof"] = sel(CLIENT) + login(b"abc")
    s["login_wrong_many"] = sel(CLIENT, cfg=1) + login(wrong) * 12
    s["login_addr_username"] = sel(CLIENT) + \
        login(PERM_PROOF, username="10.0.0.1:21118") + after_login()
    s["login_v6_username"] = sel(CLIENT | IPV6) + \
        login(PERM_PROOF, username="[2001:db8::1]:21118")
    s["login_offline"] = sel(CLIENT) + login(PERM_PROOF, username="other")
    s["login_scope_change"] = sel(CLIENT) + login(wrong) + \
        login(PERM_PROOF, my_id="987654321")
    for kind in ("file", "pf", "camera", "terminal"):
        s["login_" + kind] = sel(CLIENT, cfg=2) + \
            login(PERM_PROOF, my_id="fuzz-peer", kind=kind)
    s["tunnel_listed_refused"] = sel(CLIENT, cfg=2) + \
        login(PERM_PROOF, my_id="fuzz-peer", kind="pf_listed") + \
        test_delay(False)
    s["tunnel_rdp_unlisted"] = sel(CLIENT, cfg=2) + \
        login(PERM_PROOF, my_id="fuzz-peer", kind="rdp")
    s["terminal_actions"] = sel(CLIENT, cfg=2) + \
        login(PERM_PROOF, my_id="fuzz-peer", kind="terminal") + \
        terminal_session()
    s["terminal_action_in_remote"] = sel(CLIENT) + login(PERM_PROOF) + \
        terminal_session()
    s["file_session"] = sel(CLIENT) + login(PERM_PROOF, kind="file") + \
        file_session() + test_delay(True)
    s["remote_file_actions"] = sel(CLIENT) + login(PERM_PROOF) + \
        file_session()
    s["login_id_whitelisted"] = sel(CLIENT, cfg=2) + \
        login(PERM_PROOF, my_id="fuzz-peer") + after_login()
    s["login_id_blocked"] = sel(CLIENT, cfg=2) + \
        login(PERM_PROOF, my_id="blocked")
    s["login_ip_blocked_v6"] = sel(CLIENT | IPV6, cfg=3) + login(PERM_PROOF)
    s["login_click"] = sel(CLIENT, cfg=3) + login(PERM_PROOF)
    s["login_1byte_chunks"] = sel(CLIENT, chunk=1) + login(PERM_PROOF) + \
        test_delay(True)
    # Without the client mode: TestDelay, close_reason, bad streams.
    s["test_delay_client"] = sel() + test_delay(True) * 4 + \
        test_delay(False, last=5)
    s["misc_close_reason"] = sel() + close_reason("Closed manually")
    s["misc_before_login"] = sel() + misc(fv(10, 1))
    s["message_before_login"] = sel() + msg(10, fv(1, 1))
    s["garbage"] = sel() + bytes(rnd.randrange(256) for _ in range(200))
    s["garbage_chunked"] = sel(chunk=2) + \
        bytes(rnd.randrange(256) for _ in range(300))
    s["unparsable_payload"] = sel() + frame(b"\xff\xff\xff\xff\x0f")
    s["oversized_header4"] = sel() + b"\xff\xff\xff\xff" + b"A" * 16
    s["oversized_prelogin"] = sel() + \
        ((16385 << 2) | 2).to_bytes(3, "little") + b"B" * 64
    s["max_prelogin_frame"] = sel(chunk=6) + frame(fb(99, b"C" * 16380))
    s["truncated_frame"] = sel() + frame(fb(5, b"\x08\x01"))[:-1]
    s["nonminimal_header"] = sel() + b"\x03\x00\x00\x00" + b"\x01\x00\x00"
    # Relayed streams: the host's key exchange, raw PublicKey variants.
    s["hs_empty_frame"] = sel(SECURE) + frame(b"") + test_delay(True) + \
        login(wrong)
    s["hs_empty_public_key"] = sel(SECURE) + public_key(b"", b"") + \
        test_delay(True)
    s["hs_no_fields"] = sel(SECURE) + msg(4, b"")
    s["hs_bad_sealed_key"] = sel(SECURE) + \
        public_key(bytes(range(32)), bytes(48))
    s["hs_short_asym"] = sel(SECURE) + public_key(bytes(31), bytes(48))
    s["hs_long_asym"] = sel(SECURE) + public_key(bytes(33), bytes(48))
    s["hs_asym_only"] = sel(SECURE) + public_key(bytes(32), None)
    s["hs_other_message"] = sel(SECURE) + test_delay(True) + \
        login(wrong) + close_reason()
    s["hs_unparsable"] = sel(SECURE) + frame(b"\x22\xff\x01")
    s["hs_oversized"] = sel(SECURE) + b"\xfe\xff\xff" + b"D" * 10
    # Relayed, client mode: real key exchange, then sealed frames.
    s["secure_login_right"] = sel(SECURE | CLIENT) + test_delay(True) + \
        login(PERM_PROOF) + after_login() + close_reason()
    s["secure_login_otp"] = sel(SECURE | CLIENT, cfg=1) + login(b"") + \
        login(OTP_PROOF) + after_login()
    s["secure_login_wrong"] = sel(SECURE | CLIENT, chunk=3) + login(wrong) + \
        test_delay(True)
    s["secure_short_frames"] = sel(SECURE | CLIENT) + frame(b"") + \
        frame(b"\x00") + login(PERM_PROOF)
    # Several connections in one input: a one-time-password login, then a
    # reconnect within 30 s with the same (rotated) password; throttling.
    s["reconnect_recent_session"] = sel(CLIENT, cfg=1) + \
        login(OTP_PROOF) + after_login() + RECONNECT + login(OTP_PROOF) + \
        test_delay(True)
    s["reconnect_throttled"] = sel(CLIENT, cfg=1) + \
        (login(wrong) * 4 + RECONNECT) * 3 + login(PERM_PROOF)
    s["reconnect_id_throttled"] = sel(CLIENT | IPV6, cfg=2) + \
        (login(PERM_PROOF, my_id="blocked") + RECONNECT) * 3 + \
        login(PERM_PROOF, my_id="fuzz-peer")
    s["reconnect_secure_twice"] = sel(SECURE | CLIENT) + \
        login(PERM_PROOF) + RECONNECT + frame(b"") + login(wrong)
    s["ipv4_mapped_click"] = sel(CLIENT | IPV6, cfg=3) + login(PERM_PROOF)
    # Relayed, client mode: a frame with a non-minimal header is not sealed
    # by the harness, so the host fails to open it.
    s["secure_unsealed_frame"] = sel(SECURE | CLIENT) + test_delay(True) + \
        (40 << 2 | 3).to_bytes(4, "little") + bytes(40)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus", "conn")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
