"""SR-LUT (Jo & Kim, CVPR 2021) for lutsr: network, transfer to a LUT,
LUT-aware fine-tuning, and the integer LUT path that matches the C engine.

Model (docs/kernels.md, "SR-LUT core" and "The rotation ensemble"): for
each rotation r of the LR image, a 2x2 window (replicate padding (0,1,0,1)
in the rotated frame) -> s*s residuals; the output is
nearest(LR) + the mean over r of the rotated-back residuals.

  net stage       SrlutNet: Conv2d(1, nf, 2x2) + ReLU, (layers - 2) x
                  [1x1 nf->nf + ReLU], 1x1 nf -> s*s, pixel shuffle. Input
                  pixel / 255; output the residual in pixel units, clamped to
                  the int8 range [-128, 127] the LUT can hold.
  transfer        the net on every 2x2 window whose pixels are multiples of
                  q = 2^k (k = interval_bits; the last sample, 256, is fed as
                  255): LUT[e] = residual in pixel units, n = 2^(8-k)+1
                  samples per pixel, n^4 entries of s*s values.
  finetune stage  the LUT itself is the parameter (float, pixel units); the
                  forward pass is the engine's 4-D simplex interpolation
                  (same vertex order, weights, rotations and borders) on
                  lut_round(params) with a straight-through gradient, so the
                  loss is that of the LUT that ships.
  export          int8 LUT = lut_round(params) = floor(clamp(p, -128, 127) + 0.5),
                  interval_bits = k, out_shift = k + 2: the weights sum to q
                  and there are 4 rotations, so the engine's
                  round_shift(T, k + 2) is the mean residual in pixel units.

Functions (numpy integer path, what the tests compare with the C engine):
  srlut_core_int(I, lut, k, s) -> int64 K (sh x sw) of one rotated plane
  srlut_infer_int(img, lut, k, s) -> uint8 output of the engine
Torch float path (training):
  srlut_core_float(x, lut, k, s) -> K as float, x: N x 1 x h x w pixel values
The core functions (and srlut_t_int) take an optional `offsets`: the (dy, dx)
of the window's a, b, c, d (default S_OFFSETS, the 2x2 square). MuLUT
(mulut.py) runs the same simplex core on its D and Y patterns through it.
  srlut_forward_lut(lr, lut, k, s) -> float SR before rounding/clip
Pipeline (train.py's interface, see train.py): SrlutPipeline.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lut_ops  # noqa: E402

KIND = "srlut"


# The window a b / c d of SR-LUT (and of MuLUT's pattern S): (dy, dx) of
# a, b, c, d from the pixel, in the rotated frame.
S_OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))


def lut_side(k):
    return (1 << (8 - k)) + 1


def window_pad(offsets):
    """Replicate padding (bottom and right) a window of `offsets` needs."""
    return max(max(dy, dx) for dy, dx in offsets)


# ----------------------------------------------------------------- network

class SrlutNet(nn.Module):
    """The rotated-frame core: N x 1 x h x w (pixel / 255) -> N x 1 x sh x sw
    residual in pixel units."""

    def __init__(self, scale, nf=64, layers=6):
        super().__init__()
        self.scale = scale
        mods = [nn.Conv2d(1, nf, 2)]
        for _ in range(layers - 2):
            mods.append(nn.Conv2d(nf, nf, 1))
        mods.append(nn.Conv2d(nf, scale * scale, 1))
        self.convs = nn.ModuleList(mods)
        for m in self.convs:
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        # Start near "nearest": a small last layer, so early training does
        # not fight the int8 clamp.
        nn.init.normal_(self.convs[-1].weight, std=1e-3)

    def body(self, x):
        """Unpadded: N x 1 x (h+1) x (w+1) -> N x s*s x h x w, pixel units."""
        for m in self.convs[:-1]:
            x = F.relu(m(x))
        return torch.clamp(self.convs[-1](x) * 255.0, -128.0, 127.0)

    def forward(self, x):
        x = F.pad(x, (0, 1, 0, 1), mode="replicate")
        return F.pixel_shuffle(self.body(x), self.scale)


def net_forward(net, lr):
    """Float SR of the network stage (pixel units, not rounded or clipped):
    nearest(lr) + mean over the 4 rotations. lr: N x 1 x h x w pixel values."""
    t = lut_ops.ensemble_sum(net, lr / 255.0)
    return lut_ops.nearest_up(lr, net.scale) + t / 4.0


def transfer(net, k, device="cpu", chunk=1 << 16):
    """The net sampled every 2^k levels: float LUT (n^4, s*s), pixel units,
    already clamped to [-128, 127]."""
    n, q = lut_side(k), 1 << k
    levels = torch.clamp(torch.arange(n, dtype=torch.float32) * q, max=255.0)
    g = torch.stack(torch.meshgrid(levels, levels, levels, levels, indexing="ij"), -1)
    g = g.reshape(-1, 1, 2, 2)  # entry e = ((A*n + B)*n + C)*n + D: a b / c d
    out = []
    with torch.no_grad():
        for i in range(0, g.shape[0], chunk):
            x = g[i:i + chunk].to(device) / 255.0
            out.append(net.body(x).reshape(x.shape[0], -1).cpu())
    return torch.cat(out)


# -------------------------------------------------- LUT path, torch (float)

def window_stack(x, offsets=S_OFFSETS, dim=-1):
    """The window pixels a, b, c, d of every pixel of a rotated-frame plane
    (torch float [..., h, w]), with edge replication,
    stacked along `dim` (-1: [..., h, w, 4]; 1 on N x 1 x h x w: N x 4 x h x w)."""
    h, w = x.shape[-2:]
    pad = window_pad(offsets)
    xp = F.pad(x, (0, pad, 0, pad), mode="replicate") if pad else x
    views = [xp[..., dy:dy + h, dx:dx + w] for dy, dx in offsets]
    if dim == 1:
        return torch.cat(views, 1)
    return torch.stack(views, dim)


def _window_indices(x, k, n, offsets=S_OFFSETS, grad_input=False):
    """Per pixel of a rotated-frame plane (x: N x 1 x h x w, integer values
    as float or int): the 5 simplex vertices (N x 1 x h x w x 5, int64) and
    their weights (same shape, summing to q), exactly as the engine. With
    grad_input the weights are float and differentiable in x (the fractions
    are x minus the sample below it), the same values."""
    q = 1 << k
    pxf = window_stack(x.to(torch.float32), offsets)
    px = pxf.detach().to(torch.int64)
    hi, fr = px >> k, px & (q - 1)
    e0 = ((hi[..., 0] * n + hi[..., 1]) * n + hi[..., 2]) * n + hi[..., 3]
    steps = torch.tensor([n ** 3, n ** 2, n, 1], dtype=torch.int64, device=x.device)
    f, order = torch.sort(fr, dim=-1, descending=True)
    st = steps[order]
    e = torch.cumsum(torch.cat([e0.unsqueeze(-1), st], -1), -1)
    if grad_input:
        f = torch.gather(pxf - (hi * q).to(pxf.dtype), -1, order)
    w = torch.cat([q - f[..., :1], f[..., :-1] - f[..., 1:], f[..., 3:]], -1)
    return e, w


def srlut_core_float(x, lut, k, s, offsets=S_OFFSETS, grad_input=False):
    """The engine's K (sum of weight * LUT value, before the rotation sum)
    for a rotated-frame plane; differentiable in lut (n^4, s*s float), and
    with grad_input in x too (the slope of the interpolated LUT)."""
    e, w = _window_indices(x, k, lut_side(k), offsets, grad_input)
    v = F.embedding(e, lut)                                   # N,1,h,w,5,s*s
    kk = (v * w.unsqueeze(-1).to(lut.dtype)).sum(-2)           # N,1,h,w,s*s
    kk = kk.squeeze(1).permute(0, 3, 1, 2)                     # N,s*s,h,w
    return F.pixel_shuffle(kk, s)


def srlut_forward_lut(lr, lut, k, s):
    """nearest(lr) + T / 2^(k+2): the engine's output before its final
    round and clip (exact in float32: T is an integer below 2^16)."""
    t = lut_ops.ensemble_sum(lambda x: srlut_core_float(x, lut, k, s), lr)
    return lut_ops.finish_float(lr, t, s, k + 2)


# ----------------------------------------------- LUT path, numpy (integer)

def srlut_core_int(img, lut, k, s, offsets=S_OFFSETS):
    """K of docs/kernels.md for one (rotated) plane: int64 sh x sw. With
    `offsets`, the window is that pattern's (MuLUT's K_(t,p))."""
    n, q = lut_side(k), 1 << k
    i = np.asarray(img, np.int64)
    h, w = i.shape
    pad = window_pad(offsets)
    p = np.pad(i, ((0, pad), (0, pad)), mode="edge")
    px = np.stack([p[dy:dy + h, dx:dx + w] for dy, dx in offsets], -1)  # a b c d
    hi, fr = px >> k, px & (q - 1)
    e = ((hi[..., 0] * n + hi[..., 1]) * n + hi[..., 2]) * n + hi[..., 3]
    steps = np.array([n ** 3, n ** 2, n, 1], np.int64)
    order = np.argsort(-fr, axis=-1, kind="stable")
    f = np.take_along_axis(fr, order, -1)
    st = steps[order]
    lut = np.asarray(lut).reshape(n ** 4, s * s).astype(np.int64)
    wts = [q - f[..., 0], f[..., 0] - f[..., 1], f[..., 1] - f[..., 2],
           f[..., 2] - f[..., 3], f[..., 3]]
    acc = wts[0][..., None] * lut[e]
    for j in range(4):
        e = e + st[..., j]
        acc += wts[j + 1][..., None] * lut[e]
    # value u*s + v of pixel (y, x) goes to (y*s + u, x*s + v)
    return acc.reshape(h, w, s, s).transpose(0, 2, 1, 3).reshape(h * s, w * s)


def srlut_t_int(img, lut, k, s, offsets=S_OFFSETS):
    """The engine's T (int64 sh x sw) for a uint8 plane and an int8 LUT."""
    return lut_ops.ensemble_t_int(img, lambda i: srlut_core_int(i, lut, k, s, offsets))


