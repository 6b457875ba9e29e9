#!/usr/bin/env python3
"""The "cnn" kind of train.py: small CNNs (eSR, ECBSR, FSRCNN, IMDN; the
networks in cnn_models.py) trained on luma patches and exported as layer
graphs (kind 16, docs/cnn.md) by cnn_export.py.

Config: "kind": "cnn", "model": {"arch": ARCH, ...its sizes} (ARCH one of
cnn_models.ARCHS; sizes as cnn_models.build takes them). One training stage,
"net" (loss "l1" in the shipped configs, Adam, cosine schedule: train.py's
stage machinery). The network sees pixel / 255 and returns pixel / 255,
as the engine's graph does; forward() clips to 0..255 like the engine's
final quantisation, predict() rounds as the engine does. "model":
{"train_pad": N} sets the replicate padding of training patches (default:
the network's reach, at most 8 LR pixels; see CnnPipeline.__init__).

Commands (raw 8-bit gray frames; compare with `lutsr upscale --size WxH`):
  cnn.py infer (--checkpoint RUN_OR_PT | -m MODEL.lsr) --size WxH IN OUT
      the training-time network of a checkpoint (ECBSR: multi-branch), or a
      .lsr graph run in PyTorch, quantised as the engine quantises.
  cnn.py infer-runs --size WxH IN RUN...  each RUN/ckpt.pt -> RUN/torch.raw
      (one torch import for many runs: the tests).
  cnn.py compare [--min-levels N] WANT GOT [WANT GOT...]  each GOT within 1
      of WANT on every pixel, at most 1% of pixels different, WANT with at
      least N distinct levels (so a flat output cannot pass).
  cnn.py selftest  every family x scale with random weights: the exported
      graph (run in PyTorch) equals the network, ECBSR's re-parameterised
      form equals the multi-branch one (max |diff| < 1e-4), FSRCNN's and
      IMDN's fast training forward equals their plain form in output and
      in every parameter's gradient (< 1e-4), the limits hold;
      prints layers / tensors / parameters / MACs per LR pixel.
  cnn.py bench CONFIG... [--iters 20] [--batch 16] [--patch 48]  seconds per
      training step (padded forward, L1 loss, backward, Adam) on random
      patches, without the data sampling.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cnn_export  # noqa: E402
import cnn_models as cm  # noqa: E402

KIND = "cnn"


def quantize(v):
    """The engine's output pixel: clip(floor(255 v + 0.5), 0, 255), float32."""
    v = np.asarray(v, np.float32)
    return np.clip(np.floor(np.float32(255) * v + np.float32(0.5)), 0, 255).astype(np.uint8)


def build_net(cfg):
    m = dict(cfg.get("model", {}))
    m.pop("train_pad", None)
    arch = m.pop("arch", None)
    if arch is None:
        raise ValueError("config model: missing 'arch' (one of %s)" % ", ".join(cm.ARCHS))
    return arch, cm.build(arch, int(cfg["scale"]), **m)


