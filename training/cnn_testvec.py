#!/usr/bin/env python3
"""Test vectors for the engine's CNN executor (kind 16, docs/cnn.md).

Tiny random-weight PyTorch networks of the shapes the format is for
(FSRCNN, ECBSR, eSR-MAX/TM/TR, IMDN), exported with lsr_format.write_cnn()
and run in PyTorch (float32, CPU) on an 8-bit luma crop, so that the
engine's output can be compared with PyTorch's.

  cnn_testvec.py gen DIR [--image PNG] [--crop WxH] [--seed N]
      writes DIR/in.raw (the crop, 8-bit gray), and per network NAME
      DIR/NAME.lsr and DIR/NAME.want.raw (PyTorch's output, as the engine
      quantises: clip(floor(255 v + 0.5))); DIR/cases.txt lists
      "NAME W H" lines.
  cnn_testvec.py check DIR
      compares each DIR/NAME.got.raw with NAME.want.raw: every pixel
      within 1, at most 1% of them different; prints a line per network.
  cnn_testvec.py run DIR --lutsr BIN [--threads N] [gen options]
      gen, `BIN upscale` (raw gray, --size) on every case, then check.

Each network ends in a 1x1 conv that maps its random output to mean 0.5,
std 0.25 on the crop, so that the 8-bit result is not clipped flat.

Needs torch and numpy (Debian's /usr/bin/python3); PIL only to read
--image (without it, or without the file, a synthetic image is used).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnn_export  # noqa: E402
import lsr_format  # noqa: E402

OPS = lsr_format.CNN_OPS


class Graph:
    """The layer list of a cnn model, built alongside the PyTorch forward."""

    def __init__(self):
        self.rows, self.weights, self.ch = [], {}, [1]

    def add(self, op, in0, c_out, in1=-1, p=(0, 0, 0, 0)):
        i = len(self.rows)
        self.rows.append([OPS[op], in0, in1, c_out] + list(p) + [0] * (4 - len(p)))
        self.ch.append(c_out)
        return i + 1

    def conv(self, in0, m):
        i = len(self.rows)
        self.weights["w%d" % i] = m.weight.detach().numpy()
        self.weights["b%d" % i] = m.bias.detach().numpy()
        return self.add("conv", in0, m.out_channels, p=(m.kernel_size[0],))

    def deconv(self, in0, m):
        i = len(self.rows)
        self.weights["w%d" % i] = m.weight.detach().numpy()
        self.weights["b%d" % i] = m.bias.detach().numpy()
        return self.add("deconv", in0, m.out_channels,
                        p=(m.kernel_size[0], m.stride[0], m.padding[0], m.output_padding[0]))

    def prelu(self, in0, slopes):
        i = len(self.rows)
        if isinstance(slopes, torch.Tensor):
            slopes = slopes.detach().numpy()
        self.weights["a%d" % i] = np.asarray(slopes, dtype=np.float32).reshape(-1)
        return self.add("prelu", in0, self.ch[in0])


def randomize(net, gen):
    """Weights drawn from our own generator (not torch's init), fan-in
    scaled, so the vectors do not change with torch's init code."""
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                fan = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.weight.shape[0] * m.weight[0, 0].numel()
                m.weight.copy_((torch.rand(m.weight.shape, generator=gen) * 2 - 1) * (1.7 / fan ** 0.5))
                m.bias.copy_((torch.rand(m.bias.shape, generator=gen) * 2 - 1) * 0.1)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.5)


