#!/usr/bin/env python3
"""ECLUT for lutsr: network, transfer to a full LUT, LUT-aware fine-tuning,
and the integer LUT path that matches the C engine.

The shipped model is the engine's ECLUT kernel (docs/kernels.md, "ECLUT
core" and "The rotation ensemble"); everything here is defined against it.

Network (EclutNet), per source pixel of each of the four rotated frames: a
conv with kernel [2, 1] over the pixel and the one below it (replicate
padding at the bottom), then five 1x1 convs (ReLU between; 64 channels, the
last one 9*s*s): nine groups (m, n) of s*s values. The expanded conv
(expand_conv) reflect-pads that low-resolution feature map by one pixel
(replicate for a dimension of length 1) and adds group (m, n) of pixel
(i, j) to output block (i + m - 1, j + n - 1); a pixel shuffle places value
u*s + v of a block at sub-pixel (u, v). The four rotations' outputs are
rotated back and averaged, and the result is a residual over
nearest-neighbour upsampling.

Units. Let f be the network's value of one LUT slot (pixel, group (m, n),
sub-pixel (u, v)) in pixel units, scaled so that the residual is

    residual(y, x) = 1/4 sum_r 1/9 sum_(m,n) f  =  T_f / 36

with T_f the sum over 4 rotations x 9 groups of f laid out exactly as the
engine's T. The engine computes O = clip(anchor + round_shift(T,
out_shift)) with T the same sum over int8 LUT values L, so storing

    L = lut_round(alpha * f) = floor(clamp(alpha * f, -128, 127) + 1/2),
    alpha = 2^out_shift / 36,

makes T / 2^out_shift = sum(L) / (36 alpha) ~= T_f / 36: the 1/9, the mean
over rotations and the fixed-point gain all live in out_shift, and the
engine only adds and shifts. One L step is 36 / 2^out_shift pixels of f;
f clips outside -128 / alpha .. 127 / alpha.

Choosing out_shift. A slot's f is not residual-sized: to act like a
linear filter over its 3x3 footprint, a group must carry tap * intensity,
and the taps' large opposite-signed contributions cancel in flat areas.
Unconstrained, the network's |f| reaches 600-1000 px (p99 of used slots
~460-600 px after 600 x2 iterations), so the int8 range binds long before
the rounding matters. Rounding adds about sqrt(36/12) / 2^out_shift px
RMS to the output (0.11 px at 4, 0.03 at 6, before the engine's own final
rounding). x2, 600 network iterations, same seed, Set5 Y PSNR of the
network / of its transferred LUT (integer path):

    out_shift  f range (px)  network  LUT       share of used slots clipped*
    2          +-1152        35.487   35.427    0.00 %
    3          +-576         35.489   35.475    0.02 %
    4          +-288         35.483   35.480    0.72 %
    5          +-144         35.385   35.384    7.5 %
    6          +-72          35.175   35.175    18.5 %
    7          +-36          34.564   34.564    -
    (* usage-weighted, by `eclut.py cliprate` on the out_shift 3 network)

so 4 is the default (3 is as good so far; longer runs may favour it if |f|
keeps growing). The network stages clamp f to the int8 range, so the
network learns within what the LUT can hold.

Stages (train.py's pipeline interface):
  net       the float network, f clamped to the int8 range (above).
  qat       the same network, quantisation-aware: the forward pass uses
            L = lut_round(alpha f) with a straight-through gradient and
            nearest + sum(L) / 2^out_shift: exactly the shipped arithmetic
            except the engine's final round half up and clip to 0..255.
  transfer  the network on all 65536 pairs (a, b) (entry e = a * 256 + b,
            a the pixel, b the one below it in the rotated frame): a float
            LUT in L units. No interpolation: every entry is sampled.
  finetune  the LUT itself is the parameter (float, L units), read by entry
            index (an embedding lookup), rounded straight-through, through
            the same expanded conv and rotations: what is optimised is what
            ships. Export: lut_round(params), out_shift from the config.

Training speed: the network only ever sees the 65536 possible pairs, so a
batch evaluates it once per distinct pair (torch.unique; 13-17 k of the
160 k pair lookups of a 16 x 48 x 48 batch) and gathers; the result equals
the per-pixel convs (checked by `eclut.py selftest`). The 1x1 layers run
as convs on N x C x 1 x 1 tensors (oneDNN) rather than F.linear, and
make_pipeline() stops glibc from returning freed memory (see
lut_ops.keep_freed_memory, called by train.py): together 4-6x faster steps on this CPU.

Functions (numpy integer path, what the tests compare with the C engine):
  eclut_core_int(I, lut, s) -> int64 K (sh x sw) of one rotated plane
  eclut_infer_int(img, lut, s, out_shift) -> uint8 output of the engine
Torch (training):
  ensemble(x, s, table) -> T in table units; forward_lut(lr, lut, s, k)
Command line: /usr/bin/python3 training/eclut.py -h
"""
import argparse
import os
import sys
import time

