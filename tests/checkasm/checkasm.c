/*
 * Driver: runs every kernel's SIMD-vs-C check at each CPU level this
 * machine supports. Usage: checkasm [--test=NAME] [--seed=N] [--long]
 * Exit 0 = all equal, 1 = a mismatch, 77 = no SIMD level to test.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkasm.h"
#include "cpu.h"

static TestRng rng;
static int failures, checks, iterations = 1;
static CheckasmLevel levels[4];

const CheckasmLevel *checkasm_levels(void) { return levels; }
TestRng *checkasm_rng(void) { return &rng; }
int checkasm_iterations(void) { return iterations; }

void checkasm_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

void checkasm_checked(const char *what)
{
    (void)what;
    checks++;
}

void checkasm_run_rows(const LutsrKernelOps *ops, const void *priv, int s, const LutsrPlane *src,
                       uint8_t *out, ptrdiff_t stride, uint8_t *scratch, uint8_t guard)
{
    memset(out, guard, (size_t)stride * (size_t)(src->height * s + 2));
    for (int y = 0; y < src->height; y++)
        ops->row(priv, src, y, out + stride + (ptrdiff_t)y * s * stride, stride, scratch);
}

int checkasm_compare(const char *kernel, const uint8_t *a, const uint8_t *b, ptrdiff_t stride,
                     int ow, int oh, const char *ctx)
{
    for (int y = 0; y < oh + 2; y++) {
        for (int x = 0; x < stride; x++) {
            const size_t i = (size_t)y * (size_t)stride + (size_t)x;
            if (a[i] == b[i])
                continue;
            const int inside = y >= 1 && y <= oh && x < ow;
            checkasm_fail("%s %s: %s at output (x=%d, y=%d): c %d, simd %d", kernel, ctx,
                          inside ? "mismatch" : "write outside the rows", x, y - 1, a[i], b[i]);
            return 1;
        }
    }
    return 0;
}

const char *const checkasm_lut_mode_names[CHECKASM_LUT_MODES] = {
    "random", "extremes", "all -128", "all 127",
};

void checkasm_fill_lut(int8_t *lut, size_t size, int mode, TestRng *r)
{
    uint32_t x = 0;
    for (size_t i = 0; i < size; i++) {
        if (!(i & 31))
            x = test_rng_u32(r);
        switch (mode) {
        case CHECKASM_LUT_RANDOM:
            if ((i & 31) && !(i & 3))
                x = test_rng_u32(r);
            lut[i] = (int8_t)(x >> 8 * (i & 3));
            break;
        case CHECKASM_LUT_EXTREMES: lut[i] = (x >> (i & 31)) & 1 ? 127 : -128; break;
        case CHECKASM_LUT_MIN:      lut[i] = -128; break;
        default:                    lut[i] = 127; break;
        }
    }
}

void checkasm_fill_image(TestPlane *p, TestRng *r)
{
    test_plane_fill(p, r);
    if (test_rng_below(r, 4))
        return;
    for (int y = 0; y < p->p.height; y++)
        for (int x = 0; x < p->p.width; x++)
            p->p.data[y * p->p.stride + x] = test_rng_below(r, 2) ? 255 : 0;
}

/* A kernel's scratch for width w, filled with a random byte; NULL if none. */
static uint8_t *garbage_scratch(const LutsrKernelOps *ops, const void *priv, int w)
{
    const size_t ss = ops->scratch_size ? ops->scratch_size(priv, w) : 0;
    if (!ss)
        return NULL;
    uint8_t *p = aligned_alloc(LUTSR_ALIGN, (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1));
    REQUIRE(p);
    memset(p, test_rng_u32(&rng) & 255, ss);
    return p;
}

