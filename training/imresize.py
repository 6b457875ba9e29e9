"""MATLAB-compatible bicubic imresize, a numpy port of tools/eval.c.

Interface (all numpy, no torch):

    imresize(img, scale, out_shape=None, uint8=None) -> ndarray
        MATLAB imresize(img, scale, 'bicubic') on a 2-D array.
        scale: out/in factor (MATLAB derives the weights from it, not from
        the sizes); out_shape: (out_h, out_w), default ceil(in * scale).
        uint8: round (half away from zero) and clip to 0..255 after each of
        the two 1-D passes, as MATLAB does on a uint8 image; the default is
        "the input is uint8". Returns uint8 in that mode, float64 otherwise.
    imresize_down(img, s)   imresize(img, 1/s): the LR of the SR protocol.
    modcrop(img, s)         top-left crop to a multiple of s.
    rgb_to_y(rgb)           BT.601 16..235 luma rounded like rgb2ycbcr on uint8.
    image_y(array)          Y of an HxW (gray: itself) or HxWx3/4 uint8 image.

Bit-exactness: tools/eval.c's eval_imresize() is the reference. The
weights are computed with the same double operations in the same order,
and both passes accumulate tap by tap in the same order, so for uint8
input the result is byte-identical to the C tool (checked against
`lutsr eval --save-lr` by tests/cli/training_srlut.sh).
"""
import math

import numpy as np

__all__ = ["imresize", "imresize_down", "modcrop", "rgb_to_y", "image_y", "to_u8"]


def _keys_cubic(x):
    """Keys a = -0.5 on a float64 array, written as eval.c writes it: the
    same IEEE operations in the same order, so the same bits."""
    ax = np.abs(x)
    ax2 = ax * ax
    ax3 = ax2 * ax
    inner = 1.5 * ax3 - 2.5 * ax2 + 1
    outer = -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2
    return np.where(ax <= 1, inner, np.where(ax <= 2, outer, 0.0))


_contrib_cache = {}


def contributions(in_len, out_len, scale):
    """MATLAB's contributions(): (idx, w) of shape (out_len, taps), 0-based
    mirrored source indices and normalised weights, to the last bit what
    eval.c computes (element-wise numpy float64 ops round exactly like C's
    scalar ones; the sum runs over the taps in the same order)."""
    key = (in_len, out_len, scale)
    hit = _contrib_cache.get(key)
    if hit is not None:
        return hit
    aa = scale < 1
    kernel_width = 4.0 / scale if aa else 4.0
    taps = int(math.ceil(kernel_width)) + 2
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)          # output pixel centres, 1-based
    left = np.floor(u - kernel_width / 2)
    i1 = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    d = u[:, None] - i1
    w = scale * _keys_cubic(scale * d) if aa else _keys_cubic(d)
    s = np.zeros(out_len)
    for k in range(taps):
        s = s + w[:, k]
    w = w / s[:, None]
    # aux = [1:n, n:-1:1]; index = aux(mod(i1 - 1, 2n) + 1)
    m = np.mod(i1.astype(np.int64) - 1, 2 * in_len)
    idx = np.where(m < in_len, m, 2 * in_len - 1 - m)
    if len(_contrib_cache) > 256:
        _contrib_cache.clear()
    _contrib_cache[key] = (idx, w)
    return idx, w


def to_u8(v):
    """MATLAB double -> uint8: saturate, round half away from zero."""
    return np.floor(np.clip(v, 0, 255) + 0.5)


def imresize(img, scale, out_shape=None, uint8=None):
    a = np.asarray(img)
    if a.ndim != 2:
        raise ValueError("imresize: expected a 2-D array, got shape %r" % (a.shape,))
    if not scale > 0:
        raise ValueError("imresize: scale must be > 0, got %r" % (scale,))
    if uint8 is None:
        uint8 = a.dtype == np.uint8
    h, w = a.shape
    if out_shape is None:
        out_shape = (int(math.ceil(h * scale)), int(math.ceil(w * scale)))
    oh, ow = out_shape
    if oh < 1 or ow < 1:
        raise ValueError("imresize: empty output %r" % (out_shape,))
    src = a.astype(np.float64)
    # Height first (MATLAB dim 1), accumulating tap by tap like eval.c; a
    # zero weight adds +0.0, which changes nothing, so eval.c's skip of
    # zero weights needs no counterpart.
    vi, vw = contributions(h, oh, scale)
    mid = np.zeros((oh, w))
    for k in range(vi.shape[1]):
        mid += vw[:, k:k + 1] * src[vi[:, k], :]
    if uint8:
        mid = to_u8(mid)
    hi, hw = contributions(w, ow, scale)
    out = np.zeros((oh, ow))
    for k in range(hi.shape[1]):
        out += hw[:, k] * mid[:, hi[:, k]]
    if uint8:
        return to_u8(out).astype(np.uint8)
    return out


def imresize_down(img, s, uint8=None):
    """imresize(img, 1/s, 'bicubic'): ceil(h/s) x ceil(w/s)."""
    h, w = np.asarray(img).shape
    return imresize(img, 1.0 / s, ((h + s - 1) // s, (w + s - 1) // s), uint8)


def modcrop(img, s):
    h, w = img.shape[:2]
    return img[:h - h % s, :w - w % s]


def rgb_to_y(rgb):
    """Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, rounded and clipped
    (MATLAB rgb2ycbcr on uint8), in eval.c's operation order."""
    kr, kg, kb = 65.481 / 255, 128.553 / 255, 24.966 / 255
    r = rgb[..., 0].astype(np.float64)
    g = rgb[..., 1].astype(np.float64)
    b = rgb[..., 2].astype(np.float64)
    return to_u8(kr * r + kg * g + kb * b + 16).astype(np.uint8)


def image_y(a):
    """The protocol's Y of an image array: gray is its own Y (as eval.c
    treats a 1-plane image), RGB/RGBA goes through rgb_to_y()."""
    a = np.asarray(a)
    if a.ndim == 2:
        return a.astype(np.uint8)
    if a.ndim == 3 and a.shape[2] in (3, 4):
        return rgb_to_y(a)
    raise ValueError("image_y: unsupported shape %r" % (a.shape,))
