/*
 * CNN executor: SIMD layer functions against the C reference (cnn.c).
 * SIMD versions may sum in another order and fuse multiply-adds
 * (docs/cnn.md, "Precision"), so the checks are:
 *  - CONV, DECONV (every k 1..9, every stride/pad/out_pad, channel counts
 *    1..56, odd sizes): every float output within
 *        |simd - c| <= TOL_SQRT_N * sqrt(N) * 2^-24 * S
 *    where N is the number of terms of the pixel's sum (channels x taps +
 *    bias) and S = sum |term| (the C version run on |w|, |b|, |x|): both
 *    rounding errors of an N-term sum stay around sqrt(N) ulps of S, while
 *    one wrong or missing tap is about S / N, far above it. The padding
 *    the executor leaves unzeroed is filled with NaN, and writes outside
 *    each row's computed columns are caught with a guard.
 *  - PRELU and the 8-bit output conversion: bit-exact (they round nothing
 *    differently), on values that include NaN, infinities, zeros and
 *    rounding ties.
 *  - The fused eSR-MAX head (every scale, k 1..9, 1..9 groups, 1..3 input
 *    channels, odd sizes, random row ranges): each version byte-identical
 *    to its own level's CONV layer function followed by PIXEL_SHUFFLE,
 *    GROUP_MAX and the conversion done here, SIMD within 1 of C on every
 *    pixel, and no byte written outside the rows' w*s columns.
 *  - Whole graphs (FSRCNN-, ECBSR-, eSR-, IMDN-like, every scale) through
 *    lutsr_upscale_luma() with LutsrOptions.cpu = none and the level: every
 *    8-bit pixel within 1, and at most 1% of them different.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cnn.h"
#include "cpu.h"
#include "model.h"

#define TOL_SQRT_N 8.0

static float frand(TestRng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)(test_rng_u32(r) >> 8) / (float)(1 << 24);
}

static int round16(int n)
{
    return (n + 15) & ~15;
}

/* A buffer laid out as the executor's: rows [r0, r0 + rows) of c channels,
 * pitch = CNN_PAD + round16(w) + CNN_PAD_R, column 0 at CNN_PAD. */
typedef struct Buf {
    float *alloc;
    CnnView v;
    int w, rows;
} Buf;

static size_t buf_floats(const Buf *b)
{
    return (size_t)b->rows * b->v.c * b->v.pitch;
}

static Buf buf_new(int c, int r0, int rows, int w)
{
    Buf b = { NULL, { NULL, r0, c, CNN_PAD + round16(w) + CNN_PAD_R }, w, rows };
    b.alloc = aligned_alloc(64, buf_floats(&b) * sizeof(float) + 64);
    REQUIRE(b.alloc);
    b.v.p = b.alloc + CNN_PAD;
    return b;
}

/* Input: values in [-1, 1] (or their magnitudes), zero where the
 * executor zeroes padding, NaN in the rest of the left padding (never
 * read by a k <= 9 kernel). */
static void buf_fill_input(Buf *b, TestRng *r)
{
    for (int y = 0; y < b->rows; y++)
        for (int ch = 0; ch < b->v.c; ch++) {
            float *row = cnn_vrow(&b->v, b->v.r0 + y, ch);
            for (int x = -CNN_PAD; x < (int)b->v.pitch - CNN_PAD; x++)
                row[x] = x < -CNN_HALO_X ? NAN : x < 0 || x >= b->w ? 0.0f : frand(r, -1.0f, 1.0f);
        }
}

static void buf_abs(Buf *dst, const Buf *src)
{
    const size_t n = buf_floats(src);
    for (size_t i = 0; i < n; i++)
        dst->alloc[i] = isnan(src->alloc[i]) ? NAN : fabsf(src->alloc[i]);
}

static void buf_guard(Buf *b)
{
    const size_t n = buf_floats(b);
    for (size_t i = 0; i < n; i++)
        b->alloc[i] = -12345.0f;
}

typedef struct LayerCase {
    LutsrCnnLayer l, labs;      /* the layer, and on |w|, |b| */
    float *w, *b, *wabs, *babs;
} LayerCase;

