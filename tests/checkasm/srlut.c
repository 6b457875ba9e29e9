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

static void check_model(const CheckasmLevel *level, int s, int k, int out_shift, int lut_mode)
{
    TestRng *rng = checkasm_rng();
    struct LutsrModel *m = model_new(s, k, out_shift);
    checkasm_fill_lut(m->lut, (size_t)m->lut_entries * m->lut_values, lut_mode, rng);
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

    char desc[80];
    snprintf(desc, sizeof(desc), "x%d k=%d out_shift=%d lut=%s", s, k, out_shift,
             checkasm_lut_mode_names[lut_mode]);
    checkasm_sweep("srlut", &lutsr_srlut_ops, ref, simd, s, 0, 4, 2, 0, desc);
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
                for (int mode = 0; mode < CHECKASM_LUT_MODES; mode++)
                    check_model(l, s, 4, 6, mode);
                for (int k = s == 2 ? 2 : 3; k <= 6; k++) {
                    if (k == 4)
                        continue;
                    const int sh = (k & 1) ? 0 : (int)test_rng_below(rng, LUTSR_MAX_OUT_SHIFT + 1);
                    check_model(l, s, k, sh, (int)test_rng_below(rng, 2));
                }
                /* k = 6 reaches the int16 limits: T = -32768 and 32512 */
                check_model(l, s, 6, 0, CHECKASM_LUT_MIN);
                check_model(l, s, 6, 0, CHECKASM_LUT_MAX);
                check_model(l, s, 6, 1, CHECKASM_LUT_MIN);
            }
        }
    }
}
