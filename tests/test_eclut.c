/*
 * ECLUT kernel: the C kernel (lutsr_eclut_ops with cpu_flags = 0) against
 * an independent, slow reference written straight from docs/kernels.md (it
 * really rotates the image, builds the feature map, reflect-pads it and
 * sums the nine shifted copies), plus LUTs with a known result and init
 * argument checks. The SIMD versions are compared with C by checkasm; the
 * known-result tests also run at the best CPU level.
 *
 * `test_eclut --bench [W H]` times C and SIMD per scale instead.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "internal.h"
#include "model.h"
#include "test_util.h"

/* ---------------------------------------------------------------------- */
/* Reference                                                              */

typedef struct Mat { int h, w; int *d; } Mat;

static Mat mat_new(int h, int w)
{
    Mat m = { h, w, calloc((size_t)h * (size_t)w, sizeof(int)) };
    REQUIRE(m.d);
    return m;
}

#define AT(m, i, j) ((m).d[(size_t)(i) * (size_t)(m).w + (size_t)(j)])

/* numpy.rot90(x, 1): rot(X)[i][j] = X[j][Wx - 1 - i]. (Walked in 32x32
 * tiles only so the 1921x1081 case does not thrash the cache.) */
static Mat rot90(Mat x)
{
    Mat y = mat_new(x.w, x.h);
    for (int i0 = 0; i0 < y.h; i0 += 32)
        for (int j0 = 0; j0 < y.w; j0 += 32)
            for (int i = i0; i < i0 + 32 && i < y.h; i++)
                for (int j = j0; j < j0 + 32 && j < y.w; j++)
                    AT(y, i, j) = AT(x, j, x.w - 1 - i);
    return y;
}

/* rot^n(x) for n = 0..3; always a new matrix. */
static Mat rot90n(Mat x, int n)
{
    if (n == 0) {
        Mat y = mat_new(x.h, x.w);
        memcpy(y.d, x.d, (size_t)x.h * (size_t)x.w * sizeof(int));
        return y;
    }
    Mat y = rot90(x);
    for (int k = 1; k < n; k++) {
        Mat t = rot90(y);
        free(y.d);
        y = t;
    }
    return y;
}

/* F.pad(mode='reflect') source index for padded index i in -1 .. n (mirror
 * about the edge pixel); a 1-pixel axis has only pixel 0 to offer. */
static int pad_reflect(int i, int n)
{
    if (n == 1)
        return 0;
    if (i < 0)
        i = -i;
    if (i > n - 1)
        i = 2 * (n - 1) - i;
    return i;
}

static int ref_round_shift(long long v, int n)
{
    if (n == 0)
        return (int)v;
    const long long d = 1LL << n;
    return (int)floor((double)(v + d / 2) / (double)d);
}

/* The un-rotated core K: (s h) x (s w) integers. */
static Mat ref_core(Mat img, const int8_t *lut, int s)
{
    const int h = img.h, w = img.w, vals = 9 * s * s;
    /* Feature map: F(i, j) = L[entry], kept as the entry number. */
    Mat f = mat_new(h, w);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            AT(f, i, j) = AT(img, i, j) * 256 + AT(img, i + 1 < h ? i + 1 : h - 1, j);
    /* Reflect-pad by one pixel. */
    Mat fp = mat_new(h + 2, w + 2);
    for (int i = 0; i < h + 2; i++)
        for (int j = 0; j < w + 2; j++)
            AT(fp, i, j) = AT(f, pad_reflect(i - 1, h), pad_reflect(j - 1, w));
    /* Sum the nine shifted copies: K(I*s+u, J*s+v) += group (m, n) of
     * padded pixel (I + 1 - m, J + 1 - n). */
    Mat k = mat_new(s * h, s * w);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            for (int m = 0; m < 3; m++)
                for (int n = 0; n < 3; n++) {
                    const int8_t *g = lut + (size_t)AT(fp, i + 1 - m + 1, j + 1 - n + 1) * vals
                                    + (m * 3 + n) * s * s;
                    for (int u = 0; u < s; u++)
                        for (int v = 0; v < s; v++)
                            AT(k, i * s + u, j * s + v) += g[u * s + v];
                }
    free(f.d);
    free(fp.d);
    return k;
}