# As in train.py, before torch loads libgomp: idle OpenMP workers sleep
# instead of spinning (matters on a shared 2-core machine).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lut_ops  # noqa: E402

KIND = "eclut"
N_ENTRIES = 65536
DEFAULT_OUT_SHIFT = 4


def alpha_of(out_shift):
    """LUT units per pixel of one group's f (module docstring)."""
    return 2.0 ** out_shift / 36.0


# ---------------------------------------------------------- torch geometry

def pair_index(x):
    """Entry index a * 256 + b of every pixel: a = x(i, j), b = x(i + 1, j),
    the bottom row replicated. x: [..., H, W] int64 in 0..255."""
    below = torch.cat([x[..., 1:, :], x[..., -1:, :]], dim=-2)
    return x * 256 + below


def _refl_index(n):
    """Source index of padded positions -1 .. n (docs/kernels.md refl_n)."""
    if n == 1:
        return torch.zeros(3, dtype=torch.int64)
    return torch.cat([torch.tensor([1]), torch.arange(n), torch.tensor([n - 2])])


def pad_reflect(x):
    """Pads the last two dims by one with the engine's reflection (replicate
    for a dimension of length 1); also for integer tensors."""
    return x[..., _refl_index(x.shape[-2]), :][..., _refl_index(x.shape[-1])]


_EXPAND_WEIGHTS = {}


def _expand_weight(s):
    """One-hot 3x3 kernels [s*s, 9, 3, 3]: sub-pixel (u, v) takes group
    (m, n) at kernel tap (2 - m, 2 - n)."""
    if s not in _EXPAND_WEIGHTS:
        w = torch.zeros(s * s, 9, 3, 3)
        for m in range(3):
            for n in range(3):
                w[:, m * 3 + n, 2 - m, 2 - n] = 1
        _EXPAND_WEIGHTS[s] = w
    return _EXPAND_WEIGHTS[s]


def _uv_major(s):
    """Column order (m*3+n)*s*s + uv (the LUT's) -> uv*9 + (m*3+n)."""
    return torch.arange(9 * s * s).view(9, s * s).t().reshape(-1)


def expand_conv_padded(p, s):
    """[B, 9*s*s, H+2, W+2] padded group values, channels uv-major
    (uv*9 + m*3+n) -> [B, 1, s*H, s*W] block sums

        K(I*s+u, J*s+v) = sum_(m,n) P(I+1-m, J+1-n)[group (m, n), (u, v)]

    as a grouped 3x3 conv with one-hot weights, one group per (u, v): exact
    for integer values, and its backward pass costs a fraction of that of
    nine shifted slices."""
    return F.pixel_shuffle(F.conv2d(p, _expand_weight(s).to(p), groups=s * s), s)


