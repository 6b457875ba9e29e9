/*
 * ECLUT kernel, AVX2. Bit-identical to eclut.c; the layout of the work is
 * the same (entry offsets per source row and rotation, then 36 groups per
 * output block), only vectorised:
 *
 *  - entries: 16 columns at a time (the plane's edge columns in C);
 *  - x2: 8 blocks at a time. A group is 4 bytes: one 8-dword gather (of
 *    scalar loads) per (rotation, dy, dx) fetches it for all 8 blocks;
 *  - x3, x4: one block at a time. A group (9 or 16 bytes) is one 16-byte
 *    load widened to 16 int16 lanes.
 * Each rotation's 9 groups are summed in LUT order and permuted into
 * output order once (the sum is linear), so there is one LUT copy: the
 * model's. All sums fit int16: |T| <= 36 * 128.
 */
#include <immintrin.h>
#include <string.h>

#include "cpu.h"
#include "eclut.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* round_shift(t, n) for |t| <= 4608 on int16 lanes: n >= 14 gives 0 like
 * n = 14 does, and 2^13 + 4608 still fits, so clamp n to 14. */
typedef struct RoundShift { __m256i bias; __m128i n; } RoundShift;

static RoundShift round_shift_init(int out_shift)
{
    const int n = out_shift < 14 ? out_shift : 14;
    RoundShift rs = { _mm256_set1_epi16((int16_t)(n ? 1 << (n - 1) : 0)), _mm_cvtsi32_si128(n) };
    return rs;
}

ALWAYS_INLINE __m256i round_shift(__m256i t, const RoundShift *rs)
{
    return _mm256_sra_epi16(_mm256_add_epi16(t, rs->bias), rs->n);
}

/* ---------------------------------------------------------------------- */
/* Entry offsets                                                          */

ALWAYS_INLINE void entries16(uint32_t *dst, __m128i a, __m128i partner, __m256i vals)
{
    /* (a << 8 | partner) * vals, 16 columns */
    const __m128i lo = _mm_unpacklo_epi8(partner, a), hi = _mm_unpackhi_epi8(partner, a);
    _mm256_storeu_si256((__m256i *)dst,       _mm256_mullo_epi32(_mm256_cvtepu16_epi32(lo), vals));
    _mm256_storeu_si256((__m256i *)(dst + 8), _mm256_mullo_epi32(_mm256_cvtepu16_epi32(hi), vals));
}

static void entries_avx2(const EclutContext *c, const LutsrPlane *src,
                         int i, uint32_t *const e[4])
{
    const int w = src->width, h = src->height;
    const uint8_t *row   = src->data + (ptrdiff_t)i * src->stride;
    const uint8_t *below = src->data + (ptrdiff_t)(i + 1 < h ? i + 1 : i) * src->stride;
    const uint8_t *above = src->data + (ptrdiff_t)(i > 0 ? i - 1 : 0) * src->stride;
    const uint32_t vals = (uint32_t)c->values;
    const __m256i vvals = _mm256_set1_epi32((int)vals);

    /* Columns 1 .. w-2 need no clamping; vector loads read row[x-1 .. x+16]
     * and must stay inside the plane. */
    eclut_entries_col(row, below, above, w, -1, vals, e);
    int x = 0;
    if (w > 1)
        eclut_entries_col(row, below, above, w, x++, vals, e);
    for (; x + 17 <= w; x += 16) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(row + x));
        entries16(e[0] + x + 1, a, _mm_loadu_si128((const __m128i *)(below + x)), vvals);
        entries16(e[1] + x + 1, a, _mm_loadu_si128((const __m128i *)(row + x - 1)), vvals);
        entries16(e[2] + x + 1, a, _mm_loadu_si128((const __m128i *)(above + x)), vvals);
        entries16(e[3] + x + 1, a, _mm_loadu_si128((const __m128i *)(row + x + 1)), vvals);
    }
    for (; x <= w; x++)
        eclut_entries_col(row, below, above, w, x, vals, e);
    const size_t n = eclut_entry_stride(w);
    for (int r = 0; r < 4; r++)
        memset(e[r] + w + 2, 0, (n - (size_t)w - 2) * sizeof(**e));
}