def srlut_infer_int(img, lut, k, s, out_shift=None):
    """The engine's uint8 output for a uint8 plane and an int8 LUT."""
    return lut_ops.finish_int(img, srlut_t_int(img, lut, k, s), s,
                              k + 2 if out_shift is None else out_shift)


# ---------------------------------------------------------------- pipeline

class SrlutPipeline:
    """train.py's pipeline interface for SR-LUT (see train.py)."""

    kind = KIND
    stages = [("net", "train"), ("transfer", "once"), ("finetune", "train")]

    def __init__(self, cfg, device="cpu"):
        self.scale = int(cfg["scale"])
        m = cfg.get("model", {})
        self.k = int(m.get("interval_bits", 4))
        if not 2 <= self.k <= 6:
            raise ValueError("interval_bits must be 2..6, got %d" % self.k)
        self.device = device
        self.net = SrlutNet(self.scale, int(m.get("nf", 64)), int(m.get("layers", 6))).to(device)
        self.lut = None  # nn.Parameter (n^4, s*s) after the transfer

    @property
    def out_shift(self):
        return self.k + 2

    def params(self, stage):
        if stage == "net":
            return list(self.net.parameters())
        if stage == "finetune":
            return [self.lut]
        raise KeyError(stage)

    def forward(self, stage, lr):
        """Float SR (pixel units, clipped to 0..255 like the engine, not
        rounded) of an N x 1 x h x w batch of LR pixel values."""
        if stage == "net":
            sr = net_forward(self.net, lr)
        else:
            sr = srlut_forward_lut(lr, lut_ops.ste_lut_round(self.lut), self.k, self.scale)
        return torch.clamp(sr, 0.0, 255.0)

    def run_once(self, stage, log=print):
        assert stage == "transfer"
        self.net.eval()
        lut = transfer(self.net, self.k, self.device)
        self.lut = nn.Parameter(lut.to(self.device))
        r = lut_ops.lut_round(lut)
        log("transfer: %d entries x %d values, %.1f%% at the int8 limits, mean |v| %.2f" % (
            lut.shape[0], lut.shape[1], 100.0 * float(((r <= -128) | (r >= 127)).float().mean()),
            float(r.abs().mean())))

    def lut_int8(self):
        return lut_ops.lut_round(self.lut.detach().cpu().numpy())

    def predict(self, stage, lr_u8):
        """uint8 SR of one uint8 LR plane as the model stands after `stage`:
        the rounded, clipped network output, or the engine's integer path."""
        if stage == "net":
            with torch.no_grad():
                x = torch.from_numpy(np.ascontiguousarray(lr_u8)).float()[None, None].to(self.device)
                sr = net_forward(self.net, x)[0, 0].cpu().numpy()
            return np.clip(np.floor(sr + 0.5), 0, 255).astype(np.uint8)
        return srlut_infer_int(lr_u8, self.lut_int8(), self.k, self.scale)

    def state_dict(self):
        return {"net": self.net.state_dict(),
                "lut": None if self.lut is None else self.lut.detach().cpu()}

    def load_state_dict(self, st):
        self.net.load_state_dict(st["net"])
        if st.get("lut") is not None:
            self.lut = nn.Parameter(st["lut"].to(self.device))

    def export(self):
        """(params, int8 LUT (entries, values), metadata lines) for
        lsr_format.write()."""
        return ((self.k, self.out_shift), self.lut_int8(),
                {"interval_bits": self.k, "out_shift": self.out_shift,
                 "lut_values": "residual over nearest upsampling, pixel units"})


