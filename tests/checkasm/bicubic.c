/*
 * Bicubic: SIMD rows against the C reference, byte for byte, at every
 * scale, on random images and on extremes (all 0, all 255, 0/255 noise,
 * and 0/255 stripes that drive the 16-bit intermediates to their limits),
 * widths 1..70 plus widths around the SIMD strip boundaries and a wide one.
 * Also checks that nothing is written outside the s rows of w*s pixels and
 * that the output does not depend on what the scratch held before.
 */
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cpu.h"
#include "internal.h"
#include "model.h"

#define GUARD 0xA5

enum { IMG_RANDOM, IMG_NOISE01, IMG_ZERO, IMG_FULL, IMG_STRIPES, IMG_MODES };
static const char *const img_mode_names[IMG_MODES] = {
    "random", "0/255 noise", "all 0", "all 255", "0/255 stripes",
};

static void image_fill(TestPlane *p, int mode, TestRng *r)
{
    /* Stripes: 0 and 255 in runs of 1..4 with random phase per row and
     * column direction, so positive and negative taps line up with the
     * extremes for every phase somewhere. */
    const int run = 1 + (int)test_rng_below(r, 4), ph = (int)test_rng_below(r, 8);
    const int vertical = (int)test_rng_below(r, 2);
    if (mode == IMG_RANDOM) {
        test_plane_fill(p, r);
        return;
    }
    for (int y = 0; y < p->p.height; y++) {
        for (int x = 0; x < p->p.width; x++) {
            int v;
            switch (mode) {
            case IMG_NOISE01: v = test_rng_below(r, 2) ? 255 : 0; break;
            case IMG_ZERO:    v = 0; break;
            case IMG_FULL:    v = 255; break;
            default:          v = (((vertical ? y : x) + ph) / run) & 1 ? 255 : 0; break;
            }
            p->p.data[y * p->p.stride + x] = (uint8_t)v;
        }
    }
}

static uint8_t *scratch_new(void *priv, int w, TestRng *r)
{
    size_t ss = lutsr_bicubic_ops.scratch_size(priv, w);
    uint8_t *scratch = aligned_alloc(LUTSR_ALIGN, (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1));
    REQUIRE(scratch);
    memset(scratch, test_rng_u32(r) & 255, ss); /* output must not depend on it */
    return scratch;
}



static void check_scale(const CheckasmLevel *level, int s)
{
    TestRng *rng = checkasm_rng();
    struct LutsrModel m;
    memset(&m, 0, sizeof(m));
    m.kind = LUTSR_MODEL_BICUBIC;
    m.scale = s;
    void *ref = NULL, *simd = NULL;
    REQUIRE_CMP(lutsr_bicubic_ops.init(&ref, &m, 0), ==, 0);
    REQUIRE_CMP(lutsr_bicubic_ops.init(&simd, &m, level->flags), ==, 0);
    REQUIRE(!strcmp(lutsr_bicubic_ops.impl_name(ref), "c"));
    const char *impl = lutsr_bicubic_ops.impl_name(simd);
    if (!strcmp(impl, "c")) {
        /* Only AVX2 has a bicubic version; below it C is the right pick. */
        if (level->flags & LUTSR_CPU_FLAG_AVX2)
            checkasm_fail("bicubic x%d: level %s picked the C version", s, level->name);
        goto end;
    }

    /* 70 small widths, then the 768-output strip edges of the SIMD code
     * (w * s just below, at and above 768 and 1536) and a wide odd row. */
    static const int wide[] = { 127, 191, 192, 193, 255, 256, 257, 383, 384, 385, 511, 512, 513, 1921 };
    const int nw = 70 + (int)(sizeof(wide) / sizeof(wide[0]));
    for (int i = 0; i < nw; i++) {
        const int w = i < 70 ? i + 1 : wide[i - 70];
        const int h = 1 + (int)test_rng_below(rng, w > 70 ? 3 : 7);
        const int mode = (int)test_rng_below(rng, IMG_MODES);
        TestPlane p;
        test_plane_alloc(&p, w, h, (int)test_rng_below(rng, 5));
        REQUIRE(p.alloc);
        image_fill(&p, mode, rng);
        const ptrdiff_t stride = (ptrdiff_t)w * s + 1 + (ptrdiff_t)test_rng_below(rng, 40);
        const size_t size = (size_t)stride * (size_t)(h * s + 2);
        uint8_t *a = malloc(size), *b = malloc(size);
        uint8_t *sa = scratch_new(ref, w, rng), *sb = scratch_new(simd, w, rng);
        REQUIRE(a && b);
        checkasm_run_rows(&lutsr_bicubic_ops, ref, s, &p.p, a, stride, sa, GUARD);
        checkasm_run_rows(&lutsr_bicubic_ops, simd, s, &p.p, b, stride, sb, GUARD);
        char ctx[160];
        snprintf(ctx, sizeof(ctx), "%s x%d image=%s %dx%d", impl, s, img_mode_names[mode], w, h);
        checkasm_checked("bicubic");
        const int bad = checkasm_compare("bicubic", a, b, stride, w * s, h * s, ctx);
        free(a);
        free(b);
        free(sa);
        free(sb);
        test_plane_free(&p);
        if (bad)
            break;
    }
end:
    lutsr_bicubic_ops.uninit(&ref);
    lutsr_bicubic_ops.uninit(&simd);
}

void checkasm_check_bicubic(void)
{
    for (const CheckasmLevel *l = checkasm_levels(); l->name; l++)
        for (int it = 0; it < checkasm_iterations(); it++)
            for (int s = 2; s <= 4; s++)
                check_scale(l, s);
}
