"""Shared LUT helpers for the trainers (srlut.py, eclut.py): rotations, the
rotation ensemble, rounding, and the integer LUT-inference skeleton that
reproduces the C engine bit for bit. Semantics: docs/kernels.md.

Interface (torch tensors are N x C x H x W float unless stated; numpy
arrays are H x W):

  rot(x, r)                 rotate r * 90 degrees counter-clockwise over the
                            last two dims (torch.rot90 / numpy.rot90), r any int
  round_shift(v, n)         docs' round_shift on integers: numpy int arrays,
                            torch integer tensors or Python ints
  clip_u8(v)                min(max(v, 0), 255) (numpy or torch, any dtype)
  lut_round(p)              what ships from float LUT params: floor(clamp(p,
                            -128, 127) + 0.5), i.e. round half up, in int8 range
  ste(x, fn)                straight-through: forward fn(x), gradient identity
  nearest_up(x, s)          nearest-neighbour upscale (torch 4-D or numpy 2-D)
  ensemble_sum(core, x)     sum over r of rot^-r(core(rot^r(x))), torch; core
                            maps N x C x h x w to N x C' x sh x sw
  integer_ensemble(img, core_int, s, out_shift)
                            numpy, the engine's output for one uint8 plane:
                            T = sum_r rot^-r(core_int(rot^r(I))) (int64,
                            ensemble_t_int), O = clip(I(y div s, x div s) +
                            round_shift(T, out_shift)) (finish_int)
  finish_float(lr, t_sum, s, out_shift)
                            the float twin of the last line, for training:
                            nearest(lr) + t_sum / 2^out_shift (no rounding;
                            lr and the result in pixel units 0..255)
  psnr(a, b, border)        Y PSNR of two same-size arrays (peak 255)

For the kinds' test commands (tests/cli compare them with the engine):

  read_raw_frames(path, w, h)   the w x h uint8 gray frames of a raw file
  infer_command(a, load, run)   `infer`: -m MODEL --size WxH IN OUT, or
                            --jobs FILE of such lines, output frame =
                            run(load(MODEL), frame)
  random_lut(rng, shape, lim)   random int8 LUT values, clipped to +-lim when
                            lim > 0, with -128 and 127 forced into ~2% each

Nothing here depends on the LUT kind; each kind's core lives in its own
module (srlut.py: srlut_core_int / srlut_core_float; eclut.py likewise).
"""
import math

import numpy as np
import torch

__all__ = ["rot", "round_shift", "clip_u8", "lut_round", "ste", "ste_lut_round", "nearest_up",
           "ensemble_sum", "ensemble_t_int", "finish_int", "integer_ensemble", "finish_float",
           "psnr", "read_raw_frames", "infer_command", "random_lut"]


def rot(x, r):
    """rot^r, counter-clockwise: rot(X)[i][j] = X[j][W-1-i] (docs/kernels.md)."""
    r %= 4
    if r == 0:
        return x
    if isinstance(x, np.ndarray):
        return np.rot90(x, r, axes=(-2, -1))
    return torch.rot90(x, r, [-2, -1])


def round_shift(v, n):
    """floor((v + 2^(n-1)) / 2^n) for n > 0, v for n = 0 (integers only;
    >> is an arithmetic (floor) shift for numpy, torch and Python ints)."""
    if n == 0:
        return v
    return (v + (1 << (n - 1))) >> n


def clip_u8(v):
    if isinstance(v, np.ndarray):
        return np.clip(v, 0, 255)
    return torch.clamp(v, 0, 255)


def lut_round(p):
    """Float LUT parameters -> the int8 values that ship (as floats for
    torch input, int8 for numpy input)."""
    if isinstance(p, np.ndarray):
        return np.floor(np.clip(p, -128, 127) + 0.5).astype(np.int8)
    return torch.floor(torch.clamp(p, -128, 127) + 0.5)


def ste(x, fn):
    """fn(x) in the forward pass, identity gradient (straight-through)."""
    return x + (fn(x) - x).detach()


def ste_lut_round(p):
    """The shipped LUT values in the forward pass, gradient passed straight
    through to the float parameters (what is optimised is what ships)."""
    return ste(p, lut_round)


def nearest_up(x, s):
    if isinstance(x, np.ndarray):
        return np.repeat(np.repeat(x, s, axis=-2), s, axis=-1)
    return torch.repeat_interleave(torch.repeat_interleave(x, s, dim=-2), s, dim=-1)