/* ---------------------------------------------------------------------- */
/* x2: 8 blocks per step                                                  */

ALWAYS_INLINE int32_t load32(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The dwords at base + idx[0..7], by scalar loads: vpgatherdd measured
 * 15-40% slower in this kernel even on an AMD Zen 5 EPYC (which has no
 * LUTSR_CPU_FLAG_SLOW_GATHER), so the flag is not consulted. */
ALWAYS_INLINE __m256i gather8(const int8_t *base, const uint32_t *idx)
{
    __m128i lo = _mm_cvtsi32_si128(load32(base + idx[0]));
    __m128i hi = _mm_cvtsi32_si128(load32(base + idx[4]));
    lo = _mm_insert_epi32(lo, load32(base + idx[1]), 1);
    hi = _mm_insert_epi32(hi, load32(base + idx[5]), 1);
    lo = _mm_insert_epi32(lo, load32(base + idx[2]), 2);
    hi = _mm_insert_epi32(hi, load32(base + idx[6]), 2);
    lo = _mm_insert_epi32(lo, load32(base + idx[3]), 3);
    hi = _mm_insert_epi32(hi, load32(base + idx[7]), 3);
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

/* One rotation's 9 groups for blocks x .. x+7. Group dwords are LUT order
 * (u, v) = (0,0) (0,1) (1,0) (1,1); split into lo = v 0 and hi = v 1 int16
 * lanes, word 0 holding u = 0 and word 1 u = 1. */
ALWAYS_INLINE void rot_sum_x2(const int8_t *lut, const EclutEntries *e, int x, const int r,
                              __m256i *lo, __m256i *hi)
{
    const __m256i even = _mm256_set1_epi16(1); /* maddubs: keep byte 0 of each word */
    __m256i l = _mm256_setzero_si256(), h = _mm256_setzero_si256();
#define X2_GROUP(k, d) do { \
        const __m256i g = gather8(lut + eclut_group(r, (k) - 1, (d) - 1) * 4, \
                                  e->e[k][r] + x + (d)); \
        l = _mm256_add_epi16(l, _mm256_maddubs_epi16(even, g)); \
        h = _mm256_add_epi16(h, _mm256_srai_epi16(g, 8)); \
    } while (0)
    X2_GROUP(0, 0); X2_GROUP(0, 1); X2_GROUP(0, 2);
    X2_GROUP(1, 0); X2_GROUP(1, 1); X2_GROUP(1, 2);
    X2_GROUP(2, 0); X2_GROUP(2, 1); X2_GROUP(2, 2);
#undef X2_GROUP
    *lo = l;
    *hi = h;
}

/* dword-wise [a.w0 | b.w1] etc.: odd words from b */
ALWAYS_INLINE __m256i odd_from(__m256i a, __m256i b)
{
    return _mm256_blend_epi16(a, b, 0xAA);
}

static void blocks_x2_avx2(const EclutContext *c, const EclutEntries *e,
                           const uint8_t *anchor, int x0, int x1,
                           uint8_t *dst, ptrdiff_t dst_stride)
{
    const RoundShift rs = round_shift_init(c->out_shift);
    const __m256i swapw = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
                                           2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    int x = x0;
    for (; x + 8 <= x1; x += 8) {
        __m256i lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3;
        rot_sum_x2(c->lut, e, x, 0, &lo0, &hi0);
        rot_sum_x2(c->lut, e, x, 1, &lo1, &hi1);
        rot_sum_x2(c->lut, e, x, 2, &lo2, &hi2);
        rot_sum_x2(c->lut, e, x, 3, &lo3, &hi3);
        /* Output columns xs = 0, 1 as dwords [ys 0 | ys 1] per block, with
         * (u, v) = eclut_sub_uv(r, 2, ys, xs):
         *   r0: col0 = [lo.w0 lo.w1]  col1 = [hi.w0 hi.w1]
         *   r1: col0 = [lo.w1 hi.w1]  col1 = [lo.w0 hi.w0]
         *   r2: col0 = [hi.w1 hi.w0]  col1 = [lo.w1 lo.w0]
         *   r3: col0 = [hi.w0 lo.w0]  col1 = [hi.w1 lo.w1] */
        __m256i col0 = _mm256_add_epi16(lo0, _mm256_shuffle_epi8(hi2, swapw));
        __m256i col1 = _mm256_add_epi16(hi0, _mm256_shuffle_epi8(lo2, swapw));
        col0 = _mm256_add_epi16(col0, odd_from(_mm256_srli_epi32(lo1, 16), hi1));
        col1 = _mm256_add_epi16(col1, odd_from(lo1, _mm256_slli_epi32(hi1, 16)));
        col0 = _mm256_add_epi16(col0, odd_from(hi3, _mm256_slli_epi32(lo3, 16)));
        col1 = _mm256_add_epi16(col1, odd_from(_mm256_srli_epi32(hi3, 16), lo3));
        /* Rows: dword per block [xs 0 | xs 1]. */
        const __m256i row0 = odd_from(col0, _mm256_slli_epi32(col1, 16));
        const __m256i row1 = odd_from(_mm256_srli_epi32(col0, 16), col1);

        const __m128i a8 = _mm_loadl_epi64((const __m128i *)(anchor + x));
        const __m256i a = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a8, a8));
        const __m256i o0 = _mm256_add_epi16(round_shift(row0, &rs), a);
        const __m256i o1 = _mm256_add_epi16(round_shift(row1, &rs), a);
        const __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi16(o0, o1), 0xD8);
        _mm_storeu_si128((__m128i *)(dst + 2 * x), _mm256_castsi256_si128(p));
        _mm_storeu_si128((__m128i *)(dst + dst_stride + 2 * x), _mm256_extracti128_si256(p, 1));
    }
    if (x < x1)
        lutsr_eclut_blocks_c(c, e, anchor, x, x1, dst, dst_stride);
}

