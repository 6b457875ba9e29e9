/*
 * Bicubic kernel: every implementation this machine has (C, AVX2) against
 * an independent double-precision evaluation of the fixed-point definition
 * in docs/kernels.md (exact match), plus properties of the definition
 * itself: the weight tables of the doc, exact constants and linear ramps,
 * and a distance of at most 1 from an unrounded floating-point bicubic.
 *
 * LUTSR_TEST_BENCH=1 also prints ns per output pixel for 1920x1080 x2.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bicubic.h"
#include "cpu.h"
#include "model.h"
#include "test_util.h"

/* ---------------------------------------------------------------------- */
/* Independent reference (doubles, per output pixel, no row buffers).     */

static double keys_cubic(double x)
{
    x = fabs(x);
    if (x <= 1)
        return 1.5 * x * x * x - 2.5 * x * x + 1;
    if (x < 2)
        return -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2;
    return 0;
}

typedef struct RefPhases {
    int first[4];     /* offset of the first tap from the source pixel */
    int w[4][4];      /* fixed-point weights */
    double c[4][4];   /* exact cubic weights */
} RefPhases;

/* Taps: the four integers around the sample point p = j + (v + 0.5)/s - 0.5,
 * i.e. floor(p) - 1 .. floor(p) + 2; weights round(256 * cubic(tap - p)). */
