#!/usr/bin/env python3
"""Reader and writer for lutsr model files (.lsr), format 1.x.

Pure Python (struct + zlib), so the training code can export a LUT without
building the C library. The normative byte layout is docs/model-format.md;
the C parser (src/model.c) accepts exactly what write() produces, and
tests/test_model_python.c checks that both sides agree byte for byte.

    import lsr_format
    lsr_format.write("srlut-x2.lsr", "srlut", 2, (4, 6), lut.astype("int8").tobytes(),
                     "arch: srlut\\ndataset: div2k\\n")
    m = lsr_format.read("srlut-x2.lsr")   # dict: kind, scale, params, metadata, lut, ...
    lsr_format.write_mulut("mulut-x2.lsr", 2, [(1, 7, 4, 8), (2, 7, 4, 8)],
                           {"lut0_S": ..., "lut0_D": ..., "lut0_Y": ..., "lut1_S": ..., ...})
    lsr_format.write_cnn("ecbsr-x2.lsr", 2, graph_rows, {"w0": ..., "b0": ..., "a1": ...})

Command line:
    lsr_format.py --dump FILE        one-line summary (used by the C tests)
    lsr_format.py --selftest DIR     write, re-read and corrupt sample files in DIR
    lsr_format.py --fuzz-seeds DIR   (re)generate the fuzzing seed corpus
"""
import os
import struct
import sys
import zlib

MAGIC = b"LUTSRMDL"
VERSION_MAJOR = 1
VERSION_MINOR = 0
HEADER_SIZE = 64
TENSOR_SIZE = 64
DATA_ALIGN = 64
MAX_TENSORS = 512
MAX_META = 1 << 20
MAX_FILE = 512 << 20
MAX_OUT_SHIFT = 24

KINDS = {"srlut": 1, "eclut": 2, "mulut": 3, "cnn": 16}
MULUT_PATTERNS = "SDY"  # bit i of a stage's pattern_mask is pattern MULUT_PATTERNS[i]
MULUT_MAX_STAGES = 4
KIND_NAMES = {v: k for k, v in KINDS.items()}
# name -> (code, element size)
DTYPES = {"int8": (1, 1), "uint8": (2, 1), "int16": (3, 2), "int32": (4, 4), "float32": (5, 4)}
DTYPE_NAMES = {code: name for name, (code, _) in DTYPES.items()}

# <8s magic, H major, H minor, I header_size, I kind, I scale, I n_tensors,
#  I meta_size, Q file_size, 4i params, I payload_crc32, I header_crc32
HEADER = struct.Struct("<8sHHIIIIIQ4iII")
# <24s name, I dtype, I ndim, 4I dims, Q offset, Q nbytes
TENSOR = struct.Struct("<24sII4IQQ")
assert HEADER.size == HEADER_SIZE and TENSOR.size == TENSOR_SIZE


class FormatError(ValueError):
    """The bytes are not a valid lutsr model file."""


def _align(n):
    return (n + DATA_ALIGN - 1) // DATA_ALIGN * DATA_ALIGN


def _as_bytes(data):
    """bytes from bytes/bytearray/memoryview or a numpy array (C order)."""
    if hasattr(data, "tobytes"):
        return data.tobytes()
    return bytes(data)


def _kind_code(kind):
    if isinstance(kind, str):
        if kind not in KINDS:
            raise ValueError("unknown kind %r (expected one of %s)" % (kind, ", ".join(KINDS)))
        return KINDS[kind]
    return int(kind)


def lut_shape(kind, scale, params):
    """(entries, values) of the int8 'lut' tensor of an srlut/eclut model.

    srlut: params = (interval_bits, out_shift); entries = (2^(8-ib)+1)^4, values = s*s.
    eclut: params = (out_shift,);               entries = 65536,           values = 9*s*s.
    """
    kind = _kind_code(kind)
    if scale not in (2, 3, 4):
        raise ValueError("scale is %r, expected 2, 3 or 4" % (scale,))
    if kind == KINDS["srlut"]:
        ib = params[0]
        if not 2 <= ib <= 6:
            raise ValueError("interval_bits is %r, expected 2..6" % (ib,))
        side = (1 << (8 - ib)) + 1
        return side ** 4, scale * scale
    if kind == KINDS["eclut"]:
        return 65536, 9 * scale * scale
    raise ValueError("no LUT shape for kind %r" % (kind,))