static void ref_upscale(const struct LutsrModel *m, const LutsrPlane *src,
                        uint8_t *dst, ptrdiff_t dst_stride)
{
    const int s = m->scale, h = src->height, w = src->width;
    Mat img = mat_new(h, w);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            AT(img, i, j) = src->data[i * src->stride + j];
    Mat t = mat_new(s * h, s * w);
    for (int r = 0; r < 4; r++) {
        Mat rotated = rot90n(img, r);
        Mat k = ref_core(rotated, m->lut, s);
        Mat back = rot90n(k, (4 - r) % 4);
        REQUIRE(back.h == t.h && back.w == t.w);
        for (size_t i = 0; i < (size_t)t.h * (size_t)t.w; i++)
            t.d[i] += back.d[i];
        free(rotated.d);
        free(k.d);
        free(back.d);
    }
    for (int y = 0; y < s * h; y++)
        for (int x = 0; x < s * w; x++) {
            int v = AT(img, y / s, x / s) + ref_round_shift(AT(t, y, x), m->out_shift);
            dst[y * dst_stride + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(img.d);
    free(t.d);
}

/* ---------------------------------------------------------------------- */
/* Kernel under test                                                      */

#define DST_PAD 7
#define CANARY 0x5A

typedef struct Out { uint8_t *d; ptrdiff_t stride; int w, h; } Out;

static Out out_new(int w, int h)
{
    Out o = { NULL, w + DST_PAD, w, h };
    o.d = malloc((size_t)o.stride * (size_t)h);
    REQUIRE(o.d);
    memset(o.d, CANARY, (size_t)o.stride * (size_t)h);
    return o;
}

/* Runs the kernel row by row (each row() call on its own, as the library
 * slices); returns the implementation name. */
static const char *kernel_upscale(const struct LutsrModel *m, unsigned flags,
                                  const LutsrPlane *src, Out *o)
{
    void *priv = NULL;
    REQUIRE_OK(lutsr_eclut_ops.init(&priv, m, flags));
    const size_t ss = lutsr_eclut_ops.scratch_size(priv, src->width);
    uint8_t *scratch = malloc(ss ? ss : 1);
    REQUIRE(scratch);
    const int s = m->scale;
    for (int y = 0; y < src->height; y++)
        lutsr_eclut_ops.row(priv, src, y, o->d + (ptrdiff_t)y * s * o->stride, o->stride, scratch);
    for (int y = 0; y < o->h; y++)
        for (int x = o->w; x < o->stride; x++)
            if (o->d[y * o->stride + x] != CANARY) {
                fprintf(stderr, "row() wrote outside its columns: (%d, %d) of %dx%d\n", x, y, o->w, o->h);
                exit(1);
            }
    const char *impl = lutsr_eclut_ops.impl_name(priv);
    free(scratch);
    lutsr_eclut_ops.uninit(&priv);
    REQUIRE(priv == NULL);
    return impl;
}

/* ---------------------------------------------------------------------- */

enum { LUT_RANDOM, LUT_EXTREME, LUT_SMALL, LUT_KINDS };
static const char *const lut_kind_name[] = { "random", "extreme", "small" };

static struct LutsrModel *model_new(int s, int shift)
{
    struct LutsrModel *m = NULL;
    REQUIRE_OK(lutsr_model_alloc(&m, LUTSR_MODEL_ECLUT, s, 0, shift, NULL));
    REQUIRE(m->lut_entries == 65536 && m->lut_values == (uint32_t)(9 * s * s));
    return m;
}

static void lut_fill(struct LutsrModel *m, int kind, TestRng *rng)
{
    const size_t n = (size_t)m->lut_entries * m->lut_values;
    for (size_t i = 0; i < n; i++) {
        const uint32_t r = test_rng_u32(rng);
        int v;
        switch (kind) {
        case LUT_RANDOM:  v = (int)(r & 255) - 128; break;
        case LUT_EXTREME: v = r & 1 ? 127 : -128; break;
        default:          v = (r & 255) < 4 ? (r & 256 ? 127 : -128) : (int)(r % 9) - 4; break;
        }
        m->lut[i] = (int8_t)v;
    }
}

static void compare_with_ref(struct LutsrModel *m, const LutsrPlane *src, const char *what)
{
    const int s = m->scale;
    Out want = out_new(src->width * s, src->height * s);
    Out got = out_new(src->width * s, src->height * s);
    ref_upscale(m, src, want.d, want.stride);
    REQUIRE(!strcmp(kernel_upscale(m, 0, src, &got), "c"));
    REQUIRE_PLANE_EQ(want.d, want.stride, got.d, got.stride, want.w, want.h,
                     "%s: %dx%d x%d out_shift %d", what, src->width, src->height, s, m->out_shift);
    free(want.d);
    free(got.d);
}

static void test_random(TestRng *rng)
{
    static const int sizes[][2] = {
        { 1, 1 }, { 1, 7 }, { 7, 1 }, { 2, 2 }, { 2, 3 }, { 3, 2 }, { 3, 5 }, { 5, 3 },
        { 4, 4 }, { 17, 9 }, { 9, 17 }, { 33, 17 }, { 18, 2 }, { 2, 18 }, { 40, 3 },
    };
    static const int shifts[] = { 0, 2, 5, 8, 13, 24 };
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = model_new(s, 0);
        for (int kind = 0; kind < LUT_KINDS; kind++) {
            lut_fill(m, kind, rng);
            for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                TestPlane p;
                test_plane_alloc(&p, sizes[i][0], sizes[i][1], 3);
                REQUIRE(p.alloc);
                test_plane_fill(&p, rng);
                /* Every shift on small planes, two on the larger ones. */
                const int nsh = sizes[i][0] * sizes[i][1] > 64 ? 2 : 6;
                for (int k = 0; k < nsh; k++) {
                    m->out_shift = nsh == 6 ? shifts[k] : shifts[test_rng_below(rng, 6)];
                    compare_with_ref(m, &p.p, lut_kind_name[kind]);
                }
                test_plane_free(&p);
            }
        }
        lutsr_model_close(&m);
    }
}