class CnnPipeline:
    """train.py's pipeline interface for the CNN family (see train.py)."""

    kind = KIND
    stages = [("net", "train")]

    def __init__(self, cfg, device="cpu"):
        self.scale = int(cfg["scale"])
        self.arch, self.net = build_net(cfg)
        self.net.to(device)
        self.device = device
        rows, _ = cnn_export.to_graph(self.net)  # fails now, not after training, if it cannot ship
        self.layers = len(rows)
        # Training patches are crops from inside images: zero padding at
        # their edges is something the frames the model is for mostly do
        # not have (only at the frame border), and with it the loss pulled
        # the filters toward compensating it (an eSR started as bicubic lost
        # 0.3-0.7 dB on Set5 in 400 steps). So the network sees each patch
        # replicate-padded by its reach (at most 8 LR pixels), and the
        # output is cropped back.
        pad = cfg.get("model", {}).get("train_pad")
        # predict() extends a frame by the whole reach, as the engine does.
        self.reach = cnn_export.lr_radius(rows, self.scale)
        self.pad = min(8, self.reach) if pad is None else int(pad)

    def params(self, stage):
        assert stage == "net"
        return list(self.net.parameters())

    def forward(self, stage, lr):
        """Float SR in pixel units, clipped like the engine, not rounded, of
        training patches (replicate-padded by self.pad, see __init__)."""
        p, s = self.pad, self.scale
        x = lr / 255.0
        if p:
            x = F.pad(x, (p, p, p, p), mode="replicate")
        y = self.net(x)
        if p:
            y = y[..., p * s:y.shape[-2] - p * s, p * s:y.shape[-1] - p * s]
        return torch.clamp(y * 255.0, 0.0, 255.0)

    def run_once(self, stage, log=print):
        raise KeyError(stage)

    def predict(self, stage, lr_u8):
        """The engine's output: the frame extended by the reach in copies of
        its edge pixels (docs/cnn.md, "Plane edges"), the centre kept."""
        r, s = self.reach, self.scale
        self.net.eval()
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(lr_u8, np.float32) / np.float32(255))[None, None]
            if r:
                x = F.pad(x, (r, r, r, r), mode="replicate")
            y = self.net(x.to(self.device))[0, 0].cpu().numpy()
            if r:
                y = y[r * s:y.shape[0] - r * s, r * s:y.shape[1] - r * s]
        self.net.train()
        return quantize(y)

    def state_dict(self):
        return {"net": self.net.state_dict(), "arch": self.arch}

    def load_state_dict(self, st):
        if st.get("arch", self.arch) != self.arch:
            raise ValueError("checkpoint arch %s != config %s" % (st["arch"], self.arch))
        self.net.load_state_dict(st["net"])

    @property
    def description(self):
        return cm.describe(self.arch, self.net)

    def export(self):
        """(graph rows, {tensor name: float32 array}, metadata lines):
        export.write_model writes them with lsr_format.write_cnn."""
        rows, weights = cnn_export.to_graph(self.net)
        extra = {"network": self.description, "layers": len(rows),
                 "weights": sum(w.size for w in weights.values()),
                 "macs_per_lr_pixel": "%.0f" % cnn_export.macs_per_lr_pixel(rows, weights, self.scale),
                 "io": "Y / 255 in and out; pixel = clip(floor(255 v + 0.5), 0, 255)"}
        if isinstance(self.net, cm.ECBSR):
            extra["reparameterised"] = "each ECB's five branches folded into one 3x3 conv"
        return rows, weights, extra


def make_pipeline(cfg, device="cpu"):
    return CnnPipeline(cfg, device)


# ---------------------------------------------------------------- commands

def _size(s):
    w, h = (int(v) for v in s.lower().split("x"))
    return w, h


def _frames(path, w, h):
    a = np.fromfile(path, np.uint8)
    if a.size == 0 or a.size % (w * h):
        raise SystemExit("%s: %d bytes is not a whole number of %dx%d frames" % (path, a.size, w, h))
    return a.reshape(-1, h, w)


def _load_run(path):
    import export
    pipe, st = export.load_pipeline(path)
    if pipe.kind != KIND:
        raise SystemExit("%s: a %s checkpoint, not cnn" % (path, pipe.kind))
    return pipe


def cmd_infer(a):
    w, h = _size(a.size)
    if a.checkpoint:
        fn = _load_run(a.checkpoint).predict
    else:
        g = cnn_export.GraphModule(a.model)

        def fn(_, fr):
            with torch.no_grad():
                x = torch.from_numpy(fr.astype(np.float32) / np.float32(255))[None, None]
                return quantize(g(x)[0, 0].numpy())
    with open(a.output, "wb") as f:
        for fr in _frames(a.input, w, h):
            f.write(fn("net", fr).tobytes())
    return 0


def cmd_infer_runs(a):
    w, h = _size(a.size)
    frames = _frames(a.input, w, h)
    for run in a.runs:
        pipe = _load_run(run)
        with open(os.path.join(run, "torch.raw"), "wb") as f:
            for fr in frames:
                f.write(pipe.predict("net", fr).tobytes())
    return 0


