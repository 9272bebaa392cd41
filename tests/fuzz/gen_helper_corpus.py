#!/usr/bin/env python3
"""gen_helper_corpus.py: write the seed corpus of tests/fuzz/fuzz_helper.c.

Each seed is one selector byte (0 digest file, 1 names, 2 frames of the
file-helper channel) and its input; protobuf is encoded here by hand.

Usage: tests/fuzz/gen_helper_corpus.py [OUTDIR]
       (default tests/fuzz/corpus/helper)
"""
import os
import sys


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


def field(num, wire, payload):
    """One field: varint (wire 0) or length-delimited (wire 2)."""
    if wire == 0:
        return varint(num << 3) + varint(payload)
    return varint((num << 3) | 2) + varint(len(payload)) + payload


def frame(body):
    """RustDesk's length prefix (PROTOCOL.md 1.2)."""
    n = len(body)
    if n <= 0x3F:
        return bytes([n << 2]) + body
    if n <= 0x3FFF:
        return ((n << 2) | 1).to_bytes(2, "little") + body
    if n <= 0x3FFFFF:
        return ((n << 2) | 2).to_bytes(3, "little") + body
    return ((n << 2) | 3).to_bytes(4, "little") + body


def s(x):
    return x.encode()


def file_action(inner_num, inner):
    """hbb.Message{file_action (17): FileAction{inner_num: inner}}."""
    return field(17, 2, field(inner_num, 2, inner))


def fs_request(conn, msg=b"", login=False, close=False, stop="",
               end=b"", open_=b""):
    body = field(1, 0, conn)
    if msg:
        body += field(2, 2, msg)
    body += field(3, 0, 1004009)
    if login:
        body += field(5, 0, 1)
    if close:
        body += field(6, 0, 1)
    if stop:
        body += field(7, 2, s(stop))
    if end:
        body += field(8, 2, end)
    if open_:
        body += field(9, 2, open_)
    return frame(field(23, 2, body))


def fs_reply(conn, msg=b"", job=0, end=False, log=b"", stream=b""):
    body = field(1, 0, conn)
    if msg:
        body += field(2, 2, msg)
    if job:
        body += field(3, 0, job)
    if end:
        body += field(5, 0, 1)
    if log:
        body += field(6, 2, log)
    if stream:
        body += field(7, 2, stream)
    return frame(field(24, 2, body))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/helper"
    os.makedirs(out, exist_ok=True)
    read_dir = file_action(1, field(1, 2, s("/home/user")) + field(2, 0, 1))
    receive = file_action(3, field(1, 0, 7) + field(2, 2, s("/tmp/x")) +
                          field(3, 2, field(2, 2, s("a/b.txt")) +
                                field(4, 0, 5)) + field(5, 0, 5))
    block = field(18, 2, field(2, 2, field(1, 0, 7) + field(2, 0, 0) +
                                   field(3, 2, b"hello")))
    log = (field(1, 0, 1) + field(2, 0, 7) + field(3, 2, s("/tmp/x/a")) +
           field(5, 0, 5) + field(6, 0, 5) + field(8, 0, 1))
    # FsStreamCtl{job 7, file 0, bytes 5, error 28}, FsStream{file 0,
    # write, offset 5, skip, path}.
    ctl = field(1, 0, 7) + field(2, 0, 0) + field(3, 0, 5) + field(4, 0, 28)
    stream = (field(1, 0, 0) + field(2, 0, 1) + field(3, 0, 5) +
              field(5, 0, 1) + field(6, 2, s("/tmp/x")) + field(7, 0, 5))
    seeds = {
        "digest": b"\x00" + b'{"size":5,"modified":7}',
        "digest_order": b"\x00" + b' {"modified":7, "size":5, "x":"y"} ',
        "digest_escape": b"\x00" + b'{"si\\u007ae":5,"modified":7}',
        "digest_big": b"\x00" + b'{"size":18446744073709551615,'
                                 b'"modified":0}',
        "digest_bad": b"\x00" + b'{"size":5,"size":6,"modified":7}',
        "names": b"\x01" + "a/b.txt\n../x\n/etc/passwd\na/../b\n"
                           "名前/ü.txt\n..a\n".encode(),
        "request_read_dir": b"\x02" + fs_request(3, read_dir, login=True),
        "request_receive": b"\x02" + fs_request(3, receive) +
                           fs_request(3, open_=ctl) + fs_request(3, end=ctl),
        "request_close": b"\x02" + fs_request(3, close=True,
                                              stop="No permission"),
        "reply": b"\x02" + fs_reply(3, block, job=7, stream=stream) +
                 fs_reply(3, log=log, job=7, end=True),
        "hello": b"\x02" + frame(field(1, 2, field(1, 0, 1) +
                                       field(2, 2, s("helper")))),
        "huge_hdr": b"\x02" + bytes([0xff, 0xff, 0xff, 0xff]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