class FSRCNN(nn.Module):
    def __init__(self, s, d=8, sh=4, m=1, residual=False):
        super().__init__()
        self.s, self.residual = s, residual
        self.first = nn.Conv2d(1, d, 5, padding=2)
        self.shrink = nn.Conv2d(d, sh, 1)
        self.maps = nn.ModuleList(nn.Conv2d(sh, sh, 3, padding=1) for _ in range(m))
        self.expand = nn.Conv2d(sh, d, 1)
        self.acts = nn.ModuleList(nn.PReLU(c) for c in [d, sh] + [sh] * m + [d])
        self.last = nn.ConvTranspose2d(d, 1, 9, stride=s, padding=4, output_padding=s - 1)

    def forward(self, x):
        inp = x
        x = self.acts[0](self.first(x))
        x = self.acts[1](self.shrink(x))
        for i, m in enumerate(self.maps):
            x = self.acts[2 + i](m(x))
        x = self.acts[-1](self.expand(x))
        y = self.last(x)
        if self.residual:  # plus the nearest-upsampled input (HR ADD)
            y = y + F.interpolate(inp, scale_factor=self.s, mode="nearest")
        return y

    def export(self, g):
        x = g.prelu(g.conv(0, self.first), self.acts[0].weight)
        x = g.prelu(g.conv(x, self.shrink), self.acts[1].weight)
        for i, m in enumerate(self.maps):
            x = g.prelu(g.conv(x, m), self.acts[2 + i].weight)
        x = g.prelu(g.conv(x, self.expand), self.acts[-1].weight)
        y = g.deconv(x, self.last)
        if self.residual:
            s2 = self.s * self.s
            up = g.add("pixel_shuffle", g.add("repeat", 0, s2, p=(s2,)), 1, p=(self.s,))
            g.add("add", y, 1, in1=up)


class ECBSR(nn.Module):
    """ECBSR after re-parameterisation: plain 3x3 convs + PReLU, the input
    repeated s^2 times as a residual, pixel shuffle."""

    def __init__(self, s, c=8, m=2):
        super().__init__()
        self.s = s
        self.convs = nn.ModuleList([nn.Conv2d(1, c, 3, padding=1)] +
                                   [nn.Conv2d(c, c, 3, padding=1) for _ in range(m)] +
                                   [nn.Conv2d(c, s * s, 3, padding=1)])
        self.acts = nn.ModuleList(nn.PReLU(c) for _ in range(m + 1))

    def forward(self, x):
        y = x
        for i, conv in enumerate(self.convs[:-1]):
            y = self.acts[i](conv(y))
        y = self.convs[-1](y) + x.repeat(1, self.s * self.s, 1, 1)
        return F.pixel_shuffle(y, self.s)

    def export(self, g):
        s2 = self.s * self.s
        y = 0
        for i, conv in enumerate(self.convs[:-1]):
            y = g.prelu(g.conv(y, conv), self.acts[i].weight)
        y = g.conv(y, self.convs[-1])
        y = g.add("add", y, s2, in1=g.add("repeat", 0, s2, p=(s2,)))
        g.add("pixel_shuffle", y, 1, p=(self.s,))