def pack(kind, scale, params, tensors, metadata=""):
    """The bytes of a model file.

    tensors: list of (name, dtype name, dims, data bytes), laid out in order,
    each at the next 64-byte boundary. params: up to 4 ints (rest 0).
    """
    kind = _kind_code(kind)
    meta = metadata.encode("utf-8") if isinstance(metadata, str) else bytes(metadata)
    if b"\0" in meta:
        raise ValueError("metadata must not contain NUL")
    meta.decode("utf-8")  # raises on invalid UTF-8
    if len(meta) > MAX_META:
        raise ValueError("metadata is %d bytes, at most %d allowed" % (len(meta), MAX_META))
    if not 1 <= len(tensors) <= MAX_TENSORS:
        raise ValueError("need 1..%d tensors, got %d" % (MAX_TENSORS, len(tensors)))
    params = list(params) + [0] * (4 - len(params))
    if len(params) != 4:
        raise ValueError("at most 4 params")

    descs, blobs = [], []
    offset = _align(HEADER_SIZE + TENSOR_SIZE * len(tensors) + len(meta))
    end = offset
    for name, dtype, dims, data in tensors:
        code, esize = DTYPES[dtype]
        data = _as_bytes(data)
        count = esize
        for d in dims:
            count *= d
        if not 1 <= len(dims) <= 4 or min(dims) < 1 or count != len(data):
            raise ValueError("tensor %r: dims %r x %s need %d bytes, got %d"
                             % (name, dims, dtype, count, len(data)))
        raw = name.encode("ascii")
        if not 1 <= len(raw) < 24 or not all(0x20 <= c <= 0x7e for c in raw):
            raise ValueError("tensor name %r must be 1..23 printable ASCII characters" % (name,))
        dims4 = list(dims) + [0] * (4 - len(dims))
        descs.append(TENSOR.pack(raw, code, len(dims), *dims4, offset, len(data)))
        blobs.append((offset, data))
        end = offset + len(data)
        offset = _align(end)
    if end > MAX_FILE:
        raise ValueError("file would be %d bytes, more than %d" % (end, MAX_FILE))

    out = bytearray(end)
    out[HEADER_SIZE:HEADER_SIZE + TENSOR_SIZE * len(descs)] = b"".join(descs)
    m0 = HEADER_SIZE + TENSOR_SIZE * len(descs)
    out[m0:m0 + len(meta)] = meta
    for off, data in blobs:
        out[off:off + len(data)] = data
    payload_crc = zlib.crc32(memoryview(out)[HEADER_SIZE:]) & 0xffffffff
    header = HEADER.pack(MAGIC, VERSION_MAJOR, VERSION_MINOR, HEADER_SIZE, kind, scale,
                         len(descs), len(meta), end, *params, payload_crc, 0)
    header_crc = zlib.crc32(header[:60]) & 0xffffffff
    out[:HEADER_SIZE] = header[:60] + struct.pack("<I", header_crc)
    return bytes(out)