def cmd_compare(a):
    if len(a.files) % 2:
        raise SystemExit("compare: want WANT GOT pairs")
    bad = 0
    for want_path, got_path in zip(a.files[::2], a.files[1::2]):
        want = np.fromfile(want_path, np.uint8)
        got = np.fromfile(got_path, np.uint8)
        if got.shape != want.shape or not want.size:
            print("%s: %d bytes, %s has %d  FAIL" % (got_path, got.size, want_path, want.size))
            bad += 1
            continue
        diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
        frac = np.count_nonzero(diff) / diff.size
        levels = len(np.unique(want))
        ok = diff.max() <= 1 and frac <= 0.01 and levels >= a.min_levels
        print("%s: max |diff| %d, %.3f%% of %d pixels differ, %d levels%s" % (
            got_path, diff.max(), 100 * frac, diff.size, levels, "" if ok else "  FAIL"))
        bad += not ok
    return 1 if bad else 0


def randomize(net, gen):
    """Non-trivial random weights for the self-test (the ECB edge scales
    and biases too: their initial 1e-3 would make those branches vanish)."""
    with torch.no_grad():
        for p in net.parameters():
            fan = p[0].numel() if p.dim() > 1 else 4
            p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * (1.2 / fan ** 0.5))
        for m in net.modules():
            if isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.5)
            if isinstance(m, cm.EdgeBranch):
                m.scale.copy_(torch.randn(m.scale.shape, generator=gen) * 0.3)


def train_form_reference(net):
    """The plain PyTorch form of a network whose training forward is a
    faster rewrite of it (FSRCNN: its nn.ConvTranspose2d, not the phase
    conv + pixel shuffle; IMDN: the default layout, not channels-last),
    as a function of x; None for the others."""
    if isinstance(net, cm.FSRCNN):
        return lambda x: net(x, deconv=True)
    if isinstance(net, cm.IMDN):
        def plain(x):
            net.channels_last = False
            try:
                return net(x)
            finally:
                net.channels_last = True
        return plain
    return None


def compare_training_forms(net, ref, x, gen):
    """(max |output diff|, max |gradient diff| / max |gradient|) between
    net(x) and ref(x), the gradients those of every parameter for a random
    linear loss: the rewrite must train the same, not just infer the same."""
    outs, grads = [], []
    probe = None
    for fn in (net, ref):
        net.zero_grad(set_to_none=True)
        y = fn(x)
        if probe is None:
            probe = torch.rand(y.shape, generator=gen) - 0.5
        (y * probe).sum().backward()
        outs.append(y.detach())
        grads.append(torch.cat([p.grad.reshape(-1) for p in net.parameters()]))
    net.zero_grad(set_to_none=True)
    od = float((outs[0] - outs[1]).abs().max())
    gd = float((grads[0] - grads[1]).abs().max() / grads[1].abs().max().clamp(min=1e-12))
    return od, gd


SELFTEST = [("esr-max", {}), ("esr-tm", {}), ("esr-tr", {}), ("esr-cnn", {}),
            ("ecbsr", {}), ("ecbsr", {"m": 4, "c": 8}), ("fsrcnn", {}),
            ("fsrcnn", {"residual": True}), ("imdn", {}), ("imdn", {"residual": True})]


