#!/usr/bin/env python3
"""Minimal independent PNG and pixel helper for the CLI tests (stdlib only).

  pngtool.py write W H COLORTYPE DEPTH OUT.png < samples
      COLORTYPE: 0 gray, 2 rgb, 3 palette (samples are indices, a fixed
      palette i -> (i, 255-i, i//2)), 4 gray+alpha, 6 rgba; DEPTH 8 or 16
      (16-bit samples big-endian in the input). Filter type 0 per row.
  pngtool.py read IN.png OUT.raw
      8-bit non-interlaced PNG (any filter) -> interleaved samples;
      prints "W H CHANNELS".
  pngtool.py noise N SEED > bytes         deterministic pseudo-random bytes
  pngtool.py replicate W H S < in > out   nearest-neighbour x S of a gray plane
"""
import struct
import sys
import zlib


def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write(w, h, ctype, depth, out):
    chans = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    row = w * chans * depth // 8
    data = sys.stdin.buffer.read()
    if len(data) != row * h:
        sys.exit("pngtool: expected %d bytes, got %d" % (row * h, len(data)))
    raw = b"".join(b"\0" + data[y * row:(y + 1) * row] for y in range(h))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0))
    if ctype == 3:
        png += chunk(b"PLTE", bytes(v for i in range(256) for v in (i, 255 - i, i // 2)))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    open(out, "wb").write(png)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read(path, out):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(d):
        n, kind = struct.unpack(">I4s", d[pos:pos + 8])
        body = d[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and inter == 0 and ctype in (0, 2, 4, 6)
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw, row = zlib.decompress(idat), w * bpp
    prev, res = bytearray(row), bytearray()
    for y in range(h):
        f, cur = raw[y * (row + 1)], bytearray(raw[y * (row + 1) + 1:(y + 1) * (row + 1)])
        for x in range(row):
            a = cur[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            cur[x] = (cur[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 255
        res += cur
        prev = cur
    open(out, "wb").write(res)
    print(w, h, bpp)


def noise(n, seed):
    x, out = seed * 2654435761 % 2**32 or 1, bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x >> 24
    sys.stdout.buffer.write(out)


def replicate(w, h, s):
    src, out = sys.stdin.buffer.read(), bytearray()
    for y in range(h * s):
        r = src[(y // s) * w:(y // s + 1) * w]
        out += bytes(r[x // s] for x in range(w * s))
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "write":
        write(int(a[0]), int(a[1]), int(a[2]), int(a[3]), a[4])
    elif cmd == "read":
        read(a[0], a[1])
    elif cmd == "noise":
        noise(int(a[0]), int(a[1]))
    elif cmd == "replicate":
        replicate(int(a[0]), int(a[1]), int(a[2]))
    else:
        sys.exit("pngtool: unknown command " + cmd)