static void test_big(TestRng *rng)
{
    struct LutsrModel *m = model_new(2, 6);
    lut_fill(m, LUT_RANDOM, rng);
    TestPlane p;
    test_plane_alloc(&p, 1921, 1081, 0);
    REQUIRE(p.alloc);
    test_plane_fill(&p, rng);
    compare_with_ref(m, &p.p, "big");
    test_plane_free(&p);
    lutsr_model_close(&m);
}

/* ---------------------------------------------------------------------- */
/* Known results (run for C and for the best SIMD level)                   */

static void check_known(struct LutsrModel *m, const LutsrPlane *src, const uint8_t *want,
                        ptrdiff_t want_stride, const char *what)
{
    const unsigned levels[2] = { 0, lutsr_cpu_flags() };
    for (int l = 0; l < 2; l++) {
        Out got = out_new(src->width * m->scale, src->height * m->scale);
        const char *impl = kernel_upscale(m, levels[l], src, &got);
        REQUIRE_PLANE_EQ(want, want_stride, got.d, got.stride, got.w, got.h,
                         "%s (%s): %dx%d x%d", what, impl, src->width, src->height, m->scale);
        free(got.d);
    }
}

/* All-zero LUT: T = 0, so the output is nearest neighbour for any shift. */
static void test_zero_lut(TestRng *rng)
{
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = model_new(s, 0);
        TestPlane p;
        test_plane_alloc(&p, 29, 6, 1);
        REQUIRE(p.alloc);
        test_plane_fill(&p, rng);
        uint8_t *want = malloc((size_t)29 * s * 6 * s);
        REQUIRE(want);
        for (int y = 0; y < 6 * s; y++)
            for (int x = 0; x < 29 * s; x++)
                want[y * 29 * s + x] = p.p.data[(y / s) * p.p.stride + x / s];
        for (int shift = 0; shift <= LUTSR_MAX_OUT_SHIFT; shift += 3) {
            m->out_shift = shift;
            check_known(m, &p.p, want, 29 * s, "zero LUT");
        }
        free(want);
        test_plane_free(&p);
        lutsr_model_close(&m);
    }
}

/* Only group (1, 1) (a pixel's own block) is non-zero, all its values
 * f(a) = (a % 64) - 32 with a the pair's first pixel. Every rotation adds
 * f(a) to every output of the pixel's block: T = 4 f(a), and with
 * out_shift 2, O = clip(a + f(a)). */
