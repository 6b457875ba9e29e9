"""Training data: a compact Y cache and a deterministic patch sampler.

Interface:

  build_cache(out, train_root, val_root=None, limit=None) -> dict
      Reads train_root/**/*.png (sorted), converts each to the protocol's Y
      exactly as tools/eval.c does (imresize.image_y: BT.601 16..235
      rounded like MATLAB; a gray PNG is its own Y) and writes one .npz.
      Set5 and Set14 from val_root (if given) are stored separately under
      "v/SET/NAME" and used ONLY for the progress PSNR, never for training.
  load_cache(path) -> Cache        .train: list of uint8 H x W arrays,
                                   .train_names, .val: {name: uint8 Y (HR)}
  build_rgb_cache(out, train_root, limit=None) -> dict
      The same images' R, G, B planes (a gray PNG: three equal planes),
      for data.mix; cache.load_rgb(path) attaches them as .rgb (a list of
      uint8 3 x H x W arrays), after checking they are the same images.
  synthetic_cache(out, count, size, seed, rgb_out=None)
                                   a tiny cache of generated images (tests),
                                   and its RGB companion if rgb_out
  subset(cache, fraction, seed) -> [index]: a random set of whole training
      images, about `fraction` of the pixels (the data-size experiments:
      config "data": {"subset": f}); keeps cache order
  PatchSampler(cache, scale, patch, batch, seed, jitter=(0.7, 1.0),
               augment=True, weight="sqrt", invert=False, mix=0.0)
      .next() -> (lr, hr): uint8 arrays (batch, patch, patch) and
                 (batch, patch*s, patch*s)
      .state() / .set_state(st): the generator state (for checkpoints)
  Prefetcher(sampler, depth): the same interface, batches made ahead in a
      background thread; its state() stays exact for checkpoints.
  val_pairs(cache, scale) -> [(name, lr_u8, hr_y_u8)]: the protocol's LR
      (modcrop, imresize 1/s on uint8) and the modcropped HR Y.
  to_tensor(a, device) -> float tensor N x 1 x H x W in pixel units (0..255)

Cache format (training/cache/*.npz, git-ignored): uint8 arrays "t/NNNNN"
(train) and "v/NAME" (val), each the 2-D gradient residual
y[i,j] - y[i,j-1] - y[i-1,j] + y[i-1,j-1] (mod 256), which deflate
compresses to about half of the raw bytes (all 120 Mpx of shared/data/train
fit under 64 MiB); decoding is two cumulative sums. "names" lists the
source files. Build:  /usr/bin/python3 training/data.py build

Sampling, per patch: an image (probability ~ area^0.5 by default, so the
big photographs do not drown T91), a downscale jitter f ~ U[jitter] applied
to a source crop with the MATLAB-compatible bicubic (pixels near the crop's
edge, which imresize would mirror, are cut away afterwards), a random
HR crop, a random flip / rot90 (8 orientations), optionally (invert) the
negative 255 - HR with probability 1/2, then LR = imresize(HR, 1/s) on
uint8 as in the eval protocol. The HR crop carries a MARGIN of LR
pixels on every side that is cut off after downscaling, so every LR pixel
kept is what imresize gives on the whole (jittered) image, not a
mirrored-border value. Everything random comes from one numpy Generator
(PCG64, seeded), so a seed fixes the batch sequence.

Channel mixing (mix = p > 0, needs the RGB cache): with probability p a
patch is cut not from the image's Y but from a random luma of it,
16 + 219/255 (w_r R + w_g G + w_b B) rounded, with (w_r, w_g, w_b) drawn
from a flat Dirichlet (Y itself is w = (0.299, 0.587, 0.114)): the same
scene with other edge contrasts, in Y's range. The crop position, jitter
and orientation are drawn as without it; p = 0 draws nothing more, so
existing runs keep their batches.
"""
import argparse
import glob
import math
import os
import queue
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imresize as ir  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_TRAIN = os.path.join(ROOT, "..", "shared", "data", "train")
DEFAULT_VAL = os.path.join(ROOT, "..", "shared", "data", "val")
VAL_SETS = ("Set5", "Set14")  # the progress PSNR's images (never trained on)
DEFAULT_CACHE = os.path.join(ROOT, "training", "cache", "train-y.npz")
DEFAULT_RGB_CACHE = os.path.join(ROOT, "training", "cache", "train-rgb.npz")