static void layer_new(LayerCase *lc, int op, int nc, int no, const int p[4], TestRng *r)
{
    const int k = p[0];
    const size_t nw = (size_t)nc * no * k * k;
    memset(lc, 0, sizeof(*lc));
    lc->w = malloc(nw * sizeof(float));
    lc->wabs = malloc(nw * sizeof(float));
    lc->b = malloc((size_t)no * sizeof(float));
    lc->babs = malloc((size_t)no * sizeof(float));
    REQUIRE(lc->w && lc->wabs && lc->b && lc->babs);
    const float a = 1.7f / sqrtf((float)(nc * k * k));
    for (size_t i = 0; i < nw; i++) {
        lc->w[i] = frand(r, -a, a);
        lc->wabs[i] = fabsf(lc->w[i]);
    }
    for (int i = 0; i < no; i++) {
        lc->b[i] = frand(r, -0.5f, 0.5f);
        lc->babs[i] = fabsf(lc->b[i]);
    }
    LutsrCnnLayer l = { .op = op, .in0 = 0, .in1 = -1, .c_out = no, .c_in = nc,
                        .p = { p[0], p[1], p[2], p[3] } };
    lc->l = lc->labs = l;
    lc->l.w = lc->w;
    lc->l.b = lc->b;
    lc->labs.w = lc->wabs;
    lc->labs.b = lc->babs;
}

static void layer_free(LayerCase *lc)
{
    free(lc->w);
    free(lc->wabs);
    free(lc->b);
    free(lc->babs);
}

/* One CONV or DECONV layer on a w x h LR (or, CONV, any) plane: output
 * rows [y0, y1) of a wo-wide plane of `rows_out` rows, by C and SIMD. */
static void check_layer(const CheckasmLevel *level, CnnLayerFn simd, const char *what,
                        int op, int nc, int no, const int p[4], int w, int h, TestRng *r)
{
    const int s = op == LUTSR_CNN_DECONV ? p[1] : 1;
    const int wo = w * s, ho = h * s, k = p[0];
    const int y0 = (int)test_rng_below(r, (uint32_t)ho);
    const int y1 = y0 + 1 + (int)test_rng_below(r, (uint32_t)(ho - y0));
    LayerCase lc;
    layer_new(&lc, op, nc, no, p, r);
    Buf in = buf_new(nc, 0, h, w), in_abs = buf_new(nc, 0, h, w);
    buf_fill_input(&in, r);
    buf_abs(&in_abs, &in);
    Buf out_c = buf_new(no, y0, y1 - y0, wo), out_s = buf_new(no, y0, y1 - y0, wo);
    Buf out_a = buf_new(no, y0, y1 - y0, wo);
    buf_guard(&out_c);
    buf_guard(&out_s);
    buf_guard(&out_a);
    /* tmp as the executor sizes it (tmp_floats() in cnn.c). */
    const size_t tn = (size_t)(2 * round16(wo) + 16 > 4 * (round16(w) + 16) ?
                               2 * round16(wo) + 16 : 4 * (round16(w) + 16));
    float *tmp = malloc(tn * sizeof(float));
    REQUIRE(tmp);
    CnnLayerFn ref = op == LUTSR_CNN_CONV ? lutsr_cnn_conv_c : lutsr_cnn_deconv_c;
    const int wa = op == LUTSR_CNN_CONV ? wo : w; /* the width argument */
    ref(&lc.l, &in.v, &out_c.v, h, wa, y0, y1, tmp);
    ref(&lc.labs, &in_abs.v, &out_a.v, h, wa, y0, y1, tmp);
    for (size_t i = 0; i < tn; i++)
        tmp[i] = NAN; /* the SIMD version must not rely on what tmp holds */
    simd(&lc.l, &in.v, &out_s.v, h, wa, y0, y1, tmp);

    /* Terms per pixel: at most nc * k * k (fewer at edges / for DECONV);
     * the bound uses the largest, which only loosens it by a little. */
    const double n_terms = (double)nc * k * k + 1;
    const double tol = TOL_SQRT_N * sqrt(n_terms) * ldexp(1.0, -24);
    /* Columns the SIMD version may write: CONV computes up to round16(w)
     * like the C version; DECONV only the real ones. */
    const int wmax = op == LUTSR_CNN_CONV ? round16(wo) : wo;
    int bad = 0;
    for (int y = y0; y < y1 && !bad; y++)
        for (int o = 0; o < no && !bad; o++) {
            const float *a = cnn_vrow(&out_c.v, y, o), *b = cnn_vrow(&out_s.v, y, o);
            const float *sa = cnn_vrow(&out_a.v, y, o);
            for (int x = -CNN_PAD; x < (int)out_s.v.pitch - CNN_PAD; x++) {
                if (x < 0 || x >= wmax) {
                    if (b[x] != -12345.0f) {
                        checkasm_fail("cnn %s %s k%d %d->%d p=%d,%d,%d %dx%d: wrote column %d of row %d ch %d",
                                      level->name, what, k, nc, no, p[1], p[2], p[3], w, h, x, y, o);
                        bad = 1;
                        break;
                    }
                    continue;
                }
                if (x >= wo)
                    continue;
                const double d = fabs((double)a[x] - b[x]), lim = tol * sa[x];
                if (!(d <= lim)) {
                    checkasm_fail("cnn %s %s k%d %d->%d p=%d,%d,%d %dx%d rows %d..%d: (x=%d, y=%d, ch %d) "
                                  "c %.9g, simd %.9g, |diff| %.3g > %.3g",
                                  level->name, what, k, nc, no, p[1], p[2], p[3], w, h, y0, y1, x,
                                  y, o, a[x], b[x], d, lim);
                    bad = 1;
                    break;
                }
            }
        }
    checkasm_checked("cnn");
    free(tmp);
    free(in.alloc);
    free(in_abs.alloc);
    free(out_c.alloc);
    free(out_s.alloc);
    free(out_a.alloc);
    layer_free(&lc);
}