int checkasm_sweep(const char *kernel, const LutsrKernelOps *ops, const void *ref, const void *simd,
                   int s, int narrow, int max_h, int max_h_wide, int use_rows, const char *desc)
{
    static const int wide[] = { 127, 255, 1921 };
    const int nw = narrow ? narrow : 70 + (int)(sizeof(wide) / sizeof(wide[0]));
    int bad = 0;
    for (int i = 0; i < nw && !bad; i++) {
        const int w = i < 70 ? i + 1 : wide[i - 70];
        const int h = 1 + (int)test_rng_below(&rng, (uint32_t)(w > 70 ? max_h_wide : max_h));
        TestPlane p;
        test_plane_alloc(&p, w, h, (int)test_rng_below(&rng, 5));
        REQUIRE(p.alloc);
        checkasm_fill_image(&p, &rng);
        const ptrdiff_t stride = (ptrdiff_t)w * s + 1 + (ptrdiff_t)test_rng_below(&rng, 40);
        const size_t size = (size_t)stride * (size_t)(h * s + 2);
        uint8_t *a = malloc(size), *b = malloc(size);
        REQUIRE(a && b);
        uint8_t *sa = garbage_scratch(ops, ref, w), *sb = garbage_scratch(ops, simd, w);
        const int whole = use_rows && ops->rows && test_rng_below(&rng, 2);
        checkasm_run_rows(ops, ref, s, &p.p, a, stride, sa, CHECKASM_GUARD);
        if (whole) {
            memset(b, CHECKASM_GUARD, size);
            ops->rows(simd, &p.p, 0, h, b + stride, stride, sb);
        } else {
            checkasm_run_rows(ops, simd, s, &p.p, b, stride, sb, CHECKASM_GUARD);
        }
        char ctx[400];
        snprintf(ctx, sizeof(ctx), "%s %s %dx%d%s", ops->impl_name(simd), desc, w, h,
                 !use_rows ? "" : whole ? " rows()" : " row()");
        checkasm_checked(kernel);
        bad = checkasm_compare(kernel, a, b, stride, w * s, h * s, ctx);
        free(a);
        free(b);
        free(sa);
        free(sb);
        test_plane_free(&p);
    }
    return bad;
}

static const struct { const char *name; void (*fn)(void); } tests[] = {
    { "srlut",   checkasm_check_srlut },
    { "eclut",   checkasm_check_eclut },
    { "bicubic", checkasm_check_bicubic },
    { "mulut",   checkasm_check_mulut },
    { "cnn",     checkasm_check_cnn },
};

int main(int argc, char **argv)
{
    const char *only = NULL;
    uint64_t seed = 0;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--test=", 7)) only = argv[i] + 7;
        else if (!strncmp(argv[i], "--seed=", 7)) seed = strtoull(argv[i] + 7, NULL, 0);
        else if (!strcmp(argv[i], "--long")) iterations = 10;
        else { fprintf(stderr, "usage: %s [--test=NAME] [--seed=N] [--long]\n", argv[0]); return 2; }
    }
    test_rng_seed(&rng, seed ? seed : test_seed(20261123));

    unsigned f = lutsr_cpu_flags();
    int n = 0;
    if (f & LUTSR_CPU_FLAG_SSE41) levels[n++] = (CheckasmLevel){ "sse4.1", lutsr_cpu_flags_for(LUTSR_CPU_SSE41) };
    if (f & LUTSR_CPU_FLAG_AVX2)  levels[n++] = (CheckasmLevel){ "avx2", lutsr_cpu_flags_for(LUTSR_CPU_AVX2) };
    levels[n] = (CheckasmLevel){ NULL, 0 };
    if (!n) {
        printf("checkasm: no SIMD level on this machine/build; nothing to compare\n");
        return TEST_SKIP;
    }
    for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
        if (only && strcmp(only, tests[i].name))
            continue;
        int before = failures;
        tests[i].fn();
        printf("checkasm %-8s %s\n", tests[i].name, failures == before ? "OK" : "FAILED");
    }
    printf("checkasm: %d comparisons, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
