/*
 * MuLUT kernel vs an independent reference written straight from
 * docs/kernels.md ("MuLUT core"): per stage, per pattern and per rotation
 * it literally rotates the image with rot90, reads each window at the
 * pattern's offsets with clamped coordinates, interpolates with the
 * textbook simplex formula (barycentric weights from the rank of each
 * fraction), rotates the result back and sums; then the next stage runs on
 * the clipped result. The C kernel and the SIMD one (where this machine has
 * it) must match exactly, through row() and through rows() on random
 * splits, for random LUTs, 1-3 stages, every pattern subset, every scale
 * and odd sizes. Also: a 1-stage pattern-S model is SR-LUT bit for bit;
 * all-zero LUTs give nearest neighbour; constant LUTs give known offsets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "model.h"
#include "test_util.h"

/* ---------------------------------------------------------------- models */

/* stages[t] = { scale, pattern_mask, interval_bits, out_shift } */
static LutsrModel *model_new(int scale, int n_stages, const int stages[][4])
{
    LutsrMulutStage d[LUTSR_MULUT_MAX_STAGES];
    memset(d, 0, sizeof(d));
    for (int t = 0; t < n_stages; t++) {
        d[t].scale = stages[t][0];
        d[t].pattern_mask = stages[t][1];
        d[t].interval_bits = stages[t][2];
        d[t].out_shift = stages[t][3];
    }
    LutsrModel *m = NULL;
    REQUIRE_OK(lutsr_model_alloc_mulut(&m, scale, n_stages, d, "test: mulut"));
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_MULUT);
    return m;
}

static size_t stage_lut_size(const LutsrMulutStage *st)
{
    return (size_t)st->lut_entries * st->lut_values;
}

/* Full int8 range, with extra weight on -128 and 127. */
static void lut_fill_random(int8_t *lut, size_t size, TestRng *r)
{
    uint32_t x = 0;
    for (size_t i = 0; i < size; i++) {
        if (!(i & 3))
            x = test_rng_u32(r);
        const int b = (int)(x >> 8 * (i & 3)) & 255;
        lut[i] = (int8_t)(b < 16 ? -128 : b < 32 ? 127 : b - 128);
    }
}

static void model_fill(LutsrModel *m, TestRng *r, int value /* 999: random */)
{
    for (int t = 0; t < m->n_stages; t++)
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
            LutsrMulutStage *st = &m->stages[t];
            if (!st->lut[p])
                continue;
            if (value == 999)
                lut_fill_random(st->lut[p], stage_lut_size(st), r);
            else
                memset(st->lut[p], value, stage_lut_size(st));
        }
}

/* ------------------------------------------------------------- reference */

typedef struct Grid { int h, w; int64_t *v; } Grid;

static Grid grid_new(int h, int w)
{
    Grid g = { h, w, calloc((size_t)h * w, sizeof(int64_t)) };
    REQUIRE(g.v);
    return g;
}

static int64_t *at(const Grid *g, int i, int j)
{
    return &g->v[(size_t)i * g->w + j];
}

static int64_t at_clamped(const Grid *g, int i, int j)
{
    i = i < 0 ? 0 : i >= g->h ? g->h - 1 : i;
    j = j < 0 ? 0 : j >= g->w ? g->w - 1 : j;
    return *at(g, i, j);
}

/* numpy.rot90(X, 1): rot(X)[i][j] = X[j][W - 1 - i]; a new grid. */
static Grid rot90(const Grid *src)
{
    Grid d = grid_new(src->w, src->h);
    for (int i = 0; i < d.h; i++)
        for (int j = 0; j < d.w; j++)
            *at(&d, i, j) = *at(src, j, src->w - 1 - i);
    return d;
}

/* rot^times(g), replacing g. */
static void rotate(Grid *g, int times)
{
    for (int i = 0; i < times; i++) {
        Grid r = rot90(g);
        free(g->v);
        *g = r;
    }
}

/* The patterns as docs/kernels.md defines them: (row, col) of a, b, c, d. */
static const int pattern_def[3][4][2] = {
    { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } }, /* S */
    { { 0, 0 }, { 0, 2 }, { 2, 0 }, { 2, 2 } }, /* D */
    { { 0, 0 }, { 1, 1 }, { 1, 2 }, { 2, 1 } }, /* Y */
};