static const int channel_counts[] = { 1, 3, 4, 8, 16, 56 };
static const int sizes[][2] = { { 1, 1 }, { 7, 5 }, { 33, 17 }, { 24, 3 }, { 50, 2 } };

static int pick_channels(TestRng *r, int k)
{
    /* Big kernels with many channels are slow in C: 56 only up to k = 5. */
    const int n = k > 5 ? 5 : 6;
    return channel_counts[test_rng_below(r, (uint32_t)n)];
}

static void check_conv(const CheckasmLevel *level, const CnnDsp *dsp, TestRng *r)
{
    for (int k = 1; k <= 9; k++)
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
            for (int rep = 0; rep < 2 * checkasm_iterations(); rep++) {
                const int p[4] = { k, 0, 0, 0 };
                const int nc = pick_channels(r, k), no = pick_channels(r, k);
                check_layer(level, dsp->conv, "conv", LUTSR_CNN_CONV, nc, no, p,
                            sizes[si][0], sizes[si][1], r);
            }
    /* Every channel count on both sides once, random widths (HR planes
     * are just wider ones here). */
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            const int k = 1 + 2 * (int)test_rng_below(r, 3);
            const int p[4] = { k, 0, 0, 0 };
            check_layer(level, dsp->conv, "conv", LUTSR_CNN_CONV, channel_counts[i],
                        channel_counts[j], p, 1 + (int)test_rng_below(r, 70),
                        1 + (int)test_rng_below(r, 9), r);
        }
}

static void check_deconv(const CheckasmLevel *level, const CnnDsp *dsp, TestRng *r)
{
    for (int s = 2; s <= 4; s++)
        for (int k = 1; k <= 9; k++)
            for (int out_pad = 0; out_pad < s; out_pad++) {
                /* k - 2 pad + out_pad = s */
                const int t = k + out_pad - s;
                if (t < 0 || t % 2 || t / 2 >= k)
                    continue;
                const int p[4] = { k, s, t / 2, out_pad };
                const int *sz = sizes[test_rng_below(r, sizeof(sizes) / sizeof(sizes[0]))];
                check_layer(level, dsp->deconv, "deconv", LUTSR_CNN_DECONV, pick_channels(r, k),
                            1 + (int)test_rng_below(r, 3), p, sz[0], sz[1], r);
            }
    /* FSRCNN's: 56 channels, 9x9, wide enough for several column chunks
     * and blocks, and a few channel counts around the group size. */
    for (int s = 2; s <= 4; s++) {
        const int p[4] = { 9, s, 4, s - 1 };
        check_layer(level, dsp->deconv, "deconv", LUTSR_CNN_DECONV, 56, 1, p, 401, 4, r);
        static const int ncs[] = { 7, 8, 9, 17 };
        for (int i = 0; i < 4; i++)
            check_layer(level, dsp->deconv, "deconv", LUTSR_CNN_DECONV, ncs[i], 2, p,
                        1 + (int)test_rng_below(r, 100), 1 + (int)test_rng_below(r, 5), r);
    }
}

