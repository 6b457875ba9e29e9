/*
 * SR-LUT kernel vs an independent reference written straight from
 * docs/kernels.md: it literally rotates the image with rot90, pads by
 * clamping, interpolates with the textbook simplex formula in double
 * precision (barycentric weights from the rank of each fraction), rotates
 * each result back and sums. The C kernel (and the SIMD one, where this
 * machine has it) must match it exactly for random LUTs over the full int8
 * range, random images, every scale and several interval sizes; LUTs that
 * encode known functions must reproduce those functions exactly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "model.h"
#include "test_util.h"

/* ---------------------------------------------------------------- models */

static struct LutsrModel *model_new(int s, int k, int out_shift)
{
    struct LutsrModel *m = calloc(1, sizeof(*m));
    REQUIRE(m);
    const uint32_t n = (1u << (8 - k)) + 1;
    m->kind = LUTSR_MODEL_SRLUT;
    m->scale = s;
    m->interval_bits = k;
    m->lut_side = (int)n;
    m->out_shift = out_shift;
    m->lut_entries = n * n * n * n;
    m->lut_values = (uint32_t)(s * s);
    m->lut = calloc((size_t)m->lut_entries * m->lut_values, 1);
    REQUIRE(m->lut);
    return m;
}

static void model_free(struct LutsrModel *m)
{
    free(m->lut);
    free(m);
}

static size_t lut_size(const struct LutsrModel *m)
{
    return (size_t)m->lut_entries * m->lut_values;
}

/* Full int8 range, with extra weight on -128 and 127. */
static void lut_fill_random(struct LutsrModel *m, TestRng *r)
{
    uint32_t x = 0;
    for (size_t i = 0; i < lut_size(m); i++) {
        if (!(i & 3))
            x = test_rng_u32(r);
        const int b = (int)(x >> 8 * (i & 3)) & 255;
        m->lut[i] = (int8_t)(b < 16 ? -128 : b < 32 ? 127 : b - 128);
    }
}

/* ------------------------------------------------------------- reference */

typedef struct Grid { int h, w; double *v; } Grid;

static Grid grid_new(int h, int w)
{
    Grid g = { h, w, calloc((size_t)h * w, sizeof(double)) };
    REQUIRE(g.v);
    return g;
}

/* numpy.rot90(X, 1): rot(X)[i][j] = X[j][W - 1 - i], of src into dst
 * (which has room for as many values). Tiled only for speed. */
static void rot90(Grid *dst, const Grid *src)
{
    dst->h = src->w;
    dst->w = src->h;
    for (int i0 = 0; i0 < dst->h; i0 += 32)
        for (int j0 = 0; j0 < dst->w; j0 += 32)
            for (int i = i0; i < i0 + 32 && i < dst->h; i++)
                for (int j = j0; j < j0 + 32 && j < dst->w; j++)
                    dst->v[(size_t)i * dst->w + j] = src->v[(size_t)j * src->w + (src->w - 1 - i)];
}

static void swap_grids(Grid *a, Grid *b)
{
    const Grid t = *a;
    *a = *b;
    *b = t;
}

static double at_clamped(const Grid *g, int i, int j)
{
    i = i < 0 ? 0 : i >= g->h ? g->h - 1 : i;
    j = j < 0 ? 0 : j >= g->w ? g->w - 1 : j;
    return g->v[(size_t)i * g->w + j];
}

/* A core maps the 2x2 window (a, b, c, d) to the s*s values K(u*s + v). */
typedef void (*CoreFn)(const struct LutsrModel *m, const double px[4], double *out);

/* Textbook 4-D simplex interpolation. With pixel p = q * P + f (P the
 * sample index, f/q in [0, 1)), order the axes by descending fraction; the
 * simplex vertices are V_0 = P and V_j = V_(j-1) + unit(axis of rank j-1);
 * the barycentric weights are 1 - f(1), f(1) - f(2), ..., f(4) (f(j) the
 * j-th largest fraction, over q). K = q * sum_j weight_j * L(V_j). */
