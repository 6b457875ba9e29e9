/*
 * Public API contract: every bad argument gets its own error code and a
 * message, NULL/close safety, version and option defaults.
 */
#include <string.h>

#include "test_util.h"

static LutsrContext *open_bicubic(LutsrModel **m, int scale)
{
    REQUIRE_OK(lutsr_model_bicubic(m, scale));
    LutsrContext *c = NULL;
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = 2;
    REQUIRE_OK(lutsr_open(&c, *m, &o));
    return c;
}

static void test_options(void)
{
    LutsrOptions o;
    memset(&o, 0xff, sizeof(o));
    lutsr_default_options(&o);
    REQUIRE_CMP(o.threads, ==, 0);
    REQUIRE_CMP(o.cpu, ==, LUTSR_CPU_AUTO);
    REQUIRE(o.log_cb == NULL);
    for (size_t i = 0; i < sizeof(o.reserved); i++)
        REQUIRE_CMP(o.reserved[i], ==, 0);

    LutsrModel *m = NULL;
    REQUIRE_OK(lutsr_model_bicubic(&m, 2));
    LutsrContext *c = (LutsrContext *)&o; /* must be overwritten with NULL on failure */

    lutsr_default_options(&o);
    o.threads = -1;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(c == NULL);
    o.threads = 257;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_default_options(&o);
    o.cpu = (LutsrCpu)42;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_default_options(&o);
    o.log_level = 9;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_default_options(&o);
    o.reserved[3] = 1;
    REQUIRE_CMP(lutsr_open(&c, m, &o), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_open(&c, NULL, NULL), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_open(NULL, m, NULL), ==, LUTSR_ERR_INVALID_ARG);

    /* NULL options = defaults; threads 0 = CPU count. */
    REQUIRE_OK(lutsr_open(&c, m, NULL));
    REQUIRE_CMP(lutsr_threads(c), >=, 1);
    REQUIRE_CMP(lutsr_scale(c), ==, 2);
    REQUIRE(strlen(lutsr_cpu_name(c)) > 0);
    lutsr_close(&c);
    REQUIRE(c == NULL);
    lutsr_close(&c);   /* twice is fine */
    lutsr_close(NULL);
    lutsr_model_close(&m);
    REQUIRE(m == NULL);
    lutsr_model_close(&m);
    lutsr_model_close(NULL);
}

static int log_calls;
static void log_cb(void *priv, int level, const char *msg)
{
    (void)priv;
    REQUIRE_CMP(level, ==, LUTSR_LOG_ERROR);
    REQUIRE(strstr(msg, "destination") != NULL);
    log_calls++;
}

static void test_planes(void)
{
    LutsrModel *m;
    LutsrContext *c = open_bicubic(&m, 3);
    TestPlane src, dst;
    test_plane_alloc(&src, 10, 7, 0);
    test_plane_alloc(&dst, 30, 21, 0);
    REQUIRE(src.alloc && dst.alloc);
    memset(src.alloc, 128, (size_t)src.p.stride * 7);

    REQUIRE_OK(lutsr_upscale_luma(c, &src.p, &dst.p));
    REQUIRE_CMP(lutsr_upscale_luma(NULL, &src.p, &dst.p), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_luma(c, NULL, &dst.p), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_luma(c, &src.p, NULL), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(strlen(lutsr_last_error(c)) > 0);

    LutsrPlane p = src.p;
    p.data = NULL;
    REQUIRE_CMP(lutsr_upscale_luma(c, &p, &dst.p), ==, LUTSR_ERR_INVALID_ARG);
    p = src.p; p.width = 0;
    REQUIRE_CMP(lutsr_upscale_luma(c, &p, &dst.p), ==, LUTSR_ERR_UNSUPPORTED_SIZE);
    p = src.p; p.height = -5;
    REQUIRE_CMP(lutsr_upscale_luma(c, &p, &dst.p), ==, LUTSR_ERR_UNSUPPORTED_SIZE);
    p = src.p; p.width = LUTSR_MAX_DIM + 1;
    REQUIRE_CMP(lutsr_upscale_luma(c, &p, &dst.p), ==, LUTSR_ERR_UNSUPPORTED_SIZE);
    p = src.p; p.stride = 5;
    REQUIRE_CMP(lutsr_upscale_luma(c, &p, &dst.p), ==, LUTSR_ERR_INVALID_ARG);
    LutsrPlane d = dst.p;
    d.width = 29;
    REQUIRE_CMP(lutsr_upscale_luma(c, &src.p, &d), ==, LUTSR_ERR_UNSUPPORTED_SIZE);
    REQUIRE(strstr(lutsr_last_error(c), "expected 30x21") != NULL);
    d = dst.p; d.height = 20;
    REQUIRE_CMP(lutsr_upscale_bicubic(c, &src.p, &d), ==, LUTSR_ERR_UNSUPPORTED_SIZE);

    /* Row ranges and job slots. */
    REQUIRE_OK(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 0, 21, 1));
    REQUIRE_OK(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 5, 5, 0));
    REQUIRE_CMP(lutsr_upscale_luma_rows(c, &src.p, &dst.p, -1, 3, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 0, 22, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 6, 3, 0), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_luma_rows(c, &src.p, &dst.p, 0, 3, 2), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_upscale_bicubic_rows(c, &src.p, &dst.p, 0, 3, -1), ==, LUTSR_ERR_INVALID_ARG);

    /* A flat plane stays flat through bicubic. */
    for (int y = 0; y < 21; y++)
        for (int x = 0; x < 30; x++)
            REQUIRE_CMP(dst.p.data[y * dst.p.stride + x], ==, 128);

    /* Negative strides (bottom-up images): reading the source bottom-up and
     * writing the destination bottom-up gives the same memory as top-down,
     * because vertical mirroring commutes with a symmetric bicubic. */
    TestPlane flip;
    test_plane_alloc(&flip, 30, 21, 0);
    REQUIRE(flip.alloc);
    LutsrPlane sf = { src.p.data + 6 * src.p.stride, -src.p.stride, 10, 7 };
    LutsrPlane df = { flip.p.data + 20 * flip.p.stride, -flip.p.stride, 30, 21 };
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 10; x++)
            src.p.data[y * src.p.stride + x] = (uint8_t)(x * 20 + y * 3);
    REQUIRE_OK(lutsr_upscale_luma(c, &src.p, &dst.p));
    REQUIRE_OK(lutsr_upscale_luma(c, &sf, &df));
    for (int y = 0; y < 21; y++)
        REQUIRE(!memcmp(dst.p.data + y * dst.p.stride, flip.p.data + y * flip.p.stride, 30));
    test_plane_free(&flip);

    lutsr_close(&c);
    lutsr_model_close(&m);

    /* Errors reach the log callback. */
    LutsrOptions o;
    lutsr_default_options(&o);
    o.log_cb = log_cb;
    o.log_level = LUTSR_LOG_ERROR;
    REQUIRE_OK(lutsr_model_bicubic(&m, 2));
    REQUIRE_OK(lutsr_open(&c, m, &o));
    REQUIRE_CMP(lutsr_upscale_luma(c, &src.p, &src.p), ==, LUTSR_ERR_UNSUPPORTED_SIZE);
    REQUIRE_CMP(log_calls, ==, 1);
    lutsr_close(&c);
    lutsr_model_close(&m);
    test_plane_free(&src);
    test_plane_free(&dst);
}