/* PRELU and the pixel conversion: bit-exact on special values. */
static float special(TestRng *r)
{
    switch (test_rng_below(r, 8)) {
    case 0: return NAN;
    case 1: return test_rng_below(r, 2) ? INFINITY : -INFINITY;
    case 2: return test_rng_below(r, 2) ? 0.0f : -0.0f;
    case 3: return ((float)test_rng_below(r, 300) - 20.0f + 0.5f) / 255.0f; /* near ties */
    case 4: return frand(r, -1e30f, 1e30f);
    default: return frand(r, -0.5f, 1.5f);
    }
}

static void check_pointwise(const CheckasmLevel *level, const CnnDsp *c, const CnnDsp *dsp,
                            TestRng *r)
{
    enum { N = 77 };
    float a[N], d0[N], d1[N];
    uint8_t p0[N], p1[N];
    for (int it = 0; it < 20 * checkasm_iterations(); it++) {
        const int n = 1 + (int)test_rng_below(r, N);
        for (int i = 0; i < N; i++)
            a[i] = special(r);
        const float slope = it & 1 ? frand(r, -1.0f, 1.0f) : special(r);
        c->prelu(d0, a, slope, n);
        dsp->prelu(d1, a, slope, n);
        for (int i = 0; i < n; i++)
            if (memcmp(&d0[i], &d1[i], sizeof(float)) && !(isnan(d0[i]) && isnan(d1[i]))) {
                checkasm_fail("cnn %s prelu: x=%g slope=%g: c %g, simd %g", level->name, a[i],
                              slope, d0[i], d1[i]);
                break;
            }
        memset(p1, 0xA5, sizeof(p1));
        c->to_pixels(p0, a, n);
        dsp->to_pixels(p1, a, n);
        for (int i = 0; i < N; i++)
            if (i < n ? p0[i] != p1[i] : p1[i] != 0xA5) {
                checkasm_fail("cnn %s to_pixels n=%d: [%d] (%g): c %d, simd %d", level->name, n,
                              i, a[i], i < n ? p0[i] : 0xA5, p1[i]);
                break;
            }
        checkasm_checked("cnn");
    }
}

/* -------------------------------------------------------------- max head */

/* The head unfused, from a CONV layer function's output `co` (rows
 * [y0, y1)): HR (s*y + i, s*x + j) = pixel of the max over g (in order,
 * v > m ? v : m) of channel g*s*s + i*s + j. */
static void head_unfused(const CnnDsp *c, const CnnView *co, int groups, int s, int w, int y0,
                         int y1, uint8_t *dst, ptrdiff_t stride)
{
    float *row = malloc((size_t)w * s * sizeof(float));
    REQUIRE(row);
    for (int y = y0; y < y1; y++)
        for (int i = 0; i < s; i++) {
            for (int x = 0; x < w; x++)
                for (int j = 0; j < s; j++) {
                    float m = 0;
                    for (int g = 0; g < groups; g++) {
                        const float v = cnn_vrow(co, y, (g * s + i) * s + j)[x];
                        m = g == 0 || v > m ? v : m;
                    }
                    row[x * s + j] = m;
                }
            c->to_pixels(dst + (ptrdiff_t)((y - y0) * s + i) * stride, row, w * s);
        }
    free(row);
}

/* The output rows between a guard row above and below, and 16 guard
 * bytes left and right. */
enum { GUARD = 0xA5 };

typedef struct Out { uint8_t *alloc, *p; ptrdiff_t stride; size_t size; } Out;

