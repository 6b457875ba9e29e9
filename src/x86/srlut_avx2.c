/*
 * SR-LUT kernel, AVX2. Bit-identical to row_c() in srlut.c. The passes,
 * their buffers and the x2 pair table are described in lut4d_avx2.h,
 * shared with the MuLUT kernel; this file drives them for SR-LUT's 2x2
 * window.
 *
 * Private LUT layouts (built by lutsr_srlut_init_x86):
 *  - x2, k >= 3: the pair table (8 bytes per entry, 2x the model's LUT).
 *  - x2, k = 2: the model's LUT itself (the pair table would be 143 MB).
 *  - x3: each 9-value entry padded to 16 bytes (x3, k = 2 stays on C).
 *  - x4: the model's LUT itself.
 */
#include <immintrin.h>
#include <string.h>

#include "cpu.h"
#include "mem.h"
#include "srlut.h"
#include "x86/lut4d_avx2.h"
#include "x86/lut4d_table.h"

#define CHUNK_BLOCKS 4

/* ------------------------------------------------------------------ x2 */

ALWAYS_INLINE void row_x2(const SrlutContext *c, const uint8_t *const rows[3],
                          int w, uint8_t *dst, ptrdiff_t dst_stride, const int paired)
{
    Consts k;
    consts_init(&k, c->lut_side, c->interval_bits, c->out_shift);
    ConstsX2 cx;
    consts_x2_init(&cx, paired);
    const int8_t *lut = c->simd_lut;
    const int stride = paired ? 8 : 4; /* == c->simd_stride, as a constant */
    BlockX2 chunk[CHUNK_BLOCKS];

    for (int x = 0; x < w; x += 8 * CHUNK_BLOCKS) {
        const int blocks = (w - x + 7) / 8 < CHUNK_BLOCKS ? (w - x + 7) / 8 : CHUNK_BLOCKS;
        for (int b = 0; b < blocks; b++)
            pass1_x2(&chunk[b], &k, rows + 1, srlut_rot_offsets, x + 8 * b, paired);
        for (int b = 0; b < blocks; b++) {
            __m256i lo, hi;
            sums_x2(&chunk[b], &cx, lut, stride, paired, &lo, &hi);
            store_x2(round_shift16(lo, &k), round_shift16(hi, &k), &cx, rows[1], x + 8 * b, w,
                     dst, dst_stride);
        }
    }
}

static void row_x2_avx2(const SrlutContext *c, const uint8_t *const rows[3],
                        int w, uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x2(c, rows, w, dst, dst_stride, 0);
}

static void row_x2_paired_avx2(const SrlutContext *c, const uint8_t *const rows[3],
                               int w, uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x2(c, rows, w, dst, dst_stride, 1);
}

/* ------------------------------------------------------------ x3, x4 */

ALWAYS_INLINE void row_x16(const SrlutContext *c, const uint8_t *const rows[3],
                           int w, uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    Consts k;
    consts_init(&k, c->lut_side, c->interval_bits, c->out_shift);
    ConstsX16 cx;
    consts_x16_init(&cx, s);
    const int8_t *lut = c->simd_lut;
    SimplexStore chunk[CHUNK_BLOCKS];

    for (int x = 0; x < w; x += 8 * CHUNK_BLOCKS) {
        const int blocks = (w - x + 7) / 8 < CHUNK_BLOCKS ? (w - x + 7) / 8 : CHUNK_BLOCKS;
        for (int b = 0; b < blocks; b++)
            pass1_x16(&chunk[b], &k, rows + 1, srlut_rot_offsets, x + 8 * b);
        for (int b = 0; b < blocks; b++) {
            const int x0 = x + 8 * b;
            const __m256i a16 = anchors16(rows[1], x0);
            uint8_t blk[8][16];
            for (int p = 0; p < 8; p += 2) {
                __m256i lo, hi;
                sums_x16(&chunk[b], &cx, lut, p, &lo, &hi);
                finish_x16(round_shift16(lo, &k), round_shift16(hi, &k), &cx, a16, p, blk, s);
            }
            store_x16((const uint8_t (*)[16])blk, x0, w, dst, dst_stride, s);
        }
    }
}

static void row_x3_avx2(const SrlutContext *c, const uint8_t *const rows[3],
                        int w, uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x16(c, rows, w, dst, dst_stride, 3);
}

static void row_x4_avx2(const SrlutContext *c, const uint8_t *const rows[3],
                        int w, uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x16(c, rows, w, dst, dst_stride, 4);
}

/* ------------------------------------------------------------------ init */

int lutsr_srlut_init_x86(SrlutContext *c, unsigned cpu_flags)
{
    if (!(cpu_flags & LUTSR_CPU_FLAG_AVX2))
        return 0;
    const size_t n = (size_t)c->lut_side, nv = (size_t)c->lut_values;
    const int stride = lutsr_lut4d_stride(c->scale, n);
    SrlutRowFn fn;
    switch (stride ? c->scale : 0) {
    case 2: fn = stride == 8 ? row_x2_paired_avx2 : row_x2_avx2; break;
    case 3: fn = row_x3_avx2; break;
    case 4: fn = row_x4_avx2; break;
    default: return 0;
    }
    if ((size_t)stride == nv) {
        c->simd_lut = c->lut;
    } else {
        int8_t *t = lutsr_lut4d_build_table(c->lut, n, nv, stride);
        if (!t)
            return LUTSR_ERR_NOMEM;
        c->simd_lut_buf = t;
        c->simd_lut = t;
    }
    c->simd_stride = stride;
    c->row_simd = fn;
    c->impl = "avx2";
    return 0;
}