def ensemble_sum(core, x):
    """Sum of the four rotations' core outputs, each turned back."""
    acc = None
    for r in range(4):
        y = rot(core(rot(x, r)), -r)
        acc = y if acc is None else acc + y
    return acc


def ensemble_t_int(img, core_int):
    """T of docs/kernels.md (int64, sh x sw): the sum over the rotations of
    the rotated-back core outputs. core_int(I) takes an int64 h x w array
    (already rotated) and returns the int64 sh x sw core K."""
    i = np.ascontiguousarray(img, dtype=np.int64)
    t = None
    for r in range(4):
        k = rot(core_int(np.ascontiguousarray(rot(i, r))), -r)
        t = k if t is None else t + k
    return t


def finish_int(img, t, s, out_shift):
    """O = clip(I(y div s, x div s) + round_shift(T, out_shift)), uint8."""
    o = nearest_up(np.asarray(img, np.int64), s) + round_shift(t, out_shift)
    return clip_u8(o).astype(np.uint8)


def integer_ensemble(img, core_int, s, out_shift):
    """The engine's uint8 output for a uint8 plane (docs/kernels.md, "The
    rotation ensemble")."""
    return finish_int(img, ensemble_t_int(img, core_int), s, out_shift)


def finish_float(lr, t_sum, s, out_shift):
    """Float version of the engine's last step, without rounding or clip."""
    return nearest_up(lr, s) + t_sum / float(1 << out_shift)


def psnr(a, b, border=0):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if border:
        a = a[border:-border, border:-border]
        b = b[border:-border, border:-border]
    mse = np.mean((a - b) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255.0 * 255.0 / mse)


def keep_freed_memory():
    """Tells glibc malloc to serve every allocation from the heap and keep
    freed memory (mallopt M_MMAP_MAX = 0, M_TRIM_THRESHOLD = 2 GiB).
    Why: a training step allocates and frees tens of MB-sized tensors (at x4
    the 160 k x 144 gathered LUT rows alone are 92 MB); by default each
    one is a fresh mmap, and the page faults on first touch made CPU steps
    2x (x2 network: 0.27 -> 0.14 s) to 7x (x4 fine-tuning: 1.36 -> 0.20 s)
    slower. Process-wide and harmless for training (the process keeps its
    peak memory); a no-op where glibc is absent."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-4, 0)          # M_MMAP_MAX
        libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


# --------------------------------------------------- test-command helpers

def read_raw_frames(path, w, h):
    a = np.fromfile(path, np.uint8)
    if a.size == 0 or a.size % (w * h):
        raise SystemExit("%s: %d bytes is not a whole number of %dx%d frames" % (path, a.size, w, h))
    return a.reshape(-1, h, w)


def infer_command(a, load, run):
    """The kinds' `infer` command on raw gray frames: a.model, a.size
    ("WxH"), a.input, a.output, or a.jobs, a file of "MODEL WxH IN OUT"
    lines run in this one process (saves a torch import per job). One model
    is kept loaded at a time (an x4 LUT set is MBs)."""
    cache = {}

    def one(model, size, inp, out):
        if model not in cache:
            cache.clear()
            cache[model] = load(model)
        w, h = map(int, size.split("x"))
        with open(out, "wb") as f:
            for fr in read_raw_frames(inp, w, h):
                f.write(run(cache[model], fr).tobytes())

    if getattr(a, "jobs", None):
        with open(a.jobs) as f:
            for line in f:
                if line.strip():
                    one(*line.split())
        return 0
    if not (a.model and a.size and a.input and a.output):
        raise SystemExit("infer: need -m MODEL --size WxH IN OUT, or --jobs FILE")
    one(a.model, a.size, a.input, a.output)
    return 0


def random_lut(rng, shape, lim=0):
    """Random int8 LUT values for engine-vs-Python tests: uniform, clipped
    to +-lim when lim > 0, then -128 and 127 forced into ~2% of the places
    each (the int8 extremes are where overflow would show)."""
    v = rng.integers(-128, 128, shape, dtype=np.int64)
    if lim:
        v = np.clip(v, -lim, lim)
    v[rng.random(v.shape) < 0.02] = -128
    v[rng.random(v.shape) < 0.02] = 127
    return v.astype(np.int8)