static void test_misc(void)
{
    REQUIRE_CMP(lutsr_version() >> 16, ==, LUTSR_API_VERSION_MAJOR);
    static const int codes[] = {
        LUTSR_OK, LUTSR_ERR_INVALID_ARG, LUTSR_ERR_NOMEM, LUTSR_ERR_IO, LUTSR_ERR_MODEL_MAGIC,
        LUTSR_ERR_MODEL_VERSION, LUTSR_ERR_MODEL_TRUNCATED, LUTSR_ERR_MODEL_CHECKSUM,
        LUTSR_ERR_MODEL_RANGE, LUTSR_ERR_MODEL_KIND, LUTSR_ERR_MODEL_NOT_FOUND,
        LUTSR_ERR_UNSUPPORTED_SCALE, LUTSR_ERR_UNSUPPORTED_SIZE, LUTSR_ERR_THREAD,
    };
    const size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(lutsr_strerror(codes[i]) != NULL);
        for (size_t j = 0; j < i; j++)
            REQUIRE(strcmp(lutsr_strerror(codes[i]), lutsr_strerror(codes[j])) != 0);
    }
    REQUIRE(lutsr_strerror(-12345) != NULL);

    LutsrModel *m = (LutsrModel *)&m;
    REQUIRE_CMP(lutsr_model_bicubic(&m, 1), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE(m == NULL);
    REQUIRE_CMP(lutsr_model_bicubic(&m, 5), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE_OK(lutsr_model_bicubic(&m, 4));
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_BICUBIC);
    REQUIRE(!strcmp(lutsr_model_kind_name(m), "bicubic"));
    REQUIRE_CMP(lutsr_model_scale(m), ==, 4);
    lutsr_model_close(&m);
    REQUIRE(lutsr_last_error(NULL) != NULL);
}

/* external_threads: job slots without workers; the rows functions write the
 * same bytes as the pooled whole-plane call. */
static void test_external_threads(void)
{
    LutsrModel *m;
    LutsrContext *pooled = open_bicubic(&m, 2), *c = NULL;
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = 3;
    o.external_threads = 1;
    REQUIRE_OK(lutsr_open(&c, m, &o));
    REQUIRE_CMP(lutsr_threads(c), ==, 3);

    TestRng rng;
    test_rng_seed(&rng, 7);
    TestPlane src, ref, out;
    test_plane_alloc(&src, 13, 9, 3);
    test_plane_alloc(&ref, 26, 18, 0);
    test_plane_alloc(&out, 26, 18, 5);
    test_plane_fill(&src, &rng);
    REQUIRE_OK(lutsr_upscale_bicubic(pooled, &src.p, &ref.p));
    REQUIRE_OK(lutsr_upscale_bicubic_rows(c, &src.p, &out.p, 0, 6, 2));
    REQUIRE_OK(lutsr_upscale_bicubic_rows(c, &src.p, &out.p, 6, 7, 0));
    REQUIRE_OK(lutsr_upscale_bicubic_rows(c, &src.p, &out.p, 7, 18, 1));
    for (int y = 0; y < 18; y++)
        REQUIRE(!memcmp(out.p.data + y * out.p.stride, ref.p.data + y * ref.p.stride, 26));
    REQUIRE_CMP(lutsr_upscale_bicubic_rows(c, &src.p, &out.p, 0, 6, 3), ==, LUTSR_ERR_INVALID_ARG);
    memset(out.p.data, 0, (size_t)out.p.stride * 18);
    REQUIRE_OK(lutsr_upscale_bicubic(c, &src.p, &out.p)); /* whole plane, on the caller */
    for (int y = 0; y < 18; y++)
        REQUIRE(!memcmp(out.p.data + y * out.p.stride, ref.p.data + y * ref.p.stride, 26));

    test_plane_free(&src);
    test_plane_free(&ref);
    test_plane_free(&out);
    lutsr_close(&c);
    lutsr_close(&pooled);
    lutsr_model_close(&m);
}

int main(void)
{
    test_options();
    test_planes();
    test_external_threads();
    test_misc();
    printf("api: OK\n");
    return 0;
}