static Out out_new(int w, int rows)
{
    Out o;
    o.stride = w + 32;
    o.size = (size_t)o.stride * (rows + 2);
    o.alloc = malloc(o.size);
    REQUIRE(o.alloc);
    memset(o.alloc, GUARD, o.size);
    o.p = o.alloc + o.stride + 16;
    return o;
}

/* Whether a and b differ anywhere (guards included); reports the first. */
static int out_diff(const CheckasmLevel *level, const char *what, const Out *a, const Out *b,
                    int tol, const char *ctx)
{
    for (size_t t = 0; t < a->size; t++) {
        const int d = abs(a->alloc[t] - b->alloc[t]);
        const long row = (long)(t / (size_t)a->stride) - 1, col = (long)(t % (size_t)a->stride) - 16;
        if (d > tol) {
            checkasm_fail("cnn %s max head %s %s: row %ld col %ld: %d vs %d", level->name, what,
                          ctx, row, col, a->alloc[t], b->alloc[t]);
            return 1;
        }
    }
    return 0;
}

/* The guards of o untouched (w*s columns of `rows` rows written). */
static int out_guards(const CheckasmLevel *level, const char *what, const Out *o, int ws,
                      const char *ctx)
{
    for (size_t t = 0; t < o->size; t++) {
        const long row = (long)(t / (size_t)o->stride) - 1, col = (long)(t % (size_t)o->stride) - 16;
        const int inside = row >= 0 && (size_t)(row + 2) * (size_t)o->stride <= o->size &&
                           col >= 0 && col < ws;
        if (!inside && o->alloc[t] != GUARD) {
            checkasm_fail("cnn %s max head %s %s: wrote row %ld col %ld", level->name, what, ctx,
                          row, col);
            return 1;
        }
    }
    return 0;
}

static void check_head_case(const CheckasmLevel *level, const CnnDsp *c, const CnnDsp *dsp,
                            int s, int k, int groups, int nc, int w, int h, TestRng *r)
{
    const int no = s * s * groups, p[4] = { k, 0, 0, 0 };
    const int y0 = (int)test_rng_below(r, (uint32_t)h);
    const int y1 = y0 + 1 + (int)test_rng_below(r, (uint32_t)(h - y0));
    char ctx[96];
    snprintf(ctx, sizeof(ctx), "x%d k%d groups %d c_in %d %dx%d rows %d..%d", s, k, groups, nc,
             w, h, y0, y1);
    LayerCase lc;
    layer_new(&lc, LUTSR_CNN_CONV, nc, no, p, r);
    CnnHead hd;
    REQUIRE_CMP(lutsr_cnn_head_init(&hd, &lc.l, groups, s), ==, 0);
    Buf in = buf_new(nc, 0, h, w), co = buf_new(no, y0, y1 - y0, w);
    buf_fill_input(&in, r);
    const size_t tn = lutsr_cnn_max_head_tmp(s, w);
    const size_t tc = (size_t)(4 * (round16(w) + 16)); /* conv tmp (tmp_floats()) */
    float *tmp = malloc((tn > tc ? tn : tc) * sizeof(float));
    REQUIRE(tmp);
    Out ref_c = out_new(w * s, (y1 - y0) * s), ref_s = out_new(w * s, (y1 - y0) * s);
    Out got_c = out_new(w * s, (y1 - y0) * s), got_s = out_new(w * s, (y1 - y0) * s);

    lutsr_cnn_conv_c(&lc.l, &in.v, &co.v, h, w, y0, y1, tmp);
    head_unfused(c, &co.v, groups, s, w, y0, y1, ref_c.p, ref_c.stride);
    dsp->conv(&lc.l, &in.v, &co.v, h, w, y0, y1, tmp);
    head_unfused(c, &co.v, groups, s, w, y0, y1, ref_s.p, ref_s.stride);
    for (size_t i = 0; i < tn; i++)
        tmp[i] = NAN; /* neither may rely on what tmp holds */
    c->max_head(&hd, &in.v, h, w, y0, y1, got_c.p, got_c.stride, tmp);
    for (size_t i = 0; i < tn; i++)
        tmp[i] = NAN;
    dsp->max_head(&hd, &in.v, h, w, y0, y1, got_s.p, got_s.stride, tmp);

    if (!out_guards(level, "c", &got_c, w * s, ctx) && !out_guards(level, "simd", &got_s, w * s, ctx) &&
        !out_diff(level, "c vs unfused c", &ref_c, &got_c, 0, ctx) &&
        !out_diff(level, "simd vs unfused simd", &ref_s, &got_s, 0, ctx))
        out_diff(level, "simd vs c", &got_c, &got_s, 1, ctx);
    checkasm_checked("cnn");
    free(ref_c.alloc);
    free(ref_s.alloc);
    free(got_c.alloc);
    free(got_s.alloc);
    free(tmp);
    free(in.alloc);
    free(co.alloc);
    lutsr_cnn_head_free(&hd);
    layer_free(&lc);
}

