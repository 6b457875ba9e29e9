/*
 * The x8 self-ensemble (LutsrOptions.ensemble = 8) against its definition:
 * for each transform t (flip x, flip y, transpose), upscale t(src) with a
 * plain context, map the result back pixel by pixel, and take
 * (sum + 4) >> 3. Also: bicubic, which commutes with every t, must come out
 * within rounding of itself (this pins the geometry, not only the
 * arithmetic); thread
 * counts and source strides give the same bytes; the rows API and bad
 * option values are refused.
 */
#include <string.h>

#include "test_util.h"

static LutsrContext *open_ctx(const LutsrModel *m, int threads, int ensemble)
{
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = threads;
    o.ensemble = ensemble;
    LutsrContext *c = NULL;
    REQUIRE_OK(lutsr_open(&c, m, &o));
    return c;
}

/* Position of original pixel (x, y) of a w x h image inside t(image). */
static void transform_xy(int t, int w, int h, int x, int y, int *tx, int *ty)
{
    const int x1 = t & 1 ? w - 1 - x : x, y1 = t & 2 ? h - 1 - y : y;
    *tx = t & 4 ? y1 : x1;
    *ty = t & 4 ? x1 : y1;
}

/* The definition, one pixel at a time, on a plain context. */
static void reference(const LutsrModel *m, const LutsrPlane *src, uint8_t *out)
{
    const int w = src->width, h = src->height, s = lutsr_model_scale(m);
    const int W = w * s, H = h * s;
    uint16_t *sum = calloc((size_t)W * H, sizeof(*sum));
    uint8_t *tsrc = malloc((size_t)w * h), *thr = malloc((size_t)W * H);
    REQUIRE(sum && tsrc && thr);
    LutsrContext *c = open_ctx(m, 1, 1);
    for (int t = 0; t < 8; t++) {
        const int tw = t & 4 ? h : w, th = t & 4 ? w : h;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int tx, ty;
                transform_xy(t, w, h, x, y, &tx, &ty);
                tsrc[ty * tw + tx] = src->data[y * src->stride + x];
            }
        LutsrPlane ts = { tsrc, tw, tw, th }, td = { thr, (ptrdiff_t)tw * s, tw * s, th * s };
        REQUIRE_OK(lutsr_upscale_luma(c, &ts, &td));
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int tx, ty;
                transform_xy(t, W, H, x, y, &tx, &ty);
                sum[y * W + x] += thr[ty * (tw * s) + tx];
            }
    }
    for (size_t i = 0; i < (size_t)W * H; i++)
        out[i] = (uint8_t)((sum[i] + 4) >> 3);
    lutsr_close(&c);
    free(sum);
    free(tsrc);
    free(thr);
}

static void check_one(TestRng *r, const LutsrModel *m, int w, int h, const char *what)
{
    const int s = lutsr_model_scale(m), W = w * s, H = h * s;
    TestPlane src, out;
    test_plane_alloc(&src, w, h, 5);
    test_plane_alloc(&out, W, H, 9);
    uint8_t *ref = malloc((size_t)W * H);
    REQUIRE(src.alloc && out.alloc && ref);
    test_plane_fill(&src, r);
    reference(m, &src.p, ref);

    static const int threads[] = { 1, 3 };
    for (int i = 0; i < 2; i++) {
        LutsrContext *c = open_ctx(m, threads[i], 8);
        /* Twice: the second call reuses the grown buffers. */
        for (int rep = 0; rep < 2; rep++) {
            memset(out.alloc, 0x5A, (size_t)out.p.stride * (size_t)H);
            REQUIRE_OK(lutsr_upscale_luma(c, &src.p, &out.p));
            REQUIRE_PLANE_EQ(ref, W, out.p.data, out.p.stride, W, H, "%s x%d %dx%d threads=%d",
                             what, s, w, h, threads[i]);
        }
        /* The same image stored bottom-up (negative stride). */
        LutsrPlane flipped = { src.p.data + (h - 1) * src.p.stride, -src.p.stride, w, h };
        TestPlane up;
        test_plane_alloc(&up, w, h, 0);
        REQUIRE(up.alloc);
        for (int y = 0; y < h; y++)
            memcpy(up.p.data + y * up.p.stride, flipped.data + y * flipped.stride, (size_t)w);
        uint8_t *ref_up = malloc((size_t)W * H);
        REQUIRE(ref_up);
        reference(m, &up.p, ref_up);
        REQUIRE_OK(lutsr_upscale_luma(c, &flipped, &out.p));
        REQUIRE_PLANE_EQ(ref_up, W, out.p.data, out.p.stride, W, H, "%s x%d %dx%d negative stride",
                         what, s, w, h);
        free(ref_up);
        test_plane_free(&up);
        lutsr_close(&c);
    }
    free(ref);
    test_plane_free(&src);
    test_plane_free(&out);
}

