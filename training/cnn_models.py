"""The small CNN super-resolution networks lutsr runs as layer graphs
(kind 16, docs/cnn.md): eSR (edge-SR MAX / TM / TR / CNN), ECBSR, FSRCNN
and IMDN, in their training-time form.

Every network maps N x 1 x h x w luma / 255 to N x 1 x sh x sw luma / 255
(the engine's buffer 0 and output convention). Only operations the graph
format has are used, so cnn_export.py can write each one as layer rows:
ECBSR trains with its multi-branch Edge-oriented Convolution Blocks and is
re-parameterised to one 3x3 conv per block at export (cnn_export.py);
everything else exports layer by layer.

build(arch, scale, **params) makes a network from a config's "model" dict.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEAKY = 0.05  # IMDN's LeakyReLU slope (exported as a one-slope PRELU)


# ------------------------------------------------------------------- eSR

def cubic_taps(scale, k):
    """k x k LR taps per sub-pixel phase of bicubic upsampling (a = -0.5,
    pixel centres aligned as in imresize): [s*s, k, k], phase i*s + j.
    Taps outside the k x k window (k = 3) are dropped and the rest
    renormalised. eSR's value filters start from these, so an untrained
    eSR is already a bicubic upscaler."""
    def cubic(x):
        x = abs(x)
        if x <= 1:
            return 1.5 * x ** 3 - 2.5 * x ** 2 + 1
        if x < 2:
            return -0.5 * x ** 3 + 2.5 * x ** 2 - 4 * x + 2
        return 0.0
    r = k // 2
    one_d = []
    for i in range(scale):
        t = (i + 0.5) / scale - 0.5  # HR sample position relative to its LR pixel
        w = [cubic(t - o) for o in range(-r, r + 1)]
        one_d.append([v / sum(w) for v in w])
    taps = torch.zeros(scale * scale, k, k)
    for i in range(scale):
        for j in range(scale):
            taps[i * scale + j] = torch.outer(torch.tensor(one_d[i]), torch.tensor(one_d[j]))
    return taps


class ESRHead(nn.Module):
    """The edge-SR upsampling head on a C_in-channel LR map: one k x k conv
    to s*s * parts * C channels, pixel shuffle, then
      max: max over the C channels;
      tm:  sum softmax(key) * value           (channels: key, value);
      tr:  sum softmax(query * key) * value   (channels: query, key, value).
    """

    PARTS = {"max": 1, "tm": 2, "tr": 3}

    def __init__(self, scale, mode, channels, kernel, c_in=1):
        super().__init__()
        if mode not in self.PARTS:
            raise ValueError("eSR mode %r: expected max, tm or tr" % mode)
        self.s, self.mode, self.c, self.k = scale, mode, channels, kernel
        self.parts = self.PARTS[mode]
        self.conv = nn.Conv2d(c_in, scale * scale * self.parts * channels, kernel,
                              padding=kernel // 2)

    def init_bicubic(self, noise=1e-3):
        """Value filters = bicubic taps (plus a little noise, so the C
        channels differ), keys/queries small: output ~ bicubic."""
        s2, c = self.s * self.s, self.c
        taps = cubic_taps(self.s, self.k)
        with torch.no_grad():
            w = self.conv.weight
            w.normal_(0, noise)
            self.conv.bias.zero_()
            v0 = (self.parts - 1) * c  # first value channel after the shuffle
            for ch in range(c):
                # conv channel (v0 + ch) * s2 + phase -> shuffled channel v0 + ch
                base = (v0 + ch) * s2
                w[base:base + s2, 0] += taps

    def forward(self, x):
        y = F.pixel_shuffle(self.conv(x), self.s)
        c = self.c
        if self.mode == "max":
            return y.max(dim=1, keepdim=True)[0]
        if self.mode == "tm":
            return (torch.softmax(y[:, :c], dim=1) * y[:, c:]).sum(dim=1, keepdim=True)
        w = torch.softmax(y[:, :c] * y[:, c:2 * c], dim=1)
        return (w * y[:, 2 * c:]).sum(dim=1, keepdim=True)


class ESR(nn.Module):
    """eSR-MAX / eSR-TM / eSR-TR: the head straight on the input."""

    def __init__(self, scale, mode="max", channels=4, kernel=5):
        super().__init__()
        self.s = scale
        self.head = ESRHead(scale, mode, channels, kernel)
        self.head.init_bicubic()

    def forward(self, x):
        return self.head(x)


class ESRCNN(nn.Module):
    """eSR-CNN: `layers` 3x3 conv + PReLU feature layers (D channels) and
    an eSR-TR head on them (edge-SR paper, with PReLU for its tanh, which
    the graph format does not have)."""

    def __init__(self, scale, features=8, layers=2, channels=2, kernel=3):
        super().__init__()
        self.s = scale
        convs, acts = [], []
        c = 1
        for _ in range(layers):
            convs.append(nn.Conv2d(c, features, 3, padding=1))
            acts.append(nn.PReLU(features))
            c = features
        self.convs, self.acts = nn.ModuleList(convs), nn.ModuleList(acts)
        self.head = ESRHead(scale, "tr", channels, kernel, c_in=c)

    def forward(self, x):
        for conv, act in zip(self.convs, self.acts):
            x = act(conv(x))
        return self.head(x)


# ----------------------------------------------------------------- ECBSR

SOBEL_X = ((1.0, 0.0, -1.0), (2.0, 0.0, -2.0), (1.0, 0.0, -1.0))
SOBEL_Y = ((1.0, 2.0, 1.0), (0.0, 0.0, 0.0), (-1.0, -2.0, -1.0))
LAPLACIAN = ((0.0, 1.0, 0.0), (1.0, -4.0, 1.0), (0.0, 1.0, 0.0))


def pad_with_bias(y, b):
    """y padded by one pixel whose values are the 1x1 conv's bias b (per
    channel): what the 1x1 conv gives on the zero padding of its input.
    With it, "1x1 then 3x3 (no padding)" equals one 3x3 conv on the
    zero-padded input, borders included, so re-parameterisation is exact."""
    n, c, h, w = y.shape
    out = b.view(1, c, 1, 1).expand(n, c, h + 2, w + 2).clone()
    out[:, :, 1:-1, 1:-1] = y
    return out


class EdgeBranch(nn.Module):
    """1x1 conv, then a fixed 3x3 mask per output channel times a learned
    per-channel scale, plus a learned bias (ECB's Sobel / Laplacian)."""

    def __init__(self, c_in, c_out, mask):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 1)
        self.register_buffer("mask", torch.tensor(mask).view(1, 1, 3, 3).repeat(c_out, 1, 1, 1))
        self.scale = nn.Parameter(torch.randn(c_out, 1, 1, 1) * 1e-3)
        self.bias = nn.Parameter(torch.randn(c_out) * 1e-3)

    def forward(self, x):
        y = pad_with_bias(self.conv(x), self.conv.bias)
        return F.conv2d(y, self.scale * self.mask, self.bias, groups=self.mask.shape[0])

    def folded(self):
        """(K [c_out, c_in, 3, 3], B [c_out]) of this branch, differentiable."""
        m = self.scale * self.mask                                  # c_out, 1, 3, 3
        return m * self.conv.weight, self.bias + m.sum(dim=(1, 2, 3)) * self.conv.bias


