/*
 * Output bytes must not depend on the thread count or on how a caller
 * splits destination rows (lutsr_upscale_*_rows), for every model kind and
 * scale, including odd sizes and splits that cut a source row's output.
 */
#include <string.h>

#include "test_util.h"

static LutsrContext *open_ctx(const LutsrModel *m, int threads)
{
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = threads;
    LutsrContext *c = NULL;
    REQUIRE_OK(lutsr_open(&c, m, &o));
    REQUIRE_CMP(lutsr_threads(c), ==, threads);
    return c;
}

typedef int (*PlaneFn)(LutsrContext *, const LutsrPlane *, const LutsrPlane *);
typedef int (*RowsFn)(LutsrContext *, const LutsrPlane *, const LutsrPlane *, int, int, int);

static void check_one(TestRng *r, const LutsrModel *m, int w, int h, PlaneFn plane, RowsFn rows,
                      const char *what)
{
    const int s = lutsr_model_scale(m);
    TestPlane src, ref, out;
    test_plane_alloc(&src, w, h, 3);
    test_plane_alloc(&ref, w * s, h * s, 0);
    test_plane_alloc(&out, w * s, h * s, 17);
    REQUIRE(src.alloc && ref.alloc && out.alloc);
    test_plane_fill(&src, r);

    LutsrContext *c1 = open_ctx(m, 1);
    REQUIRE_OK(plane(c1, &src.p, &ref.p));

    static const int counts[] = { 2, 3, 5 };
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        LutsrContext *cn = open_ctx(m, counts[i]);
        memset(out.alloc, 0x5A, (size_t)out.p.stride * (size_t)out.p.height);
        REQUIRE_OK(plane(cn, &src.p, &out.p));
        REQUIRE_PLANE_EQ(ref.p.data, ref.p.stride, out.p.data, out.p.stride, w * s, h * s,
                         "%s x%d %dx%d threads=%d", what, s, w, h, counts[i]);

        /* Random row splits, any boundary (not only multiples of the scale),
         * jobs taken round-robin from the context's slots. */
        memset(out.alloc, 0x5A, (size_t)out.p.stride * (size_t)out.p.height);
        int y = 0, job = 0;
        while (y < h * s) {
            int n = 1 + (int)test_rng_below(r, (uint32_t)(h * s < 7 ? h * s : 7));
            int y1 = y + n > h * s ? h * s : y + n;
            REQUIRE_OK(rows(cn, &src.p, &out.p, y, y1, job));
            job = (job + 1) % counts[i];
            y = y1;
        }
        REQUIRE_PLANE_EQ(ref.p.data, ref.p.stride, out.p.data, out.p.stride, w * s, h * s,
                         "%s x%d %dx%d rows split, threads=%d", what, s, w, h, counts[i]);
        lutsr_close(&cn);
        REQUIRE(cn == NULL);
    }
    lutsr_close(&c1);
    test_plane_free(&src);
    test_plane_free(&ref);
    test_plane_free(&out);
}

int main(void)
{
    TestRng r;
    test_rng_seed(&r, test_seed(3));
    static const LutsrModelKind kinds[] = { LUTSR_MODEL_BICUBIC, LUTSR_MODEL_SRLUT, LUTSR_MODEL_ECLUT,
                                            LUTSR_MODEL_MULUT };
    static const int sizes[][2] = { { 1, 1 }, { 5, 3 }, { 33, 17 }, { 64, 41 } };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (int s = 2; s <= 4; s++) {
            LutsrModel *m = test_random_model(&r, kinds[k], s);
            for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                check_one(&r, m, sizes[i][0], sizes[i][1], lutsr_upscale_luma, lutsr_upscale_luma_rows,
                          lutsr_model_kind_name(m));
                if (k == 0)
                    continue;
                /* The chroma path of a LUT context is the same bicubic. */
                check_one(&r, m, sizes[i][0], sizes[i][1], lutsr_upscale_bicubic,
                          lutsr_upscale_bicubic_rows, "bicubic-of-lut-ctx");
            }
            lutsr_model_close(&m);
        }
    }
    /* One large frame with many jobs. */
    LutsrModel *m = test_random_model(&r, LUTSR_MODEL_SRLUT, 2);
    check_one(&r, m, 321, 203, lutsr_upscale_luma, lutsr_upscale_luma_rows, "srlut-large");
    lutsr_model_close(&m);
    m = test_random_model(&r, LUTSR_MODEL_MULUT, 2);
    check_one(&r, m, 321, 203, lutsr_upscale_luma, lutsr_upscale_luma_rows, "mulut-large");
    lutsr_model_close(&m);
    printf("thread and split invariance: OK\n");
    return 0;
}