MARGIN = 3  # LR pixels cut from each side after downscaling (kernel reach: 2)


def _encode(y):
    """The 2-D residual of an image, or of each plane of a C x H x W stack."""
    d = np.diff(y.astype(np.int16), axis=-1, prepend=0)
    return np.diff(d, axis=-2, prepend=0).astype(np.uint8)


def _decode(d):
    return np.cumsum(np.cumsum(d, axis=-2, dtype=np.uint8), axis=-1, dtype=np.uint8)


def read_y(path):
    from PIL import Image  # only needed to build a cache
    with Image.open(path) as im:
        im.load()
        if im.mode not in ("L", "RGB", "RGBA"):
            im = im.convert("RGB")
        return ir.image_y(np.asarray(im))


def read_rgb(path):
    """3 x H x W uint8: R, G, B of what read_y() reads (a gray PNG: three
    equal planes)."""
    from PIL import Image
    with Image.open(path) as im:
        im.load()
        if im.mode not in ("L", "RGB", "RGBA"):
            im = im.convert("RGB")
        a = np.asarray(im)
    return np.stack([a] * 3) if a.ndim == 2 else np.ascontiguousarray(a[:, :, :3].transpose(2, 0, 1))


def _train_files(train_root, limit):
    files = sorted(glob.glob(os.path.join(train_root, "**", "*.png"), recursive=True))
    if not files:
        raise FileNotFoundError("no *.png under %s" % train_root)
    return files[:limit] if limit else files


def _write_npz(out, arrays):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)


def build_cache(out, train_root=DEFAULT_TRAIN, val_root=DEFAULT_VAL, limit=None, log=print):
    files = _train_files(train_root, limit)
    arrays, names, px = {}, [], 0
    t0 = time.time()
    for i, f in enumerate(files):
        y = read_y(f)
        arrays["t/%05d" % i] = _encode(y)
        names.append(os.path.relpath(f, train_root))
        px += y.size
    val_names = []
    for vs in VAL_SETS:
        if not val_root or not os.path.isdir(os.path.join(val_root, vs)):
            continue
        for f in sorted(glob.glob(os.path.join(val_root, vs, "*.png"))):
            name = vs + "/" + os.path.splitext(os.path.basename(f))[0]
            arrays["v/" + name] = _encode(read_y(f))
            val_names.append(name)
    arrays["names"] = np.array(names)
    arrays["val_names"] = np.array(val_names, dtype=str)
    _write_npz(out, arrays)
    info = {"images": len(files), "pixels": px, "val": len(val_names),
            "bytes": os.path.getsize(out), "seconds": time.time() - t0}
    log("data: cached %d images (%.1f Mpx), %d val, %.1f MiB in %.1f s -> %s" % (
        info["images"], px / 1e6, info["val"], info["bytes"] / 2**20, info["seconds"], out))
    return info


def build_rgb_cache(out, train_root=DEFAULT_TRAIN, limit=None, log=print):
    files = _train_files(train_root, limit)
    arrays, names = {}, []
    t0 = time.time()
    for i, f in enumerate(files):
        arrays["t/%05d" % i] = _encode(read_rgb(f))
        names.append(os.path.relpath(f, train_root))
    arrays["names"] = np.array(names)
    _write_npz(out, arrays)
    log("data: cached R, G, B of %d images, %.1f MiB in %.1f s -> %s" % (
        len(files), os.path.getsize(out) / 2**20, time.time() - t0, out))
    return {"images": len(files), "bytes": os.path.getsize(out)}