class ECB(nn.Module):
    """Edge-oriented Convolution Block (ECBSR): five parallel branches,
    summed: 3x3; 1x1 expand (depth_mult x c_out) then 3x3 squeeze;
    1x1 then Sobel-x, Sobel-y, Laplacian. All linear, so one 3x3 conv
    equals it (cnn_export.ecb_kernel).

    forward() runs that one conv, its kernel computed from the branch
    parameters differentiably: the same function and the same gradients
    for every parameter as the five branches (chain rule through a linear
    map), ~10x faster on CPU (the branches' depthwise edge convs and
    bias-padded copies dominated a step). forward_branches() is the
    five-branch form itself; cnn.py selftest checks they agree."""

    def __init__(self, c_in, c_out, depth_mult=2.0):
        super().__init__()
        self.c_in, self.c_out = c_in, c_out
        mid = max(1, int(round(c_out * depth_mult)))
        self.conv3 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.expand = nn.Conv2d(c_in, mid, 1)
        self.squeeze = nn.Conv2d(mid, c_out, 3)
        self.sobel_x = EdgeBranch(c_in, c_out, SOBEL_X)
        self.sobel_y = EdgeBranch(c_in, c_out, SOBEL_Y)
        self.laplacian = EdgeBranch(c_in, c_out, LAPLACIAN)

    def forward_branches(self, x):
        y = self.conv3(x)
        y = y + self.squeeze(pad_with_bias(self.expand(x), self.expand.bias))
        return y + self.sobel_x(x) + self.sobel_y(x) + self.laplacian(x)

    def folded(self):
        w0 = self.expand.weight[:, :, 0, 0]                          # mid, c_in
        k = self.conv3.weight + torch.einsum("omuv,mc->ocuv", self.squeeze.weight, w0)
        b = self.conv3.bias + self.squeeze.bias + \
            torch.einsum("omuv,m->o", self.squeeze.weight, self.expand.bias)
        for br in (self.sobel_x, self.sobel_y, self.laplacian):
            kb, bb = br.folded()
            k, b = k + kb, b + bb
        return k, b

    def forward(self, x):
        k, b = self.folded()
        return F.conv2d(x, k, b, padding=1)