def expand_conv(feat, s):
    """[B, 9*s*s, H, W] group values (LUT column order) -> [B, 1, sH, sW]:
    the expanded conv of docs/kernels.md, not divided by 9."""
    b, c, h, w = feat.shape
    n = s * s
    x = feat.reshape(b, 9, n, h, w).transpose(1, 2).reshape(b, n * 9, h, w)
    return expand_conv_padded(pad_reflect(x), s)


def expand_conv_ref(feat, s):
    """expand_conv as nine shifted slices: the formula, literally (tests)."""
    b, c, h, w = feat.shape
    p = pad_reflect(feat)
    k = 0
    for m in range(3):
        for n in range(3):
            g = (m * 3 + n) * s * s
            k = k + p[:, g:g + s * s, 2 - m:2 - m + h, 2 - n:2 - n + w]
    return F.pixel_shuffle(k, s)


def ensemble(x, s, table, dedupe=True):
    """Rotation-ensemble sum over 4 rotations x 9 groups.

    x: [B, 1, H, W] integer pixel values (any dtype); table(e) maps an int64
    entry-index tensor [N] to group values [N, 9*s*s] (LUT column order).
    Returns T [B, 1, s*H, s*W] in table units (no /36, no shift).

    Padding the pair-index map before the lookup is the same as padding the
    feature map after it, and cheaper. lut_ops.ensemble_sum is not used
    because the table is evaluated once for all four rotations (dedupe)."""
    xi = x[:, 0].round().clamp(0, 255).long()  # the LUT sees 8-bit pixels
    idx = [pad_reflect(pair_index(lut_ops.rot(xi, r))) for r in range(4)]
    flat = torch.cat([i.reshape(-1) for i in idx])
    cols = _uv_major(s).to(flat.device)
    if dedupe:
        uniq, inv = torch.unique(flat, return_inverse=True)
        vals = table(uniq)[:, cols][inv]
    else:
        vals = table(flat)[:, cols]
    total = None
    for r, v in enumerate(vals.split([i.numel() for i in idx])):
        # [B, h+2, w+2, C] seen as NCHW: channels-last memory, no copy
        v = v.view(*idx[r].shape, -1).permute(0, 3, 1, 2)
        k = lut_ops.rot(expand_conv_padded(v, s), -r)
        total = k if total is None else total + k
    return total


def forward_lut(lr, lut, s, out_shift, ste_round=False):
    """nearest(lr) + T / 2^out_shift for a float LUT [65536, 9*s*s] in L
    units: the engine's output before its final round and clip (exact in
    float32 for integer values: |T| <= 4608). ste_round: the entries a
    batch reads go through lut_ops.ste_lut_round (the fine-tuning stage;
    rounding only those rows is much cheaper than the whole table)."""
    if ste_round:
        table = lambda e: lut_ops.ste_lut_round(F.embedding(e, lut))  # noqa: E731
    else:
        table = lambda e: F.embedding(e, lut)  # noqa: E731
    t = ensemble(lr, s, table)
    return lut_ops.finish_float(lr, t, s, out_shift)


# ----------------------------------------------------------------- network

