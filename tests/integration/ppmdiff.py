"""ppmdiff.py A.ppm B.ppm: compares two binary PPM pictures of one size
(the screen, and what the test peer decoded) in 16x16 blocks and prints
"psnr=<dB> worst_block=<mean abs difference> at=<x>,<y>". A block the
encoder forgot to update shows as a large worst_block."""
import sys

import numpy as np


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    if fields[0] != b"P6" or int(fields[3]) != 255:
        raise ValueError("%s: not an 8-bit P6 PPM" % path)
    w, h = int(fields[1]), int(fields[2])
    return np.frombuffer(data, np.uint8, w * h * 3, pos).reshape(h, w, 3)


def main():
    a, b = read_ppm(sys.argv[1]), read_ppm(sys.argv[2])
    if abs(a.shape[0] - b.shape[0]) > 1 or abs(a.shape[1] - b.shape[1]) > 1:
        sys.exit("sizes differ: %dx%d and %dx%d" % (a.shape[1], a.shape[0],
                                                   b.shape[1], b.shape[0]))
    # The encoded picture is the screen cut to even dimensions.
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    d = np.abs(a[:h, :w].astype(np.int32) - b[:h, :w].astype(np.int32))
    mse = float((d.astype(np.float64) ** 2).mean())
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    bh, bw = h // 16, w // 16
    blocks = d[:bh * 16, :bw * 16].reshape(bh, 16, bw, 16, 3)
    blocks = blocks.mean(axis=(1, 3, 4))
    y, x = np.unravel_index(np.argmax(blocks), blocks.shape)
    print("psnr=%.1f worst_block=%.1f at=%d,%d"
          % (psnr, blocks[y, x], x * 16, y * 16))


main()