class ECBSR(nn.Module):
    """ECBSR-M<m>C<c>: ECB(1 -> c) + PReLU, m x [ECB(c -> c) + PReLU],
    ECB(c -> s*s), plus the input repeated s*s times (after the pixel
    shuffle: nearest upsampling), pixel shuffle. `block` builds the blocks:
    ECB for training, a plain 3x3 conv for the re-parameterised form."""

    def __init__(self, scale, m=4, c=16, depth_mult=2.0, block=None):
        super().__init__()
        self.s, self.m, self.c = scale, m, c
        block = block or (lambda ci, co: ECB(ci, co, depth_mult))
        self.blocks = nn.ModuleList([block(1, c)] + [block(c, c) for _ in range(m)] +
                                    [block(c, scale * scale)])
        self.acts = nn.ModuleList(nn.PReLU(c) for _ in range(m + 1))

    def forward(self, x, branches=False):
        """branches: run each ECB's five branches (ECB.forward_branches)."""
        def run(blk, y):
            return blk.forward_branches(y) if branches else blk(y)
        y = x
        for blk, act in zip(self.blocks[:-1], self.acts):
            y = act(run(blk, y))
        y = run(self.blocks[-1], y) + x.repeat(1, self.s * self.s, 1, 1)
        return F.pixel_shuffle(y, self.s)


def plain_ecbsr(scale, m, c):
    """ECBSR with a plain 3x3 conv per block (the re-parameterised form)."""
    return ECBSR(scale, m, c, block=lambda ci, co: nn.Conv2d(ci, co, 3, padding=1))


# ---------------------------------------------------------------- FSRCNN

def deconv_taps(k, s, p):
    """How a 1-D transposed conv (kernel k, stride s, padding p, output
    s x the input) reads its input, per output phase: output s*q + r is
    sum over t of x[q + t] * w[r + p - s*t], for the t where that kernel
    index lies in 0..k-1. Returns (lo, idx, mask): t runs lo .. lo + n - 1,
    idx [s, n] the kernel index per (phase, tap) (0 where none), mask [s, n]
    1.0 where there is one. Every kernel index appears exactly once."""
    ts = [t for r in range(s) for t in range(-k, k + 1) if 0 <= r + p - s * t < k]
    lo, n = min(ts), max(ts) - min(ts) + 1
    idx = torch.zeros(s, n, dtype=torch.long)
    mask = torch.zeros(s, n)
    for r in range(s):
        for j in range(n):
            kk = r + p - s * (lo + j)
            if 0 <= kk < k:
                idx[r, j], mask[r, j] = kk, 1.0
    return lo, idx, mask


