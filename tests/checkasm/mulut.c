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
                checkasm_fill_lut(m->stages[t].lut[p],
                                  (size_t)m->stages[t].lut_entries * m->stages[t].lut_values,
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

    n += snprintf(desc + n, sizeof(desc) - (size_t)n, " lut=%s", checkasm_lut_mode_names[lut_mode]);
    checkasm_sweep("mulut", &lutsr_mulut_ops, ref, simd, scale, narrow, 6, 3, 1, desc);
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
                for (int mode = 0; mode < CHECKASM_LUT_MODES; mode++) {
                    const int st[2][4] = { { 1, 7, 6, mode == CHECKASM_LUT_RANDOM ? 9 : 0 },
                                           { s, 7, 6, mode < CHECKASM_LUT_MIN ? 9 : (int)test_rng_below(rng, 2) } };
                    check_model(l, s, 2, st, mode, 0);
                }
                /* every out_shift in each stage (narrow planes) */
                for (int sh = 1; sh <= LUTSR_MAX_OUT_SHIFT; sh++) {
                    const int st[2][4] = { { 1, 1 + (int)test_rng_below(rng, 7), 6, sh },
                                           { s, 1 + (int)test_rng_below(rng, 7), 6, LUTSR_MAX_OUT_SHIFT + 1 - sh } };
                    check_model(l, s, 2, st, CHECKASM_LUT_RANDOM, 20);
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
            check_model(l, 2, 2, st2, CHECKASM_LUT_RANDOM, 0);
        }
    }
}