/* Textbook 4-D simplex interpolation, times q: with pixel p = q * P + f,
 * order the axes by descending fraction; the vertices are V_0 = P and
 * V_j = V_(j-1) + unit(axis of rank j-1); the weights are q - f(1),
 * f(1) - f(2), ..., f(4) (f(j) the j-th largest fraction). */
static void core_simplex(const LutsrMulutStage *st, const int8_t *lut, const int64_t px[4],
                         int64_t *out)
{
    const int k = st->interval_bits, q = 1 << k, n = st->lut_side, nv = (int)st->lut_values;
    int base[4], frac[4], rank[4];
    for (int i = 0; i < 4; i++) {
        base[i] = (int)(px[i] / q);
        frac[i] = (int)(px[i] % q);
    }
    for (int i = 0; i < 4; i++) {
        rank[i] = 0;
        for (int j = 0; j < 4; j++)
            rank[i] += frac[j] > frac[i] || (frac[j] == frac[i] && j < i);
    }
    int sorted[4];
    for (int i = 0; i < 4; i++)
        sorted[rank[i]] = frac[i];
    const int lambda[5] = { q - sorted[0], sorted[0] - sorted[1], sorted[1] - sorted[2],
                            sorted[2] - sorted[3], sorted[3] };
    for (int t = 0; t < nv; t++)
        out[t] = 0;
    for (int j = 0; j <= 4; j++) {
        int v[4];
        for (int i = 0; i < 4; i++)
            v[i] = base[i] + (rank[i] < j);
        const size_t e = (((size_t)v[0] * n + v[1]) * n + v[2]) * n + v[3];
        REQUIRE(e < st->lut_entries);
        for (int t = 0; t < nv; t++)
            out[t] += (int64_t)lambda[j] * lut[e * nv + t];
    }
}

/* K_p of one (already rotated) image: an (s*h) x (s*w) grid. */
static Grid apply_core(const LutsrMulutStage *st, int pattern, const int8_t *lut, const Grid *img)
{
    const int s = st->scale;
    Grid k = grid_new(img->h * s, img->w * s);
    int64_t out[16];
    for (int i = 0; i < img->h; i++)
        for (int j = 0; j < img->w; j++) {
            int64_t px[4];
            for (int c = 0; c < 4; c++)
                px[c] = at_clamped(img, i + pattern_def[pattern][c][0], j + pattern_def[pattern][c][1]);
            core_simplex(st, lut, px, out);
            for (int u = 0; u < s; u++)
                for (int v = 0; v < s; v++)
                    *at(&k, i * s + u, j * s + v) = out[u * s + v];
        }
    return k;
}

static int64_t floor_div_pow2(int64_t v, int sh)
{
    return (int64_t)floor((double)v / ldexp(1.0, sh));
}

/* One stage: X -> clip(X(y/s, x/s) + round_shift(T)), T the sum over
 * patterns and rotations of rot^-r(K_p(rot^r(X))). Replaces x. */
static void reference_stage(const LutsrMulutStage *st, Grid *x)
{
    const int s = st->scale;
    Grid t = grid_new(x->h * s, x->w * s);
    for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
        if (!(st->pattern_mask & 1 << p))
            continue;
        for (int r = 0; r < 4; r++) {
            Grid img = grid_new(x->h, x->w);
            memcpy(img.v, x->v, sizeof(int64_t) * (size_t)x->h * x->w);
            rotate(&img, r);
            Grid k = apply_core(st, p, st->lut[p], &img);
            rotate(&k, (4 - r) % 4);
            REQUIRE(k.h == t.h && k.w == t.w);
            for (size_t i = 0; i < (size_t)t.h * t.w; i++)
                t.v[i] += k.v[i];
            free(img.v);
            free(k.v);
        }
    }
    const int sh = st->out_shift;
    for (int y = 0; y < t.h; y++)
        for (int xx = 0; xx < t.w; xx++) {
            const int64_t tv = *at(&t, y, xx);
            const int64_t shifted = sh ? floor_div_pow2(tv + ((int64_t)1 << (sh - 1)), sh) : tv;
            const int64_t o = *at(x, y / s, xx / s) + shifted;
            *at(&t, y, xx) = o < 0 ? 0 : o > 255 ? 255 : o;
        }
    free(x->v);
    *x = t;
}