class PhaseDeconv(nn.Module):
    """A square nn.ConvTranspose2d whose output is exactly stride x its
    input (kernel - 2 padding + output padding = stride), run as a conv on
    the input grid to stride^2 channels (one per output phase; its taps
    gathered from the deconv kernel) and a pixel shuffle: the same linear
    map, so the same function and the same gradients for the deconv's
    parameters. Why: PyTorch's CPU transposed conv (slow_conv_transpose2d,
    im2col + reference BLAS here) took ~75% of an FSRCNN step, forward
    and backward; oneDNN runs the conv form far faster. It holds no
    parameters (only non-persistent index buffers): forward() takes the
    deconv's own weight and bias, so checkpoints and the export are
    unchanged (cnn.py selftest checks it against the deconv)."""

    def __init__(self, m):
        super().__init__()
        k, s, p, op = m.kernel_size[0], m.stride[0], m.padding[0], m.output_padding[0]
        if (m.kernel_size[1], m.stride[1], m.padding[1], m.output_padding[1]) != (k, s, p, op) \
                or k - 2 * p + op != s or m.groups != 1 or m.dilation != (1, 1):
            raise ValueError("PhaseDeconv: want a square deconv with output = stride x input")
        self.s = s
        lo, idx, mask = deconv_taps(k, s, p)
        n = idx.shape[1]
        self.pad = (-lo, lo + n - 1, -lo, lo + n - 1)  # left, right, top, bottom
        self.register_buffer("idx", idx, persistent=False)
        self.register_buffer("mask", (mask[:, :, None, None] * mask[None, None]), persistent=False)

    def conv_weight(self, w):
        """The deconv kernel w [c_in, c_out, k, k] as a conv kernel
        [c_out * s*s, c_in, n, n]: channel (o, r1, r2) = phase (r1, r2) of
        output channel o, as pixel_shuffle orders it."""
        i = self.idx
        g = w[:, :, i[:, :, None, None], i[None, None]]      # c_in, c_out, s, n, s, n
        g = g * self.mask
        ci, co, s, n = w.shape[0], w.shape[1], self.s, i.shape[1]
        return g.permute(1, 2, 4, 0, 3, 5).reshape(co * s * s, ci, n, n)

    def forward(self, x, weight, bias):
        b = bias.repeat_interleave(self.s * self.s) if bias is not None else None
        y = F.conv2d(F.pad(x, self.pad), self.conv_weight(weight), b)
        return F.pixel_shuffle(y, self.s)