def mulut_tensors(scale, stages, luts):
    """The tensors of a mulut model, in canonical order (docs/model-format.md).

    stages: one (scale, pattern_mask, interval_bits, out_shift) per stage;
    only the last stage upscales (by `scale`), the others have scale 1.
    luts: {"lut<t>_<P>": int8 bytes or array of shape (n_t^4, s_t^2)},
    exactly one per stage t and pattern P (S, D, Y) in its mask.
    """
    if scale not in (2, 3, 4):
        raise ValueError("scale is %r, expected 2, 3 or 4" % (scale,))
    if not 1 <= len(stages) <= MULUT_MAX_STAGES:
        raise ValueError("%d stages, expected 1..%d" % (len(stages), MULUT_MAX_STAGES))
    rows, tensors, wanted = [], [], set()
    for t, (s_t, mask, ib, out_shift) in enumerate(stages):
        last = t == len(stages) - 1
        if s_t != (scale if last else 1):
            raise ValueError("stage %d: scale is %r, expected %d" % (t, s_t, scale if last else 1))
        if not 1 <= mask <= 7:
            raise ValueError("stage %d: pattern_mask is %r, expected 1..7" % (t, mask))
        if not 2 <= ib <= 6:
            raise ValueError("stage %d: interval_bits is %r, expected 2..6" % (t, ib))
        if not 0 <= out_shift <= MAX_OUT_SHIFT:
            raise ValueError("stage %d: out_shift is %r, expected 0..%d" % (t, out_shift, MAX_OUT_SHIFT))
        rows += [s_t, mask, ib, out_shift]
        side = (1 << (8 - ib)) + 1
        for i, letter in enumerate(MULUT_PATTERNS):
            if mask >> i & 1:
                name = "lut%d_%s" % (t, letter)
                if name not in luts:
                    raise ValueError("no LUT %r (stage %d uses pattern %s)" % (name, t, letter))
                tensors.append((name, "int8", (side ** 4, s_t * s_t), luts[name]))
                wanted.add(name)
    extra = sorted(set(luts) - wanted)
    if extra:
        raise ValueError("LUTs %s are not used by the stages" % ", ".join(extra))
    stages_bytes = struct.pack("<%di" % len(rows), *rows)
    return [("stages", "int32", (len(stages), 4), stages_bytes)] + tensors


def write_mulut(path, scale, stages, luts, metadata=""):
    """Write a mulut model (see mulut_tensors()); returns its size."""
    data = pack("mulut", scale, (len(stages),), mulut_tensors(scale, stages, luts), metadata)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


# CNN layer graphs (docs/cnn.md): op codes, and which ops own weights.
CNN_OPS = {"conv": 1, "deconv": 2, "relu": 3, "prelu": 4, "pixel_shuffle": 5, "add": 6, "mul": 7,
           "concat": 8, "slice": 9, "sigmoid": 10, "softmax": 11, "group_sum": 12, "group_max": 13,
           "mean_std": 14, "repeat": 15}
CNN_MAX_LAYERS = 128


def cnn_tensors(scale, graph_rows, weights):
    """The tensors of a cnn model, in canonical order: "graph" (int32 [L, 8],
    one row op, in0, in1, c_out, p0..p3 per layer), then for each layer its
    "w<i>", "b<i>", "a<i>" (float32) as the op calls for.

    weights: {name: float array-like}; conv w [c_out, C, k, k], deconv w
    [C, c_out, k, k], b [c_out], PReLU a [C] or [1] (C: in0's channels).
    Checks the names and shapes; the C loader checks every other rule of
    docs/cnn.md. Needs numpy.
    """
    import numpy as np
    if scale not in (2, 3, 4):
        raise ValueError("scale is %r, expected 2, 3 or 4" % (scale,))
    rows = [[int(v) for v in row] for row in graph_rows]
    if not 1 <= len(rows) <= CNN_MAX_LAYERS or any(len(r) != 8 for r in rows):
        raise ValueError("graph: need 1..%d rows of 8 ints" % CNN_MAX_LAYERS)
    channels = [1]  # buffer 0 is the 1-channel input; buffer i+1 has layer i's c_out
    tensors, wanted = [], set()
    for i, (op, in0, _, c_out, k, _, _, _) in enumerate(rows):
        if not 0 <= in0 <= i:
            raise ValueError("layer %d: in0 = %d, expected a buffer 0..%d" % (i, in0, i))
        c_in = channels[in0]
        shapes = []
        if op == CNN_OPS["conv"]:
            shapes = [("w", [(c_out, c_in, k, k)]), ("b", [(c_out,)])]
        elif op == CNN_OPS["deconv"]:
            shapes = [("w", [(c_in, c_out, k, k)]), ("b", [(c_out,)])]
        elif op == CNN_OPS["prelu"]:
            shapes = [("a", [(c_in,), (1,)])]
        for letter, allowed in shapes:
            name = "%s%d" % (letter, i)
            if name not in weights:
                raise ValueError("layer %d: no tensor %r" % (i, name))
            arr = np.ascontiguousarray(np.asarray(weights[name], dtype="<f4"))
            if arr.shape not in allowed:
                raise ValueError("layer %d: %s has shape %s, expected %s"
                                 % (i, name, list(arr.shape), " or ".join(str(list(a)) for a in allowed)))
            if not np.isfinite(arr).all():
                raise ValueError("layer %d: %s has non-finite values" % (i, name))
            tensors.append((name, "float32", arr.shape, arr.tobytes()))
            wanted.add(name)
        channels.append(c_out)
    extra = sorted(set(weights) - wanted)
    if extra:
        raise ValueError("tensors %s are not used by the graph" % ", ".join(extra))
    graph = struct.pack("<%di" % (8 * len(rows)), *[v for r in rows for v in r])
    return [("graph", "int32", (len(rows), 8), graph)] + tensors


