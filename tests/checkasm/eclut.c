/*
 * ECLUT: SIMD rows against the C reference, byte for byte, for random and
 * extreme LUTs and images, every scale, random out_shifts, widths 1..70
 * and a few wide rows, image heights 1..4 (so every reflect/clamp case at
 * the top and bottom occurs), SIMD reading a tight copy of the plane
 * (stride w or -w) so ASan sees any read outside it. Also checks that a
 * row writes nothing outside its s rows of w*s pixels.
 */
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cpu.h"
#include "internal.h"
#include "model.h"

#define GUARD 0x3C

enum { LUT_RANDOM, LUT_EXTREMES, LUT_SMALL, LUT_MODES };
static const char *const lut_mode_names[LUT_MODES] = { "random", "extremes", "small+extremes" };

static void lut_fill(struct LutsrModel *m, int mode, TestRng *r)
{
    const size_t size = (size_t)m->lut_entries * m->lut_values;
    for (size_t i = 0; i < size; i += 4) {
        uint32_t x = test_rng_u32(r);
        for (size_t k = i; k < i + 4 && k < size; k++, x >>= 8) {
            int v;
            switch (mode) {
            case LUT_RANDOM:   v = (int)(x & 255) - 128; break;
            case LUT_EXTREMES: v = x & 1 ? 127 : -128; break;
            default:           v = (x & 255) < 8 ? (x & 1 ? 127 : -128) : (int)(x & 7) - 4; break;
            }
            m->lut[k] = (int8_t)v;
        }
    }
}

/* A copy of p in a buffer of exactly w*h bytes (stride w, or -w with data
 * at the last row), so a read outside the plane trips ASan. */
static uint8_t *tight_copy(const TestPlane *p, int flip, LutsrPlane *out)
{
    const int w = p->p.width, h = p->p.height;
    uint8_t *buf = malloc((size_t)w * (size_t)h);
    REQUIRE(buf);
    *out = (LutsrPlane){ buf, w, w, h };
    if (flip) {
        out->data = buf + (size_t)(h - 1) * (size_t)w;
        out->stride = -w;
    }
    for (int y = 0; y < h; y++)
        memcpy(out->data + y * out->stride, p->p.data + y * p->p.stride, (size_t)w);
    return buf;
}


/* Compares one plane at one level; returns 0 on a mismatch (reported). */
static int check_plane(const struct LutsrModel *m, unsigned flags, const char *level,
                       const TestPlane *p, const char *lut_mode)
{
    const int s = m->scale, w = p->p.width, h = p->p.height;
    void *ref = NULL, *simd = NULL;
    if (lutsr_eclut_ops.init(&ref, m, 0) < 0 || lutsr_eclut_ops.init(&simd, m, flags) < 0) {
        checkasm_fail("eclut x%d %s: init failed", s, level);
        lutsr_eclut_ops.uninit(&ref);
        lutsr_eclut_ops.uninit(&simd);
        return 0;
    }
    int ok = 1;
    const char *ref_name = lutsr_eclut_ops.impl_name(ref), *name = lutsr_eclut_ops.impl_name(simd);
    if (!strcmp(name, ref_name) || !strcmp(name, "c")) {
        checkasm_fail("eclut x%d %s: got the C implementation (\"%s\"), nothing to compare",
                      s, level, name);
        ok = 0;
    }
    const ptrdiff_t stride = (ptrdiff_t)w * s + 16;
    const size_t size = (size_t)stride * (size_t)(h * s + 2);
    uint8_t *a = malloc(size), *b = malloc(size);
    uint8_t *sa = malloc(lutsr_eclut_ops.scratch_size(ref, w));
    uint8_t *sb = malloc(lutsr_eclut_ops.scratch_size(simd, w));
    REQUIRE(a && b && sa && sb);
    if (ok) {
        /* C on the padded plane, SIMD on a tight copy, upside down half the time. */
        LutsrPlane tight;
        const int flip = (w + h) & 1;
        uint8_t *buf = tight_copy(p, flip, &tight);
        checkasm_run_rows(&lutsr_eclut_ops, ref, s, &p->p, a, stride, sa, GUARD);
        checkasm_run_rows(&lutsr_eclut_ops, simd, s, &tight, b, stride, sb, GUARD);
        free(buf);
        for (size_t i = 0; i < size && ok; i++) {
            if (a[i] == b[i])
                continue;
            const int y = (int)(i / (size_t)stride) - 1, x = (int)(i % (size_t)stride);
            checkasm_fail("eclut x%d %s (%s): %dx%d%s out_shift %d lut %s: output (%d, %d)%s "
                          "c=%d simd=%d", s, level, name, w, h, flip ? " (stride < 0)" : "",
                          m->out_shift, lut_mode, x, y,
                          x >= w * s || y < 0 || y >= h * s ? " (outside the row)" : "", a[i], b[i]);
            ok = 0;
        }
        checkasm_checked("eclut");
    }
    free(a);
    free(b);
    free(sa);
    free(sb);
    lutsr_eclut_ops.uninit(&ref);
    lutsr_eclut_ops.uninit(&simd);
    return ok;
}

static int random_shift(TestRng *r)
{
    /* Mostly the useful range; sometimes the extremes. */
    const uint32_t k = test_rng_below(r, 8);
    return k == 0 ? 0 : k == 1 ? (int)test_rng_below(r, LUTSR_MAX_OUT_SHIFT + 1) : 3 + (int)test_rng_below(r, 6);
}

void checkasm_check_eclut(void)
{
    TestRng *r = checkasm_rng();
    static const int wide[] = { 127, 255, 256, 1001 };
    for (int s = 2; s <= 4; s++) {
        struct LutsrModel *m = NULL;
        REQUIRE_OK(lutsr_model_alloc(&m, LUTSR_MODEL_ECLUT, s, 0, 0, NULL));
        for (int it = 0; it < checkasm_iterations(); it++) {
            for (int mode = 0; mode < LUT_MODES; mode++) {
                lut_fill(m, mode, r);
                for (const CheckasmLevel *l = checkasm_levels(); l->name; l++) {
                    /* Only an AVX2 version exists. */
                    if (!(l->flags & LUTSR_CPU_FLAG_AVX2))
                        continue;
                    int ok = 1;
                    for (int w = 1; w <= 70 + 4 && ok; w++) {
                        const int pw = w <= 70 ? w : wide[w - 71];
                        TestPlane p;
                        test_plane_alloc(&p, pw, 1 + (int)test_rng_below(r, 4), (int)test_rng_below(r, 9));
                        REQUIRE(p.alloc);
                        checkasm_fill_image(&p, r);
                        m->out_shift = random_shift(r);
                        ok = check_plane(m, l->flags, l->name, &p, lut_mode_names[mode]);
                        test_plane_free(&p);
                    }
                }
            }
        }
        lutsr_model_close(&m);
    }
}
