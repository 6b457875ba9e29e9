/*
 * SR-LUT: SIMD rows against the C reference, byte for byte, for random
 * and extreme LUTs and images, every scale, several interval sizes and
 * out_shifts, widths 1..70 and a few wide rows. Also checks that the SIMD
 * row writes nothing outside its s rows of w*s pixels.
 */
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cpu.h"
#include "internal.h"
#include "model.h"

#define GUARD 0xA5

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
    m->lut = malloc((size_t)m->lut_entries * m->lut_values);
    REQUIRE(m->lut);
    return m;
}

static void model_free(struct LutsrModel *m)
{
    free(m->lut);
    free(m);
}

enum { LUT_RANDOM, LUT_EXTREMES, LUT_MIN, LUT_MAX, LUT_MODES };
static const char *const lut_mode_names[LUT_MODES] = {
    "random", "extremes", "all -128", "all 127",
};

static void lut_fill(struct LutsrModel *m, int mode, TestRng *r)
{
    const size_t size = (size_t)m->lut_entries * m->lut_values;
    uint32_t x = 0;
    for (size_t i = 0; i < size; i++) {
        if (!(i & 31))
            x = test_rng_u32(r);
        switch (mode) {
        case LUT_RANDOM:
            if ((i & 31) && !(i & 3))
                x = test_rng_u32(r);
            m->lut[i] = (int8_t)(x >> 8 * (i & 3));
            break;
        case LUT_EXTREMES: m->lut[i] = (x >> (i & 31)) & 1 ? 127 : -128; break;
        case LUT_MIN:      m->lut[i] = -128; break;
        default:           m->lut[i] = 127; break;
        }
    }
}

/* Image: the shared random mix, or (1 in 4) only 0 and 255. */
static void image_fill(TestPlane *p, TestRng *r)
{
    test_plane_fill(p, r);
    if (test_rng_below(r, 4))
        return;
    for (int y = 0; y < p->p.height; y++)
        for (int x = 0; x < p->p.width; x++)
            p->p.data[y * p->p.stride + x] = test_rng_below(r, 2) ? 255 : 0;
}



static void check_model(const CheckasmLevel *level, int s, int k, int out_shift, int lut_mode)
{
    TestRng *rng = checkasm_rng();
    struct LutsrModel *m = model_new(s, k, out_shift);
    lut_fill(m, lut_mode, rng);
    void *ref = NULL, *simd = NULL;
    REQUIRE_CMP(lutsr_srlut_ops.init(&ref, m, 0), ==, 0);
    REQUIRE_CMP(lutsr_srlut_ops.init(&simd, m, level->flags), ==, 0);
    const char *impl = lutsr_srlut_ops.impl_name(simd);
    if (!strcmp(impl, "c")) {
        /* Only AVX2 has an SR-LUT version; at lower levels C is right. */
        if (level->flags & LUTSR_CPU_FLAG_AVX2)
            checkasm_fail("srlut x%d k=%d: level %s picked the C version", s, k, level->name);
        goto end;
    }

    static const int wide[] = { 127, 255, 1921 };
    const int nw = 70 + (int)(sizeof(wide) / sizeof(wide[0]));
    for (int i = 0; i < nw; i++) {
        const int w = i < 70 ? i + 1 : wide[i - 70];
        const int h = 1 + (int)test_rng_below(rng, w > 70 ? 2 : 4);
        TestPlane p;
        test_plane_alloc(&p, w, h, (int)test_rng_below(rng, 5));
        REQUIRE(p.alloc);
        image_fill(&p, rng);
        const ptrdiff_t stride = (ptrdiff_t)w * s + 1 + (ptrdiff_t)test_rng_below(rng, 40);
        const size_t size = (size_t)stride * (h * s + 2);
        const size_t ss = lutsr_srlut_ops.scratch_size(simd, w);
        uint8_t *a = malloc(size), *b = malloc(size);
        const size_t ss_alloc = (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1);
        uint8_t *scratch = ss ? aligned_alloc(LUTSR_ALIGN, ss_alloc) : NULL;
        REQUIRE(a && b && (!ss || scratch));
        if (scratch)
            memset(scratch, test_rng_u32(rng) & 255, ss); /* output must not depend on it */
        checkasm_run_rows(&lutsr_srlut_ops, ref, s, &p.p, a, stride, NULL, GUARD);
        checkasm_run_rows(&lutsr_srlut_ops, simd, s, &p.p, b, stride, scratch, GUARD);
        char ctx[160];
        snprintf(ctx, sizeof(ctx), "%s x%d k=%d out_shift=%d lut=%s %dx%d", impl, s, k,
                 out_shift, lut_mode_names[lut_mode], w, h);
        checkasm_checked("srlut");
        const int bad = checkasm_compare("srlut", a, b, stride, w * s, h * s, ctx);
        free(a);
        free(b);
        free(scratch);
        test_plane_free(&p);
        if (bad)
            break;
    }
end:
    lutsr_srlut_ops.uninit(&ref);
    lutsr_srlut_ops.uninit(&simd);
    model_free(m);
}

void checkasm_check_srlut(void)
{
    TestRng *rng = checkasm_rng();
    for (const CheckasmLevel *l = checkasm_levels(); l->name; l++) {
        for (int it = 0; it < checkasm_iterations(); it++) {
            for (int s = 2; s <= 4; s++) {
                /* the shipped k = 4 with the usual shift and every LUT
                 * extreme, then other k (k = 2's 65^4-entry LUT only
                 * at x2) with no shift or a random one */
                for (int mode = 0; mode < LUT_MODES; mode++)
                    check_model(l, s, 4, 6, mode);
                for (int k = s == 2 ? 2 : 3; k <= 6; k++) {
                    if (k == 4)
                        continue;
                    const int sh = (k & 1) ? 0 : (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
                    check_model(l, s, k, sh, (int)test_rng_below(rng, 2));
                }
                /* k = 6 reaches the int16 limits: T = -32768 and 32512 */
                check_model(l, s, 6, 0, LUT_MIN);
                check_model(l, s, 6, 0, LUT_MAX);
                check_model(l, s, 6, 1, LUT_MIN);
            }
        }
    }
}