static void reference(const LutsrModel *m, const LutsrPlane *src, uint8_t *out, ptrdiff_t out_stride)
{
    Grid x = grid_new(src->height, src->width);
    for (int i = 0; i < x.h; i++)
        for (int j = 0; j < x.w; j++)
            *at(&x, i, j) = src->data[i * src->stride + j];
    for (int t = 0; t < m->n_stages; t++)
        reference_stage(&m->stages[t], &x);
    REQUIRE(x.h == src->height * m->scale && x.w == src->width * m->scale);
    for (int y = 0; y < x.h; y++)
        for (int j = 0; j < x.w; j++)
            out[y * out_stride + j] = (uint8_t)*at(&x, y, j);
    free(x.v);
}

/* ---------------------------------------------------------------- kernel */

#define GUARD 0x5A

/* A kernel built for C (cpu_flags = 0) and, where this machine has one,
 * for its best SIMD level. */
typedef struct Kernels { const LutsrKernelOps *ops; int count; void *priv[2]; } Kernels;

static void kernels_open(Kernels *k, const LutsrKernelOps *ops, const LutsrModel *m)
{
    const unsigned levels[2] = { 0, lutsr_cpu_flags() };
    k->ops = ops;
    k->count = levels[1] ? 2 : 1;
    for (int l = 0; l < k->count; l++) {
        k->priv[l] = NULL;
        REQUIRE_CMP(ops->init(&k->priv[l], m, levels[l]), ==, 0);
        REQUIRE(k->priv[l]);
    }
    REQUIRE(!strcmp(ops->impl_name(k->priv[0]), "c"));
}

static void kernels_close(Kernels *k)
{
    for (int l = 0; l < k->count; l++) {
        k->ops->uninit(&k->priv[l]);
        REQUIRE(!k->priv[l]);
    }
}

/* Runs the kernel over the whole source into out + out_stride (out has a
 * guard row above and below, out_stride > s * w) and checks that nothing
 * outside the s*w x s*h area was touched. split 0: row() per source row;
 * else rows() on random runs of 1..split rows (where the kernel has it). */
static void run_kernel(const LutsrKernelOps *ops, const void *priv, int s, const LutsrPlane *src,
                       uint8_t *out, ptrdiff_t out_stride, int split, TestRng *rng)
{
    const int ow = src->width * s, oh = src->height * s;
    const size_t ss = ops->scratch_size(priv, src->width);
    const size_t ss_alloc = (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1);
    uint8_t *scratch = ss ? aligned_alloc(LUTSR_ALIGN, ss_alloc) : NULL;
    REQUIRE(!ss || scratch);
    if (scratch)
        memset(scratch, (int)test_rng_below(rng, 256), ss); /* output must not depend on it */
    memset(out, GUARD, (size_t)out_stride * (oh + 2));
    uint8_t *o = out + out_stride;
    for (int y = 0; y < src->height;) {
        int y1 = y + 1;
        if (split && ops->rows) {
            y1 = y + 1 + (int)test_rng_below(rng, (uint32_t)split);
            y1 = y1 > src->height ? src->height : y1;
            ops->rows(priv, src, y, y1, o + (ptrdiff_t)y * s * out_stride, out_stride, scratch);
        } else {
            ops->row(priv, src, y, o + (ptrdiff_t)y * s * out_stride, out_stride, scratch);
        }
        y = y1;
    }
    for (int y = 0; y < oh + 2; y++)
        for (ptrdiff_t x = 0; x < out_stride; x++)
            if (y == 0 || y == oh + 1 || x >= ow)
                REQUIRE_CMP(out[y * out_stride + x], ==, GUARD);
    free(scratch);
}

/* Every kernel in ks must produce exactly want (s*w x s*h pixels,
 * want_stride apart), row by row and on random splits. */
