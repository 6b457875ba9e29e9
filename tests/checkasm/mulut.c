/*
 * MuLUT: SIMD kernel against the C reference, byte for byte, for random
 * and extreme LUTs and images, 1-3 stages, every pattern subset, every
 * scale, several interval sizes and out_shifts, widths 1..70 and a few
 * wide rows, through row() and rows(). Checks that every stage that has a
 * SIMD version got it, and that nothing outside the output rows is
 * written.
 */
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cpu.h"
#include "internal.h"
#include "model.h"
#include "mulut.h"

#define GUARD 0xA5

enum { LUT_RANDOM, LUT_EXTREMES, LUT_MIN, LUT_MAX, LUT_MODES };
static const char *const lut_mode_names[LUT_MODES] = {
    "random", "extremes", "all -128", "all 127",
};

static void lut_fill(int8_t *lut, size_t size, int mode, TestRng *r)
{
    uint32_t x = 0;
    for (size_t i = 0; i < size; i++) {
        if (!(i & 31))
            x = test_rng_u32(r);
        switch (mode) {
        case LUT_RANDOM:
            if ((i & 31) && !(i & 3))
                x = test_rng_u32(r);
            lut[i] = (int8_t)(x >> 8 * (i & 3));
            break;
        case LUT_EXTREMES: lut[i] = (x >> (i & 31)) & 1 ? 127 : -128; break;
        case LUT_MIN:      lut[i] = -128; break;
        default:           lut[i] = 127; break;
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

/* The whole plane into out + stride (guard rows around it, as
 * checkasm_run_rows()): row() per source row, or one rows() call. */
static void run_plane(void *priv, int s, const LutsrPlane *src, uint8_t *out, ptrdiff_t stride,
                      uint8_t *scratch, int whole)
{
    if (!whole) {
        checkasm_run_rows(&lutsr_mulut_ops, priv, s, src, out, stride, scratch, GUARD);
        return;
    }
    memset(out, GUARD, (size_t)stride * (size_t)(src->height * s + 2));
    lutsr_mulut_ops.rows(priv, src, 0, src->height, out + stride, stride, scratch);
}

/* widths 1..narrow, then (narrow = 0) 1..70 and a few wide ones */
static void check_model(const CheckasmLevel *level, int scale, int ns, const int stages[][4],
                        int lut_mode, int narrow)
{
    TestRng *rng = checkasm_rng();
    LutsrMulutStage d[LUTSR_MULUT_MAX_STAGES];
    memset(d, 0, sizeof(d));
    for (int t = 0; t < ns; t++)
        d[t] = (LutsrMulutStage){ .scale = stages[t][0], .pattern_mask = stages[t][1],
                                  .interval_bits = stages[t][2], .out_shift = stages[t][3] };
    LutsrModel *m = NULL;
    REQUIRE_OK(lutsr_model_alloc_mulut(&m, scale, ns, d, NULL));
    /* (levels without AVX2 only check that C is picked: no need to fill) */
    for (int t = 0; t < ns && (level->flags & LUTSR_CPU_FLAG_AVX2); t++)
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
            if (m->stages[t].lut[p])
                lut_fill(m->stages[t].lut[p], (size_t)m->stages[t].lut_entries * m->stages[t].lut_values,
                         lut_mode, rng);
    char desc[160];
    int n = snprintf(desc, sizeof(desc), "x%d", scale);
    for (int t = 0; t < ns; t++)
        n += snprintf(desc + n, sizeof(desc) - (size_t)n, " [mask %d k=%d sh=%d]", stages[t][1],
                      stages[t][2], stages[t][3]);

    void *ref = NULL, *simd = NULL;
    REQUIRE_CMP(lutsr_mulut_ops.init(&ref, m, 0), ==, 0);
    REQUIRE_CMP(lutsr_mulut_ops.init(&simd, m, level->flags), ==, 0);
    /* Only AVX2 has MuLUT versions; they exist for every stage but those
     * whose table would be too large (k = 2 at scale 1 and 3). */
    const MulutContext *mc = simd;
    int any = 0;
    for (int t = 0; t < ns; t++) {
        const int has = !!mc->stage[t].simd_lut[0];
        const int want = (level->flags & LUTSR_CPU_FLAG_AVX2) &&
                         !(stages[t][2] == 2 && (stages[t][0] == 1 || stages[t][0] == 3));
        if (has != want)
            checkasm_fail("mulut %s: stage %d at level %s %s SIMD", desc, t, level->name,
                          has ? "has" : "lacks");
        any |= has;
    }
    if (!any)
        goto end;

    static const int wide[] = { 127, 255, 1921 };
    const int nw = narrow ? narrow : 70 + (int)(sizeof(wide) / sizeof(wide[0]));
    for (int i = 0; i < nw; i++) {
        const int w = i < 70 ? i + 1 : wide[i - 70];
        const int h = 1 + (int)test_rng_below(rng, w > 70 ? 3 : 6);
        TestPlane p;
        test_plane_alloc(&p, w, h, (int)test_rng_below(rng, 5));
        REQUIRE(p.alloc);
        image_fill(&p, rng);
        const ptrdiff_t stride = (ptrdiff_t)w * scale + 1 + (ptrdiff_t)test_rng_below(rng, 40);
        const size_t size = (size_t)stride * (h * scale + 2);
        const size_t ss = lutsr_mulut_ops.scratch_size(simd, w);
        uint8_t *a = malloc(size), *b = malloc(size);
        const size_t ss_alloc = (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1);
        uint8_t *scratch = aligned_alloc(LUTSR_ALIGN, ss_alloc);
        REQUIRE(a && b && scratch);
        memset(scratch, test_rng_u32(rng) & 255, ss); /* output must not depend on it */
        const int whole = (int)test_rng_below(rng, 2);
        run_plane(ref, scale, &p.p, a, stride, scratch, 1);
        run_plane(simd, scale, &p.p, b, stride, scratch, whole);
        char ctx[320];
        snprintf(ctx, sizeof(ctx), "%s %s lut=%s %dx%d %s", lutsr_mulut_ops.impl_name(simd), desc,
                 lut_mode_names[lut_mode], w, h, whole ? "rows()" : "row()");
        checkasm_checked("mulut");
        const int bad = checkasm_compare("mulut", a, b, stride, w * scale, h * scale, ctx);
        free(a);
        free(b);
        free(scratch);
        test_plane_free(&p);
        if (bad)
            break;
    }
end:
    lutsr_mulut_ops.uninit(&ref);
    lutsr_mulut_ops.uninit(&simd);
    lutsr_model_close(&m);
}

static int random_shift(TestRng *rng)
{
    return test_rng_below(rng, 2) ? 0 : (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
}

void checkasm_check_mulut(void)
{
    TestRng *rng = checkasm_rng();
    for (const CheckasmLevel *l = checkasm_levels(); l->name; l++) {
        for (int it = 0; it < checkasm_iterations(); it++) {
            for (int s = 2; s <= 4; s++) {
                /* every pattern subset in both stages of the common shape,
                 * k = 4 with the usual shift (wide rows once) */
                for (int mask = 1; mask <= 7; mask++) {
                    const int st[2][4] = { { 1, mask, 4, 8 }, { s, 8 - mask, 4, 8 } };
                    check_model(l, s, 2, st, (int)test_rng_below(rng, 2), mask == 7 ? 0 : 40);
                }
                /* every LUT extreme; k = 6 and all -128 or 127 reach the
                 * int16 limits of each window's sum, 3 patterns beyond */
                for (int mode = 0; mode < LUT_MODES; mode++) {
                    const int st[2][4] = { { 1, 7, 6, mode == LUT_RANDOM ? 9 : 0 },
                                           { s, 7, 6, mode < LUT_MIN ? 9 : (int)test_rng_below(rng, 2) } };
                    check_model(l, s, 2, st, mode, 0);
                }
                /* every out_shift in each stage (narrow planes) */
                for (int sh = 1; sh <= LUTSR_MAX_OUT_SHIFT; sh++) {
                    const int st[2][4] = { { 1, 1 + (int)test_rng_below(rng, 7), 6, sh },
                                           { s, 1 + (int)test_rng_below(rng, 7), 6, LUTSR_MAX_OUT_SHIFT + 1 - sh } };
                    check_model(l, s, 2, st, LUT_RANDOM, 20);
                }
                /* other interval sizes and stage counts, random shifts */
                for (int k = 3; k <= 5; k++) {
                    const int st[3][4] = { { 1, 1 + (int)test_rng_below(rng, 7), k, random_shift(rng) },
                                           { 1, 1 + (int)test_rng_below(rng, 7), 8 - k, random_shift(rng) },
                                           { s, 1 + (int)test_rng_below(rng, 7), k, random_shift(rng) } };
                    check_model(l, s, 1 + (k - 3), &st[2 - (k - 3)], (int)test_rng_below(rng, 2), 0);
                }
            }
            /* k = 2: x2 reads the model's LUT; scale 1 stays on C */
            const int st2[2][4] = { { 1, 5, 2, 7 }, { 2, 3, 2, 8 } };
            check_model(l, 2, 2, st2, LUT_RANDOM, 0);
        }
    }
}