static void test_center_group(TestRng *rng)
{
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = model_new(s, 2);
        const int vals = 9 * s * s;
        for (int e = 0; e < 65536; e++)
            for (int i = 0; i < s * s; i++)
                m->lut[(size_t)e * vals + 4 * s * s + i] = (int8_t)((e >> 8) % 64 - 32);
        static const int sizes[][2] = { { 1, 1 }, { 2, 5 }, { 37, 4 } };
        for (int k = 0; k < 3; k++) {
            const int w = sizes[k][0], h = sizes[k][1];
            TestPlane p;
            test_plane_alloc(&p, w, h, 0);
            REQUIRE(p.alloc);
            test_plane_fill(&p, rng);
            uint8_t *want = malloc((size_t)w * s * h * s);
            REQUIRE(want);
            for (int y = 0; y < h * s; y++)
                for (int x = 0; x < w * s; x++) {
                    const int a = p.p.data[(y / s) * p.p.stride + x / s];
                    const int v = a + a % 64 - 32;
                    want[y * w * s + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                }
            check_known(m, &p.p, want, w * s, "centre group");
            free(want);
            test_plane_free(&p);
        }
        lutsr_model_close(&m);
    }
}

/*
 * Orientation: one bright pixel (255) on black, and a LUT that is zero
 * except value (u, v) = (0, 1) of group (m, n) = (0, 1) for entries whose
 * first pixel is 255. Unrotated, group (0, 1) of pixel (i, j) lands on
 * block (i - 1, j), at (0, 1) of it. rot() turns the picture counter-
 * clockwise, so in the original frame rotation r paints:
 *   r0: block above,  at (0, 1)          r1: block right, at (1, s-1)
 *   r2: block below,  at (s-1, s-2)      r3: block left,  at (s-2, 0)
 * (rotated "up" is original right for r1, etc.; the sub-block turns with
 * it). On a 5x5 plane with the pixel at the centre that is all; on a 3x3
 * plane reflect padding also paints the opposite neighbour (block (2, 1)
 * reads row refl(3) = 1 for r0, and so on).
 */
static void test_orientation(void)
{
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = model_new(s, 0);
        const int vals = 9 * s * s;
        for (int b = 0; b < 256; b++)
            m->lut[(size_t)(255 * 256 + b) * vals + 1 * s * s + 0 * s + 1] = 64;
        for (int n = 5; n >= 3; n -= 2) {
            TestPlane p;
            test_plane_alloc(&p, n, n, 2);
            REQUIRE(p.alloc);
            for (int y = 0; y < n; y++)
                memset(p.p.data + y * p.p.stride, 0, (size_t)n);
            const int c = n / 2;
            p.p.data[c * p.p.stride + c] = 255;
            const int ws = n * s;
            uint8_t *want = calloc((size_t)ws * ws, 1);
            REQUIRE(want);
            for (int y = 0; y < s; y++)
                memset(want + (c * s + y) * ws + c * s, 255, (size_t)s);
            const struct { int by, bx, ys, xs; } paint[4] = {
                { -1, 0, 0, 1 }, { 0, 1, 1, s - 1 }, { 1, 0, s - 1, s - 2 }, { 0, -1, s - 2, 0 },
            };
            for (int r = 0; r < 4; r++) {
                for (int mirror = 0; mirror < (n == 3 ? 2 : 1); mirror++) {
                    const int sign = mirror ? -1 : 1;
                    const int by = c + sign * paint[r].by, bx = c + sign * paint[r].bx;
                    want[(by * s + paint[r].ys) * ws + bx * s + paint[r].xs] += 64;
                }
            }
            check_known(m, &p.p, want, ws, n == 5 ? "orientation" : "orientation+reflect");
            free(want);
            test_plane_free(&p);
        }
        lutsr_model_close(&m);
    }
}