def write_cnn(path, scale, graph_rows, weights, metadata=""):
    """Write a cnn model (kind 16, see cnn_tensors()); returns its size.
    Byte-identical to lutsr_model_serialize() of the same model."""
    data = pack("cnn", scale, (len(graph_rows),), cnn_tensors(scale, graph_rows, weights), metadata)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


def write(path, kind, scale, params, lut_bytes, metadata=""):
    """Write an srlut/eclut model: one int8 tensor 'lut' [entries, values].

    params: srlut (interval_bits, out_shift), eclut (out_shift,).
    lut_bytes: entries*values int8 values, entry-major (e.g.
    numpy int8 array of that shape, .tobytes() or the array itself).
    The file is written to a temporary name and renamed into place.
    """
    kind = _kind_code(kind)
    params = tuple(params)
    out_shift = params[1] if kind == KINDS["srlut"] else params[0]
    if not 0 <= out_shift <= MAX_OUT_SHIFT:
        raise ValueError("out_shift is %r, expected 0..%d" % (out_shift, MAX_OUT_SHIFT))
    entries, values = lut_shape(kind, scale, params)
    data = pack(kind, scale, params, [("lut", "int8", (entries, values), lut_bytes)], metadata)
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return len(data)


def unpack(data):
    """Parse and check model bytes; returns a dict (see read()).

    Checks the structure (magic, version, CRCs, sizes, tensor placement and
    padding), not the kind-specific rules the C library adds on top.
    """
    data = bytes(data)
    if data[:len(MAGIC)] != MAGIC[:len(data)]:
        raise FormatError("not a lutsr model file (bad magic)")
    if len(data) < HEADER_SIZE:
        raise FormatError("file is %d bytes, shorter than the header" % len(data))
    (magic, major, minor, header_size, kind, scale, n, meta_size, file_size,
     p0, p1, p2, p3, payload_crc, header_crc) = HEADER.unpack_from(data)
    if major != VERSION_MAJOR:
        raise FormatError("model format %d.%d is not supported (%d.x)" % (major, minor, VERSION_MAJOR))
    if zlib.crc32(data[:60]) & 0xffffffff != header_crc:
        raise FormatError("header CRC32 mismatch")
    if header_size != HEADER_SIZE or not 1 <= n <= MAX_TENSORS or meta_size > MAX_META:
        raise FormatError("bad header_size, n_tensors or meta_size")
    if file_size != len(data):
        raise FormatError("file is %d bytes, header says %d" % (len(data), file_size))
    if zlib.crc32(memoryview(data)[HEADER_SIZE:]) & 0xffffffff != payload_crc:
        raise FormatError("payload CRC32 mismatch")
    m0 = HEADER_SIZE + TENSOR_SIZE * n
    meta = data[m0:m0 + meta_size]
    if b"\0" in meta:
        raise FormatError("metadata contains NUL")
    try:
        metadata = meta.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FormatError("metadata is not UTF-8: %s" % e)

    tensors = {}
    spans = []
    for i in range(n):
        raw, dtype, ndim, d0, d1, d2, d3, offset, nbytes = TENSOR.unpack_from(data, HEADER_SIZE + TENSOR_SIZE * i)
        name = raw.split(b"\0", 1)[0].decode("ascii", "replace")
        if dtype not in DTYPE_NAMES or not 1 <= ndim <= 4:
            raise FormatError("tensor %r: bad dtype or ndim" % name)
        dims = (d0, d1, d2, d3)[:ndim]
        count = DTYPES[DTYPE_NAMES[dtype]][1]
        for d in dims:
            count *= d
        if count != nbytes or offset % DATA_ALIGN or offset < m0 + meta_size or offset + nbytes > file_size:
            raise FormatError("tensor %r: bad size or placement" % name)
        tensors[name] = (DTYPE_NAMES[dtype], dims, data[offset:offset + nbytes])
        spans.append((offset, offset + nbytes))
    end = m0 + meta_size
    for start, stop in sorted(spans):
        if start < end:
            raise FormatError("tensors overlap")
        if any(data[end:start]):
            raise FormatError("non-zero padding")
        end = stop
    if end != file_size:
        raise FormatError("data after the last tensor")

    return {
        "version": (major, minor),
        "kind": KIND_NAMES.get(kind, kind),
        "scale": scale,
        "params": (p0, p1, p2, p3),
        "metadata": metadata,
        "tensors": tensors,
        "lut": tensors["lut"][2] if "lut" in tensors else None,
        "payload_crc32": payload_crc,
        "file_size": file_size,
    }


