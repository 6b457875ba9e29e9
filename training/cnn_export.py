"""PyTorch networks (cnn_models.py) -> lutsr layer graphs (kind 16,
docs/cnn.md), and a PyTorch executor for such graphs.

    to_graph(net) -> (rows, weights)   the layer rows ([op, in0, in1, c_out,
                                       p0..p3]) and {"w<i>", "b<i>", "a<i>":
                                       float32 numpy} for lsr_format.write_cnn
    ecb_kernel(ecb) -> (K, B)          an ECB's five branches as one 3x3
                                       conv (exact, see below)
    reparam_ecbsr(net) -> ECBSR        the same network with plain 3x3 convs
    run_graph(rows, weights, x)        the graph in PyTorch (float32): what the
                                       engine computes, before its rounding
    load_graph(path) -> (scale, rows, weights)

Layer counts (the format allows 128 layers and 512 tensors):
  eSR-MAX 3, eSR-TM 7, eSR-TR 9, eSR-CNN 2*layers + 9, ECBSR-M<m> 2m + 6,
  FSRCNN-m<m> 2m + 7, IMDN 19*blocks + 6 (so at most 6 blocks: 120; 2 more
  with the global residual). IMDN's channel splits are exported without SLICE layers: each
  refinement conv reads the whole previous output with zero weights on the
  distilled channels, and the attention/fusion read a concatenation of the
  three full outputs and the last conv's with zero weights on everything
  that is not a distilled channel. The arithmetic is the same (the extra
  terms are exact zeros); it saves 6 layers a block for ~1/3 more MACs in
  those convs.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cnn_models as cm  # noqa: E402
import lsr_format  # noqa: E402

OPS = lsr_format.CNN_OPS
OP_NAMES = {v: k for k, v in OPS.items()}


def _np(t):
    return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=np.float32) \
        if isinstance(t, torch.Tensor) else np.ascontiguousarray(t, dtype=np.float32)


class Graph:
    """Layer rows being built; buffer numbers as docs/cnn.md (0 = input,
    layer i writes buffer i + 1)."""

    def __init__(self):
        self.rows, self.weights, self.ch = [], {}, [1]

    def op(self, name, in0, c_out, in1=-1, p=()):
        self.rows.append([OPS[name], in0, in1, c_out] + list(p) + [0] * (4 - len(p)))
        self.ch.append(c_out)
        return len(self.rows)

    def conv(self, in0, w, b):
        """w [c_out, C, k, k] (tensor or array), b [c_out]."""
        i = len(self.rows)
        w, b = _np(w), _np(b)
        self.weights["w%d" % i], self.weights["b%d" % i] = w, b
        return self.op("conv", in0, w.shape[0], p=(w.shape[2],))

    def conv_m(self, in0, m):
        return self.conv(in0, m.weight, m.bias)

    def deconv(self, in0, m):
        i = len(self.rows)
        self.weights["w%d" % i], self.weights["b%d" % i] = _np(m.weight), _np(m.bias)
        return self.op("deconv", in0, m.out_channels,
                       p=(m.kernel_size[0], m.stride[0], m.padding[0], m.output_padding[0]))

    def prelu(self, in0, slopes):
        i = len(self.rows)
        self.weights["a%d" % i] = _np(slopes).reshape(-1)
        return self.op("prelu", in0, self.ch[in0])


# ------------------------------------------------------------- per family

def _esr_head(g, x, head):
    c, s = head.c, head.s
    y = g.op("pixel_shuffle", g.conv_m(x, head.conv), head.parts * c, p=(s,))
    if head.mode == "max":
        return g.op("group_max", y, 1, p=(c,))
    a = g.op("slice", y, c, p=(0,))
    b = g.op("slice", y, c, p=(c,))
    if head.mode == "tm":
        w, v = g.op("softmax", a, c, p=(c,)), b
    else:
        w = g.op("softmax", g.op("mul", a, c, in1=b), c, p=(c,))
        v = g.op("slice", y, c, p=(2 * c,))
    return g.op("group_sum", g.op("mul", w, c, in1=v), 1, p=(c,))


def _esr(g, net):
    _esr_head(g, 0, net.head)


def _esr_cnn(g, net):
    x = 0
    for conv, act in zip(net.convs, net.acts):
        x = g.prelu(g.conv_m(x, conv), act.weight)
    _esr_head(g, x, net.head)


def ecb_kernel(ecb):
    """(K [c_out, c_in, 3, 3], B [c_out]) float64 with conv2d(x, K, B,
    padding=1) == ecb(x). Each branch is linear in x; the 1x1-then-3x3
    branches fold into one 3x3 kernel exactly because their intermediate
    is padded with the 1x1's bias (what the 1x1 gives on zero input), and
    the bias terms fold into B."""
    d = torch.float64
    K = ecb.conv3.weight.detach().to(d).clone()
    B = ecb.conv3.bias.detach().to(d).clone()
    w0 = ecb.expand.weight.detach().to(d)[:, :, 0, 0]           # mid, c_in
    b0 = ecb.expand.bias.detach().to(d)
    w1 = ecb.squeeze.weight.detach().to(d)                      # c_out, mid, 3, 3
    K += torch.einsum("omuv,mc->ocuv", w1, w0)
    B += ecb.squeeze.bias.detach().to(d) + torch.einsum("omuv,m->o", w1, b0)
    for br in (ecb.sobel_x, ecb.sobel_y, ecb.laplacian):
        w0 = br.conv.weight.detach().to(d)[:, :, 0, 0]          # c_out, c_in
        b0 = br.conv.bias.detach().to(d)
        m = (br.scale.detach().to(d) * br.mask.to(d))[:, 0]      # c_out, 3, 3
        K += m[:, None] * w0[:, :, None, None]
        B += br.bias.detach().to(d) + m.sum(dim=(1, 2)) * b0
    return K, B


def reparam_ecbsr(net):
    """The plain (one 3x3 conv per block) ECBSR equal to `net`."""
    plain = cm.plain_ecbsr(net.s, net.m, net.c)
    with torch.no_grad():
        for src, dst in zip(net.blocks, plain.blocks):
            K, B = ecb_kernel(src)
            dst.weight.copy_(K.float())
            dst.bias.copy_(B.float())
        for src, dst in zip(net.acts, plain.acts):
            dst.weight.copy_(src.weight)
    return plain


def _ecbsr(g, net):
    s2 = net.s * net.s
    y = 0
    blocks = net.blocks
    if isinstance(blocks[0], cm.ECB):
        kb = [ecb_kernel(b) for b in blocks]
    else:
        kb = [(b.weight, b.bias) for b in blocks]
    for (K, B), act in zip(kb[:-1], net.acts):
        y = g.prelu(g.conv(y, K, B), act.weight)
    y = g.conv(y, *kb[-1])
    y = g.op("add", y, s2, in1=g.op("repeat", 0, s2, p=(s2,)))
    g.op("pixel_shuffle", y, 1, p=(net.s,))


def _fsrcnn(g, net):
    x = 0
    for conv, act in zip(net.convs(), net.acts):
        x = g.prelu(g.conv_m(x, conv), act.weight)
    y = g.deconv(x, net.last)
    if net.residual:
        s2 = net.s * net.s
        up = g.op("pixel_shuffle", g.op("repeat", 0, s2, p=(s2,)), 1, p=(net.s,))
        g.op("add", y, 1, in1=up)


def _padded(w, c_in, idx):
    """w [c_out, len(idx), k, k] placed at input channels idx of a
    [c_out, c_in, k, k] kernel, zeros elsewhere."""
    w = w.detach()
    out = torch.zeros(w.shape[0], c_in, *w.shape[2:], dtype=w.dtype)
    out[:, idx] = w
    return out


def _imdn(g, net):
    fea = g.conv_m(0, net.fea)
    y, outs = fea, []
    for b in net.blocks:
        c, d = b.c, b.d
        rest = list(range(d, c))
        t1 = g.prelu(g.conv_m(y, b.c1), [cm.LEAKY])
        t2 = g.prelu(g.conv(t1, _padded(b.c2.weight, c, rest), b.c2.bias), [cm.LEAKY])
        t3 = g.prelu(g.conv(t2, _padded(b.c3.weight, c, rest), b.c3.bias), [cm.LEAKY])
        t4 = g.conv(t3, _padded(b.c4.weight, c, rest), b.c4.bias)
        cat = g.op("concat", g.op("concat", t1, 2 * c, in1=t2), 3 * c, in1=t3)
        n = 3 * c + d
        cat = g.op("concat", cat, n, in1=t4)
        # the distilled channels' places in the concatenation
        idx = [j for base in (0, c, 2 * c, 3 * c) for j in range(base, base + d)]
        att = g.op("mean_std", cat, n)
        att = g.op("relu", g.conv(att, _padded(b.du1.weight, n, idx), b.du1.bias), b.du1.out_channels)
        w2 = torch.zeros(n, b.du2.in_channels, 1, 1)
        b2 = torch.zeros(n)
        w2[idx], b2[idx] = b.du2.weight.detach(), b.du2.bias.detach()
        att = g.op("sigmoid", g.conv(att, w2, b2), n)
        z = g.conv(g.op("mul", cat, n, in1=att), _padded(b.c5.weight, n, idx), b.c5.bias)
        y = g.op("add", z, c, in1=y)
        outs.append(y)
    cat = outs[0]
    for j, o in enumerate(outs[1:]):
        cat = g.op("concat", cat, (j + 2) * net.c, in1=o)
    y = g.prelu(g.conv_m(cat, net.fuse), [cm.LEAKY])
    y = g.conv_m(g.op("add", g.conv_m(y, net.lr_conv), net.c, in1=fea), net.up)
    if net.residual:
        s2 = net.s * net.s
        y = g.op("add", y, s2, in1=g.op("repeat", 0, s2, p=(s2,)))
    g.op("pixel_shuffle", y, 1, p=(net.s,))


EXPORTERS = [(cm.ESR, _esr), (cm.ESRCNN, _esr_cnn), (cm.ECBSR, _ecbsr), (cm.FSRCNN, _fsrcnn),
             (cm.IMDN, _imdn)]


def to_graph(net):
    """(rows, weights) of a cnn_models network (training or re-parameterised
    form); raises ValueError when it exceeds the format's limits."""
    g = Graph()
    for cls, fn in EXPORTERS:
        if isinstance(net, cls):
            with torch.no_grad():
                fn(g, net)
            break
    else:
        raise TypeError("no exporter for %s" % type(net).__name__)
    if len(g.rows) > lsr_format.CNN_MAX_LAYERS:
        raise ValueError("%d layers: the format allows %d" % (len(g.rows), lsr_format.CNN_MAX_LAYERS))
    if 1 + len(g.weights) > lsr_format.MAX_TENSORS:
        raise ValueError("%d tensors: the format allows %d" % (1 + len(g.weights), lsr_format.MAX_TENSORS))
    return g.rows, g.weights