static void test_init_errors(void)
{
    void *priv = (void *)1;
    REQUIRE(lutsr_eclut_ops.init(&priv, NULL, 0) < 0);
    REQUIRE(priv == NULL);

    struct LutsrModel *sr = NULL;
    REQUIRE_OK(lutsr_model_alloc(&sr, LUTSR_MODEL_SRLUT, 2, 4, 6, NULL));
    REQUIRE(lutsr_eclut_ops.init(&priv, sr, 0) < 0);
    lutsr_model_close(&sr);

    struct LutsrModel *m = model_new(3, 4);
    m->lut_values = 9 * 4;
    REQUIRE(lutsr_eclut_ops.init(&priv, m, 0) == LUTSR_ERR_MODEL_RANGE);
    m->lut_values = 9 * 9;
    m->out_shift = LUTSR_MAX_OUT_SHIFT + 1;
    REQUIRE(lutsr_eclut_ops.init(&priv, m, 0) == LUTSR_ERR_MODEL_RANGE);
    m->out_shift = 4;
    REQUIRE_OK(lutsr_eclut_ops.init(&priv, m, 0));
    REQUIRE(!strcmp(lutsr_eclut_ops.impl_name(priv), "c"));
    lutsr_eclut_ops.uninit(&priv);
    REQUIRE(priv == NULL);
    lutsr_eclut_ops.uninit(&priv); /* NULL-safe */
    lutsr_model_close(&m);
}

/* ---------------------------------------------------------------------- */
/* --bench                                                                */

/* CPU time of this thread: the machine may be shared, and time spent
 * descheduled is not the kernel's. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench(int w, int h, TestRng *rng)
{
    TestPlane planes[2];
    const char *const plane_name[2] = { "uniform noise", "smooth+noise" };
    for (int k = 0; k < 2; k++) {
        test_plane_alloc(&planes[k], w, h, 0);
        REQUIRE(planes[k].alloc);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = k == 0 ? (int)test_rng_below(rng, 256)
                    : (int)(128 + 90 * sin(x / 41.0) * cos(y / 29.0)) + (int)test_rng_below(rng, 9) - 4;
                planes[k].p.data[y * planes[k].p.stride + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    }
    const unsigned avx2 = lutsr_cpu_flags_for(LUTSR_CPU_AVX2);
    const unsigned levels[2] = { 0, avx2 };
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = model_new(s, 6);
        lut_fill(m, LUT_RANDOM, rng);
        const ptrdiff_t stride = (ptrdiff_t)w * s;
        uint8_t *dst = malloc((size_t)stride * (size_t)h * s);
        REQUIRE(dst);
        for (int l = 0; l < 2; l++) {
            if (l && !(avx2 & LUTSR_CPU_FLAG_AVX2))
                break;
            void *priv;
            REQUIRE_OK(lutsr_eclut_ops.init(&priv, m, levels[l]));
            uint8_t *scratch = malloc(lutsr_eclut_ops.scratch_size(priv, w));
            REQUIRE(scratch);
            for (int k = 0; k < 2; k++) {
                double best = 1e30;
                for (int it = 0; it < 5; it++) {
                    const double t0 = now_s();
                    for (int y = 0; y < h; y++)
                        lutsr_eclut_ops.row(priv, &planes[k].p, y, dst + y * s * stride, stride, scratch);
                    const double t = now_s() - t0;
                    best = t < best ? t : best;
                }
                const double ns = best * 1e9 / ((double)w * h);
                printf("x%d %-5s %-14s %7.2f ns/src px  %6.1f fps (1 thread)  %6.1f fps (2 threads, projected)\n",
                       s, lutsr_eclut_ops.impl_name(priv), plane_name[k], ns, 1.0 / best, 2.0 / best);
            }
            free(scratch);
            lutsr_eclut_ops.uninit(&priv);
        }
        free(dst);
        lutsr_model_close(&m);
    }
    test_plane_free(&planes[0]);
    test_plane_free(&planes[1]);
    return 0;
}

int main(int argc, char **argv)
{
    TestRng rng;
    test_rng_seed(&rng, test_seed(0xEC1));
    if (argc > 1 && !strcmp(argv[1], "--bench"))
        return bench(argc > 3 ? atoi(argv[2]) : 1920, argc > 3 ? atoi(argv[3]) : 1080, &rng);

    test_init_errors();
    test_zero_lut(&rng);
    test_center_group(&rng);
    test_orientation();
    test_random(&rng);
    test_big(&rng);
    printf("test_eclut: OK\n");
    return 0;
}