class ESR(nn.Module):
    """edge-SR: one k x k conv to s^2 * parts * C channels, pixel shuffle;
    MAX: max over C; TM: softmax(a) . b; TR: softmax(q * k) . v."""

    def __init__(self, s, kind, c=4, k=5):
        super().__init__()
        self.s, self.kind, self.c = s, kind, c
        self.parts = {"max": 1, "tm": 2, "tr": 3}[kind]
        self.conv = nn.Conv2d(1, s * s * self.parts * c, k, padding=k // 2)

    def forward(self, x):
        y = F.pixel_shuffle(self.conv(x), self.s)
        c = self.c
        if self.kind == "max":
            return y.max(dim=1, keepdim=True)[0]
        if self.kind == "tm":
            return (torch.softmax(y[:, :c], dim=1) * y[:, c:]).sum(dim=1, keepdim=True)
        w = torch.softmax(y[:, :c] * y[:, c:2 * c], dim=1)
        return (w * y[:, 2 * c:]).sum(dim=1, keepdim=True)

    def export(self, g):
        c = self.c
        y = g.add("pixel_shuffle", g.conv(0, self.conv), self.parts * c, p=(self.s,))
        if self.kind == "max":
            g.add("group_max", y, 1, p=(c,))
            return
        a = g.add("slice", y, c, p=(0,))
        b = g.add("slice", y, c, p=(c,))
        if self.kind == "tm":
            w = g.add("softmax", a, c, p=(c,))
            v = b
        else:
            w = g.add("softmax", g.add("mul", a, c, in1=b), c, p=(c,))
            v = g.add("slice", y, c, p=(2 * c,))
        g.add("group_sum", g.add("mul", w, c, in1=v), 1, p=(c,))


class IMDN(nn.Module):
    """IMDN-like: information multi-distillation blocks (channel split,
    LeakyReLU 0.05, contrast-aware channel attention = mean + std pooling,
    1x1 convs, sigmoid, multiply), pixel-shuffle upsampler."""

    def __init__(self, s, c=8, blocks=2):
        super().__init__()
        self.s, self.c, self.d = s, c, c // 4
        d = self.d
        self.fea = nn.Conv2d(1, c, 3, padding=1)
        self.blocks = nn.ModuleList()
        for _ in range(blocks):
            self.blocks.append(nn.ModuleDict({
                "c1": nn.Conv2d(c, c, 3, padding=1), "c2": nn.Conv2d(c - d, c, 3, padding=1),
                "c3": nn.Conv2d(c - d, d, 3, padding=1), "du1": nn.Conv2d(3 * d, 2, 1),
                "du2": nn.Conv2d(2, 3 * d, 1), "c5": nn.Conv2d(3 * d, c, 1)}))
        self.lr = nn.Conv2d(c, c, 3, padding=1)
        self.up = nn.Conv2d(c, s * s, 3, padding=1)

    @staticmethod
    def contrast(x):
        mean = x.mean(dim=(2, 3), keepdim=True)
        return mean + ((x - mean) ** 2).mean(dim=(2, 3), keepdim=True).sqrt()

    def forward(self, x):
        d = self.d
        fea = self.fea(x)
        y = fea
        for b in self.blocks:
            t = F.leaky_relu(b["c1"](y), 0.05)
            d1, rest = t[:, :d], t[:, d:]
            t = F.leaky_relu(b["c2"](rest), 0.05)
            d2, rest = t[:, :d], t[:, d:]
            cat = torch.cat([d1, d2, b["c3"](rest)], dim=1)
            att = torch.sigmoid(b["du2"](F.relu(b["du1"](self.contrast(cat)))))
            y = b["c5"](cat * att) + y
        y = self.lr(y) + fea
        return F.pixel_shuffle(self.up(y), self.s)

    def export(self, g):
        c, d = self.c, self.d
        fea = g.conv(0, self.fea)
        y = fea
        for b in self.blocks:
            t = g.prelu(g.conv(y, b["c1"]), [0.05])
            d1 = g.add("slice", t, d, p=(0,))
            rest = g.add("slice", t, c - d, p=(d,))
            t = g.prelu(g.conv(rest, b["c2"]), [0.05])
            d2 = g.add("slice", t, d, p=(0,))
            rest = g.add("slice", t, c - d, p=(d,))
            d3 = g.conv(rest, b["c3"])
            cat = g.add("concat", g.add("concat", d1, 2 * d, in1=d2), 3 * d, in1=d3)
            att = g.add("mean_std", cat, 3 * d)
            att = g.add("relu", g.conv(att, b["du1"]), 2)
            att = g.add("sigmoid", g.conv(att, b["du2"]), 3 * d)
            y = g.add("add", g.conv(g.add("mul", cat, 3 * d, in1=att), b["c5"]), c, in1=y)
        y = g.add("add", g.conv(y, self.lr), c, in1=fea)
        g.add("pixel_shuffle", g.conv(y, self.up), 1, p=(self.s,))


NETS = [
    ("fsrcnn-x2", lambda: FSRCNN(2)),
    ("fsrcnn-x3", lambda: FSRCNN(3)),
    ("fsrcnn-res-x4", lambda: FSRCNN(4, residual=True)),
    ("ecbsr-x2", lambda: ECBSR(2)),
    ("ecbsr-x4", lambda: ECBSR(4)),
    ("esr-max-x2", lambda: ESR(2, "max")),
    ("esr-tm-x3", lambda: ESR(3, "tm")),
    ("esr-tr-x2", lambda: ESR(2, "tr", c=3)),
    ("imdn-x2", lambda: IMDN(2)),
    ("imdn-x4", lambda: IMDN(4)),
]


def load_crop(path, w, h, seed):
    """The crop's 8-bit luma: the centre of the image, or a synthetic one."""
    try:
        from PIL import Image
        img = np.asarray(Image.open(path).convert("L"), dtype=np.uint8)
        if img.shape[0] >= h and img.shape[1] >= w:
            y0, x0 = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
            return np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w])
    except (ImportError, OSError):
        pass
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    img = 128 + 80 * np.sin(xx / 3.0) * np.cos(yy / 5.0) + rng.normal(0, 12, (h, w))
    return np.clip(img, 0, 255).astype(np.uint8)