class EclutNet(nn.Module):
    """pair_values(e) -> f in pixel units [N, 9*s*s] for entry indices e;
    conv_values(x) the same as literal convs on a plane (tests)."""

    def __init__(self, scale, nf=64):
        super().__init__()
        self.scale = scale
        self.conv1 = nn.Conv2d(1, nf, (2, 1))
        self.convs = nn.ModuleList(nn.Conv2d(nf, nf, 1) for _ in range(4))
        self.conv_out = nn.Conv2d(nf, 9 * scale * scale, 1)
        for m in [self.conv1, *self.convs]:
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        # Start near "nearest": small residuals, far from the int8 clamp.
        nn.init.normal_(self.conv_out.weight, std=1e-3)
        nn.init.zeros_(self.conv_out.bias)

    def pair_values(self, e):
        """The conv stack on the pairs (a, b) = (e >> 8, e & 255), each pair
        a 1x1 "image" with 2 channels: the [2, 1] kernel becomes a 1x1 conv
        over (a, b) (weight[:, 0, 0, 0] multiplies a, weight[:, 0, 1, 0] b).
        1x1 convs rather than F.linear: on CPU they run in oneDNN, 9x faster
        forward + backward than Debian torch's reference BLAS (measured)."""
        n = e.shape[0]
        ab = torch.stack([e >> 8, e & 255], 1).to(self.conv1.weight.dtype) / 255.0
        w1 = self.conv1.weight.view(self.conv1.out_channels, 2, 1, 1)
        h = F.relu(F.conv2d(ab.view(n, 2, 1, 1), w1, self.conv1.bias))
        for c in self.convs:
            h = F.relu(c(h))
        return 255.0 * self.conv_out(h).view(n, -1)

    def conv_values(self, x):
        """[B, 1, H, W] pixel values -> [B, 9*s*s, H, W] f (literal convs)."""
        h = F.relu(self.conv1(F.pad(x / 255.0, (0, 0, 0, 1), mode="replicate")))
        for c in self.convs:
            h = F.relu(c(h))
        return 255.0 * self.conv_out(h)

    @torch.no_grad()
    def lut_values(self, chunk=8192):
        """f of all 65536 entries, [65536, 9*s*s]."""
        dev = self.conv1.weight.device
        e = torch.arange(N_ENTRIES, dtype=torch.int64, device=dev)
        return torch.cat([self.pair_values(e[i:i + chunk]) for i in range(0, N_ENTRIES, chunk)])


def net_table(net, out_shift, quant):
    """table() for ensemble(): L-unit values alpha * f of the network,
    clamped to the int8 range (float stage) or lut_round-ed with a
    straight-through gradient (quantisation-aware stage)."""
    a = alpha_of(out_shift)
    if quant:
        return lambda e: lut_ops.ste_lut_round(a * net.pair_values(e))
    return lambda e: torch.clamp(a * net.pair_values(e), -128.0, 127.0)


def net_forward(net, lr, out_shift, quant=False):
    """Float SR (pixel units, not rounded or clipped) of the network stages."""
    t = ensemble(lr, net.scale, net_table(net, out_shift, quant))
    return lut_ops.finish_float(lr, t, net.scale, out_shift)


# ----------------------------------------------- LUT path, numpy (integer)

def eclut_core_int(img, lut, s):
    """K of docs/kernels.md, "ECLUT core", for one (rotated) plane: int64
    sh x sw. Written from the formula, independently of the torch code."""
    i = np.asarray(img, np.int64)
    h, w = i.shape
    below = np.concatenate([i[1:], i[-1:]], axis=0)
    f = np.asarray(lut).reshape(N_ENTRIES, 9 * s * s)[i * 256 + below].astype(np.int64)
    f = np.pad(f, ((1, 1), (0, 0), (0, 0)), mode="reflect" if h > 1 else "edge")
    f = np.pad(f, ((0, 0), (1, 1), (0, 0)), mode="reflect" if w > 1 else "edge")
    k = np.zeros((h, w, s * s), np.int64)
    for m in range(3):
        for n in range(3):
            g = (m * 3 + n) * s * s
            # block (I, J) reads pixel (refl(I+1-m), refl(J+1-n)): padded (I+2-m, J+2-n)
            k += f[2 - m:2 - m + h, 2 - n:2 - n + w, g:g + s * s]
    # value u*s + v of block (I, J) goes to (I*s + u, J*s + v)
    return k.reshape(h, w, s, s).transpose(0, 2, 1, 3).reshape(h * s, w * s)


def eclut_t_int(img, lut, s):
    """The engine's T (int64 sh x sw) for a uint8 plane and an int8 LUT."""
    return lut_ops.ensemble_t_int(img, lambda i: eclut_core_int(i, lut, s))