class FSRCNN(nn.Module):
    """FSRCNN(d, s, m): 5x5 conv 1 -> d, 1x1 shrink d -> s, m x 3x3 s -> s,
    1x1 expand s -> d, PReLU after each, 9x9 transposed conv d -> 1 with
    stride = scale (padding 4, output padding scale - 1: exactly s x the
    LR size). The deconvolution trains as a conv and pixel shuffle
    (PhaseDeconv: same parameters, same function); forward(x, deconv=True)
    runs nn.ConvTranspose2d itself.

    residual=True adds the nearest-upsampled input to the output (ECBSR's
    global residual; in the engine REPEAT + PIXEL_SHUFFLE + ADD, ~1 op per
    HR pixel): the network then learns the detail, not the whole image,
    which the published form takes far more iterations to learn (x2 on
    CPU: 34.4 dB after 16k iterations without it)."""

    def __init__(self, scale, d=56, s=12, m=4, residual=False):
        super().__init__()
        self.s = scale
        self.residual = bool(residual)
        self.first = nn.Conv2d(1, d, 5, padding=2)
        self.shrink = nn.Conv2d(d, s, 1)
        self.maps = nn.ModuleList(nn.Conv2d(s, s, 3, padding=1) for _ in range(m))
        self.expand = nn.Conv2d(s, d, 1)
        self.acts = nn.ModuleList(nn.PReLU(c) for c in [d, s] + [s] * m + [d])
        self.last = nn.ConvTranspose2d(d, 1, 9, stride=scale, padding=4, output_padding=scale - 1)
        # A small Gaussian deconvolution (FSRCNN uses std 1e-3 with SGD;
        # 1e-2 here, which Adam's first steps reach anyway) around mid-gray.
        nn.init.normal_(self.last.weight, std=1e-2)
        nn.init.constant_(self.last.bias, 0.0 if self.residual else 0.5)
        self.phase = PhaseDeconv(self.last)  # no parameters, no state_dict entries

    def convs(self):
        return [self.first, self.shrink] + list(self.maps) + [self.expand]

    def forward(self, x, deconv=False):
        inp = x
        for conv, act in zip(self.convs(), self.acts):
            x = act(conv(x))
        y = self.last(x) if deconv else self.phase(x, self.last.weight, self.last.bias)
        if self.residual:
            y = y + F.interpolate(inp, scale_factor=self.s, mode="nearest")
        return y


# ------------------------------------------------------------------ IMDN

def contrast(x):
    """IMDN's contrast-aware pooling: per channel mean + population std."""
    mean = x.mean(dim=(2, 3), keepdim=True)
    return mean + ((x - mean) ** 2).mean(dim=(2, 3), keepdim=True).sqrt()


class IMDB(nn.Module):
    """Information multi-distillation block on c channels (d = c/4):
    3x3 conv + LeakyReLU, keep d channels, refine the other c - d (three
    times), a last 3x3 conv to d; the four d-channel parts concatenated,
    contrast-aware channel attention (mean + std pooling, 1x1 -> ReLU ->
    1x1 -> sigmoid, multiply), 1x1 fusion to c, plus the block's input."""

    def __init__(self, c, cca_mid):
        super().__init__()
        d = c // 4
        self.c, self.d = c, d
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.c2 = nn.Conv2d(c - d, c, 3, padding=1)
        self.c3 = nn.Conv2d(c - d, c, 3, padding=1)
        self.c4 = nn.Conv2d(c - d, d, 3, padding=1)
        self.du1 = nn.Conv2d(4 * d, cca_mid, 1)
        self.du2 = nn.Conv2d(cca_mid, 4 * d, 1)
        self.c5 = nn.Conv2d(4 * d, c, 1)

    def forward(self, x):
        d = self.d
        t = F.leaky_relu(self.c1(x), LEAKY)
        d1, r = t[:, :d], t[:, d:]
        t = F.leaky_relu(self.c2(r), LEAKY)
        d2, r = t[:, :d], t[:, d:]
        t = F.leaky_relu(self.c3(r), LEAKY)
        d3, r = t[:, :d], t[:, d:]
        cat = torch.cat([d1, d2, d3, self.c4(r)], dim=1)
        att = torch.sigmoid(self.du2(F.relu(self.du1(contrast(cat)))))
        return self.c5(cat * att) + x