def read(path):
    """Read a model file: dict with version, kind ('srlut'/'eclut' or the
    number), scale, params (4 ints), metadata (str), tensors ({name: (dtype,
    dims, bytes)}), lut (bytes or None), payload_crc32, file_size."""
    with open(path, "rb") as f:
        return unpack(f.read())


def dump_line(m):
    """The one-line summary --dump prints (compared verbatim by the C test).
    Kinds without a single 'lut' tensor (mulut) also list every tensor as
    name:bytes:crc32, sorted by name."""
    lut = m["lut"] or b""
    line = "kind=%s scale=%d params=%s version=%d.%d meta_hex=%s lut_len=%d lut_crc=0x%08x file_size=%d" % (
        m["kind"], m["scale"], ",".join(str(p) for p in m["params"]), m["version"][0],
        m["version"][1], m["metadata"].encode("utf-8").hex(), len(lut),
        zlib.crc32(lut) & 0xffffffff, m["file_size"])
    if m["lut"] is None:
        line += " tensors=" + ",".join("%s:%d:0x%08x" % (name, len(t[2]), zlib.crc32(t[2]) & 0xffffffff)
                                       for name, t in sorted(m["tensors"].items()))
    return line


def pattern(n, mul, add):
    """Deterministic test LUT: byte i = (i * mul + add) mod 256 (period 256)."""
    block = bytes((i * mul + add) & 0xff for i in range(256))
    return (block * (n // 256 + 1))[:n]


def selftest(out_dir):
    """Writes py-srlut-x2.lsr and py-eclut-x3.lsr (contents the C test
    rebuilds independently), reads them back, and checks that corruption is
    detected."""
    os.makedirs(out_dir, exist_ok=True)
    cases = [
        ("py-srlut-x2.lsr", "srlut", 2, (4, 6), pattern(83521 * 4, 7, 3),
         "writer: lsr_format.py\nname: selftest-srlut\nnote: caf\u00e9\n"),
        ("py-eclut-x3.lsr", "eclut", 3, (5,), pattern(65536 * 81, 13, 1), "name: selftest-eclut"),
    ]
    for fname, kind, scale, params, lut, meta in cases:
        path = os.path.join(out_dir, fname)
        write(path, kind, scale, params, lut, meta)
        m = read(path)
        assert m["kind"] == kind and m["scale"] == scale and m["lut"] == lut and m["metadata"] == meta
        assert m["params"][:len(params)] == params and m["version"] == (1, 0)
        raw = bytearray(open(path, "rb").read())
        for pos in (0, 20, 70, len(raw) - 1):
            bad = bytearray(raw)
            bad[pos] ^= 1
            try:
                unpack(bad)
            except FormatError:
                pass
            else:
                raise AssertionError("corruption at byte %d not detected" % pos)
        try:
            unpack(raw[:-1])
        except FormatError:
            pass
        else:
            raise AssertionError("truncation not detected")
        print("selftest: %s ok (%d bytes, payload CRC32 0x%08x)" % (fname, len(raw), m["payload_crc32"]))

    # mulut: LUT i (in canonical order) is pattern(size, 7 + 2 i, i)
    stages = [(1, 5, 6, 8), (2, 7, 5, 9)]
    luts, i = {}, 0
    for t, (s_t, mask, ib, _) in enumerate(stages):
        for j, letter in enumerate(MULUT_PATTERNS):
            if mask >> j & 1:
                luts["lut%d_%s" % (t, letter)] = pattern(((1 << (8 - ib)) + 1) ** 4 * s_t * s_t, 7 + 2 * i, i)
                i += 1
    path = os.path.join(out_dir, "py-mulut-x2.lsr")
    size = write_mulut(path, 2, stages, luts, "writer: lsr_format.py\nname: selftest-mulut\n")
    m = read(path)
    assert m["kind"] == "mulut" and m["scale"] == 2 and m["params"] == (2, 0, 0, 0) and m["lut"] is None
    assert m["tensors"]["stages"][2] == struct.pack("<8i", *(stages[0] + stages[1]))
    assert all(m["tensors"][name][2] == lut for name, lut in luts.items())
    for bad in ([(2, 5, 6, 8), (2, 7, 5, 9)], [(1, 0, 6, 8), (2, 7, 5, 9)], [(1, 5, 6, 8)]):
        try:
            mulut_tensors(2, bad, luts)
        except ValueError:
            pass
        else:
            raise AssertionError("bad stages %r accepted" % (bad,))
    print("selftest: py-mulut-x2.lsr ok (%d bytes, payload CRC32 0x%08x)" % (size, m["payload_crc32"]))


def fuzz_seeds(out_dir):
    """Small seed files for tests/fuzz (ok-* parse, err-* are rejected)."""
    os.makedirs(out_dir, exist_ok=True)
    seeds = {}
    for scale in (2, 3, 4):
        meta = "" if scale == 2 else "arch: srlut\nscale: %d\n" % scale
        seeds["ok-srlut-ib6-x%d.lsr" % scale] = pack(
            "srlut", scale, (6, 8), [("lut", "int8", (625, scale * scale), pattern(625 * scale * scale, 29, scale))],
            meta)
    seeds["ok-mulut-ib6-x2.lsr"] = pack(
        "mulut", 2, (2,), mulut_tensors(2, [(1, 5, 6, 8), (2, 2, 6, 9)], {
            "lut0_S": pattern(625, 31, 1), "lut0_Y": pattern(625, 37, 2), "lut1_D": pattern(2500, 41, 3)}),
        "arch: mulut\n")
    ok = seeds["ok-srlut-ib6-x2.lsr"]
    seeds["err-truncated.lsr"] = ok[:100]
    seeds["err-magic.bin"] = b"P5\n4 4\n255\n" + bytes(16)
    v2 = bytearray(ok)
    v2[8] = 2
    seeds["err-version.lsr"] = bytes(v2[:64])
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (name, len(data)))


def main(argv):
    if len(argv) == 3 and argv[1] == "--dump":
        print(dump_line(read(argv[2])))
    elif len(argv) == 3 and argv[1] == "--selftest":
        selftest(argv[2])
    elif len(argv) == 3 and argv[1] == "--fuzz-seeds":
        fuzz_seeds(argv[2])
    else:
        sys.stderr.write(__doc__.split("Command line:")[1])
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (FormatError, OSError, ValueError) as e:
        sys.stderr.write("lsr_format: %s\n" % e)
        sys.exit(1)