static void core_simplex(const struct LutsrModel *m, const double px[4], double *out)
{
    const double q = (double)(1 << m->interval_bits);
    const int n = m->lut_side, nv = (int)m->lut_values;
    int base[4], rank[4];
    double frac[4];
    for (int i = 0; i < 4; i++) {
        base[i] = (int)floor(px[i] / q);
        frac[i] = (px[i] - base[i] * q) / q;
    }
    for (int i = 0; i < 4; i++) {
        rank[i] = 0;
        for (int j = 0; j < 4; j++)
            rank[i] += frac[j] > frac[i] || (frac[j] == frac[i] && j < i);
    }
    double sorted[4];
    for (int i = 0; i < 4; i++)
        sorted[rank[i]] = frac[i];
    const double lambda[5] = { 1 - sorted[0], sorted[0] - sorted[1], sorted[1] - sorted[2],
                               sorted[2] - sorted[3], sorted[3] };
    for (int t = 0; t < nv; t++)
        out[t] = 0;
    for (int j = 0; j <= 4; j++) {
        int v[4];
        for (int i = 0; i < 4; i++)
            v[i] = base[i] + (rank[i] < j);
        const size_t e = (((size_t)v[0] * n + v[1]) * n + v[2]) * n + v[3];
        REQUIRE(e < m->lut_entries);
        for (int t = 0; t < nv; t++)
            out[t] += q * lambda[j] * m->lut[e * nv + t];
    }
}

/* docs/kernels.md: K of one image (no rotation), edge-clamped window,
 * into k (which has room for it). */
static void apply_core(const struct LutsrModel *m, CoreFn core, const Grid *img, Grid *k)
{
    const int s = m->scale;
    k->h = img->h * s;
    k->w = img->w * s;
    double out[16];
    for (int i = 0; i < img->h; i++) {
        for (int j = 0; j < img->w; j++) {
            const double px[4] = { at_clamped(img, i, j), at_clamped(img, i, j + 1),
                                   at_clamped(img, i + 1, j), at_clamped(img, i + 1, j + 1) };
            core(m, px, out);
            for (int u = 0; u < s; u++)
                for (int v = 0; v < s; v++)
                    k->v[(size_t)(i * s + u) * k->w + j * s + v] = out[u * s + v];
        }
    }
}

/* T = sum_r rot^-r(K(rot^r(I))); O = clip(I(y/s, x/s) + round_shift(T)). */
static void reference(const struct LutsrModel *m, CoreFn core, const LutsrPlane *src,
                      uint8_t *out, ptrdiff_t out_stride)
{
    const int s = m->scale, h = src->height, w = src->width;
    Grid img = grid_new(h, w), img2 = grid_new(h, w);
    Grid k = grid_new(h * s, w * s), k2 = grid_new(h * s, w * s), t = grid_new(h * s, w * s);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            img.v[(size_t)i * w + j] = src->data[i * src->stride + j];
    for (int r = 0; r < 4; r++) {
        apply_core(m, core, &img, &k);
        for (int i = 0; i < (4 - r) % 4; i++) { /* rot^-r = rot^(4-r) */
            rot90(&k2, &k);
            swap_grids(&k, &k2);
        }
        REQUIRE(k.h == t.h && k.w == t.w);
        for (size_t i = 0; i < (size_t)t.h * t.w; i++)
            t.v[i] += k.v[i];
        rot90(&img2, &img);
        swap_grids(&img, &img2);
    }
    const double div = ldexp(1.0, m->out_shift);
    for (int y = 0; y < h * s; y++) {
        for (int x = 0; x < w * s; x++) {
            const double tv = t.v[(size_t)y * t.w + x];
            REQUIRE(tv == floor(tv)); /* all weights are multiples of 1/q */
            const double shifted = m->out_shift ? floor((tv + div / 2) / div) : tv;
            const double o = src->data[(y / s) * src->stride + x / s] + shifted;
            out[y * out_stride + x] = (uint8_t)(o < 0 ? 0 : o > 255 ? 255 : o);
        }
    }
    free(t.v);
    free(k.v);
    free(k2.v);
    free(img.v);
    free(img2.v);
}

