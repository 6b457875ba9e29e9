#!/usr/bin/env python3
"""MuLUT (Li et al., ECCV 2022) for lutsr: per-stage, per-pattern networks,
transfer to LUTs, joint LUT-aware fine-tuning, and the integer LUT path that
matches the C engine.

The shipped model is the engine's MuLUT kernel (docs/kernels.md, "MuLUT
core"); everything here is defined against it. A model is a cascade of
stages t = 0 .. S-1; stage t has a scale s_t (1 except the last, which has
the model's scale), a set P_t of sampling patterns (S, D, Y: four pixels a,
b, c, d at the offsets in PATTERNS), k_t = interval_bits, q_t = 2^k_t and
out_shift_t. It maps the 8-bit X_t to

    X_(t+1) = clip(nearest(X_t) + round_shift(T_t, out_shift_t))

where T_t sums, over p in P_t and the 4 rotations, the SR-LUT simplex core
on pattern p's window (srlut.py's, with the pattern's offsets).

Units. Every table here (network output, transferred LUT, fine-tuning
parameters) is in LUT units L, the int8 values the engine reads. A value v
contributes q_t * v / 2^out_shift_t pixels to the stage's residual (the
simplex weights sum to q_t), so with alpha_t = 2^out_shift_t / (4 |P_t| q_t)
(docs/kernels.md) the residual is the mean, over patterns and rotations, of
f = v / alpha_t in pixel units. The network computes f (its last layer
times 255, as SR-LUT's) and outputs v = clamp(alpha_t f, -128, 127), so it
learns within what the LUT can hold. Default out_shift_t =
k_t + 2 + ceil(log2 |P_t|): alpha = 1 for one or two patterns (one pattern:
SR-LUT's out_shift k + 2) and 4/3 for three (f in +-96 px, one L step 0.75
px of f; the residual averages 12 of them).

Stages (train.py's pipeline interface):
  net       per (stage, pattern) a PatternNet: the pattern's four pixels
            (replicate padding bottom/right in the rotated frame, as the
            engine's edge clamping) gathered as 4 channels, which makes the
            first 1x1 conv SR-LUT's 2x2 conv for S, a dilated 2x2 for D and
            a masked 3x3 for Y; then (layers - 2) 1x1 nf -> nf, 1x1 nf ->
            s_t^2, ReLU between, pixel shuffle. All stages are trained
            jointly, end to end: an intermediate stage's output is
            clip(nearest + round(z)) with a straight-through round, so the
            next stage sees the 8-bit image the engine gives it (the last
            stage's output is clamped, not rounded, like SR-LUT's).
  transfer  every (stage, pattern) network on all n_t^4 sample windows (the
            sample 256 is fed as 255): float LUTs in L units.
  finetune  all LUTs jointly are the parameters: the forward pass is the
            engine's simplex interpolation (srlut.srlut_core_float with the
            pattern's offsets) on lut_round(params) with a straight-through
            gradient, and intermediate stages round to 8 bits (straight
            through) exactly as the engine does, so what is optimised is
            what ships. The interpolation weights are computed from the
            (float) stage input, so a stage's LUTs also get the gradient of
            the next stage's interpolation, not only of its anchor.
  export    lsr_format.write_mulut: one int8 tensor lut<t>_<P> = lut_round(params)
            per stage and pattern, and the stage rows.

Config "model": stages (default 2), patterns ("SDY"), interval_bits (4),
out_shift (null: the default above), each one value or a list with one per
stage; nf (64), layers (6) for every network.

Functions (numpy integer path, what the tests compare with the C engine):
  mulut_t_int(img, luts_t, spec) -> int64 T_t; mulut_infer_int(img, specs,
  luts) -> uint8 output of the engine
Torch: net_forward(nets, specs, lr), lut_forward(lr, luts, specs) (the
fine-tuning forward, also used by check-float), transfer_net(net, k).

Speed (this 2-core VM, 1 thread, shared with two training runs): the x2
network step at batch 16 x 48 x 48 is 1.8 s of CPU (24 network passes:
2 stages x 3 patterns x 4 rotations, each 6 SR-LUT-sized layers), 0.37 it/s
wall under that load; fine-tuning 0.36 s of CPU a step; transfer 0.7 s.
Command line: /usr/bin/python3 training/mulut.py -h (infer, random-models,
check-float, selftest, bench).
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
import srlut  # noqa: E402

KIND = "mulut"
ORDER = "SDY"  # bit i of a pattern_mask is ORDER[i] (lsr_format.MULUT_PATTERNS)
# (dy, dx) of a, b, c, d from the pixel, in the rotated frame (docs/kernels.md).
PATTERNS = {
    "S": ((0, 0), (0, 1), (1, 0), (1, 1)),
    "D": ((0, 0), (0, 2), (2, 0), (2, 2)),
    "Y": ((0, 0), (1, 1), (1, 2), (2, 1)),
}
MAX_STAGES = 4


# ------------------------------------------------------------- stage specs

class StageSpec:
    """One stage's parameters: scale, patterns (letters in S, D, Y order),
    interval_bits k, out_shift."""

    def __init__(self, scale, patterns, k, out_shift=None):
        pats = "".join(c for c in ORDER if c in patterns)
        if not patterns or len(pats) != len(patterns) or len(set(patterns)) != len(patterns):
            raise ValueError("patterns must be letters of S, D and Y, each at most once, got %r"
                             % (patterns,))
        if not 2 <= k <= 6:
            raise ValueError("interval_bits must be 2..6, got %r" % (k,))
        self.scale, self.patterns, self.k = int(scale), pats, int(k)
        self.out_shift = default_out_shift(len(pats), k) if out_shift is None else int(out_shift)
        if not 0 <= self.out_shift <= 24:
            raise ValueError("out_shift must be 0..24, got %r" % (out_shift,))

    @property
    def q(self):
        return 1 << self.k

    @property
    def n(self):
        return srlut.lut_side(self.k)

    @property
    def mask(self):
        return sum(1 << ORDER.index(c) for c in self.patterns)

    @property
    def alpha(self):
        """L units per pixel of f (module docstring)."""
        return 2.0 ** self.out_shift / (4 * len(self.patterns) * self.q)

    def row(self):
        return (self.scale, self.mask, self.k, self.out_shift)

    def __repr__(self):
        return "x%d %s k%d out_shift %d" % (self.scale, self.patterns, self.k, self.out_shift)


def default_out_shift(n_patterns, k):
    """k + 2 + ceil(log2 |P|): alpha = 2^out_shift / (4 |P| q) in [1, 2)."""
    return k + 2 + (n_patterns - 1).bit_length()


def lut_name(t, p):
    return "lut%d_%s" % (t, p)


def specs_from_config(cfg):
    """StageSpecs from cfg["model"]: stages (count), patterns, interval_bits,
    out_shift (null: the default), each either one value for every stage
    or a list with one per stage."""
    m = cfg.get("model", {})
    n_st = int(m.get("stages", 2))
    if not 1 <= n_st <= MAX_STAGES:
        raise ValueError("model.stages must be 1..%d, got %d" % (MAX_STAGES, n_st))
    scale = int(cfg["scale"])
    if scale not in (2, 3, 4):
        raise ValueError("scale must be 2, 3 or 4, got %d" % scale)

    def per_stage(key, default):
        v = m.get(key, default)
        if isinstance(v, list):
            if len(v) != n_st:
                raise ValueError("model.%s has %d entries for %d stages" % (key, len(v), n_st))
            return v
        return [v] * n_st
    pats = per_stage("patterns", "SDY")
    ks = per_stage("interval_bits", 4)
    shifts = per_stage("out_shift", None)
    return [StageSpec(scale if t == n_st - 1 else 1, pats[t], int(ks[t]), shifts[t])
            for t in range(n_st)]


def specs_from_rows(rows):
    return [StageSpec(s, "".join(c for i, c in enumerate(ORDER) if mask >> i & 1), k, sh)
            for s, mask, k, sh in rows]


# ----------------------------------------------------------------- network

def _conv1x1(x, m):
    """m (a 1x1 Conv2d) on x, declared dilated, which changes nothing for a
    1x1 kernel: torch 1.13 sends undilated 1x1 convs with batch < 16 on one
    thread to its THNN path, which here runs on the reference BLAS and was
    20x slower (a 4 x 16 x 16 network step: 0.6 s); dilated ones always go
    to oneDNN, as fast at batch 16."""
    return F.conv2d(x, m.weight, m.bias, dilation=2)


class PatternNet(nn.Module):
    """One (stage, pattern) network in the rotated frame: N x 1 x h x w
    (pixel / 255) -> N x 1 x sh x sw in L units (module docstring)."""

    def __init__(self, offsets, scale, alpha, nf=64, layers=6):
        super().__init__()
        self.offsets, self.scale, self.alpha = tuple(offsets), scale, float(alpha)
        mods = [nn.Conv2d(4, nf, 1)]
        for _ in range(layers - 2):
            mods.append(nn.Conv2d(nf, nf, 1))
        mods.append(nn.Conv2d(nf, scale * scale, 1))
        self.convs = nn.ModuleList(mods)
        for m in self.convs:
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)
        # Start near "nearest" (as SR-LUT): a small last layer.
        nn.init.normal_(self.convs[-1].weight, std=1e-3)

    def body(self, x4):
        """N x 4 x h x w window pixels (/255) -> N x s*s x h x w, L units."""
        x = x4
        for m in self.convs[:-1]:
            x = F.relu(_conv1x1(x, m), inplace=True)  # a conv keeps its input, not output
        return torch.clamp(_conv1x1(x, self.convs[-1]) * (255.0 * self.alpha), -128.0, 127.0)

    def forward(self, x):
        return F.pixel_shuffle(self.body(srlut.window_stack(x, self.offsets, dim=1)), self.scale)


def ste_round(v):
    """floor(v + 1/2) (the engine's round half up) with an identity gradient."""
    return lut_ops.ste(v, lambda u: torch.floor(u + 0.5))


def finish_stage(x, z, spec, last):
    """Stage output from its input x (pixel values) and z = T / 2^out_shift:
    nearest + z clamped to 0..255; an intermediate stage also rounds z (as
    round_shift does; x is integer, so this is the engine's clip(nearest +
    round_shift(T)) exactly, for any out_shift)."""
    up = lut_ops.nearest_up(x, spec.scale)
    return torch.clamp(up + (z if last else ste_round(z)), 0.0, 255.0)


def net_stage_z(nets, spec, x):
    """z = T / 2^out_shift of one stage's networks: sum over rotations and
    patterns of q * v / 2^out_shift, v in L units (x: pixel values)."""
    xin = x / 255.0
    acc = None
    for r in range(4):
        xr = lut_ops.rot(xin, r)
        for net in nets:
            y = lut_ops.rot(net(xr), -r)
            acc = y if acc is None else acc + y
    return acc * (spec.q / 2.0 ** spec.out_shift)


def net_forward(nets, specs, lr):
    """Float SR of the network stage: N x 1 x sh x sw, clamped to 0..255,
    last stage not rounded. nets[t][i]: stage t's network for pattern i."""
    x = lr
    for t, spec in enumerate(specs):
        x = finish_stage(x, net_stage_z(nets[t], spec, x), spec, t == len(specs) - 1)
    return x


def transfer_net(net, k, device="cpu", chunk=1 << 16):
    """A PatternNet on every sample window (multiples of 2^k, 256 fed as
    255): float LUT (n^4, s*s) in L units, already clamped to int8 range.
    Entry e = ((A*n + B)*n + C)*n + D for the pattern's a, b, c, d."""
    n, q = srlut.lut_side(k), 1 << k
    levels = torch.clamp(torch.arange(n, dtype=torch.float32) * q, max=255.0)
    g = torch.stack(torch.meshgrid(levels, levels, levels, levels, indexing="ij"), -1)
    g = g.reshape(-1, 4, 1, 1)
    out = []
    with torch.no_grad():
        for i in range(0, g.shape[0], chunk):
            x = g[i:i + chunk].to(device) / 255.0
            out.append(net.body(x).reshape(x.shape[0], -1).cpu())
    return torch.cat(out)


# ---------------------------------------------------- LUT path, torch (float)

def lut_stage_z(x, luts, spec):
    """z = T / 2^out_shift of one stage on float LUTs (one per pattern, (n^4,
    s*s), L units, the values used as they are: round them before for the
    engine's T). x: N x 1 x h x w pixel values (integers); the weights are
    differentiable in x."""
    t = None
    for p, lut in zip(spec.patterns, luts):
        off = PATTERNS[p]

        def core(y, lut=lut, off=off):
            return srlut.srlut_core_float(y, lut, spec.k, spec.scale, off, grad_input=True)
        y = lut_ops.ensemble_sum(core, x)
        t = y if t is None else t + y
    return t / float(1 << spec.out_shift)


def lut_forward(lr, luts, specs, stages_out=None):
    """The engine on float LUTs (luts[t][i], L units, used as given), before
    the last stage's final round and clip: N x 1 x sh x sw. stages_out, a
    list, receives every stage's (x, z)."""
    x = lr
    for t, spec in enumerate(specs):
        z = lut_stage_z(x, luts[t], spec)
        if stages_out is not None:
            stages_out.append((x, z))
        x = finish_stage(x, z, spec, t == len(specs) - 1)
    return x


# ----------------------------------------------- LUT path, numpy (integer)

def mulut_t_int(img, luts_t, spec):
    """The engine's T_t (int64) for a uint8 plane: sum over the stage's
    patterns of the SR-LUT ensemble on the pattern's window."""
    t = None
    for p, lut in zip(spec.patterns, luts_t):
        y = srlut.srlut_t_int(img, lut, spec.k, spec.scale, PATTERNS[p])
        t = y if t is None else t + y
    return t


def mulut_infer_int(img, specs, luts):
    """The engine's uint8 output for a uint8 plane; luts[t][i]: int8
    (n_t^4, s_t^2) of stage t's i-th pattern (in S, D, Y order)."""
    x = np.asarray(img, np.uint8)
    for t, spec in enumerate(specs):
        x = lut_ops.finish_int(x, mulut_t_int(x, luts[t], spec), spec.scale, spec.out_shift)
    return x


# ---------------------------------------------------------------- pipeline

class MulutPipeline:
    """train.py's pipeline interface for MuLUT (see train.py)."""

    kind = KIND
    stages = [("net", "train"), ("transfer", "once"), ("finetune", "train")]

    def __init__(self, cfg, device="cpu"):
        self.scale = int(cfg["scale"])
        self.specs = specs_from_config(cfg)
        m = cfg.get("model", {})
        nf, layers = int(m.get("nf", 64)), int(m.get("layers", 6))
        self.device = device
        self.nets = nn.ModuleList(
            nn.ModuleList(PatternNet(PATTERNS[p], sp.scale, sp.alpha, nf, layers)
                          for p in sp.patterns)
            for sp in self.specs).to(device)
        self.luts = None  # {lut<t>_<P>: nn.Parameter (n^4, s*s), L units} after the transfer

    def names(self):
        return [lut_name(t, p) for t, sp in enumerate(self.specs) for p in sp.patterns]

    def lut_lists(self, fn=lambda v: v):
        """[[fn(lut) per pattern] per stage], from the parameters."""
        return [[fn(self.luts[lut_name(t, p)]) for p in sp.patterns]
                for t, sp in enumerate(self.specs)]

    def params(self, stage):
        if stage == "net":
            return list(self.nets.parameters())
        if stage == "finetune":
            return list(self.luts.values())
        raise KeyError(stage)

    def forward(self, stage, lr):
        """Float SR (pixel units, clipped to 0..255 like the engine, last
        stage not rounded) of an N x 1 x h x w batch of LR pixel values."""
        if stage == "net":
            return net_forward(self.nets, self.specs, lr)
        return lut_forward(lr, self.lut_lists(lut_ops.ste_lut_round), self.specs)

    def run_once(self, stage, log=print):
        assert stage == "transfer"
        self.nets.eval()
        self.luts = {}
        for t, sp in enumerate(self.specs):
            for p, net in zip(sp.patterns, self.nets[t]):
                lut = transfer_net(net, sp.k, self.device)
                self.luts[lut_name(t, p)] = nn.Parameter(lut.to(self.device))
                r = lut_ops.lut_round(lut)
                log("transfer: %s (%r): %d entries x %d values, %.1f%% at the int8 limits, "
                    "mean |L| %.2f" % (lut_name(t, p), sp, lut.shape[0], lut.shape[1],
                                       100.0 * float(((r <= -128) | (r >= 127)).float().mean()),
                                       float(r.abs().mean())))

    def luts_int8(self):
        return {name: lut_ops.lut_round(v.detach().cpu().numpy()) for name, v in self.luts.items()}

    def predict(self, stage, lr_u8):
        """uint8 SR of one uint8 LR plane as the model stands after `stage`:
        the rounded, clipped network output, or the engine's integer path."""
        if stage == "net":
            with torch.no_grad():
                x = torch.from_numpy(np.ascontiguousarray(lr_u8)).float()[None, None]
                x = x.to(self.device)
                sr = net_forward(self.nets, self.specs, x)[0, 0].cpu().numpy()
            return np.clip(np.floor(sr + 0.5), 0, 255).astype(np.uint8)
        q = self.luts_int8()
        return mulut_infer_int(lr_u8, self.specs, [[q[lut_name(t, p)] for p in sp.patterns]
                                                   for t, sp in enumerate(self.specs)])

    def state_dict(self):
        return {"nets": self.nets.state_dict(),
                "luts": None if self.luts is None else
                {k: v.detach().cpu() for k, v in self.luts.items()}}

    def load_state_dict(self, st):
        self.nets.load_state_dict(st["nets"])
        if st.get("luts") is not None:
            self.luts = {name: nn.Parameter(st["luts"][name].to(self.device))
                         for name in self.names()}

    def export(self):
        """(stage rows, {lut<t>_<P>: int8 (n^4, s*s)}, metadata lines) for
        lsr_format.write_mulut() (export.write_model)."""
        desc = "; ".join("%d: x%d %s interval_bits %d out_shift %d" % (
            t, sp.scale, sp.patterns, sp.k, sp.out_shift) for t, sp in enumerate(self.specs))
        return ([sp.row() for sp in self.specs], self.luts_int8(),
                {"stages": desc,
                 "patterns": "/".join(sp.patterns for sp in self.specs),
                 "lut_values": "L = round(alpha f), alpha = 2^out_shift / (4 |P| q), "
                               "f the residual in pixel units"})


def make_pipeline(cfg, device="cpu"):
    return MulutPipeline(cfg, device)


# ---------------------------------------------------------------- commands

def load_lsr(path):
    """(specs, luts[t][i] int8 (n^4, s*s), scale) of a mulut model file."""
    import lsr_format
    m = lsr_format.read(path)
    if m["kind"] != KIND:
        raise SystemExit("%s: not a mulut model (%s)" % (path, m["kind"]))
    dt, dims, raw = m["tensors"]["stages"]
    specs = specs_from_rows(np.frombuffer(raw, "<i4").reshape(dims).tolist())
    luts = [[np.frombuffer(m["tensors"][lut_name(t, p)][2], np.int8).reshape(
        sp.n ** 4, sp.scale ** 2) for p in sp.patterns] for t, sp in enumerate(specs)]
    return specs, luts, m["scale"]


def cmd_infer(a):
    """The integer path on raw gray frames (compare with `lutsr upscale`);
    --jobs FILE runs one "MODEL WxH IN OUT" per line in one process."""
    return lut_ops.infer_command(a, load_lsr, lambda m, fr: mulut_infer_int(fr, m[0], m[1]))


def cmd_random_models(a):
    """Random int8 LUTs (extremes forced in) as .lsr files, one per spec
    SCALE:STAGE[,STAGE...][:RANGE], STAGE = PATTERNS/K/OUT_SHIFT (e.g.
    2:SDY/4/8,DY/5/9), written as DIR/r<i>.lsr in the order given. RANGE > 0
    clips the values to +-RANGE before the extremes are forced in. --jobs
    then runs `infer --jobs` in the same process (saves a torch import)."""
    import lsr_format
    for i, spec in enumerate(a.specs):
        parts = spec.split(":")
        scale, rng_lim = int(parts[0]), int(parts[2]) if len(parts) > 2 else 0
        st = [x.split("/") for x in parts[1].split(",")]
        specs = [StageSpec(scale if t == len(st) - 1 else 1, p, int(k), int(sh))
                 for t, (p, k, sh) in enumerate(st)]
        rng = np.random.default_rng([i, scale, a.seed])
        luts = {}
        for t, sp in enumerate(specs):
            for p in sp.patterns:
                luts[lut_name(t, p)] = lut_ops.random_lut(rng, (sp.n ** 4, sp.scale ** 2), rng_lim)
        lsr_format.write_mulut(os.path.join(a.dir, "r%d.lsr" % i), scale,
                               [sp.row() for sp in specs], luts,
                               "arch: mulut\nnote: random test LUTs %s\n" % spec)
    return cmd_infer(a) if a.jobs else 0


def cmd_check_float(a):
    """The fine-tuning forward pass against the integer path on raw frames:
    every stage's z must be exactly T_t / 2^out_shift_t of the integer path
    (float32 holds it: |T| < 2^17 and the division is by a power of two),
    every intermediate stage's image the integer path's, and the last
    stage, rounded half up and clipped, its bytes (nearest + z is exact in
    float32 for a last out_shift up to 16). With --checkpoint the
    float LUTs are the checkpoint's fine-tuning parameters, rounded by the
    straight-through function the training uses, and the model file must be
    that checkpoint's export. -o writes the integer path's output frames."""
    specs, luts, _ = load_lsr(a.model)
    flat = [lut_name(t, p) for t, sp in enumerate(specs) for p in sp.patterns]
    out = open(a.output, "wb") if a.output else None
    if a.checkpoint:
        params = torch.load(a.checkpoint, map_location="cpu")["pipeline"]["luts"]
        for t, sp in enumerate(specs):
            for i, p in enumerate(sp.patterns):
                got = lut_ops.lut_round(params[lut_name(t, p)].numpy())
                if not np.array_equal(got, luts[t][i]):
                    raise SystemExit("FAIL: %s is not the export of %s (%s)" % (
                        a.model, a.checkpoint, lut_name(t, p)))
        flut = [[lut_ops.ste_lut_round(params[lut_name(t, p)]) for p in sp.patterns]
                for t, sp in enumerate(specs)]
    else:
        flut = [[torch.from_numpy(v.astype(np.float32)) for v in lt] for lt in luts]
    w, h = map(int, a.size.split("x"))
    n_frac = 0
    for fr in lut_ops.read_raw_frames(a.input, w, h):
        x = torch.from_numpy(fr.astype(np.float32))[None, None]
        outs = []
        with torch.no_grad():
            f = lut_forward(x, flut, specs, outs)[0, 0].numpy().astype(np.float64)
        xi = fr
        for t, (sp, (xs, z)) in enumerate(zip(specs, outs)):
            if not np.array_equal(xs[0, 0].numpy(), xi.astype(np.float32)):
                raise SystemExit("FAIL: stage %d input differs from the integer path's" % t)
            tt = mulut_t_int(xi, luts[t], sp)
            zz = z[0, 0].numpy().astype(np.float64) * (1 << sp.out_shift)
            if not np.array_equal(zz, tt.astype(np.float64)):
                bad = tuple(np.argwhere(zz != tt)[0])
                raise SystemExit("FAIL: stage %d: float z * 2^%d = %r != T = %r at %s" % (
                    t, sp.out_shift, zz[bad], tt[bad], bad))
            n_frac += int(np.count_nonzero(tt % (1 << sp.out_shift)))
            xi = lut_ops.finish_int(xi, tt, sp.scale, sp.out_shift)
        if out:
            out.write(xi.tobytes())
        got = np.clip(np.floor(f + 0.5), 0, 255).astype(np.uint8)
        if not np.array_equal(got, xi):
            bad = tuple(np.argwhere(got != xi)[0])
            raise SystemExit("FAIL: rounded float path %d != integer path %d at %s" % (
                got[bad], xi[bad], bad))
    if out:
        out.close()
    print("float LUT path == T / 2^out_shift exactly at every stage (%d stages, %d LUTs); "
          "rounded == integer path (%d values had a fraction)" % (len(specs), len(flat), n_frac))
    if n_frac == 0:  # nothing was rounded: the check would prove nothing
        raise SystemExit("FAIL: no value had a fraction; use a trained or random LUT")
    return 0


def cmd_selftest(a):
    """Torch paths against each other and the integer path (no C needed):
    1. window_stack / the nets' gathering vs literal per-pixel windows;
    2. a random network's LUTs (transfer) read back by the LUT path on
       sample-aligned images (every pixel a multiple of q, where the simplex
       weight is all on e0) give the network's own z, every stage;
    3. a 1-stage S model's integer path is srlut's, and the float LUT path
       at int8 LUTs equals the integer path (random LUTs, odd sizes);
    4. gradients reach every LUT, the first stage's through the second's
       interpolation weights too."""
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    for p, off in PATTERNS.items():  # 1
        img = rng.integers(0, 256, (5, 7))
        got = srlut.window_stack(torch.from_numpy(img).float()[None, None], off, dim=1)[0].numpy()
        for i in range(5):
            for j in range(7):
                want = [img[min(i + dy, 4), min(j + dx, 6)] for dy, dx in off]
                if list(got[:, i, j]) != want:
                    raise SystemExit("FAIL: window %s at (%d, %d): %s != %s" % (
                        p, i, j, list(got[:, i, j]), want))
    for scale in a.scales:  # 2
        cfg = {"scale": scale, "model": {"stages": 2, "patterns": ["SDY", "DY"], "nf": 16,
                                         "layers": 3, "interval_bits": [4, 5]}}
        pipe = make_pipeline(cfg)
        with torch.no_grad():  # a network with sizeable outputs
            for net in pipe.nets.modules():
                if isinstance(net, PatternNet):
                    nn.init.normal_(net.convs[-1].weight, std=0.05)
        pipe.run_once("transfer", log=lambda m: None)
        luts = pipe.lut_lists(lambda v: v.detach())
        for t, sp in enumerate(pipe.specs):
            # (multiples of q below 256: 255 is not a sample point)
            x = torch.from_numpy(rng.integers(0, sp.n - 1, (2, 1, 9, 11)) * sp.q).float()
            with torch.no_grad():
                zn = net_stage_z(pipe.nets[t], sp, x)
                zl = lut_stage_z(x, luts[t], sp)
            err = float((zn - zl).abs().max())
            if err > 1e-3 or float(zn.abs().max()) < 1:
                raise SystemExit("FAIL: x%d stage %d: network z vs its LUT's z: max diff %g "
                                 "(max |z| %g)" % (scale, t, err, float(zn.abs().max())))
        print("x%d: transferred LUTs reproduce the networks on sample-aligned images" % scale)
    for s in a.scales:  # 3
        sp = StageSpec(s, "S", 4, 6)
        lut = rng.integers(-128, 128, (sp.n ** 4, s * s)).astype(np.int8)
        for h, w in ((1, 1), (1, 4), (3, 1), (6, 5)):
            img = rng.integers(0, 256, (h, w)).astype(np.uint8)
            if not np.array_equal(mulut_infer_int(img, [sp], [[lut]]),
                                  srlut.srlut_infer_int(img, lut, 4, s, 6)):
                raise SystemExit("FAIL: 1-stage S mulut != srlut x%d %dx%d" % (s, w, h))
        specs = [StageSpec(1, "DY", 5, 8), StageSpec(s, "SDY", 4, 9)]
        luts = [[rng.integers(-128, 128, (sp.n ** 4, sp.scale ** 2)).astype(np.int8)
                 for _ in sp.patterns] for sp in specs]
        flut = [[torch.from_numpy(v.astype(np.float32)) for v in lt] for lt in luts]
        for h, w in ((1, 1), (2, 3), (7, 5)):
            img = rng.integers(0, 256, (h, w)).astype(np.uint8)
            with torch.no_grad():
                f = lut_forward(torch.from_numpy(img.astype(np.float32))[None, None], flut, specs)
            got = np.clip(np.floor(f[0, 0].numpy() + 0.5), 0, 255).astype(np.uint8)
            if not np.array_equal(got, mulut_infer_int(img, specs, luts)):
                raise SystemExit("FAIL: float LUT path != integer path x%d %dx%d" % (s, w, h))
    print("1-stage S == srlut; float LUT path == integer path (random LUTs)")
    # 4: a trained-like situation: transferred LUTs, MSE against a target.
    pipe = make_pipeline({"scale": 2, "model": {"stages": 2, "nf": 8, "layers": 3}})
    pipe.run_once("transfer", log=lambda m: None)
    lr = torch.from_numpy(rng.integers(0, 256, (2, 1, 8, 8))).float()
    hr = torch.from_numpy(rng.integers(0, 256, (2, 1, 16, 16))).float()
    ((pipe.forward("finetune", lr) - hr) ** 2).mean().backward()
    for name, v in pipe.luts.items():
        if v.grad is None or float(v.grad.abs().sum()) == 0:
            raise SystemExit("FAIL: no gradient reaches %s" % name)
    # The interpolation passes a gradient to its input (the slope of the
    # interpolated LUT), so stage 0 learns from stage 1's weights, not only
    # from its anchor.
    x = lr.clone().requires_grad_()
    z = lut_stage_z(x, pipe.lut_lists(lambda v: v.detach())[1], pipe.specs[1])
    (g,) = torch.autograd.grad(z.sum(), x)
    if float(g.abs().sum()) == 0:
        raise SystemExit("FAIL: the LUT interpolation gives its input no gradient")
    print("gradients reach every LUT, through the next stage's weights too")
    return 0


def _sampler(a, scale):
    import data
    cache = data.load_cache(a.cache)
    return data.PatchSampler(cache, scale, a.patch, a.batch, seed=[a.seed, 0], limit=a.limit), data


def cmd_bench(a):
    """Iterations per second of each stage on real patches (train.py's
    sampler and loss; sampling time included, as in training)."""
    lut_ops.keep_freed_memory()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    pipe = make_pipeline({"scale": a.scale, "model": {"stages": a.stages, "patterns": a.patterns}})
    sampler, data = _sampler(a, a.scale)

    def run(stage, iters):
        opt = torch.optim.Adam(pipe.params(stage), lr=1e-4)
        t_data = 0.0
        for i in range(iters + 1):
            if i == 1:
                t0, c0, t_data = time.time(), time.process_time(), 0.0
            td = time.time()
            lr, hr = (data.to_tensor(v) for v in sampler.next())
            t_data += time.time() - td
            d = (pipe.forward(stage, lr) - hr) / 255.0
            loss = (d * d).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        wall, cpu = time.time() - t0, time.process_time() - c0
        print("x%d %-8s %.2f it/s (wall; %.0f ms cpu/it, %.0f ms/it sampling), %d threads" % (
            a.scale, stage, iters / wall, 1e3 * cpu / iters, 1e3 * t_data / iters,
            torch.get_num_threads()), flush=True)

    if a.iters:
        run("net", a.iters)
    t0 = time.time()
    pipe.run_once("transfer", log=lambda m: None)
    print("x%d transfer %.2f s" % (a.scale, time.time() - t0))
    if a.ft_iters:
        run("finetune", a.ft_iters)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description="MuLUT helpers (integer path, checks, bench).")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("infer", help="integer LUT path on raw gray frames")
    p.add_argument("-m", "--model")
    p.add_argument("--size", help="WxH")
    p.add_argument("--jobs", help='file of "MODEL WxH IN OUT" lines')
    p.add_argument("input", nargs="?")
    p.add_argument("output", nargs="?")
    p = sub.add_parser("random-models", help="random-LUT .lsr files DIR/r<i>.lsr")
    p.add_argument("dir")
    p.add_argument("specs", nargs="+", help="SCALE:PATTERNS/K/OUT_SHIFT[,...][:RANGE]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", help='then run these "MODEL WxH IN OUT" infer jobs')
    p = sub.add_parser("check-float", help="float (fine-tuning) path vs integer path")
    p.add_argument("-m", "--model", required=True)
    p.add_argument("--checkpoint", help="a checkpoint whose fine-tuning LUTs the model is")
    p.add_argument("-o", "--output", help="also write the integer path's frames here")
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("input")
    p = sub.add_parser("selftest", help="torch paths vs each other and the integer path")
    p.add_argument("--scales", type=int, nargs="+", default=[2, 3, 4])
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("bench", help="it/s of the training stages")
    p.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "cache", "train-y.npz"))
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--stages", type=int, default=2)
    p.add_argument("--patterns", default="SDY")
    p.add_argument("--patch", type=int, default=48)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--ft-iters", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int)
    p.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    return {"infer": cmd_infer, "random-models": cmd_random_models, "check-float": cmd_check_float,
            "selftest": cmd_selftest, "bench": cmd_bench}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