def make_pipeline(cfg, device="cpu"):
    return SrlutPipeline(cfg, device)


def _load_lsr(path):
    import lsr_format
    m = lsr_format.read(path)
    if m["kind"] != KIND:
        raise SystemExit("%s: not an srlut model (%s)" % (path, m["kind"]))
    k, out_shift, s = m["params"][0], m["params"][1], m["scale"]
    lut = np.frombuffer(m["lut"], np.int8).reshape(lut_side(k) ** 4, s * s)
    return lut, k, out_shift, s


def cmd_infer(a):
    """The integer path on raw gray frames (compare with `lutsr upscale`)."""
    return lut_ops.infer_command(a, _load_lsr, lambda m, fr: srlut_infer_int(fr, m[0], m[1], m[3], m[2]))


def cmd_check_float(a):
    """The fine-tuning forward pass against the integer path on raw frames.
    The float result must be exactly nearest(I) + T / 2^(k+2), T the
    integer path's sum (float32 holds it exactly: |T| < 2^16 and the
    division is by a power of two), so the only difference from the engine
    is its final round half up and clip; applying those must give the
    integer path's bytes. With --checkpoint the float LUT is the
    checkpoint's fine-tuning parameters, rounded by the straight-through
    function the training uses, and the model file must be that
    checkpoint's export."""
    lut, k, out_shift, s = _load_lsr(a.model)
    if out_shift != k + 2:
        raise SystemExit("%s: out_shift %d is not interval_bits + 2" % (a.model, out_shift))
    if a.checkpoint:
        st = torch.load(a.checkpoint, map_location="cpu")
        params = st["pipeline"]["lut"]
        flut = lut_ops.ste_lut_round(params)
        if not np.array_equal(lut_ops.lut_round(params.numpy()), lut):
            raise SystemExit("FAIL: %s is not the export of %s" % (a.model, a.checkpoint))
    else:
        flut = torch.from_numpy(lut.astype(np.float32))
    w, h = map(int, a.size.split("x"))
    n_frac = 0
    for fr in lut_ops.read_raw_frames(a.input, w, h):
        t = srlut_t_int(fr, lut, k, s)
        want = lut_ops.finish_int(fr, t, s, out_shift)
        x = torch.from_numpy(fr.astype(np.float32))[None, None]
        with torch.no_grad():
            f = srlut_forward_lut(x, flut, k, s)[0, 0].numpy().astype(np.float64)
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
    if n_frac == 0:  # nothing was rounded: the check would prove nothing
        raise SystemExit("FAIL: no output had a fraction; use a trained or random LUT")
    return 0


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="SR-LUT helpers (integer path, checks).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("infer", help="integer LUT path on raw gray frames")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("input")
    p.add_argument("output")
    p = sub.add_parser("check-float", help="float (fine-tuning) path vs integer path")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--checkpoint", help="a checkpoint whose fine-tuning LUT the model is")
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("input")
    a = ap.parse_args(argv)
    return {"infer": cmd_infer, "check-float": cmd_check_float}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