/* Bicubic commutes with flips and transposes (up to rounding), so x8 must
 * stay within 1 of x1. */
static void check_bicubic_unchanged(TestRng *r, int scale)
{
    LutsrModel *m;
    REQUIRE_OK(lutsr_model_bicubic(&m, scale));
    const int w = 23, h = 11;
    TestPlane src, a, b;
    test_plane_alloc(&src, w, h, 0);
    test_plane_alloc(&a, w * scale, h * scale, 0);
    test_plane_alloc(&b, w * scale, h * scale, 0);
    REQUIRE(src.alloc && a.alloc && b.alloc);
    test_plane_fill(&src, r);
    LutsrContext *c1 = open_ctx(m, 2, 1), *c8 = open_ctx(m, 2, 8);
    REQUIRE_OK(lutsr_upscale_luma(c1, &src.p, &a.p));
    REQUIRE_OK(lutsr_upscale_luma(c8, &src.p, &b.p));
    /* Not bit-exact: the separable filter rounds between its passes, and a
     * transpose swaps the pass order. A wrong mapping back would be off by
     * far more than 1 on this noise. */
    for (int y = 0; y < h * scale; y++)
        for (int x = 0; x < w * scale; x++) {
            int d = a.p.data[y * a.p.stride + x] - b.p.data[y * b.p.stride + x];
            if (d < -1 || d > 1)
                fprintf(stderr, "bicubic x%d (%d, %d): ensemble 1 gives %d, 8 gives %d\n", scale, x, y,
                        a.p.data[y * a.p.stride + x], b.p.data[y * b.p.stride + x]);
            REQUIRE(d >= -1 && d <= 1);
        }
    lutsr_close(&c1);
    lutsr_close(&c8);
    lutsr_model_close(&m);
    test_plane_free(&src);
    test_plane_free(&a);
    test_plane_free(&b);
}

static void check_refusals(TestRng *r)
{
    LutsrModel *m = test_random_model(r, LUTSR_MODEL_SRLUT, 2);
    LutsrOptions o;
    lutsr_default_options(&o);
    REQUIRE_CMP(o.ensemble, ==, 0);
    LutsrContext *c = NULL;
    static const int bad[] = { -1, 2, 4, 7, 9, 16 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.ensemble = bad[i];
        REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
        REQUIRE(c == NULL);
    }

    TestPlane src, dst;
    test_plane_alloc(&src, 8, 8, 0);
    test_plane_alloc(&dst, 16, 16, 0);
    REQUIRE(src.alloc && dst.alloc);
    test_plane_fill(&src, r);
    c = open_ctx(m, 2, 8);
    REQUIRE_CMP(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 0, 16, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(strstr(lutsr_last_error(c), "whole plane") != NULL);
    /* Chroma rows are not affected by the ensemble. */
    REQUIRE_OK(lutsr_upscale_bicubic_rows(c, &src.p, &dst.p, 0, 16, 0));
    /* Plane checks still come first. */
    LutsrPlane small = dst.p;
    small.width = 15;
    REQUIRE_CMP(lutsr_upscale_luma(c, &src.p, &small), ==, LUTSR_ERR_UNSUPPORTED_SIZE);

    /* The path is really taken: a random LUT is not flip-symmetric. */
    LutsrContext *c1 = open_ctx(m, 2, 1);
    TestPlane plain;
    test_plane_alloc(&plain, 16, 16, 0);
    REQUIRE(plain.alloc);
    REQUIRE_OK(lutsr_upscale_luma(c, &src.p, &dst.p));
    REQUIRE_OK(lutsr_upscale_luma(c1, &src.p, &plain.p));
    int differ = 0;
    for (int y = 0; y < 16; y++)
        differ |= memcmp(dst.p.data + y * dst.p.stride, plain.p.data + y * plain.p.stride, 16) != 0;
    REQUIRE(differ);
    lutsr_close(&c1);
    lutsr_close(&c);
    lutsr_model_close(&m);
    test_plane_free(&src);
    test_plane_free(&dst);
    test_plane_free(&plain);
}

int main(void)
{
    TestRng r;
    test_rng_seed(&r, test_seed(8));
    static const LutsrModelKind kinds[] = { LUTSR_MODEL_SRLUT, LUTSR_MODEL_ECLUT, LUTSR_MODEL_MULUT };
    static const int sizes[][2] = { { 1, 1 }, { 1, 6 }, { 7, 3 }, { 33, 17 } };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (int s = 2; s <= 4; s++) {
            LutsrModel *m = test_random_model(&r, kinds[k], s);
            for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
                check_one(&r, m, sizes[i][0], sizes[i][1], lutsr_model_kind_name(m));
            lutsr_model_close(&m);
        }
    for (int s = 2; s <= 4; s++)
        check_bicubic_unchanged(&r, s);
    check_refusals(&r);
    printf("x8 self-ensemble: OK\n");
    return 0;
}