/* ---------------------------------------------------------------- kernel */

#define GUARD 0x5A

/* The kernel built for C (cpu_flags = 0) and, where this machine has one,
 * for its best SIMD level. */
typedef struct Kernels { int count; void *priv[2]; } Kernels;

static void kernels_open(Kernels *k, const struct LutsrModel *m)
{
    const unsigned levels[2] = { 0, lutsr_cpu_flags() };
    k->count = levels[1] ? 2 : 1;
    for (int l = 0; l < k->count; l++) {
        k->priv[l] = NULL;
        REQUIRE_CMP(lutsr_srlut_ops.init(&k->priv[l], m, levels[l]), ==, 0);
        REQUIRE(k->priv[l]);
    }
    REQUIRE(!strcmp(lutsr_srlut_ops.impl_name(k->priv[0]), "c"));
}

static void kernels_close(Kernels *k)
{
    for (int l = 0; l < k->count; l++) {
        lutsr_srlut_ops.uninit(&k->priv[l]);
        REQUIRE(!k->priv[l]);
    }
}

/* Runs the kernel over every source row into out + out_stride (out has
 * one guard row above and below, out_stride > s * w) and checks nothing
 * outside the s*w x s*h area was touched. */
static void run_kernel(const void *priv, int s, const LutsrPlane *src,
                       uint8_t *out, ptrdiff_t out_stride)
{
    const int ow = src->width * s, oh = src->height * s;
    const size_t ss = lutsr_srlut_ops.scratch_size(priv, src->width);
    const size_t ss_alloc = (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1);
    uint8_t *scratch = ss ? aligned_alloc(LUTSR_ALIGN, ss_alloc) : NULL;
    REQUIRE(!ss || scratch);
    memset(out, GUARD, (size_t)out_stride * (oh + 2));
    uint8_t *o = out + out_stride;
    for (int y = 0; y < src->height; y++)
        lutsr_srlut_ops.row(priv, src, y, o + (ptrdiff_t)y * s * out_stride, out_stride, scratch);
    for (int y = 0; y < oh + 2; y++)
        for (ptrdiff_t x = 0; x < out_stride; x++)
            if (y == 0 || y == oh + 1 || x >= ow)
                REQUIRE_CMP(out[y * out_stride + x], ==, GUARD);
    free(scratch);
}

/* Every kernel in ks (built from m) must produce exactly want (s*w x s*h
 * pixels, want_stride apart). */
static void compare_kernels(const struct LutsrModel *m, const Kernels *ks, const LutsrPlane *src,
                            const uint8_t *want, ptrdiff_t want_stride, const char *what)
{
    const int s = m->scale;
    const ptrdiff_t stride = (ptrdiff_t)src->width * s + 13;
    uint8_t *got = malloc((size_t)stride * (src->height * s + 2));
    REQUIRE(got);
    for (int l = 0; l < ks->count; l++) {
        run_kernel(ks->priv[l], s, src, got, stride);
        REQUIRE_PLANE_EQ(want, want_stride, got + stride, stride, src->width * s, src->height * s,
                         "%s: %s, %dx%d, x%d, k=%d, out_shift=%d", what,
                         lutsr_srlut_ops.impl_name(ks->priv[l]),
                         src->width, src->height, s, m->interval_bits, m->out_shift);
    }
    free(got);
}

/* Every kernel in ks (built from m) against the reference. */
static void check_case(const struct LutsrModel *m, const Kernels *ks, CoreFn core,
                       const LutsrPlane *src, const char *what)
{
    const ptrdiff_t stride = (ptrdiff_t)src->width * m->scale;
    uint8_t *ref = malloc((size_t)stride * src->height * m->scale);
    REQUIRE(ref);
    reference(m, core, src, ref, stride);
    compare_kernels(m, ks, src, ref, stride, what);
    free(ref);
}

