/*
 * Shared test helpers: REQUIRE* macros that print what differed, a seeded
 * PRNG, plane helpers. A failed REQUIRE exits 1; exit 77 means "skipped".
 */
#ifndef LUTSR_TEST_UTIL_H
#define LUTSR_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lutsr/lutsr.h"

#define TEST_SKIP 77

#define REQUIRE(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); exit(1); } } while (0)

#define REQUIRE_CMP(a, op, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    if (!(a_ op b_)) { fprintf(stderr, "%s:%d: REQUIRE(%s %s %s) failed: %lld vs %lld\n", \
        __FILE__, __LINE__, #a, #op, #b, a_, b_); exit(1); } } while (0)

#define REQUIRE_OK(expr) do { int r_ = (expr); if (r_ < 0) { \
    fprintf(stderr, "%s:%d: %s failed: %d (%s)\n", __FILE__, __LINE__, #expr, r_, lutsr_strerror(r_)); \
    exit(1); } } while (0)

/* Compare two w x h pixel areas; on mismatch print the first differing pixel,
 * a hexdump of the rows around it, the caller's context string, and exit. */
#define REQUIRE_PLANE_EQ(a, sa, b, sb, w, h, ...) do { char ctx_[256]; \
    snprintf(ctx_, sizeof(ctx_), __VA_ARGS__); \
    test_require_plane_eq(__FILE__, __LINE__, a, sa, b, sb, w, h, ctx_); } while (0)

void test_require_plane_eq(const char *file, int line,
                           const uint8_t *a, ptrdiff_t sa,
                           const uint8_t *b, ptrdiff_t sb,
                           int w, int h, const char *ctx);

/* xorshift64* PRNG: deterministic across platforms. */
typedef struct TestRng { uint64_t s; } TestRng;
void test_rng_seed(TestRng *r, uint64_t seed);
uint32_t test_rng_u32(TestRng *r);
/* Uniform in [0, n). */
uint32_t test_rng_below(TestRng *r, uint32_t n);

/* Seed from $LUTSR_TEST_SEED if set, else the given default; printed once. */
uint64_t test_seed(uint64_t dflt);

/* A malloc()ed plane; data == NULL on allocation failure (tests REQUIRE it).
 * stride is width rounded up plus `pad` bytes, so tests exercise stride != width. */
typedef struct TestPlane { LutsrPlane p; uint8_t *alloc; } TestPlane;
void test_plane_alloc(TestPlane *t, int w, int h, int pad);
void test_plane_free(TestPlane *t);
/* Fill with a mix of random noise, flat areas, ramps and 0/255 extremes. */
void test_plane_fill(TestPlane *t, TestRng *r);
/* A model of `kind` at `scale` with random LUT entries (bicubic: the
 * built-in one). MuLUT gets 2 stages. Close with lutsr_model_close(). */
LutsrModel *test_random_model(TestRng *r, LutsrModelKind kind, int scale);
/* 1 if the CPU supports AVX2 (+FMA) and the library was built with it. */
int test_have_avx2(void);

#endif /* LUTSR_TEST_UTIL_H */