def macs_per_lr_pixel(rows, weights, scale):
    """Multiply-adds of the convolutions per input (LR) pixel: what sets
    the engine's speed (the other ops are memory-bound and small)."""
    total = 0.0
    for i, r in enumerate(rows):
        if r[0] == OPS["conv"]:
            w = weights["w%d" % i]
            # G-space convs (IMDN attention) run once per frame: ~0
            total += 0 if _space(rows, i) == "G" else w.size * (scale * scale if _space(rows, i) == "HR" else 1)
        elif r[0] == OPS["deconv"]:
            total += weights["w%d" % i].size
    return total


def lr_radius(rows, scale):
    """How far (LR pixels) an output pixel's inputs reach: docs/cnn.md's
    reach R, the edge replication around the plane the graph sees (src/cnn.c
    graph_reach() is the same rule)."""
    r = [0]
    for op, in0, in1, c_out, p0, p1, p2, p3 in rows:
        v = max(r[in0], r[in1] if in1 >= 0 else 0)
        if op == OPS["conv"]:
            hr = _space(rows, len(r) - 1) == "HR"
            v += -(-(p0 // 2) // scale) if hr else p0 // 2
        elif op == OPS["deconv"]:
            v += -(-p0 // (2 * p1))
        r.append(v)
    return r[-1]


def _space(rows, i):
    """Space of layer i's output (LR, HR or G), as the loader tracks it."""
    sp = ["LR"]
    for r in rows[:i + 1]:
        op = r[0]
        if op in (OPS["deconv"], OPS["pixel_shuffle"]):
            sp.append("HR")
        elif op == OPS["mean_std"]:
            sp.append("G")
        else:
            sp.append(sp[r[1]])
    return sp[i + 1]


# ------------------------------------------------------ graph in PyTorch

def _tensor(v, device):
    """float32 tensor of a weight array; copies numpy arrays (those read from a
    file are read-only, which torch warns about), leaves tensors as they are."""
    if not torch.is_tensor(v):
        v = torch.from_numpy(np.array(v, np.float32))
    return v.to(device=device, dtype=torch.float32)


def graph_scale(rows):
    """The scale of a graph: the factor of its first DECONV / PIXEL_SHUFFLE
    (the one that leaves LR space)."""
    for op, in0, in1, c_out, p0, p1, p2, p3 in rows:
        if op == OPS["deconv"]:
            return p1
        if op == OPS["pixel_shuffle"]:
            return p0
    raise ValueError("graph has no upscaling layer")


def run_graph(rows, weights, x, edge=True):
    """docs/cnn.md's semantics in PyTorch: x N x 1 x h x w (pixel / 255),
    returns buffer L (N x 1 x sh x sw). edge: the plane extended by the
    reach R in copies of its edge pixels, the centre of the result kept, as
    the engine does; False: the bare graph (zero padding at x's edges).
    Differentiable in x (a .lsr CNN can serve as a distillation teacher
    through it)."""
    if edge:
        s = graph_scale(rows)
        r = lr_radius(rows, s)
        if r:
            y = run_graph(rows, weights, F.pad(x, (r, r, r, r), mode="replicate"), edge=False)
            return y[..., r * s:y.shape[-2] - r * s, r * s:y.shape[-1] - r * s]
    w = {k: _tensor(v, x.device) for k, v in weights.items()}
    bufs = [x]
    for i, (op, in0, in1, c_out, p0, p1, p2, p3) in enumerate(rows):
        a = bufs[in0]
        n = a.shape[0]
        name = OP_NAMES[op]
        if name == "conv":
            y = F.conv2d(a, w["w%d" % i], w["b%d" % i], padding=p0 // 2)
        elif name == "deconv":
            y = F.conv_transpose2d(a, w["w%d" % i], w["b%d" % i], stride=p1, padding=p2,
                                   output_padding=p3)
        elif name == "relu":
            y = F.relu(a)
        elif name == "prelu":
            s = w["a%d" % i]
            y = torch.where(a >= 0, a, a * s.view(1, -1, 1, 1))
        elif name == "pixel_shuffle":
            y = F.pixel_shuffle(a, p0)
        elif name == "add":
            y = a + bufs[in1]
        elif name == "mul":
            y = a * bufs[in1]
        elif name == "concat":
            y = torch.cat([a, bufs[in1]], 1)
        elif name == "slice":
            y = a[:, p0:p0 + c_out]
        elif name == "sigmoid":
            y = torch.sigmoid(a)
        elif name in ("softmax", "group_sum", "group_max"):
            g = a.reshape(n, a.shape[1] // p0, p0, *a.shape[2:])
            if name == "softmax":
                y = torch.softmax(g, 2).reshape(a.shape)
            else:
                y = g.sum(2) if name == "group_sum" else g.max(2)[0]
        elif name == "mean_std":
            y = cm.contrast(a)
        elif name == "repeat":
            y = a.repeat(1, p0, 1, 1)
        else:
            raise ValueError("layer %d: op %d" % (i, op))
        bufs.append(y)
    return bufs[-1]


def load_graph(path):
    """(scale, rows, weights) of a cnn .lsr file."""
    m = lsr_format.read(path)
    if m["kind"] != "cnn":
        raise ValueError("%s: not a cnn model (kind %s)" % (path, m["kind"]))
    t = m["tensors"]
    L = m["params"][0]
    rows = np.frombuffer(t["graph"][2], "<i4").reshape(L, 8).tolist()
    weights = {k: np.frombuffer(v[2], "<f4").reshape(v[1]) for k, v in t.items() if k != "graph"}
    return m["scale"], rows, weights


class GraphModule(torch.nn.Module):
    """A .lsr CNN as a (frozen) PyTorch module: pixel / 255 in and out;
    edge as run_graph() takes it."""

    def __init__(self, path, edge=True):
        super().__init__()
        self.edge = edge
        self.s, self.rows, w = load_graph(path)
        self.w = {k: _tensor(v, "cpu") for k, v in w.items()}  # converted once, not per call

    def forward(self, x):
        if any(v.device != x.device for v in self.w.values()):
            self.w = {k: v.to(x.device) for k, v in self.w.items()}
        return run_graph(self.rows, self.w, x, self.edge)