class IMDN(nn.Module):
    """IMDN: 3x3 conv 1 -> c, `blocks` IMDBs, 1x1 fusion of all block
    outputs + LeakyReLU, 3x3 conv, plus the first features, 3x3 conv to
    s*s channels, pixel shuffle. On CPU the activations are channels-last
    (forward); channels_last = False runs the default layout (cnn.py
    selftest checks the two agree).

    residual=True adds the input, repeated to the s*s channels, before the
    pixel shuffle (nearest upsampling, as ECBSR's global residual; 2 more
    graph layers): the published form learns the whole image, which on our
    CPU runs was slow to converge (x2: 35.2 dB after 8,500 iterations)."""

    def __init__(self, scale, c=24, blocks=6, cca_reduction=16, residual=False):
        super().__init__()
        if c % 4:
            raise ValueError("IMDN channels must be a multiple of 4, got %d" % c)
        self.s, self.c = scale, c
        self.fea = nn.Conv2d(1, c, 3, padding=1)
        self.blocks = nn.ModuleList(IMDB(c, max(2, c // cca_reduction)) for _ in range(blocks))
        self.fuse = nn.Conv2d(c * blocks, c, 1)
        self.lr_conv = nn.Conv2d(c, c, 3, padding=1)
        self.up = nn.Conv2d(c, scale * scale, 3, padding=1)
        self.residual = bool(residual)
        self.channels_last = True  # CPU activation layout (see forward); not state

    def forward(self, x):
        fea = self.fea(x)
        if self.channels_last and fea.device.type == "cpu":
            # Channels-last activations (same values, another layout): the
            # 24-channel convs then run in oneDNN's NHWC kernels instead of
            # reordering every input / gradient to a 16-blocked layout
            # padded to 32 channels and back; an IMDN x2 training step on
            # one loaded core went from ~0.9-1.1 to ~0.7-0.9 s. Every later conv, add
            # and concatenation keeps the layout.
            fea = fea.contiguous(memory_format=torch.channels_last)
        y, outs = fea, []
        for b in self.blocks:
            y = b(y)
            outs.append(y)
        y = F.leaky_relu(self.fuse(torch.cat(outs, dim=1)), LEAKY)
        y = self.up(self.lr_conv(y) + fea)
        if self.residual:
            y = y + x.repeat(1, self.s * self.s, 1, 1)
        return F.pixel_shuffle(y, self.s)


# ----------------------------------------------------------------- build

ARCHS = ("esr-max", "esr-tm", "esr-tr", "esr-cnn", "ecbsr", "fsrcnn", "imdn")


def build(arch, scale, **p):
    """The training-time network for a config's model dict (arch + its
    parameters; unknown keys are an error, so a typo does not pass)."""
    def take(**defaults):
        extra = set(p) - set(defaults)
        if extra:
            raise ValueError("model %s: unknown parameter(s) %s" % (arch, ", ".join(sorted(extra))))
        return {k: type(v)(p.get(k, v)) for k, v in defaults.items()}
    if arch in ("esr-max", "esr-tm", "esr-tr"):
        return ESR(scale, arch[4:], **take(channels=4, kernel=5))
    if arch == "esr-cnn":
        return ESRCNN(scale, **take(features=8, layers=2, channels=2, kernel=3))
    if arch == "ecbsr":
        return ECBSR(scale, **take(m=4, c=16, depth_mult=2.0))
    if arch == "fsrcnn":
        return FSRCNN(scale, **take(d=56, s=12, m=4, residual=False))
    if arch == "imdn":
        return IMDN(scale, **take(c=24, blocks=6, cca_reduction=16, residual=False))
    raise ValueError("model arch %r: expected one of %s" % (arch, ", ".join(ARCHS)))


def describe(arch, net):
    """A short name with the sizes, for logs and metadata."""
    if isinstance(net, ESR):
        h = net.head
        return "eSR-%s (C=%d, k=%d)" % (h.mode.upper(), h.c, h.k)
    if isinstance(net, ESRCNN):
        h = net.head
        return "eSR-CNN (D=%d, %d layers, TR head C=%d, k=%d)" % (
            net.convs[0].out_channels, len(net.convs), h.c, h.k)
    if isinstance(net, ECBSR):
        return "ECBSR-M%dC%d" % (net.m, net.c)
    if isinstance(net, FSRCNN):
        return "FSRCNN(d=%d, s=%d, m=%d%s)" % (net.first.out_channels, net.shrink.out_channels,
                                               len(net.maps), ", residual" if net.residual else "")
    if isinstance(net, IMDN):
        return "IMDN (c=%d, %d blocks%s)" % (net.c, len(net.blocks),
                                            ", residual" if net.residual else "")
    return arch


def n_params(net):
    return sum(p.numel() for p in net.parameters())