def eclut_infer_int(img, lut, s, out_shift):
    """The engine's uint8 output for a uint8 plane and an int8 LUT."""
    return lut_ops.finish_int(img, eclut_t_int(img, lut, s), s, out_shift)


# ---------------------------------------------------------------- pipeline

class EclutPipeline:
    """train.py's pipeline interface for ECLUT (see train.py)."""

    kind = KIND
    stages = [("net", "train"), ("qat", "train"), ("transfer", "once"), ("finetune", "train")]

    def __init__(self, cfg, device="cpu"):
        self.scale = int(cfg["scale"])
        m = cfg.get("model", {})
        self.out_shift = int(m.get("out_shift", DEFAULT_OUT_SHIFT))
        if not 0 <= self.out_shift <= 24:
            raise ValueError("out_shift must be 0..24, got %d" % self.out_shift)
        self.device = device
        self.net = EclutNet(self.scale, int(m.get("nf", 64))).to(device)
        self.lut = None  # nn.Parameter [65536, 9*s*s], L units, after the transfer

    def params(self, stage):
        if stage in ("net", "qat"):
            return list(self.net.parameters())
        if stage == "finetune":
            return [self.lut]
        raise KeyError(stage)

    def forward(self, stage, lr):
        """Float SR (pixel units, clipped to 0..255 like the engine, not
        rounded) of an N x 1 x h x w batch of LR pixel values."""
        if stage in ("net", "qat"):
            sr = net_forward(self.net, lr, self.out_shift, quant=stage == "qat")
        else:
            sr = forward_lut(lr, self.lut, self.scale, self.out_shift, ste_round=True)
        return torch.clamp(sr, 0.0, 255.0)

    def run_once(self, stage, log=print):
        assert stage == "transfer"
        t0 = time.time()
        f = self.net.lut_values()
        a = alpha_of(self.out_shift)
        self.lut = nn.Parameter(torch.clamp(a * f, -128.0, 127.0))
        clipped = float(((a * f < -128.5) | (a * f >= 127.5)).float().mean())
        log("transfer: 65536 entries x %d values in %.2f s, out_shift %d, %.3f%% clipped, "
            "mean |L| %.2f" % (f.shape[1], time.time() - t0, self.out_shift, 100 * clipped,
                               float(self.lut.detach().abs().mean())))

    def lut_int8(self):
        return lut_ops.lut_round(self.lut.detach().cpu().numpy())

    def predict(self, stage, lr_u8):
        """uint8 SR of one uint8 LR plane as the model stands after `stage`:
        the network's output rounded and clipped (after qat that is exactly
        the engine's output for the LUT a transfer would give), or the
        engine's integer path."""
        if stage in ("net", "qat"):
            with torch.no_grad():
                x = torch.from_numpy(np.ascontiguousarray(lr_u8)).float()[None, None].to(self.device)
                sr = net_forward(self.net, x, self.out_shift, stage == "qat")[0, 0].cpu().numpy()
            return np.clip(np.floor(sr + 0.5), 0, 255).astype(np.uint8)
        return eclut_infer_int(lr_u8, self.lut_int8(), self.scale, self.out_shift)

    def state_dict(self):
        return {"net": self.net.state_dict(), "out_shift": self.out_shift,
                "lut": None if self.lut is None else self.lut.detach().cpu()}

    def load_state_dict(self, st):
        if st.get("out_shift", self.out_shift) != self.out_shift:
            raise ValueError("checkpoint out_shift %d != config %d" % (st["out_shift"], self.out_shift))
        self.net.load_state_dict(st["net"])
        if st.get("lut") is not None:
            self.lut = nn.Parameter(st["lut"].to(self.device))

    def export(self):
        return ((self.out_shift,), self.lut_int8(),
                {"out_shift": self.out_shift,
                 "lut_values": "alpha * residual contribution per group, alpha = 2^out_shift / 36"})


