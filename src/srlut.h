/*
 * SR-LUT kernel internals shared by the C reference (srlut.c) and its SIMD
 * versions (x86/srlut_*.c). Semantics: docs/kernels.md, "SR-LUT core" and
 * "The rotation ensemble".
 */
#ifndef LUTSR_SRLUT_H
#define LUTSR_SRLUT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* SIMD rows are padded copies of the source rows: SRLUT_PAD_LEFT bytes
 * before column 0 and SRLUT_PAD_RIGHT after column w-1, filled with the
 * edge pixel, so the vector code reads any column in [-1, w + 15] and
 * edge replication comes for free. */
#define SRLUT_PAD_LEFT  16
#define SRLUT_PAD_RIGHT 32

/* Rotation r takes b, c, d of its 2x2 window from the source pixels at
 * these (dy, dx) offsets from a, the pixel itself (derivation in srlut.c). */
static const int8_t srlut_rot_offsets[4][3][2] = {
    { {  0, +1 }, { +1,  0 }, { +1, +1 } },
    { { +1,  0 }, {  0, -1 }, { +1, -1 } },
    { {  0, -1 }, { -1,  0 }, { -1, -1 } },
    { { -1,  0 }, {  0, +1 }, { -1, +1 } },
};

/* Index, inside a LUT entry, of the value that rotation r puts at position
 * (u, v) of an s x s output block (derivation in srlut.c). */
static inline int srlut_rot_value(int r, int s, int u, int v)
{
    switch (r) {
    case 0:  return u * s + v;
    case 1:  return (s - 1 - v) * s + u;
    case 2:  return (s - 1 - u) * s + (s - 1 - v);
    default: return v * s + (s - 1 - u);
    }
}

typedef struct SrlutContext SrlutContext;

/* Upscales one source row. rows[0..2] point at column 0 of the padded
 * copies of source rows y-1, y, y+1 (clamped to the plane). Writes the
 * `scale` destination rows of w * scale pixels starting at dst, and nothing
 * else. */
typedef void (*SrlutRowFn)(const SrlutContext *c, const uint8_t *const rows[3],
                           int w, uint8_t *dst, ptrdiff_t dst_stride);

struct SrlutContext {
    int scale;          /* s */
    int interval_bits;  /* k */
    int lut_side;       /* n = 2^(8-k) + 1 */
    int out_shift;
    int lut_values;     /* s * s */

    /* The model's LUT: lut[e * lut_values + v]. The model outlives us. */
    const int8_t *lut;

    /* LUT as the SIMD code reads it, entry e at simd_lut + e * simd_stride:
     * the model's LUT or simd_lut_buf, a re-laid-out copy (allocated with
     * lutsr_alloc_aligned, freed by srlut.c). Layouts: x86/srlut_avx2.c. */
    const int8_t *simd_lut;
    int simd_stride;
    int8_t *simd_lut_buf;

    SrlutRowFn row_simd; /* NULL: use the C reference directly */
    const char *impl;
};

#if HAVE_X86_SIMD
/* Picks a SIMD row function for cpu_flags, if one fits c->scale and
 * c->interval_bits, and builds the LUT layout it reads: sets c->row_simd,
 * c->impl, c->simd_lut, c->simd_stride (and c->simd_lut_buf). Leaves c
 * alone when nothing fits. Returns 0 or LUTSR_ERR_NOMEM. */
int lutsr_srlut_init_x86(SrlutContext *c, unsigned cpu_flags);
#endif

/* Shared by the SR-LUT and MuLUT C references (mulut.c includes this). */
/* Orders two sort keys, larger first (branch-free: cmov). */
static inline void sort2_desc(uint32_t *a, uint32_t *b)
{
    const uint32_t x = *a, y = *b;
    *a = x > y ? x : y;
    *b = x > y ? y : x;
}

/* Sorts four (fraction, step) pairs by descending fraction, each packed
 * into one key fraction << 24 | step (step <= 65^3 < 2^24), with a
 * five-comparator network: fractions of noisy images defeat branch
 * prediction. Ties may go either way (the tied weight is 0). */
static inline void sort4_desc(uint32_t key[4])
{
    sort2_desc(&key[0], &key[1]);
    sort2_desc(&key[2], &key[3]);
    sort2_desc(&key[0], &key[2]);
    sort2_desc(&key[1], &key[3]);
    sort2_desc(&key[1], &key[2]);
}

#if defined(__GNUC__) && !defined(__clang__)
#  define UNROLL16 _Pragma("GCC unroll 16")
#else
#  define UNROLL16
#endif

#endif /* LUTSR_SRLUT_H */