static void ref_phases(int s, RefPhases *r)
{
    for (int v = 0; v < s; v++) {
        double p = (v + 0.5) / s - 0.5;
        int fl = (int)floor(p);
        int sum = 0, big = 0;
        r->first[v] = fl - 1;
        for (int t = 0; t < 4; t++) {
            r->c[v][t] = keys_cubic(fl - 1 + t - p);
            r->w[v][t] = (int)floor(256 * r->c[v][t] + 0.5);
            sum += r->w[v][t];
            if (r->w[v][t] > r->w[v][big])
                big = t;
        }
        r->w[v][big] += 256 - sum;
    }
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
static double clipd(double v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

static int px(const LutsrPlane *p, int i, int j)
{
    return p->data[clampi(i, 0, p->height - 1) * p->stride + clampi(j, 0, p->width - 1)];
}

/* The fixed-point definition, evaluated in doubles (all values are small
 * integers, so every step is exact; floor() does the rounding shifts). */
static int ref_fixed(const LutsrPlane *p, const RefPhases *r, int s, int y, int x)
{
    int i = y / s, u = y % s, j = x / s, v = x % s;
    double acc = 0;
    for (int tr = 0; tr < 4; tr++) {
        int row = i + r->first[u] + tr;
        double hs = 0;
        for (int tc = 0; tc < 4; tc++)
            hs += r->w[v][tc] * (double)px(p, row, j + r->first[v] + tc);
        acc += r->w[u][tr] * floor((hs + 2) / 4);
    }
    return (int)clipd(floor((acc + 8192) / 16384));
}

/* Bicubic with exact weights and no intermediate rounding. */
static double ref_float(const LutsrPlane *p, const RefPhases *r, int s, int y, int x)
{
    int i = y / s, u = y % s, j = x / s, v = x % s;
    double acc = 0;
    for (int tr = 0; tr < 4; tr++)
        for (int tc = 0; tc < 4; tc++)
            acc += r->c[u][tr] * r->c[v][tc] * px(p, i + r->first[u] + tr, j + r->first[v] + tc);
    return acc;
}

/* ---------------------------------------------------------------------- */
/* Running the kernel through its ops table, as lib.c does.               */

typedef struct Kernel {
    void *priv;
    int scale;
    uint8_t *scratch;
    size_t scratch_w;
} Kernel;

static int kernel_open(Kernel *k, int scale, unsigned flags)
{
    struct LutsrModel m;
    memset(&m, 0, sizeof(m));
    m.kind = LUTSR_MODEL_BICUBIC;
    m.scale = scale;
    memset(k, 0, sizeof(*k));
    k->scale = scale;
    return lutsr_bicubic_ops.init(&k->priv, &m, flags);
}

static void kernel_close(Kernel *k)
{
    lutsr_bicubic_ops.uninit(&k->priv);
    REQUIRE(k->priv == NULL);
    free(k->scratch);
}

/* Fresh, exactly sized scratch per call so ASan sees any overrun. */
static void kernel_run(Kernel *k, const LutsrPlane *src, const LutsrPlane *dst)
{
    size_t size = lutsr_bicubic_ops.scratch_size(k->priv, src->width);
    free(k->scratch);
    k->scratch = aligned_alloc(64, (size + 63) & ~(size_t)63);
    REQUIRE(k->scratch);
    for (int y = 0; y < src->height; y++)
        lutsr_bicubic_ops.row(k->priv, src, y, dst->data + (ptrdiff_t)y * k->scale * dst->stride,
                              dst->stride, k->scratch);
}

/* A destination with stride > width; the gap bytes must stay untouched. */
#define CANARY 0xA5
static void dst_alloc(TestPlane *d, int w, int h)
{
    test_plane_alloc(d, w, h, 19);
    REQUIRE(d->alloc);
}

static void require_canary(const TestPlane *d, const char *what)
{
    for (int y = 0; y < d->p.height; y++)
        for (ptrdiff_t x = d->p.width; x < d->p.stride; x++)
            if (d->p.data[y * d->p.stride + x] != CANARY) {
                fprintf(stderr, "%s: wrote outside the row (x=%td, y=%d)\n", what, x, y);
                exit(1);
            }
}

typedef struct Level { const char *name; unsigned flags; } Level;
static Level levels[2];
static int nb_levels;

static void setup_levels(void)
{
    levels[nb_levels++] = (Level){ "c", 0 };
    if (test_have_avx2())
        levels[nb_levels++] = (Level){ "avx2", lutsr_cpu_flags_for(LUTSR_CPU_AVX2) };
}

/* Upscales src with every level and requires the exact reference. */
static void check_exact(const LutsrPlane *src, int s, const uint8_t *ref, const char *what)
{
    for (int l = 0; l < nb_levels; l++) {
        Kernel k;
        REQUIRE_OK(kernel_open(&k, s, levels[l].flags));
        REQUIRE(!strcmp(lutsr_bicubic_ops.impl_name(k.priv), levels[l].name));
        TestPlane d;
        dst_alloc(&d, src->width * s, src->height * s);
        kernel_run(&k, src, &d.p);
        REQUIRE_PLANE_EQ(d.p.data, d.p.stride, ref, d.p.width, d.p.width, d.p.height,
                         "%s x%d %dx%d impl %s", what, s, src->width, src->height, levels[l].name);
        require_canary(&d, what);
        test_plane_free(&d);
        kernel_close(&k);
    }
}

static uint8_t *make_ref(const LutsrPlane *src, int s, const RefPhases *r)
{
    int W = src->width * s, H = src->height * s;
    uint8_t *ref = malloc((size_t)W * (size_t)H);
    REQUIRE(ref);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ref[(size_t)y * W + x] = (uint8_t)ref_fixed(src, r, s, y, x);
    return ref;
}

/* ---------------------------------------------------------------------- */

/* The tables printed in docs/kernels.md, "Bicubic". */
static const struct { int first; int w[4]; } doc_tables[3][4] = {
    { { -2, { -6, 58, 222, -18 } }, { -1, { -18, 222, 58, -6 } } },
    { { -2, { -9, 85, 199, -19 } }, { -1, { 0, 256, 0, 0 } }, { -1, { -19, 199, 85, -9 } } },
    { { -2, { -11, 100, 186, -19 } }, { -2, { -2, 23, 247, -12 } },
      { -1, { -12, 247, 23, -2 } }, { -1, { -19, 186, 100, -11 } } },
};

static void test_weights(void)
{
    for (int s = 2; s <= 4; s++) {
        RefPhases r;
        BicubicPhase ph[BICUBIC_MAX_SCALE];
        ref_phases(s, &r);
        lutsr_bicubic_phases(s, ph);
        for (int v = 0; v < s; v++) {
            int sum = 0;
            REQUIRE_CMP(r.first[v], ==, doc_tables[s - 2][v].first);
            REQUIRE_CMP(ph[v].off, ==, doc_tables[s - 2][v].first);
            for (int t = 0; t < 4; t++) {
                REQUIRE_CMP(r.w[v][t], ==, doc_tables[s - 2][v].w[t]);
                REQUIRE_CMP(ph[v].w[t], ==, doc_tables[s - 2][v].w[t]);
                /* rounding alone gives the doc's weights: no adjustment */
                REQUIRE(fabs(256 * r.c[v][t] - r.w[v][t]) <= 0.5);
                sum += ph[v].w[t];
            }
            REQUIRE_CMP(sum, ==, 256);
        }
    }
}

static void test_init_errors(void)
{
    void *priv = (void *)1;
    struct LutsrModel m;
    memset(&m, 0, sizeof(m));
    REQUIRE_CMP(lutsr_bicubic_ops.init(&priv, NULL, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(priv == NULL);
    for (int s = -1; s <= 6; s++) {
        if (s >= 2 && s <= 4)
            continue;
        m.scale = s;
        priv = (void *)1;
        REQUIRE_CMP(lutsr_bicubic_ops.init(&priv, &m, 0), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
        REQUIRE(priv == NULL);
    }
    lutsr_bicubic_ops.uninit(NULL); /* NULL-safe */
}

/* Exact match on every small size, every scale, every implementation. */
static void test_small_sizes(TestRng *rng)
{
    static const int heights[] = { 1, 2, 3, 4, 5, 7, 17 };
    for (int s = 2; s <= 4; s++) {
        RefPhases r;
        ref_phases(s, &r);
        for (int w = 1; w <= 33; w++) {
            for (size_t hi = 0; hi < sizeof(heights) / sizeof(heights[0]); hi++) {
                int h = heights[hi];
                TestPlane src;
                test_plane_alloc(&src, w, h, (int)test_rng_below(rng, 9));
                REQUIRE(src.alloc);
                test_plane_fill(&src, rng);
                uint8_t *ref = make_ref(&src.p, s, &r);
                check_exact(&src.p, s, ref, "small");
                free(ref);
                test_plane_free(&src);
            }
        }
    }
}

/* One large odd size (every SIMD path and tail), and negative strides. */
static void test_large(TestRng *rng)
{
    const int s = 2;
    RefPhases r;
    ref_phases(s, &r);
    TestPlane src;
    test_plane_alloc(&src, 1921, 1081, 7);
    REQUIRE(src.alloc);
    test_plane_fill(&src, rng);
    uint8_t *ref = make_ref(&src.p, s, &r);
    check_exact(&src.p, s, ref, "1921x1081");
    free(ref);
    test_plane_free(&src);

    for (int sc = 2; sc <= 4; sc++) {
        ref_phases(sc, &r);
        test_plane_alloc(&src, 77, 13, 3);
        REQUIRE(src.alloc);
        test_plane_fill(&src, rng);
        ref = make_ref(&src.p, sc, &r);
        LutsrPlane flipped = src.p;
        flipped.data = src.p.data + (src.p.height - 1) * src.p.stride;
        flipped.stride = -src.p.stride;
        for (int l = 0; l < nb_levels; l++) {
            Kernel k;
            REQUIRE_OK(kernel_open(&k, sc, levels[l].flags));
            TestPlane d;
            dst_alloc(&d, 77 * sc, 13 * sc);
            LutsrPlane dflip = d.p;
            dflip.data = d.p.data + (d.p.height - 1) * d.p.stride;
            dflip.stride = -d.p.stride;
            /* Upside-down views of source and destination: the kernel is
             * mirror-symmetric, so this must give the reference upside
             * down, read through the negative strides. */
            kernel_run(&k, &flipped, &dflip);
            for (int y = 0; y < d.p.height; y++)
                REQUIRE_PLANE_EQ(dflip.data + y * dflip.stride, 0,
                                 ref + (size_t)(d.p.height - 1 - y) * d.p.width, 0,
                                 d.p.width, 1, "negative stride x%d %s row %d", sc, levels[l].name, y);
            require_canary(&d, "negative stride");
            test_plane_free(&d);
            kernel_close(&k);
        }
        free(ref);
        test_plane_free(&src);
    }
}

/* Constants everywhere, and linear ramps in the interior (all taps inside
 * the plane), are reproduced: the output is the ramp's value at the output
 * sample position, rounded, whenever that value is not within 0.05 of a
 * rounding boundary (exactly, when it is an integer). */
static void test_constants_and_ramps(void)
{
    for (int s = 2; s <= 4; s++) {
        RefPhases r;
        ref_phases(s, &r);
        for (int l = 0; l < nb_levels; l++) {
            Kernel k;
            REQUIRE_OK(kernel_open(&k, s, levels[l].flags));
            TestPlane src, d;
            for (int c = 0; c < 256; c += 17) {
                test_plane_alloc(&src, 21, 9, 0);
                REQUIRE(src.alloc);
                for (int y = 0; y < 9; y++)
                    memset(src.p.data + y * src.p.stride, c, 21);
                dst_alloc(&d, 21 * s, 9 * s);
                kernel_run(&k, &src.p, &d.p);
                for (int y = 0; y < d.p.height; y++)
                    for (int x = 0; x < d.p.width; x++)
                        REQUIRE_CMP(d.p.data[y * d.p.stride + x], ==, c);
                test_plane_free(&d);
                test_plane_free(&src);
            }
            /* Slopes (per source pixel) along rows and columns; 24 and 2s
             * make the sampled values integers for every scale. */
            static const int slopes[] = { 0, 1, -1, 2, 3, -5, 7, 24, -24 };
            const int n = (int)(sizeof(slopes) / sizeof(slopes[0]));
            const int W = 10, H = 10;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    int sa = slopes[a], sb = slopes[b];
                    if (abs(sa) * (H - 1) + abs(sb) * (W - 1) > 255)
                        continue;
                    int c0 = (sa < 0 ? -sa * (H - 1) : 0) + (sb < 0 ? -sb * (W - 1) : 0);
                    test_plane_alloc(&src, W, H, 0);
                    REQUIRE(src.alloc);
                    for (int i = 0; i < H; i++)
                        for (int j = 0; j < W; j++)
                            src.p.data[i * src.p.stride + j] = (uint8_t)(c0 + sa * i + sb * j);
                    dst_alloc(&d, W * s, H * s);
                    kernel_run(&k, &src.p, &d.p);
                    int exact = 0;
                    for (int y = 2 * s; y < (H - 2) * s; y++) {
                        for (int x = 2 * s; x < (W - 2) * s; x++) {
                            double pi = (y + 0.5) / s - 0.5, pj = (x + 0.5) / s - 0.5;
                            double ideal = c0 + sa * pi + sb * pj;
                            int got = d.p.data[y * d.p.stride + x];
                            double fr = ideal - floor(ideal);
                            if (fabs(fr - 0.5) < 0.05) {
                                REQUIRE(got == (int)floor(ideal) || got == (int)ceil(ideal));
                            } else {
                                if (got != (int)floor(ideal + 0.5)) {
                                    fprintf(stderr, "ramp x%d %s slopes %d,%d at (%d,%d): %d vs %.4f\n",
                                            s, levels[l].name, sa, sb, x, y, got, ideal);
                                    exit(1);
                                }
                                exact += fr == 0;
                            }
                        }
                    }
                    if (sa % 24 == 0 && sb % 24 == 0) /* all ideal values integral */
                        REQUIRE_CMP(exact, ==, (W - 4) * (H - 4) * s * s);
                    test_plane_free(&d);
                    test_plane_free(&src);
                }
            }
            kernel_close(&k);
        }
    }
}

/* Within +-1 of the rounded, unquantised bicubic on random and extreme
 * content (weight quantisation and the int16 intermediate cost < 1). */
static void test_vs_float(TestRng *rng)
{
    for (int s = 2; s <= 4; s++) {
        RefPhases r;
        ref_phases(s, &r);
        Kernel k;
        REQUIRE_OK(kernel_open(&k, s, 0));
        int hist[3] = { 0, 0, 0 };
        for (int iter = 0; iter < 12; iter++) {
            TestPlane src, d;
            int w = 31 + (int)test_rng_below(rng, 40), h = 9 + (int)test_rng_below(rng, 20);
            test_plane_alloc(&src, w, h, 0);
            REQUIRE(src.alloc);
            if (iter < 4) {
                /* 0/255 only: the largest rounding error is at extremes */
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        src.p.data[y * src.p.stride + x] = test_rng_below(rng, 2) ? 255 : 0;
            } else {
                test_plane_fill(&src, rng);
            }
            dst_alloc(&d, w * s, h * s);
            kernel_run(&k, &src.p, &d.p);
            for (int y = 0; y < d.p.height; y++) {
                for (int x = 0; x < d.p.width; x++) {
                    int want = (int)floor(clipd(ref_float(&src.p, &r, s, y, x)) + 0.5);
                    int diff = abs(d.p.data[y * d.p.stride + x] - want);
                    if (diff > 1) {
                        fprintf(stderr, "x%d (%d,%d): %d vs float %d\n", s, x, y,
                                d.p.data[y * d.p.stride + x], want);
                        exit(1);
                    }
                    hist[diff]++;
                }
            }
            test_plane_free(&d);
            test_plane_free(&src);
        }
        printf("x%d vs unrounded float bicubic: %d equal, %d off by 1\n", s, hist[0], hist[1]);
        kernel_close(&k);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(TestRng *rng)
{
    TestPlane src, d;
    test_plane_alloc(&src, 1920, 1080, 0);
    REQUIRE(src.alloc);
    test_plane_fill(&src, rng);
    for (int s = 2; s <= 4; s++) {
        dst_alloc(&d, 1920 * s, 1080 * s);
        for (int l = 0; l < nb_levels; l++) {
            Kernel k;
            REQUIRE_OK(kernel_open(&k, s, levels[l].flags));
            kernel_run(&k, &src.p, &d.p); /* warm-up, allocates scratch */
            /* The machine may be shared: time blocks of 60 rows, keep each
             * block's fastest of 9 passes, and sum those. */
            double blk[1080 / 60], best = 0;
            for (int b = 0; b < 1080 / 60; b++)
                blk[b] = 1e9;
            for (int it = 0; it < 9; it++) {
                for (int b = 0; b < 1080 / 60; b++) {
                    double t0 = now_s();
                    for (int y = b * 60; y < b * 60 + 60; y++)
                        lutsr_bicubic_ops.row(k.priv, &src.p, y, d.p.data + (ptrdiff_t)y * s * d.p.stride,
                                              d.p.stride, k.scratch);
                    double t = now_s() - t0;
                    blk[b] = t < blk[b] ? t : blk[b];
                }
            }
            for (int b = 0; b < 1080 / 60; b++)
                best += blk[b];
            printf("bench 1920x1080 x%d %-5s %.3f ms, %.3f ns/output pixel\n", s, levels[l].name,
                   best * 1e3, best * 1e9 / (1920.0 * s * 1080 * s));
            kernel_close(&k);
        }
        test_plane_free(&d);
    }
    test_plane_free(&src);
}

int main(void)
{
    TestRng rng;
    test_rng_seed(&rng, test_seed(0xB1C0B1C));
    setup_levels();
    const char *b = getenv("LUTSR_TEST_BENCH");
    if (b && *b && strcmp(b, "0"))
        bench(&rng);
    test_weights();
    test_init_errors();
    test_constants_and_ramps();
    test_small_sizes(&rng);
    test_large(&rng);
    test_vs_float(&rng);
    printf("bicubic: OK (%d implementation%s)\n", nb_levels, nb_levels > 1 ? "s" : "");
    return 0;
}