def _synthetic_image(rng, h, w):
    """Smooth shapes, edges and a little noise: enough structure for a
    smoke test to learn something, generated without any image file."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 128 + 60 * np.sin(xx / rng.uniform(3, 12) + rng.uniform(0, 6)) * \
        np.cos(yy / rng.uniform(3, 12))
    for _ in range(6):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, h / 3)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.uniform(16, 235)
    img += rng.normal(0, 2, (h, w))
    return np.clip(np.floor(img + 0.5), 0, 255).astype(np.uint8)


def synthetic_cache(out, count=4, size=96, seed=0, val=1, rgb_out=None):
    """rgb_out: also an RGB cache whose planes are the image, its
    mirror image and another generated image (tests of data.mix)."""
    rng = np.random.default_rng(seed)
    imgs = [_synthetic_image(rng, size, size + 8 * i) for i in range(count)]
    names = np.array(["synthetic/%d" % i for i in range(count)])
    arrays = {"t/%05d" % i: _encode(y) for i, y in enumerate(imgs)}
    arrays["names"] = names
    vnames = ["synthetic/val%d" % i for i in range(val)]
    for n in vnames:
        arrays["v/" + n] = _encode(_synthetic_image(rng, size, size))
    arrays["val_names"] = np.array(vnames, dtype=str)
    _write_npz(out, arrays)
    if rgb_out:
        rgb = {"t/%05d" % i: _encode(np.stack([y, y[:, ::-1], _synthetic_image(rng, *y.shape)]))
               for i, y in enumerate(imgs)}
        rgb["names"] = names
        _write_npz(rgb_out, rgb)


class Cache:
    def __init__(self, path):
        with np.load(path) as z:
            self.train_names = [str(n) for n in z["names"]]
            self.train = [_decode(z["t/%05d" % i]) for i in range(len(self.train_names))]
            self.val = {str(n): _decode(z["v/" + str(n)]) for n in z["val_names"]}
        self.path = path
        self.rgb = None

    @property
    def pixels(self):
        return sum(a.size for a in self.train)

    def load_rgb(self, path):
        """Attaches build_rgb_cache()'s planes as .rgb (same order as
        .train); refuses a cache of other images."""
        with np.load(path) as z:
            names = [str(n) for n in z["names"]]
            if names != self.train_names:
                raise ValueError("%s holds other images than %s (rebuild it: data.py build-rgb)" % (
                    path, self.path))
            rgb = [_decode(z["t/%05d" % i]) for i in range(len(names))]
        for a, y in zip(rgb, self.train):
            if a.shape != (3,) + y.shape:
                raise ValueError("%s: an image of %s is %s, its Y %s" % (
                    path, self.path, a.shape, y.shape))
        self.rgb = rgb


def load_cache(path):
    return Cache(path)


def subset(cache, fraction, seed):
    """Indices of whole images, drawn in a random order seeded by `seed`
    until they hold at least `fraction` of the cache's training pixels,
    returned in cache order. Whole images, not crops: a smaller set of
    scenes is what a smaller dataset is."""
    fraction = float(fraction)
    if not 0 < fraction <= 1:
        raise ValueError("data.subset must be in (0, 1], got %r" % (fraction,))
    order = np.random.default_rng([int(seed), 0x5B5E7]).permutation(len(cache.train))
    target, got, keep = fraction * cache.pixels, 0, []
    for i in order:
        if got >= target:
            break
        keep.append(int(i))
        got += cache.train[i].size
    return sorted(keep)


def check_mix(mix):
    """data.mix as a float, or ValueError."""
    if isinstance(mix, bool) or not isinstance(mix, (int, float)) or not 0 <= mix <= 1:
        raise ValueError("mix must be a probability in [0, 1], got %r" % (mix,))
    return float(mix)


class PatchSampler:
    PAD_SRC = 6  # source pixels around a jitter crop (bicubic reach 2/f <= 3)

    def __init__(self, cache, scale, patch, batch, seed, jitter=(0.7, 1.0), augment=True,
                 weight="sqrt", limit=None, invert=False, mix=0.0):
        self.s, self.p, self.b = scale, patch, batch
        self.jitter = (float(jitter[0]), float(jitter[1])) if jitter else (1.0, 1.0)
        if not 0 < self.jitter[0] <= self.jitter[1] <= 1:
            raise ValueError("jitter must satisfy 0 < lo <= hi <= 1, got %r" % (jitter,))
        self.augment = augment
        if invert not in (False, True):
            raise ValueError("invert must be true or false, got %r" % (invert,))
        self.invert = bool(invert)  # draws from the generator only when set
        self.mix = check_mix(mix)  # draws from the generator only when > 0
        if self.mix > 0 and cache.rgb is None:
            raise ValueError("mix needs the RGB cache (training/data.py build-rgb)")
        self.hc = (patch + 2 * MARGIN) * scale  # HR side before the margin cut
        # The jittered source crop needs hc / f + 2 * PAD_SRC pixels; images
        # too small even at f = 1 are left out.
        imgs = cache.train[:limit] if limit else cache.train
        keep = [i for i, a in enumerate(imgs) if min(a.shape) >= self.hc + 2 * self.PAD_SRC]
        self.images = [imgs[i] for i in keep]
        self.rgb = [cache.rgb[i] for i in keep] if self.mix > 0 else None
        if not self.images:
            raise ValueError("no training image is large enough for %d px HR crops" % self.hc)
        self.skipped = len(imgs) - len(self.images)
        area = np.array([a.size for a in self.images], np.float64)
        wts = {"sqrt": np.sqrt(area), "area": area, "uniform": np.ones_like(area)}[weight]
        self.cdf = np.cumsum(wts / wts.sum())
        self.rng = np.random.default_rng(seed)

    def state(self):
        return self.rng.bit_generator.state

    def set_state(self, st):
        self.rng.bit_generator.state = st

    @staticmethod
    def _luma(img, wts, y, x, c):
        """The c x c crop at (y, x) of a Y image (wts None) or of the luma
        wts makes of a 3 x H x W RGB one."""
        if wts is None:
            return img[y:y + c, x:x + c]
        v = np.tensordot(wts, img[:, y:y + c, x:x + c].astype(np.float64), axes=1)
        return np.clip(np.floor(16 + v * (219 / 255) + 0.5), 0, 255).astype(np.uint8)

    def _hr_crop(self, img, f, wts=None):
        """An hc x hc crop of img resized by f (f = 1: a plain crop)."""
        rng, hc = self.rng, self.hc
        h, w = img.shape[-2:]
        if f >= 1:
            y, x = rng.integers(0, h - hc + 1), rng.integers(0, w - hc + 1)
            return self._luma(img, wts, y, x, hc)
        # Source side c so that ceil(c * f) >= hc + 2 * PAD_SRC * f; shrink f
        # if the image cannot provide it.
        c = int(math.ceil(hc / f)) + 2 * self.PAD_SRC
        if c > min(h, w):
            c = min(h, w)
            f = max(f, (hc + 2 * self.PAD_SRC) / c)
            if f >= 1:
                return self._hr_crop(img, 1.0, wts)
        y, x = rng.integers(0, h - c + 1), rng.integers(0, w - c + 1)
        r = ir.imresize(self._luma(img, wts, y, x, c), f)
        o = (r.shape[0] - hc) // 2
        return r[o:o + hc, o:o + hc]

    def next(self):
        s, p, m = self.s, self.p, MARGIN
        lr = np.empty((self.b, p, p), np.uint8)
        hr = np.empty((self.b, p * s, p * s), np.uint8)
        for i in range(self.b):
            j = min(int(np.searchsorted(self.cdf, self.rng.random(), "right")), len(self.images) - 1)
            img, wts = self.images[j], None
            if self.mix > 0 and self.rng.random() < self.mix:
                img, wts = self.rgb[j], self.rng.dirichlet((1.0, 1.0, 1.0))
            lo, hi = self.jitter
            f = self.rng.uniform(lo, hi) if hi > lo else lo
            c = self._hr_crop(img, f, wts)
            if self.augment:
                k, flip = self.rng.integers(0, 4), self.rng.integers(0, 2)
                c = np.rot90(c[:, ::-1] if flip else c, k)
            if self.invert and self.rng.integers(0, 2):
                c = 255 - c
            c = np.ascontiguousarray(c)
            lo_img = ir.imresize_down(c, s)
            lr[i] = lo_img[m:m + p, m:m + p]
            hr[i] = c[m * s:(m + p) * s, m * s:(m + p) * s]
        return lr, hr


class Prefetcher:
    """Makes a sampler's batches in a background thread (numpy releases the
    GIL for much of the work), `depth` batches ahead, with the sampler's
    interface. state() is the generator state after the last batch handed
    out, not after the last one made, so checkpoints stay exact."""

    def __init__(self, sampler, depth=2):
        self.sampler, self.depth = sampler, depth
        self._state = sampler.state()
        self._start()

    def _start(self):
        self._q = queue.Queue(self.depth)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                item = (self.sampler.next(), self.sampler.state(), None)
            except Exception as e:  # handed to the consumer, raised there
                item = (None, None, e)
            while not self._stop.is_set():
                try:
                    self._q.put(item, timeout=0.1)
                    break
                except queue.Full:
                    pass
            if item[2] is not None:
                return

    def next(self):
        batch, st, err = self._q.get()
        if err is not None:
            raise err
        self._state = st
        return batch

    def state(self):
        return self._state

    def close(self):
        self._stop.set()
        self._t.join()

    def set_state(self, st):
        self.close()
        self.sampler.set_state(st)
        self._state = self.sampler.state()
        self._start()


def val_pairs(cache, scale, names=None):
    out = []
    for name, y in sorted(cache.val.items()):
        if names and name not in names:
            continue
        hr = ir.modcrop(y, scale)
        out.append((name, ir.imresize_down(hr, scale), hr))
    return out


def to_tensor(a, device="cpu"):
    import torch
    t = torch.from_numpy(np.ascontiguousarray(a)).to(device=device, dtype=torch.float32)
    while t.dim() < 4:
        t = t.unsqueeze(0 if t.dim() < 3 else 1)
    return t


def check_lr(hr_dir, lr_dir, scale, log=print):
    """Compares imresize.py's protocol LR (Y of the modcropped HR, then
    imresize 1/s on uint8) with the LR images `lutsr eval --save-lr` wrote.
    Returns the number of images that differ (0: byte-identical)."""
    from PIL import Image
    bad, n = 0, 0
    for f in sorted(glob.glob(os.path.join(hr_dir, "*.png"))):
        want_path = os.path.join(lr_dir, os.path.basename(f))
        n += 1
        if not os.path.exists(want_path):
            log("check-lr: %s: missing" % want_path)
            bad += 1
            continue
        with Image.open(want_path) as im:
            want = np.asarray(im)
        got = ir.imresize_down(ir.modcrop(read_y(f), scale), scale)
        if got.shape != want.shape or not np.array_equal(got, want):
            diff = "shape %s vs %s" % (got.shape, want.shape) if got.shape != want.shape else \
                "%d pixels differ" % np.count_nonzero(got != want)
            log("check-lr: %s x%d: %s" % (os.path.basename(f), scale, diff))
            bad += 1
    log("check-lr: %s x%d: %d of %d images byte-identical to %s" % (
        hr_dir, scale, n - bad, n, lr_dir))
    return bad if n else 1


def main(argv):
    ap = argparse.ArgumentParser(description="Build or inspect the training Y cache.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="read shared/data/train/**/*.png into one .npz")
    b.add_argument("--train", default=DEFAULT_TRAIN)
    b.add_argument("--val", default=DEFAULT_VAL, help="Set5 and Set14 are stored for the progress PSNR only")
    b.add_argument("--out", default=DEFAULT_CACHE)
    b.add_argument("--limit", type=int, help="first N images only (sorted paths)")
    br = sub.add_parser("build-rgb", help="the same images' R, G, B planes (for data.mix)")
    br.add_argument("--train", default=DEFAULT_TRAIN)
    br.add_argument("--out", default=DEFAULT_RGB_CACHE)
    br.add_argument("--limit", type=int, help="first N images only (sorted paths)")
    sy = sub.add_parser("synthetic", help="a tiny generated cache (tests)")
    sy.add_argument("--out", required=True)
    sy.add_argument("--count", type=int, default=4)
    sy.add_argument("--size", type=int, default=96)
    sy.add_argument("--seed", type=int, default=0)
    sy.add_argument("--rgb-out", help="also an RGB companion cache (tests of data.mix)")
    c = sub.add_parser("check-lr", help="Python LR vs `lutsr eval --save-lr` output")
    c.add_argument("--hr", required=True, help="folder of HR *.png")
    c.add_argument("--lr", required=True, help="folder lutsr eval --save-lr wrote")
    c.add_argument("--scale", type=int, required=True)
    i = sub.add_parser("info", help="summarise a cache")
    i.add_argument("path", nargs="?", default=DEFAULT_CACHE)
    a = ap.parse_args(argv)
    if a.cmd == "build":
        build_cache(a.out, a.train, a.val, a.limit)
    elif a.cmd == "build-rgb":
        build_rgb_cache(a.out, a.train, a.limit)
    elif a.cmd == "check-lr":
        return 1 if check_lr(a.hr, a.lr, a.scale) else 0
    elif a.cmd == "synthetic":
        synthetic_cache(a.out, a.count, a.size, a.seed, rgb_out=a.rgb_out)
    else:
        c = load_cache(a.path)
        print("%s: %d train images, %.1f Mpx; val: %s" % (
            a.path, len(c.train), c.pixels / 1e6, ", ".join(sorted(c.val)) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