/* ---------------------------------------------------------------------- */
/* x3, x4: one block per step                                             */

/* Group g (s*s bytes) of the entry at byte offset off, widened to int16
 * lanes 0 .. s*s-1 (the other lanes are don't-care). For x3 the last group
 * is loaded ending at the entry's end, so no load leaves the LUT. */
ALWAYS_INLINE __m256i load_group(const int8_t *lut, uint32_t off, const int g, const int s)
{
    const int8_t *p = lut + off + g * s * s;
    if (s == 3 && g == 8)
        return _mm256_cvtepi8_epi16(_mm_srli_si128(_mm_loadu_si128((const __m128i *)(p - 7)), 7));
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
}

ALWAYS_INLINE __m256i rot_sum(const int8_t *lut, const EclutEntries *e, int x,
                              const int r, const int s)
{
    __m256i acc;
#define GROUP(k, d) load_group(lut, e->e[k][r][x + (d)], eclut_group(r, (k) - 1, (d) - 1), s)
    acc = _mm256_add_epi16(GROUP(0, 0), GROUP(0, 1));
    acc = _mm256_add_epi16(acc, _mm256_add_epi16(GROUP(0, 2), GROUP(1, 0)));
    acc = _mm256_add_epi16(acc, _mm256_add_epi16(GROUP(1, 1), GROUP(1, 2)));
    acc = _mm256_add_epi16(acc, _mm256_add_epi16(GROUP(2, 0), GROUP(2, 1)));
    acc = _mm256_add_epi16(acc, GROUP(2, 2));
#undef GROUP
    return acc;
}