static void check_max_head(const CheckasmLevel *level, const CnnDsp *c, const CnnDsp *dsp,
                           TestRng *r)
{
    /* eSR-MAX x2 as shipped (4 groups, k 5, 1 channel), across block edges. */
    static const int widths[] = { 1, 7, 8, 9, 15, 16, 17, 31, 33, 50 };
    for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
        check_head_case(level, c, dsp, 2, 5, 4, 1, widths[i], 1 + (int)test_rng_below(r, 9), r);
    for (int s = 2; s <= 4; s++)
        for (int k = 1; k <= 9; k += 2)
            for (int rep = 0; rep < 2 * checkasm_iterations(); rep++)
                check_head_case(level, c, dsp, s, k, 1 + (int)test_rng_below(r, 9),
                                1 + (int)test_rng_below(r, 3), 1 + (int)test_rng_below(r, 70),
                                1 + (int)test_rng_below(r, 9), r);
}

/* ---------------------------------------------------------------- graphs */

typedef struct Graph { int scale, n; int32_t rows[LUTSR_CNN_MAX_LAYERS][8]; } Graph;

static int add(Graph *g, int op, int in0, int in1, int c_out, int p0, int p1, int p2, int p3)
{
    REQUIRE(g->n < LUTSR_CNN_MAX_LAYERS);
    int32_t *row = g->rows[g->n];
    row[0] = op; row[1] = in0; row[2] = in1; row[3] = c_out;
    row[4] = p0; row[5] = p1; row[6] = p2; row[7] = p3;
    return ++g->n;
}

static int conv_prelu(Graph *g, int in, int c_out, int k)
{
    const int x = add(g, LUTSR_CNN_CONV, in, -1, c_out, k, 0, 0, 0);
    return add(g, LUTSR_CNN_PRELU, x, -1, c_out, 0, 0, 0, 0);
}

static void fsrcnn(Graph *g, int d, int sh, int m)
{
    int x = conv_prelu(g, 0, d, 5);
    x = conv_prelu(g, x, sh, 1);
    for (int i = 0; i < m; i++)
        x = conv_prelu(g, x, sh, 3);
    x = conv_prelu(g, x, d, 1);
    const int s = g->scale;
    add(g, LUTSR_CNN_DECONV, x, -1, 1, 9, s, 4, s - 1);
}

static void ecbsr(Graph *g, int c, int m)
{
    const int s2 = g->scale * g->scale;
    int x = conv_prelu(g, 0, c, 3);
    for (int i = 0; i < m; i++)
        x = conv_prelu(g, x, c, 3);
    x = add(g, LUTSR_CNN_CONV, x, -1, s2, 3, 0, 0, 0);
    const int rep = add(g, LUTSR_CNN_REPEAT, 0, -1, s2, s2, 0, 0, 0);
    x = add(g, LUTSR_CNN_ADD, x, rep, s2, 0, 0, 0, 0);
    add(g, LUTSR_CNN_PIXEL_SHUFFLE, x, -1, 1, g->scale, 0, 0, 0);
}

static void esr_max(Graph *g, int c, int k)
{
    const int s = g->scale;
    int x = add(g, LUTSR_CNN_CONV, 0, -1, s * s * c, k, 0, 0, 0);
    x = add(g, LUTSR_CNN_PIXEL_SHUFFLE, x, -1, c, s, 0, 0, 0);
    add(g, LUTSR_CNN_GROUP_MAX, x, -1, 1, c, 0, 0, 0);
}

