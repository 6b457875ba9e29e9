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
