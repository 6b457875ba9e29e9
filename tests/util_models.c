/*
 * Test helper: small models of every LUT kind filled with random entries,
 * built in memory (no file), so tests cover kernels beyond the shipped LUTs.
 */
#include "model.h"
#include "test_util.h"

LutsrModel *test_random_model(TestRng *r, LutsrModelKind kind, int scale)
{
    LutsrModel *m = NULL;
    if (kind == LUTSR_MODEL_BICUBIC) {
        REQUIRE_OK(lutsr_model_bicubic(&m, scale));
        return m;
    }
    if (kind == LUTSR_MODEL_MULUT) {
        /* 2 stages: the rows() path streams the first stage's rows */
        const LutsrMulutStage st[2] = { { .scale = 1, .pattern_mask = 7, .interval_bits = 5, .out_shift = 9 },
                                        { .scale = scale, .pattern_mask = 7, .interval_bits = 4, .out_shift = 8 } };
        REQUIRE_OK(lutsr_model_alloc_mulut(&m, scale, 2, st, "test: random"));
        for (int t = 0; t < 2; t++)
            for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
                for (size_t i = 0; i < (size_t)m->stages[t].lut_entries * m->stages[t].lut_values; i++)
                    m->stages[t].lut[p][i] = (int8_t)(test_rng_u32(r) >> 24);
        return m;
    }
    REQUIRE_OK(lutsr_model_alloc(&m, kind, scale, kind == LUTSR_MODEL_SRLUT ? 4 : 0,
                                 kind == LUTSR_MODEL_SRLUT ? 6 : 5, "test: random"));
    size_t n = (size_t)m->lut_entries * m->lut_values;
    for (size_t i = 0; i < n; i++)
        m->lut[i] = (int8_t)(test_rng_u32(r) >> 24);
    return m;
}
