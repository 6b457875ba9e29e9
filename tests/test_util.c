#include <stdlib.h>
#include <string.h>

#include "test_util.h"

void test_require_plane_eq(const char *file, int line,
                           const uint8_t *a, ptrdiff_t sa,
                           const uint8_t *b, ptrdiff_t sb,
                           int w, int h, const char *ctx)
{
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            if (a[y * sa + x] == b[y * sb + x])
                continue;
            fprintf(stderr, "%s:%d: planes differ at (x=%d, y=%d): %d vs %d [%s] (%dx%d)\n",
                    file, line, x, y, a[y * sa + x], b[y * sb + x], ctx, w, h);
            int x0 = x > 8 ? x - 8 : 0, x1 = x + 8 < w ? x + 8 : w;
            for (int yy = y > 1 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++) {
                fprintf(stderr, "  row %5d a:", yy);
                for (int xx = x0; xx < x1; xx++)
                    fprintf(stderr, " %02x", a[yy * sa + xx]);
                fprintf(stderr, "\n  row %5d b:", yy);
                for (int xx = x0; xx < x1; xx++)
                    fprintf(stderr, "%s%02x", xx == x && yy == y ? "^" : " ", b[yy * sb + xx]);
                fprintf(stderr, "\n");
            }
            exit(1);
        }
    }
}

void test_rng_seed(TestRng *r, uint64_t seed)
{
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint32_t test_rng_u32(TestRng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t test_rng_below(TestRng *r, uint32_t n)
{
    return n ? (uint32_t)(((uint64_t)test_rng_u32(r) * n) >> 32) : 0;
}

uint64_t test_seed(uint64_t dflt)
{
    const char *s = getenv("LUTSR_TEST_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : dflt;
    fprintf(stderr, "seed: %llu (set LUTSR_TEST_SEED to change)\n", (unsigned long long)seed);
    return seed;
}

void test_plane_alloc(TestPlane *t, int w, int h, int pad)
{
    ptrdiff_t stride = ((w + 15) & ~15) + pad;
    t->alloc = malloc((size_t)stride * (size_t)(h > 0 ? h : 1) + 1);
    t->p.data = t->alloc;
    t->p.stride = stride;
    t->p.width = w;
    t->p.height = h;
    if (t->alloc)
        memset(t->alloc, 0xA5, (size_t)stride * (size_t)(h > 0 ? h : 1) + 1);
}

void test_plane_free(TestPlane *t)
{
    free(t->alloc);
    memset(t, 0, sizeof(*t));
}

void test_plane_fill(TestPlane *t, TestRng *r)
{
    int w = t->p.width, h = t->p.height;
    for (int y = 0; y < h; y++) {
        uint8_t *row = t->p.data + y * t->p.stride;
        int mode = (int)test_rng_below(r, 5);
        int base = (int)test_rng_below(r, 256);
        for (int x = 0; x < w; x++) {
            int v;
            switch (mode) {
            case 0: v = (int)test_rng_below(r, 256); break;           /* noise */
            case 1: v = base; break;                                  /* flat */
            case 2: v = (base + x * 3) & 255; break;                  /* ramp */
            case 3: v = test_rng_below(r, 2) ? 255 : 0; break;        /* extremes */
            default: v = (base + (int)test_rng_below(r, 17) - 8) & 255; break; /* low-amplitude texture */
            }
            row[x] = (uint8_t)v;
        }
    }
}

#include "cpu.h"

int test_have_avx2(void)
{
    return !!(lutsr_cpu_flags() & LUTSR_CPU_FLAG_AVX2);
}