def make_pipeline(cfg, device="cpu"):
    return EclutPipeline(cfg, device)


# ---------------------------------------------------------------- commands

def _load_lsr(path):
    import lsr_format
    m = lsr_format.read(path)
    if m["kind"] != KIND:
        raise SystemExit("%s: not an eclut model (%s)" % (path, m["kind"]))
    s = m["scale"]
    return np.frombuffer(m["lut"], np.int8).reshape(N_ENTRIES, 9 * s * s), s, m["params"][0]


def cmd_infer(a):
    """The integer path on raw gray frames (compare with `lutsr upscale`);
    --jobs FILE runs one "MODEL WxH IN OUT" per line in one process."""
    return lut_ops.infer_command(a, _load_lsr, lambda m, fr: eclut_infer_int(fr, *m))


def cmd_random_models(a):
    """Random int8 LUTs (extremes included) as .lsr files, one per
    SCALE:OUT_SHIFT[:RANGE] spec, named DIR/r-xS-kK-rR.lsr; RANGE > 0 clips
    the values to +-RANGE before the extremes are forced in."""
    import lsr_format
    for spec in a.specs:
        s, k, r = (list(map(int, spec.split(":"))) + [0])[:3]
        rng = np.random.default_rng([s, k, r, a.seed])
        n = 9 * s * s
        lut = lut_ops.random_lut(rng, (N_ENTRIES, n), r)
        lsr_format.write(os.path.join(a.dir, "r-x%d-k%d-r%d.lsr" % (s, k, r)), KIND, s, (k,),
                         lut, "arch: eclut\nnote: random test LUT %s\n" % spec)
    return 0


def cmd_check_float(a):
    """The fine-tuning forward pass against the integer path on raw frames:
    the float result must be exactly nearest(I) + T / 2^out_shift with T
    the integer path's sum, and rounding half up and clipping it must give
    the integer path's bytes. With --checkpoint the float LUT is that
    checkpoint's fine-tuning parameter through the training's
    straight-through rounding, and the model must be its export."""
    lut, s, out_shift = _load_lsr(a.model)
    if a.checkpoint:
        st = torch.load(a.checkpoint, map_location="cpu")["pipeline"]
        flut = st["lut"]
        if not np.array_equal(lut_ops.lut_round(st["lut"].numpy()), lut):
            raise SystemExit("FAIL: %s is not the export of %s" % (a.model, a.checkpoint))
    else:
        flut = torch.from_numpy(lut.astype(np.float32))
    w, h = map(int, a.size.split("x"))
    n_frac = 0
    for fr in lut_ops.read_raw_frames(a.input, w, h):
        t = eclut_t_int(fr, lut, s)
        want = lut_ops.finish_int(fr, t, s, out_shift)
        x = torch.from_numpy(fr.astype(np.float32))[None, None]
        with torch.no_grad():
            f = forward_lut(x, flut, s, out_shift, ste_round=True)[0, 0].numpy().astype(np.float64)
        exact = lut_ops.nearest_up(fr.astype(np.int64), s) * (1 << out_shift) + t
        if not np.array_equal(f * (1 << out_shift), exact.astype(np.float64)):
            bad = tuple(np.argwhere(f * (1 << out_shift) != exact)[0])
            raise SystemExit("FAIL: float path %r != nearest + T / 2^%d = %r at %s" % (
                f[bad], out_shift, exact[bad] / (1 << out_shift), bad))
        got = np.clip(np.floor(f + 0.5), 0, 255).astype(np.uint8)
        if not np.array_equal(got, want):
            bad = tuple(np.argwhere(got != want)[0])
            raise SystemExit("FAIL: rounded float path %d != integer path %d at %s" % (
                got[bad], want[bad], bad))
        n_frac += int(np.count_nonzero(f != np.floor(f)))
    print("float LUT path == nearest + T / 2^%d exactly; rounded == integer path "
          "(%d values had a fraction)" % (out_shift, n_frac))
    if out_shift and n_frac == 0:  # nothing was rounded: the check would prove nothing
        raise SystemExit("FAIL: no output had a fraction; use a trained or random LUT")
    return 0