/* ----------------------------------------------------------------- tests */

static const int sizes[][2] = {
    { 1, 1 }, { 1, 7 }, { 7, 1 }, { 2, 2 }, { 3, 5 }, { 5, 3 }, { 17, 9 }, { 33, 17 },
    { 9, 2 }, { 40, 3 },
};

static void test_random(TestRng *rng)
{
    /* k = 2 makes a 65^4-entry LUT: x2 only, to keep memory and time low. */
    static const int cases[][2] = { /* scale, k */
        { 2, 2 }, { 2, 3 }, { 2, 4 }, { 2, 5 }, { 2, 6 },
        { 3, 3 }, { 3, 4 }, { 3, 6 },
        { 4, 3 }, { 4, 4 }, { 4, 5 }, { 4, 6 },
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const int s = cases[c][0], k = cases[c][1];
        /* the usual out_shift, no shift, or a random one */
        const int sh = c % 3 == 0 ? k + 2 : c % 3 == 1 ? 0 : (int)test_rng_below(rng, 25);
        struct LutsrModel *m = model_new(s, k, sh);
        lut_fill_random(m, rng);
        Kernels ks;
        kernels_open(&ks, m);
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            TestPlane p;
            test_plane_alloc(&p, sizes[i][0], sizes[i][1], 3);
            REQUIRE(p.alloc);
            test_plane_fill(&p, rng);
            check_case(m, &ks, core_simplex, &p.p, "random LUT");
            test_plane_free(&p);
        }
        kernels_close(&ks);
        model_free(m);
    }
}

static void test_large(TestRng *rng)
{
    struct LutsrModel *m = model_new(2, 4, 6);
    lut_fill_random(m, rng);
    TestPlane p;
    test_plane_alloc(&p, 1921, 1081, 0);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    Kernels ks;
    kernels_open(&ks, m);
    check_case(m, &ks, core_simplex, &p.p, "1921x1081");
    kernels_close(&ks);
    test_plane_free(&p);
    model_free(m);
}

/* Negative strides: the kernel must only follow src->stride. */
static void test_negative_stride(TestRng *rng)
{
    struct LutsrModel *m = model_new(3, 4, 6);
    lut_fill_random(m, rng);
    TestPlane p;
    test_plane_alloc(&p, 19, 6, 5);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    LutsrPlane flipped = p.p;
    flipped.data = p.p.data + (p.p.height - 1) * p.p.stride;
    flipped.stride = -p.p.stride;
    Kernels ks;
    kernels_open(&ks, m);
    check_case(m, &ks, core_simplex, &flipped, "negative stride");
    kernels_close(&ks);
    test_plane_free(&p);
    model_free(m);
}

/* Known functions: value t of the LUT holds g_t(a, b, c, d) = (x_t - a) / 4
 * with x_t = b, c, d for t % 3 = 0, 1, 2, sampled at the grid points. The
 * simplex interpolation of an affine function is exact, so K must be
 * q * g_t at every pixel (|g_t| <= 64 at the grid, so it fits int8). */
static void core_linear(const struct LutsrModel *m, const double px[4], double *out)
{
    const double q = (double)(1 << m->interval_bits);
    for (int t = 0; t < (int)m->lut_values; t++)
        out[t] = q * (px[1 + t % 3] - px[0]) / 4;
}

static void lut_fill_linear(struct LutsrModel *m)
{
    const int n = m->lut_side, q = 1 << m->interval_bits, nv = (int)m->lut_values;
    for (uint32_t e = 0; e < m->lut_entries; e++) {
        const int idx[4] = { (int)(e / (n * n * n)), (int)(e / (n * n)) % n,
                             (int)(e / n) % n, (int)(e % n) };
        for (int t = 0; t < nv; t++) {
            const int v = q * (idx[1 + t % 3] - idx[0]) / 4;
            REQUIRE(v >= -128 && v <= 127 && v * 4 == q * (idx[1 + t % 3] - idx[0]));
            m->lut[(size_t)e * nv + t] = (int8_t)v;
        }
    }
}

