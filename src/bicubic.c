/*
 * Bicubic upscaler (a = -0.5, pixel-centre aligned, edge replicate): the
 * chroma kernel and the speed/quality baseline. C reference; the arithmetic
 * is docs/kernels.md, "Bicubic", to the bit.
 *
 * row(y) runs the horizontal pass on source rows y-2..y+2 (clamped) into
 * int16 scratch rows, then the vertical pass for the s output rows. Nothing
 * is carried from one call to the next, so rows are independent.
 */
#include <stdlib.h>
#include <string.h>

#include "bicubic.h"
#include "cpu.h"
#include "mem.h"
#include "model.h"

/* floor(a / b) for b > 0. */
static int floor_div(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* round(256 * cubic(n / d)), cubic the a = -0.5 Keys kernel, computed
 * exactly in integers (round half up) so no platform's floating point can
 * change a weight. */
static int cubic_weight(int n, int d)
{
    n = abs(n);
    int den = 2 * d * d * d, num;
    if (n <= d)
        num = 3 * n * n * n - 5 * n * n * d + 2 * d * d * d;
    else if (n < 2 * d)
        num = -n * n * n + 5 * n * n * d - 8 * n * d * d + 4 * d * d * d;
    else
        num = 0;
    return floor_div(2 * 256 * num + den, 2 * den);
}

void lutsr_bicubic_phases(int s, BicubicPhase *phase)
{
    const int d = 2 * s;
    for (int v = 0; v < s; v++) {
        /* Sample point j + (2v + 1 - s) / d; its floor is j + fl. */
        int pos = 2 * v + 1 - s;
        int fl = floor_div(pos, d);
        int frac = pos - fl * d; /* in [0, d) */
        int sum = 0, big = 0;
        phase[v].off = fl - 1;
        for (int t = 0; t < 4; t++) {
            /* tap j + fl - 1 + t lies ((t - 1) * d - frac) / d from the sample */
            phase[v].w[t] = (int16_t)cubic_weight((t - 1) * d - frac, d);
            sum += phase[v].w[t];
            if (phase[v].w[t] > phase[v].w[big])
                big = t;
        }
        /* Adds 0 for scales 2..4 (they round to 256 already); the rule
         * of the spec, kept for any other scale. */
        phase[v].w[big] = (int16_t)(phase[v].w[big] + 256 - sum);
    }
}

size_t lutsr_bicubic_scratch_bytes(int s, int w)
{
    /* C: five int16 rows of w * s values. AVX2: five edge-padded source
     * rows, five int16 strip rows, a 32-byte tail (64 for alignment). */
    size_t c = (size_t)5 * (size_t)w * (size_t)s * 2;
    size_t prow = ((size_t)w + BICUBIC_SIMD_PAD_LEFT + BICUBIC_SIMD_PAD_RIGHT + 63) & ~(size_t)63;
    size_t simd = 5 * prow + 5 * (BICUBIC_SIMD_STRIP + BICUBIC_SIMD_SLACK) * sizeof(int16_t) + 64;
    return c > simd ? c : simd;
}

/* round_shift(a, 2) and round_shift(a, 14) on operands made non-negative
 * by a bias that is a multiple of the divisor: plain shifts, so the loops
 * vectorise. Horizontal sums are > -8192 (negative weights sum to > -32),
 * vertical ones |a| < 2^23 (see docs/kernels.md for the ranges). */
static inline int hround(int a)
{
    return (int)((unsigned)(a + 2 + (1 << 13)) >> 2) - (1 << 11);
}

static inline int vround(int a)
{
    return (int)((unsigned)(a + (1 << 13) + (1 << 23)) >> 14) - (1 << 9);
}

/* Horizontal pass of one source row into n = w * s int16 values. */
static void hpass_c(const BicubicContext *k, const uint8_t *in, int w, int16_t *out)
{
    const int s = k->scale;
    for (int v = 0; v < s; v++) {
        const BicubicPhase *p = &k->phase[v];
        const int off = p->off, w0 = p->w[0], w1 = p->w[1], w2 = p->w[2], w3 = p->w[3];
        const int lo = -off, hi = w - 3 - off; /* all taps inside for lo <= j < hi */
        int j = 0;
        for (; j < w && (j < lo || j >= hi); j++) {
            int a = 0;
            for (int t = 0; t < 4; t++)
                a += p->w[t] * in[lutsr_clampi(j + off + t, 0, w - 1)];
            out[j * s + v] = (int16_t)hround(a);
        }
        for (; j < hi; j++) {
            const uint8_t *q = in + j + off;
            out[j * s + v] = (int16_t)hround(w0 * q[0] + w1 * q[1] + w2 * q[2] + w3 * q[3]);
        }
        for (; j < w; j++) {
            int a = 0;
            for (int t = 0; t < 4; t++)
                a += p->w[t] * in[lutsr_clampi(j + off + t, 0, w - 1)];
            out[j * s + v] = (int16_t)hround(a);
        }
    }
}

static void row_c(const BicubicContext *k, const LutsrPlane *src, int y,
                  uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const int s = k->scale, w = src->width, n = w * s;
    const int16_t *h[5];
    int prev = -1;
    for (int t = 0; t < 5; t++) {
        int sy = lutsr_clampi(y - 2 + t, 0, src->height - 1);
        if (sy == prev) {
            h[t] = h[t - 1]; /* clamped border rows repeat: reuse */
            continue;
        }
        int16_t *out = (int16_t *)scratch + (size_t)t * (size_t)n;
        hpass_c(k, src->data + sy * src->stride, w, out);
        h[t] = out;
        prev = sy;
    }
    for (int u = 0; u < s; u++) {
        const BicubicPhase *p = &k->phase[u];
        const int16_t *r0 = h[p->off + 2], *r1 = h[p->off + 3], *r2 = h[p->off + 4], *r3 = h[p->off + 5];
        const int w0 = p->w[0], w1 = p->w[1], w2 = p->w[2], w3 = p->w[3];
        uint8_t *o = dst + u * dst_stride;
        for (int x = 0; x < n; x++)
            o[x] = lutsr_clip_u8(vround(w0 * r0[x] + w1 * r1[x] + w2 * r2[x] + w3 * r3[x]));
    }
}

static int bicubic_init(void **priv, const struct LutsrModel *model, unsigned cpu_flags)
{
    if (!priv)
        return LUTSR_ERR_INVALID_ARG;
    *priv = NULL;
    if (!model)
        return LUTSR_ERR_INVALID_ARG;
    if (model->scale < 2 || model->scale > BICUBIC_MAX_SCALE)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    BicubicContext *k = lutsr_alloc_aligned(sizeof(*k));
    if (!k)
        return LUTSR_ERR_NOMEM;
    memset(k, 0, sizeof(*k));
    k->scale = model->scale;
    lutsr_bicubic_phases(k->scale, k->phase);
    k->row = row_c;
    k->impl = "c";
#if HAVE_X86_SIMD
    if (cpu_flags & LUTSR_CPU_FLAG_AVX2)
        lutsr_bicubic_init_avx2(k);
#else
    (void)cpu_flags;
#endif
    *priv = k;
    return 0;
}

static void bicubic_uninit(void **priv)
{
    if (!priv)
        return;
    lutsr_free_aligned(*priv);
    *priv = NULL;
}

static size_t bicubic_scratch_size(const void *priv, int src_w)
{
    const BicubicContext *k = priv;
    return lutsr_bicubic_scratch_bytes(k->scale, src_w);
}

static void bicubic_row(const void *priv, const LutsrPlane *src, int y,
                        uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const BicubicContext *k = priv;
    k->row(k, src, y, dst, dst_stride, scratch);
}

static const char *bicubic_impl_name(const void *priv)
{
    return ((const BicubicContext *)priv)->impl;
}

const LutsrKernelOps lutsr_bicubic_ops = {
    .name         = "bicubic",
    .init         = bicubic_init,
    .uninit       = bicubic_uninit,
    .scratch_size = bicubic_scratch_size,
    .row          = bicubic_row,
    .impl_name    = bicubic_impl_name,
};