def cmd_selftest(a):
    """Torch paths against each other and the integer path (random nets)."""
    torch.manual_seed(0)
    rng = np.random.default_rng(1)
    for s in a.scales:
        net = EclutNet(s, nf=16)
        with torch.no_grad():
            for p in net.parameters():
                p.normal_(0, 0.5)
        f = net.lut_values()
        for h, w in ((1, 1), (1, 5), (4, 1), (2, 2), (5, 7)):
            x = torch.from_numpy(rng.integers(0, 256, (2, 1, h, w))).float()
            rot_sum = lambda core: lut_ops.ensemble_sum(lambda v: expand_conv_ref(core(v), s), x)  # noqa: E731
            t_conv = rot_sum(net.conv_values)
            tol = 1e-4 * (1 + float(t_conv.abs().max()))
            t_conv2 = lut_ops.ensemble_sum(lambda v: expand_conv(net.conv_values(v), s), x)
            assert float((t_conv2 - t_conv).abs().max()) < tol, ("expand_conv", s, h, w)
            for dedupe in (False, True):
                err = float((ensemble(x, s, net.pair_values, dedupe) - t_conv).abs().max())
                assert err < tol, ("pair path", s, h, w, dedupe, err)
            for k in (0, 6, 9):
                flut = lut_ops.lut_round(alpha_of(k) * f)
                lut = flut.numpy().astype(np.int8)
                for xi in x:
                    img = xi[0].numpy().astype(np.uint8)
                    want = eclut_infer_int(img, lut, s, k)
                    for name, sr in (
                            ("qat", net_forward(net, xi[None], k, quant=True)),
                            ("lut", forward_lut(xi[None], alpha_of(k) * f, s, k, ste_round=True))):
                        got = np.clip(np.floor(sr[0, 0].detach().numpy() + 0.5), 0, 255)
                        assert (got == want).all(), (name, s, h, w, k)
        print("selftest x%d ok" % s)
    return 0


def _sampler(a, scale):
    import data
    cache = data.load_cache(a.cache)
    return data.PatchSampler(cache, scale, a.patch, a.batch, seed=[a.seed, 0], limit=a.limit), data


def cmd_bench(a):
    """Iterations per second of each stage on real patches (train.py's
    sampler and loss; sampling time included, as in training)."""
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cfg = {"scale": a.scale, "model": {"out_shift": a.out_shift}}
    pipe = make_pipeline(cfg)
    sampler, data = _sampler(a, a.scale)
    t_data = time.time()
    for _ in range(3):
        sampler.next()
    t_data = (time.time() - t_data) / 3

    def run(stage, iters):
        opt = torch.optim.Adam(pipe.params(stage), lr=1e-4)
        for i in range(iters + 1):
            if i == 1:
                t0, c0 = time.time(), time.process_time()
            lr, hr = (data.to_tensor(v) for v in sampler.next())
            d = (pipe.forward(stage, lr) - hr) / 255.0
            loss = (d * d).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        wall, cpu = time.time() - t0, time.process_time() - c0
        print("x%d %-8s %.2f it/s (wall; %.0f ms cpu/it, %.0f ms of it sampling)" % (
            a.scale, stage, iters / wall, 1e3 * cpu / iters, 1e3 * t_data), flush=True)

    run("net", a.iters)
    run("qat", a.iters)
    t0 = time.time()
    pipe.run_once("transfer", log=lambda m: None)
    print("x%d transfer %.2f s" % (a.scale, time.time() - t0))
    run("finetune", a.iters)
    return 0