/* IMDN-like: channel slices feeding convs of more channels (so a CONV's
 * input dies at the CONV while its activation needs new scratch), and
 * contrast pooling (MEAN_STD). */
static void imdn(Graph *g, int c, int blocks)
{
    const int d = c / 4, fea = add(g, LUTSR_CNN_CONV, 0, -1, c, 3, 0, 0, 0);
    int x = fea;
    for (int bl = 0; bl < blocks; bl++) {
        int t = conv_prelu(g, x, c, 3);
        const int d1 = add(g, LUTSR_CNN_SLICE, t, -1, d, 0, 0, 0, 0);
        int rest = add(g, LUTSR_CNN_SLICE, t, -1, c - d, d, 0, 0, 0);
        t = conv_prelu(g, rest, c, 3);
        const int d2 = add(g, LUTSR_CNN_SLICE, t, -1, d, 0, 0, 0, 0);
        rest = add(g, LUTSR_CNN_SLICE, t, -1, c - d, d, 0, 0, 0);
        const int d3 = add(g, LUTSR_CNN_CONV, rest, -1, d, 3, 0, 0, 0);
        int cat = add(g, LUTSR_CNN_CONCAT, add(g, LUTSR_CNN_CONCAT, d1, d2, 2 * d, 0, 0, 0, 0), d3,
                      3 * d, 0, 0, 0, 0);
        int st = add(g, LUTSR_CNN_MEAN_STD, cat, -1, 3 * d, 0, 0, 0, 0);
        st = add(g, LUTSR_CNN_RELU, add(g, LUTSR_CNN_CONV, st, -1, d, 1, 0, 0, 0), -1, d, 0, 0, 0, 0);
        st = add(g, LUTSR_CNN_SIGMOID, add(g, LUTSR_CNN_CONV, st, -1, 3 * d, 1, 0, 0, 0), -1, 3 * d,
                 0, 0, 0, 0);
        cat = add(g, LUTSR_CNN_MUL, cat, st, 3 * d, 0, 0, 0, 0);
        x = add(g, LUTSR_CNN_ADD, add(g, LUTSR_CNN_CONV, cat, -1, c, 1, 0, 0, 0), x, c, 0, 0, 0, 0);
    }
    x = add(g, LUTSR_CNN_RELU, add(g, LUTSR_CNN_CONV, x, -1, c, 3, 0, 0, 0), -1, c, 0, 0, 0, 0);
    const int s = g->scale;
    add(g, LUTSR_CNN_PIXEL_SHUFFLE, add(g, LUTSR_CNN_CONV, x, -1, s * s, 3, 0, 0, 0), -1, 1, s, 0, 0, 0);
}

/* Random weights, fan-in scaled; PReLU slopes in [0, 0.5]; the last
 * layer's bias near 0.5 so the output spans the 8-bit range. */
static LutsrModel *graph_model(const Graph *g, TestRng *r)
{
    LutsrModel *m = NULL;
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, g->scale, g->n, (const int32_t (*)[8])g->rows,
                                      "checkasm: cnn"), ==, 0);
    for (int i = 0; i < g->n; i++) {
        LutsrCnnLayer *l = &m->layers[i];
        const int k = l->op == LUTSR_CNN_CONV || l->op == LUTSR_CNN_DECONV ? l->p[0] : 1;
        const float fan = l->op == LUTSR_CNN_DECONV ?
                          (float)l->c_in * k * k / ((float)l->p[1] * l->p[1]) : (float)l->c_in * k * k;
        const float a = 1.2f / sqrtf(fan);
        for (uint32_t t = 0; t < l->n_w; t++)
            ((float *)l->w)[t] = frand(r, -a, a);
        for (uint32_t t = 0; t < l->n_b; t++)
            ((float *)l->b)[t] = i == g->n - 1 || l->c_out <= 16 ? frand(r, 0.3f, 0.7f)
                                                                 : frand(r, -0.1f, 0.1f);
        for (uint32_t t = 0; t < l->n_a; t++)
            ((float *)l->a)[t] = frand(r, 0.0f, 0.5f);
    }
    return m;
}