static void test_known_functions(TestRng *rng)
{
    for (int s = 2; s <= 4; s++) {
        for (int k = 3; k <= 6; k += 3) {
            const int q = 1 << k;
            struct LutsrModel *m = model_new(s, k, k + 2);
            TestPlane p;
            test_plane_alloc(&p, 1 + (int)test_rng_below(rng, 40),
                             1 + (int)test_rng_below(rng, 9), 1);
            REQUIRE(p.alloc);
            test_plane_fill(&p, rng);
            const int w = p.p.width, h = p.p.height;
            uint8_t *want = malloc((size_t)w * s * h * s);
            REQUIRE(want);
            Kernels ks;

            /* all zeros: exactly nearest-neighbour, for any out_shift */
            m->out_shift = (int)test_rng_below(rng, 25);
            for (int y = 0; y < h * s; y++)
                for (int x = 0; x < w * s; x++)
                    want[y * w * s + x] = p.p.data[(y / s) * p.p.stride + x / s];
            kernels_open(&ks, m);
            compare_kernels(m, &ks, &p.p, want, w * s, "zero LUT");
            kernels_close(&ks);

            /* the same value v everywhere: T = 4 * q * v */
            const int v = (int)test_rng_below(rng, 256) - 128;
            memset(m->lut, v, lut_size(m));
            m->out_shift = k + 2;
            for (int y = 0; y < h * s; y++)
                for (int x = 0; x < w * s; x++)
                    want[y * w * s + x] = lutsr_clip_u8(p.p.data[(y / s) * p.p.stride + x / s] +
                                                        lutsr_round_shift(4 * q * v, k + 2));
            kernels_open(&ks, m);
            compare_kernels(m, &ks, &p.p, want, w * s, "constant LUT");
            kernels_close(&ks);

            /* affine functions: the kernels match both the LUT-free core
             * and the simplex reference */
            lut_fill_linear(m);
            for (int sh = 0; sh <= k + 2; sh += k + 2) {
                m->out_shift = sh;
                kernels_open(&ks, m);
                check_case(m, &ks, core_linear, &p.p, "linear function (exact core)");
                check_case(m, &ks, core_simplex, &p.p, "linear function (simplex)");
                kernels_close(&ks);
            }
            free(want);
            test_plane_free(&p);
            model_free(m);
        }
    }
}

/* The kernel refuses models it cannot run. */
static void test_bad_models(void)
{
    struct LutsrModel *m = model_new(2, 4, 6);
    void *priv = (void *)1;
    m->lut_side = 16;
    REQUIRE(lutsr_srlut_ops.init(&priv, m, 0) < 0 && !priv);
    m->lut_side = 17;
    m->lut_values = 9;
    REQUIRE(lutsr_srlut_ops.init(&priv, m, 0) < 0);
    m->lut_values = 4;
    m->out_shift = 25;
    REQUIRE(lutsr_srlut_ops.init(&priv, m, 0) < 0);
    m->out_shift = 6;
    m->kind = LUTSR_MODEL_ECLUT;
    REQUIRE(lutsr_srlut_ops.init(&priv, m, 0) < 0);
    m->kind = LUTSR_MODEL_SRLUT;
    REQUIRE_CMP(lutsr_srlut_ops.init(&priv, m, 0), ==, 0);
    lutsr_srlut_ops.uninit(&priv);
    lutsr_srlut_ops.uninit(&priv); /* NULL-safe */
    model_free(m);
}

int main(void)
{
    TestRng rng;
    test_rng_seed(&rng, test_seed(0x5F1D));
    test_bad_models();
    test_known_functions(&rng);
    test_random(&rng);
    test_negative_stride(&rng);
    test_large(&rng);
    printf("srlut: all OK\n");
    return 0;
}