def cmd_cliprate(a):
    """Share of L = alpha * f values outside the int8 range, per out_shift,
    for a trained network (checkpoint): over all entries, and weighted by
    how often the training LR uses each entry (all four rotations)."""
    st = torch.load(a.checkpoint, map_location="cpu")
    s = int(st["cfg"]["scale"])
    net = EclutNet(s, int(st["cfg"].get("model", {}).get("nf", 64)))
    net.load_state_dict(st["pipeline"]["net"])
    f = net.lut_values()
    sampler, _ = _sampler(a, s)
    counts = np.zeros(N_ENTRIES, np.int64)
    for _ in range(a.batches):
        lr, _hr = sampler.next()
        for r in range(4):
            x = np.rot90(lr, r, axes=(1, 2)).astype(np.int64)
            e = x * 256 + np.concatenate([x[:, 1:], x[:, -1:]], axis=1)
            counts += np.bincount(e.ravel(), minlength=N_ENTRIES)
    wts = torch.from_numpy(counts / counts.sum()).float()
    used = wts > 0
    af = f.abs()
    q = torch.quantile(af[used].flatten()[:1 << 24], torch.tensor([0.99, 0.999, 1.0]))
    print("x%d: %d of 65536 entries used by %d training patches; |f| over used entries: "
          "p99 %.1f, p99.9 %.1f, max %.1f px" % (s, int(used.sum()), a.batches * a.batch, *q.tolist()))
    for k in (int(v) for v in a.shifts.split(",")):
        v = alpha_of(k) * f
        clip = ((v < -128.5) | (v >= 127.5)).float()
        print("out_shift %2d: step %.3f px, range -%.1f..%.1f px: clipped %.4f%% of all values, "
              "%.4f%% usage-weighted" % (k, 1 / alpha_of(k), 128 / alpha_of(k), 127 / alpha_of(k),
                                        100 * float(clip.mean()), 100 * float((clip.mean(1) * wts).sum())))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description="ECLUT helpers (integer path, checks, measurements).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("infer", help="integer LUT path on raw gray frames")
    p.add_argument("-m", "--model")
    p.add_argument("--size", help="WxH")
    p.add_argument("--jobs", help='file of "MODEL WxH IN OUT" lines')
    p.add_argument("input", nargs="?")
    p.add_argument("output", nargs="?")
    p = sub.add_parser("random-models", help="write random int8 ECLUT models")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("dir")
    p.add_argument("specs", nargs="+", metavar="SCALE:OUT_SHIFT[:RANGE]")
    p = sub.add_parser("check-float", help="float (fine-tuning) path vs integer path")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--checkpoint", help="a checkpoint whose fine-tuning LUT the model is")
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("input")
    p = sub.add_parser("selftest", help="torch paths vs each other and the integer path")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4])
    for name in ("bench", "cliprate"):
        p = sub.add_parser(name, help=(cmd_bench if name == "bench" else cmd_cliprate).__doc__.split("\n")[0])
        p.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       "cache", "train-y.npz"))
        p.add_argument("--batch", type=int, default=16)
        p.add_argument("--patch", type=int, default=48)
        p.add_argument("--limit", type=int)
        p.add_argument("--seed", type=int, default=1)
        if name == "bench":
            p.add_argument("-s", "--scale", type=int, default=2)
            p.add_argument("-k", "--out-shift", type=int, default=DEFAULT_OUT_SHIFT)
            p.add_argument("--iters", type=int, default=10)
            p.add_argument("--threads", type=int, default=0)
        else:
            p.add_argument("checkpoint", help="train.py checkpoint with a trained net")
            p.add_argument("--shifts", default="4,5,6,7,8")
            p.add_argument("--batches", type=int, default=50)
    a = ap.parse_args(argv)
    return {"infer": cmd_infer, "random-models": cmd_random_models, "check-float": cmd_check_float,
            "selftest": cmd_selftest, "bench": cmd_bench, "cliprate": cmd_cliprate}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