def cmd_selftest(a):
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(a.seed)
    x = torch.rand(2, 1, 23, 19, generator=gen)
    bad = 0
    print("%-32s %5s %6s %7s %9s %9s %10s" % ("network", "scale", "layers", "tensors", "weights",
                                              "MACs/px", "graph diff"))
    for arch, p in SELFTEST:
        for s in (2, 3, 4):
            net = cm.build(arch, s, **p)
            randomize(net, gen)
            net.eval()
            rows, weights = cnn_export.to_graph(net)
            with torch.no_grad():
                want = net(x)
                got = cnn_export.run_graph(rows, weights, x, edge=False)
            d = float((got - want).abs().max()) if got.shape == want.shape else float("inf")
            ok = d < 1e-4 and want.shape[-2:] == (23 * s, 19 * s) and float(want.std()) > 1e-3
            extra = ""
            if isinstance(net, cm.ECBSR):
                # want is the fused training forward; the five-branch form
                # is the reference for both it and the folded export.
                with torch.no_grad():
                    ref = net(x, branches=True)
                    rd = float((cnn_export.reparam_ecbsr(net)(x) - ref).abs().max())
                    fd = float((want - ref).abs().max())
                extra = "  fused-training max |diff| %.2e  reparam max |diff| %.2e" % (fd, rd)
                ok = ok and rd < 1e-4 and fd < 1e-4
            ref = train_form_reference(net)
            if ref is not None:
                od, gd = compare_training_forms(net, ref, x, gen)
                extra += "  fast-training max |diff| %.2e  grad rel diff %.2e" % (od, gd)
                ok = ok and od < 1e-4 and gd < 1e-4
            print("%-32s %5d %6d %7d %9d %9.0f %10.2e%s%s" % (
                cm.describe(arch, net), s, len(rows), 1 + len(weights),
                sum(w.size for w in weights.values()),
                cnn_export.macs_per_lr_pixel(rows, weights, s), d, extra, "" if ok else "  FAIL"))
            bad += not ok
    # The format's 128-layer limit: IMDN with 7 or more blocks cannot ship.
    try:
        cnn_export.to_graph(cm.build("imdn", 2, blocks=7))
        print("FAIL: a 7-block IMDN was accepted")
        bad += 1
    except ValueError as e:
        print("imdn, 7 blocks: rejected (%s)" % e)
    print("selftest: %s" % ("all ok" if not bad else "%d FAILED" % bad))
    return 1 if bad else 0


def cmd_bench(a):
    import lut_ops
    import train
    lut_ops.keep_freed_memory()  # as train.py does on CPU
    torch.set_num_threads(a.threads or os.cpu_count() or 1)
    for path in a.configs:
        cfg = train.load_config(path)
        pipe = make_pipeline(cfg)
        opt = torch.optim.Adam(pipe.params("net"), lr=1e-4)
        s = int(cfg["scale"])
        gen = torch.Generator().manual_seed(1)
        lr = torch.rand(a.batch, 1, a.patch, a.patch, generator=gen) * 255
        hr = torch.rand(a.batch, 1, a.patch * s, a.patch * s, generator=gen) * 255
        times = []
        for _ in range(a.iters + 2):  # 2 warm-up steps
            t0 = time.perf_counter()
            loss = ((pipe.forward("net", lr) - hr) / 255.0).abs().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        t = times[2:]
        print("%-14s %-40s %.3f s/it (median %.3f), %.2f it/s, batch %d, patch %d (+%d padding), "
              "%d threads" % (cfg.get("name", os.path.basename(path)), pipe.description, sum(t) / len(t),
                              sorted(t)[len(t) // 2], len(t) / sum(t), a.batch, a.patch, pipe.pad,
                              torch.get_num_threads()))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("infer", help="a checkpoint's network or a .lsr graph on raw gray frames")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="run folder or .pt")
    src.add_argument("-m", "--model", help="cnn .lsr (run by the PyTorch graph executor)")
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("input")
    p.add_argument("output")
    p = sub.add_parser("infer-runs", help="RUN/torch.raw for each run folder")
    p.add_argument("--size", required=True)
    p.add_argument("input")
    p.add_argument("runs", nargs="+")
    p = sub.add_parser("compare", help="8-bit outputs within 1, <= 1%% different")
    p.add_argument("files", nargs="+", metavar="WANT GOT")
    p.add_argument("--min-levels", type=int, default=0)
    p = sub.add_parser("selftest", help="export and re-parameterisation checks")
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("bench", help="training step time per config")
    p.add_argument("configs", nargs="+")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--patch", type=int, default=48)
    p.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)
    return {"infer": cmd_infer, "infer-runs": cmd_infer_runs, "compare": cmd_compare,
            "selftest": cmd_selftest, "bench": cmd_bench}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