static void upscale(const LutsrModel *m, LutsrCpu cpu, const TestPlane *src, uint8_t *out)
{
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = 1;
    o.cpu = cpu;
    LutsrContext *c = NULL;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, 0);
    const int s = lutsr_model_scale(m);
    LutsrPlane dst = { out, (ptrdiff_t)src->p.width * s, src->p.width * s, src->p.height * s };
    REQUIRE_CMP(lutsr_upscale_luma(c, &src->p, &dst), ==, 0);
    lutsr_close(&c);
}

static void check_graph(const CheckasmLevel *level, LutsrCpu cpu, const char *name,
                        const Graph *g, TestRng *r)
{
    LutsrModel *m = graph_model(g, r);
    static const int gs[][2] = { { 1, 1 }, { 7, 5 }, { 33, 17 }, { 70, 9 } };
    long diff = 0, total = 0;
    for (size_t i = 0; i < sizeof(gs) / sizeof(gs[0]); i++) {
        const int w = gs[i][0], h = gs[i][1], s = g->scale;
        TestPlane p;
        test_plane_alloc(&p, w, h, (int)test_rng_below(r, 5));
        REQUIRE(p.alloc);
        test_plane_fill(&p, r);
        const size_t n = (size_t)w * s * h * s;
        uint8_t *a = malloc(n), *b = malloc(n);
        REQUIRE(a && b);
        upscale(m, LUTSR_CPU_NONE, &p, a);
        upscale(m, cpu, &p, b);
        for (size_t j = 0; j < n; j++) {
            const int d = abs(a[j] - b[j]);
            diff += d != 0;
            if (d > 1) {
                checkasm_fail("cnn %s graph %s x%d %dx%d: pixel (%zu, %zu): c %d, simd %d",
                              level->name, name, s, w, h, j % ((size_t)w * s),
                              j / ((size_t)w * s), a[j], b[j]);
                break;
            }
        }
        total += (long)n;
        checkasm_checked("cnn");
        free(a);
        free(b);
        test_plane_free(&p);
    }
    if (diff * 100 > total)
        checkasm_fail("cnn %s graph %s x%d: %ld of %ld pixels differ (> 1%%)", level->name, name,
                      g->scale, diff, total);
    lutsr_model_close(&m);
}

static void check_graphs(const CheckasmLevel *level, LutsrCpu cpu, TestRng *r)
{
    for (int s = 2; s <= 4; s++) {
        Graph g = { .scale = s };
        fsrcnn(&g, s == 2 ? 56 : 16, 12, s == 2 ? 4 : 1);
        check_graph(level, cpu, "fsrcnn", &g, r);
        g = (Graph){ .scale = s };
        ecbsr(&g, 16, s == 2 ? 4 : 2);
        check_graph(level, cpu, "ecbsr", &g, r);
        g = (Graph){ .scale = s };
        esr_max(&g, 4, s == 3 ? 7 : 5);
        check_graph(level, cpu, "esr-max", &g, r);
        g = (Graph){ .scale = s };
        imdn(&g, 8, 2);
        check_graph(level, cpu, "imdn", &g, r);
    }
}

void checkasm_check_cnn(void)
{
    TestRng *r = checkasm_rng();
    for (const CheckasmLevel *level = checkasm_levels(); level->name; level++) {
        CnnDsp c, dsp;
        lutsr_cnn_dsp_init_c(&c);
        dsp = c;
#if HAVE_X86_SIMD
        lutsr_cnn_dsp_init_x86(&dsp, level->flags);
#endif
        if (!strcmp(dsp.impl, "c")) {
            /* Only AVX2 has versions; below it C is right. */
            if (level->flags & LUTSR_CPU_FLAG_AVX2)
                checkasm_fail("cnn: level %s picked the C versions", level->name);
            continue;
        }
        check_conv(level, &dsp, r);
        check_deconv(level, &dsp, r);
        check_pointwise(level, &c, &dsp, r);
        check_max_head(level, &c, &dsp, r);
        check_graphs(level, (level->flags & LUTSR_CPU_FLAG_AVX2) ? LUTSR_CPU_AVX2 : LUTSR_CPU_SSE41, r);
    }
}