/* Lane permutation LUT order -> output order, from c->shuf. */
ALWAYS_INLINE __m256i permute(__m256i v, const uint8_t shuf[2][32])
{
    const __m256i other = _mm256_permute4x64_epi64(v, 0x4E);
    return _mm256_or_si256(_mm256_shuffle_epi8(v, _mm256_loadu_si256((const __m256i *)shuf[0])),
                           _mm256_shuffle_epi8(other, _mm256_loadu_si256((const __m256i *)shuf[1])));
}

ALWAYS_INLINE void blocks_x34(const EclutContext *c, const EclutEntries *e,
                              const uint8_t *anchor, int x0, int x1,
                              uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    const RoundShift rs = round_shift_init(c->out_shift);
    for (int x = x0; x < x1; x++) {
        /* Rotation 0's LUT order is output order. */
        __m256i t = rot_sum(c->lut, e, x, 0, s);
        t = _mm256_add_epi16(t, permute(rot_sum(c->lut, e, x, 1, s), c->shuf[1]));
        t = _mm256_add_epi16(t, permute(rot_sum(c->lut, e, x, 2, s), c->shuf[2]));
        t = _mm256_add_epi16(t, permute(rot_sum(c->lut, e, x, 3, s), c->shuf[3]));
        t = _mm256_add_epi16(round_shift(t, &rs), _mm256_set1_epi16(anchor[x]));
        /* bytes: row ys at ys * s */
        const __m128i p = _mm_packus_epi16(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));
        uint8_t *o = dst + x * s;
        if (s == 4) {
            _mm_storeu_si32(o, p);
            _mm_storeu_si32(o + dst_stride, _mm_srli_si128(p, 4));
            _mm_storeu_si32(o + 2 * dst_stride, _mm_srli_si128(p, 8));
            _mm_storeu_si32(o + 3 * dst_stride, _mm_srli_si128(p, 12));
        } else if (x + 1 < x1) {
            /* 4-byte stores; the 4th byte is rewritten by block x + 1. */
            _mm_storeu_si32(o, p);
            _mm_storeu_si32(o + dst_stride, _mm_srli_si128(p, 3));
            _mm_storeu_si32(o + 2 * dst_stride, _mm_srli_si128(p, 6));
        } else {
            uint8_t b[16];
            _mm_storeu_si128((__m128i *)b, p);
            memcpy(o, b, 3);
            memcpy(o + dst_stride, b + 3, 3);
            memcpy(o + 2 * dst_stride, b + 6, 3);
        }
    }
}

static void blocks_x3_avx2(const EclutContext *c, const EclutEntries *e,
                           const uint8_t *anchor, int x0, int x1,
                           uint8_t *dst, ptrdiff_t dst_stride)
{
    blocks_x34(c, e, anchor, x0, x1, dst, dst_stride, 3);
}

static void blocks_x4_avx2(const EclutContext *c, const EclutEntries *e,
                           const uint8_t *anchor, int x0, int x1,
                           uint8_t *dst, ptrdiff_t dst_stride)
{
    blocks_x34(c, e, anchor, x0, x1, dst, dst_stride, 4);
}

/* ---------------------------------------------------------------------- */

void lutsr_eclut_init_x86(EclutContext *c, unsigned cpu_flags)
{
    if (!(cpu_flags & LUTSR_CPU_FLAG_AVX2))
        return;
    const int s = c->scale, n = s * s;
    for (int r = 0; r < 4; r++) {
        for (int k = 0; k < 16; k++) {
            const int p = k < n ? c->sub[r][k] : -1;
            for (int b = 0; b < 2; b++) {
                const int same = p >= 0 && p / 8 == k / 8;
                const int other = p >= 0 && !same;
                c->shuf[r][0][2 * k + b] = same  ? (uint8_t)(2 * (p % 8) + b) : 0x80;
                c->shuf[r][1][2 * k + b] = other ? (uint8_t)(2 * (p % 8) + b) : 0x80;
            }
        }
    }
    c->entries = entries_avx2;
    c->blocks = s == 2 ? blocks_x2_avx2 : s == 3 ? blocks_x3_avx2 : blocks_x4_avx2;
    c->impl = "avx2";
}