static void compare_kernels(const Kernels *ks, int s, const LutsrPlane *src, const uint8_t *want,
                            ptrdiff_t want_stride, TestRng *rng, const char *what)
{
    const ptrdiff_t stride = (ptrdiff_t)src->width * s + 13;
    uint8_t *got = malloc((size_t)stride * (src->height * s + 2));
    REQUIRE(got);
    static const int splits[] = { 0, 3, 1000 }; /* row(); rows() on 1..3 rows; on up to all */
    for (int l = 0; l < ks->count; l++)
        for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
            run_kernel(ks->ops, ks->priv[l], s, src, got, stride, splits[i], rng);
            REQUIRE_PLANE_EQ(want, want_stride, got + stride, stride, src->width * s,
                             src->height * s, "%s: %s, %dx%d, split %d", what,
                             ks->ops->impl_name(ks->priv[l]), src->width, src->height, splits[i]);
        }
    free(got);
}

/* A text naming the model, for failure messages. */
static const char *model_text(const LutsrModel *m)
{
    static char buf[256];
    int n = snprintf(buf, sizeof(buf), "x%d", m->scale);
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *st = &m->stages[t];
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, " [%s%s%s k=%d sh=%d]",
                      st->pattern_mask & 1 ? "S" : "", st->pattern_mask & 2 ? "D" : "",
                      st->pattern_mask & 4 ? "Y" : "", st->interval_bits, st->out_shift);
    }
    return buf;
}

static void check_case(const LutsrModel *m, const Kernels *ks, const LutsrPlane *src, TestRng *rng,
                       const char *what)
{
    const ptrdiff_t stride = (ptrdiff_t)src->width * m->scale;
    uint8_t *ref = malloc((size_t)stride * src->height * m->scale);
    REQUIRE(ref);
    reference(m, src, ref, stride);
    char text[400];
    snprintf(text, sizeof(text), "%s, %s", what, model_text(m));
    compare_kernels(ks, m->scale, src, ref, stride, rng, text);
    free(ref);
}

/* ----------------------------------------------------------------- tests */

static const int sizes[][2] = {
    { 1, 1 }, { 1, 7 }, { 7, 1 }, { 2, 2 }, { 3, 5 }, { 5, 3 }, { 17, 9 }, { 33, 17 },
    { 9, 2 }, { 40, 3 }, { 4, 6 },
};
#define N_SIZES (int)(sizeof(sizes) / sizeof(sizes[0]))

/* interval_bits for a stage: mostly 4..6; now and then 3 (33^4 entries:
 * building its SIMD tables is what costs most here), only for scale <= 2. */
static int random_bits(TestRng *rng, int s)
{
    return s <= 2 && !test_rng_below(rng, 12) ? 3 : 4 + (int)test_rng_below(rng, 3);
}