def gen(args):
    w, h = (int(v) for v in args.crop.lower().split("x"))
    os.makedirs(args.dir, exist_ok=True)
    torch.set_num_threads(1)
    crop = load_crop(args.image, w, h, args.seed)
    crop.tofile(os.path.join(args.dir, "in.raw"))
    x = torch.from_numpy(crop.astype(np.float32) / np.float32(255)).reshape(1, 1, h, w)
    gen_ = torch.Generator().manual_seed(args.seed)
    with open(os.path.join(args.dir, "cases.txt"), "w") as cases:
        for name, make in NETS:
            net = make()
            randomize(net, gen_)
            g = Graph()
            net.export(g)
            scale = net.s if hasattr(net, "s") else net.last.stride[0]
            # The engine runs the graph on the crop extended by its reach in
            # copies of the edge pixels (docs/cnn.md, "Plane edges").
            r = cnn_export.lr_radius(g.rows, scale)
            with torch.no_grad():
                y = net(F.pad(x, (r, r, r, r), mode="replicate"))
                y = y[..., r * scale:y.shape[-2] - r * scale, r * scale:y.shape[-1] - r * scale]
                # Random weights put the output anywhere; a final 1x1 conv
                # (HR, 1 -> 1 channel) maps it to mean 0.5, std 0.25, so
                # most pixels are inside 0..255 and rounding is exercised.
                cal = nn.Conv2d(1, 1, 1)
                cal.weight.fill_(0.25 / max(float(y.std()), 1e-3))
                cal.bias.fill_(0.5 - float(cal.weight) * float(y.mean()))
                y = cal(y)[0, 0].numpy()
            g.conv(len(g.rows), cal)
            lsr_format.write_cnn(os.path.join(args.dir, name + ".lsr"), scale, g.rows, g.weights,
                                 "test: %s (random weights)" % name)
            want = np.clip(np.floor(np.float32(255) * y + np.float32(0.5)), 0, 255).astype(np.uint8)
            if len(np.unique(want)) < 16:
                sys.exit("%s: output too flat (%d levels); change the seed" % (name, len(np.unique(want))))
            want.tofile(os.path.join(args.dir, name + ".want.raw"))
            cases.write("%s %d %d\n" % (name, w, h))


def check(args):
    bad = 0
    with open(os.path.join(args.dir, "cases.txt")) as cases:
        for line in cases:
            name = line.split()[0]
            want = np.fromfile(os.path.join(args.dir, name + ".want.raw"), dtype=np.uint8)
            got = np.fromfile(os.path.join(args.dir, name + ".got.raw"), dtype=np.uint8)
            if got.shape != want.shape:
                print("%s: %d bytes, expected %d" % (name, got.size, want.size))
                bad += 1
                continue
            diff = np.abs(got.astype(np.int32) - want.astype(np.int32))
            frac = np.count_nonzero(diff) / diff.size
            ok = diff.max() <= 1 and frac <= 0.01
            print("%-12s max |diff| %d, %.3f%% of %d pixels differ%s"
                  % (name, diff.max(), 100 * frac, diff.size, "" if ok else "  FAIL"))
            bad += not ok
    return 1 if bad else 0


def run(args):
    """gen, the engine on every case, check: one process, one torch import."""
    import subprocess
    gen(args)
    with open(os.path.join(args.dir, "cases.txt")) as cases:
        for line in cases:
            name, w, h = line.split()
            d = os.path.join(args.dir, name)
            subprocess.run([args.lutsr, "upscale", "-q", "-m", d + ".lsr", "-i",
                            os.path.join(args.dir, "in.raw"), "-o", d + ".got.raw",
                            "--size", "%sx%s" % (w, h), "--threads", str(args.threads)], check=True)
    return check(args)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for cmd in ("gen", "run"):
        g = sub.add_parser(cmd)
        g.add_argument("dir")
        g.add_argument("--image", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                       "..", "shared", "data", "val", "Set5", "butterfly.png"))
        g.add_argument("--crop", default="48x40")
        g.add_argument("--seed", type=int, default=1)
        if cmd == "run":
            g.add_argument("--lutsr", required=True, help="the lutsr CLI binary")
            g.add_argument("--threads", type=int, default=2)
    c = sub.add_parser("check")
    c.add_argument("dir")
    args = p.parse_args()
    if args.cmd == "gen":
        gen(args)
        return 0
    return run(args) if args.cmd == "run" else check(args)


if __name__ == "__main__":
    sys.exit(main())