/* the usual shift (k + 2 and a bit for the patterns), none, or random */
static int random_shift(TestRng *rng, int k)
{
    switch (test_rng_below(rng, 3)) {
    case 0:  return k + 3;
    case 1:  return 0;
    default: return (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
    }
}

/* 1-3 stages, every pattern subset in the last stage (and random ones
 * before it), every scale, random LUTs: kernel == reference. */
static void test_random(TestRng *rng)
{
    for (int ns = 1; ns <= 3; ns++)
        for (int s = 2; s <= 4; s++)
            for (int mask = 1; mask <= 7; mask++) {
                int stages[3][4];
                for (int t = 0; t < ns; t++) {
                    const int st_s = t == ns - 1 ? s : 1, k = random_bits(rng, st_s);
                    stages[t][0] = st_s;
                    stages[t][1] = t == ns - 1 ? mask : 1 + (int)test_rng_below(rng, 7);
                    stages[t][2] = k;
                    stages[t][3] = random_shift(rng, k);
                }
                LutsrModel *m = model_new(s, ns, (const int (*)[4])stages);
                model_fill(m, rng, 999);
                Kernels ks;
                kernels_open(&ks, &lutsr_mulut_ops, m);
                /* two sizes per model, all sizes over the loop */
                for (int i = 0; i < 2; i++) {
                    const int *sz = sizes[(mask * 2 + i + ns * 3 + s) % N_SIZES];
                    TestPlane p;
                    test_plane_alloc(&p, sz[0], sz[1], (int)test_rng_below(rng, 5));
                    REQUIRE(p.alloc);
                    test_plane_fill(&p, rng);
                    check_case(m, &ks, &p.p, rng, "random LUT");
                    test_plane_free(&p);
                }
                kernels_close(&ks);
                lutsr_model_close(&m);
            }
}

/* interval_bits 2 (65^4 entries) in a scale-1 stage, and stages with
 * different interval sizes. */
static void test_interval_mix(TestRng *rng)
{
    static const int stages[3][4] = { { 1, 5, 2, 7 }, { 1, 2, 6, 5 }, { 2, 7, 5, 9 } };
    LutsrModel *m = model_new(2, 3, stages);
    model_fill(m, rng, 999);
    Kernels ks;
    kernels_open(&ks, &lutsr_mulut_ops, m);
    TestPlane p;
    test_plane_alloc(&p, 23, 11, 2);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    check_case(m, &ks, &p.p, rng, "interval mix");
    test_plane_free(&p);
    kernels_close(&ks);
    lutsr_model_close(&m);
}

/* One larger frame and a negative stride (the kernel must only follow
 * src->stride). */
static void test_large(TestRng *rng)
{
    static const int stages[2][4] = { { 1, 7, 4, 8 }, { 2, 7, 4, 8 } };
    LutsrModel *m = model_new(2, 2, stages);
    model_fill(m, rng, 999);
    Kernels ks;
    kernels_open(&ks, &lutsr_mulut_ops, m);
    TestPlane p;
    test_plane_alloc(&p, 643, 71, 0);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    check_case(m, &ks, &p.p, rng, "643x71");
    test_plane_free(&p);

    test_plane_alloc(&p, 37, 19, 5);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    LutsrPlane flipped = p.p;
    flipped.data = p.p.data + (p.p.height - 1) * p.p.stride;
    flipped.stride = -p.p.stride;
    check_case(m, &ks, &flipped, rng, "negative stride");
    test_plane_free(&p);
    kernels_close(&ks);
    lutsr_model_close(&m);
}

/* A 1-stage model with only pattern S is SR-LUT, bit for bit, for the
 * same LUT: both kernels, every level, every scale. */
static void test_srlut_equivalence(TestRng *rng)
{
    static const int cases[][2] = { { 2, 2 }, { 2, 4 }, { 2, 6 }, { 3, 4 }, { 3, 5 }, { 4, 4 }, { 4, 6 } };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        const int s = cases[c][0], k = cases[c][1];
        const int sh = c % 2 ? k + 2 : (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
        const int stages[1][4] = { { s, 1, k, sh } };
        LutsrModel *mu = model_new(s, 1, stages);
        LutsrModel *sr = NULL;
        REQUIRE_OK(lutsr_model_alloc(&sr, LUTSR_MODEL_SRLUT, s, k, sh, NULL));
        REQUIRE_CMP(sr->lut_entries * sr->lut_values, ==, stage_lut_size(&mu->stages[0]));
        lut_fill_random(sr->lut, (size_t)sr->lut_entries * sr->lut_values, rng);
        memcpy(mu->stages[0].lut[LUTSR_MULUT_S], sr->lut, (size_t)sr->lut_entries * sr->lut_values);
        Kernels km, ksr;
        kernels_open(&km, &lutsr_mulut_ops, mu);
        kernels_open(&ksr, &lutsr_srlut_ops, sr);
        for (int i = 0; i < 4; i++) {
            TestPlane p;
            const int *sz = i < 3 ? sizes[test_rng_below(rng, N_SIZES)] : (const int[2]){ 131, 7 };
            test_plane_alloc(&p, sz[0], sz[1], 1);
            REQUIRE(p.alloc);
            test_plane_fill(&p, rng);
            const ptrdiff_t stride = (ptrdiff_t)sz[0] * s + 13;
            uint8_t *want = malloc((size_t)stride * (sz[1] * s + 2));
            REQUIRE(want);
            run_kernel(ksr.ops, ksr.priv[0], s, &p.p, want, stride, 0, rng);
            compare_kernels(&km, s, &p.p, want + stride, stride, rng, "1-stage S vs srlut (C)");
            if (ksr.count > 1) { /* and the SR-LUT SIMD agrees with its C */
                compare_kernels(&ksr, s, &p.p, want + stride, stride, rng, "srlut SIMD vs C");
            }
            free(want);
            test_plane_free(&p);
        }
        kernels_close(&km);
        kernels_close(&ksr);
        lutsr_model_close(&mu);
        lutsr_model_close(&sr);
    }
}

/* All-zero LUTs: nearest neighbour whatever the shifts; one constant value
 * v everywhere: each stage adds round_shift(4 * q * v * patterns). */
static void test_known_functions(TestRng *rng)
{
    for (int s = 2; s <= 4; s++) {
        int stages[3][4];
        for (int t = 0; t < 3; t++) {
            stages[t][0] = t == 2 ? s : 1;
            stages[t][1] = 1 + (int)test_rng_below(rng, 7);
            stages[t][2] = 4 + (int)test_rng_below(rng, 3);
            stages[t][3] = (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
        }
        LutsrModel *m = model_new(s, 3, (const int (*)[4])stages);
        TestPlane p;
        test_plane_alloc(&p, 1 + (int)test_rng_below(rng, 40), 1 + (int)test_rng_below(rng, 9), 1);
        REQUIRE(p.alloc);
        test_plane_fill(&p, rng);
        const int w = p.p.width, h = p.p.height;
        uint8_t *want = malloc((size_t)w * s * h * s);
        REQUIRE(want);

        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++)
                want[y * w * s + x] = p.p.data[(y / s) * p.p.stride + x / s];
        Kernels ks;
        kernels_open(&ks, &lutsr_mulut_ops, m);
        compare_kernels(&ks, s, &p.p, want, w * s, rng, "zero LUTs");
        kernels_close(&ks);

        const int v = (int)test_rng_below(rng, 256) - 128;
        model_fill(m, rng, v);
        int add[3];
        for (int t = 0; t < 3; t++) {
            const LutsrMulutStage *st = &m->stages[t];
            const int np = (st->pattern_mask & 1) + (st->pattern_mask >> 1 & 1) + (st->pattern_mask >> 2);
            add[t] = lutsr_round_shift(4 * (1 << st->interval_bits) * v * np, st->out_shift);
        }
        for (int y = 0; y < h * s; y++)
            for (int x = 0; x < w * s; x++) {
                int px = p.p.data[(y / s) * p.p.stride + x / s];
                for (int t = 0; t < 3; t++)
                    px = lutsr_clip_u8(px + add[t]);
                want[y * w * s + x] = (uint8_t)px;
            }
        kernels_open(&ks, &lutsr_mulut_ops, m);
        compare_kernels(&ks, s, &p.p, want, w * s, rng, "constant LUTs");
        kernels_close(&ks);
        free(want);
        test_plane_free(&p);
        lutsr_model_close(&m);
    }
}

/* The kernel refuses models it cannot run. */
static void test_bad_models(void)
{
    static const int stages[2][4] = { { 1, 3, 6, 8 }, { 2, 4, 6, 8 } };
    LutsrModel *m = model_new(2, 2, stages);
    void *priv = (void *)1;
    m->stages[0].lut_side = 4;
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0 && !priv);
    m->stages[0].lut_side = 5;
    m->stages[0].scale = 2;
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0);
    m->stages[0].scale = 1;
    m->stages[1].lut_values = 9;
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0);
    m->stages[1].lut_values = 4;
    m->stages[1].pattern_mask = 5; /* pattern S has no LUT */
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0);
    m->stages[1].pattern_mask = 4;
    m->n_stages = 5;
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0);
    m->n_stages = 2;
    m->kind = LUTSR_MODEL_SRLUT;
    REQUIRE(lutsr_mulut_ops.init(&priv, m, 0) < 0);
    m->kind = LUTSR_MODEL_MULUT;
    REQUIRE_CMP(lutsr_mulut_ops.init(&priv, m, 0), ==, 0);
    lutsr_mulut_ops.uninit(&priv);
    lutsr_mulut_ops.uninit(&priv); /* NULL-safe */
    lutsr_model_close(&m);
}

int main(void)
{
    TestRng rng;
    test_rng_seed(&rng, test_seed(0x3A17));
    test_bad_models();
    test_known_functions(&rng);
    test_srlut_equivalence(&rng);
    test_random(&rng);
    test_interval_mix(&rng);
    test_large(&rng);
    printf("mulut: all OK\n");
    return 0;
}
