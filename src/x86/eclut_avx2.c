/*
 * ECLUT kernel, AVX2. Bit-identical to eclut.c (integer sums, so any order
 * of adding gives the same result); the entry offsets per source row and
 * rotation are the same, the sums are vectorised:
 *
 *  - entries: 16 columns at a time (the plane's edge columns in C);
 *  - x2: per pixel, the 12 sets of 3 groups it gives the block row (one
 *    16-byte load each from a re-ordered LUT copy built at init), then a
 *    3-pixel sliding window, 8 blocks per step;
 *  - x3, x4: one block at a time. A group (9 or 16 bytes) is one 16-byte
 *    load widened to 16 int16 lanes; each rotation's 9 groups are summed
 *    in LUT order and permuted into output order once.
 * All sums fit int16: |T| <= 36 * 128.
 */
#include <immintrin.h>
#include <stdlib.h>
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
/* x2: sliding window over pixels                                         */

/* Block X takes one group from each of the 12 (rotation, source row k)
 * entries of columns X - 1, X, X + 1 (array indices X .. X + 2), so the 3
 * groups an entry gives one block row go to 3 adjacent blocks. The gather
 * form (36 scalar 4-byte loads per block, inserted into vectors) was bound
 * by the inserts; here each entry's 3 groups are one 16-byte load, the 12
 * loads of a pixel are summed, and the sums are transposed into blocks.
 * An entry stays 36 bytes in the copies (a load's 4-byte tail is the next
 * set's), so they cost cache as the model's LUT does. */

/* Bytes per copy in c->simd_lut: 65536 entries of 36 bytes, plus 16 so the
 * 16-byte load of an entry's last set stays inside. */
#define X2_COPY_BYTES (65536 * 36 + 16)

/* Builds c->simd_lut, two copies of the LUT with the same entry offsets
 * (e * 36) as the model's, laid out so that the three groups one pixel
 * gives one block row (a "set": the groups of one source row k = 0..2 for
 * block columns d = 0..2) are 12 contiguous bytes, a 16-byte load:
 *  - copy 0, for r = 0, 2: the model's order, set m holding groups (m, n)
 *    at slot n = 0..2;
 *  - copy 1, for r = 1, 3: the transpose, set n holding groups (m, n) at
 *    slot 2 - m, each group's values permuted into rotation 1's output
 *    order.
 * By eclut_group() and eclut_sub_uv(), rotations 0 and 1 then read set
 * 2 - k and find block d at slot 2 - d, values in output order; rotations
 * 2 and 3 (0 and 1 turned by 180 degrees) read set k and find block d at
 * slot d, values in reverse output order. So one shuffle per pair of
 * rotations fixes their sum. Two copies rather than one per rotation keep
 * the cache footprint small, which measured worth the shuffles. */
static int x2_build_lut(EclutContext *c)
{
    int8_t *t = calloc(2, X2_COPY_BYTES);
    if (!t)
        return 0;
    int8_t *t1 = t + X2_COPY_BYTES;
    for (size_t e = 0; e < 65536; e++) {
        const int8_t *l = c->lut + e * 36;
        memcpy(t + e * 36, l, 36);
        for (int m = 0; m < 3; m++)
            for (int n = 0; n < 3; n++)
                for (int j = 0; j < 4; j++)
                    t1[e * 36 + n * 12 + (2 - m) * 4 + j] = l[(m * 3 + n) * 4 + c->sub[1][j]];
    }
    c->simd_lut = t;
    return 1;
}

/* Where the entry offsets are: e->e[k][r] = e->e[k][0] + st[r] bytes for
 * every k (x2_strided() checks), so the 12 arrays take 6 registers. The
 * pointers are those of column x - 1 (array index x) and move along. */
typedef struct X2Entries { const uint32_t *e0, *e1, *e2; ptrdiff_t st1, st2, st3; } X2Entries;

#define X2_OFF(p, st, q) (*(const uint32_t *)(const void *)((const char *)((p) + (q)) + (st)))

/* S of array index x + q: the sum over the 12 (r, k) of the pixel's sets,
 * int16 qwords [d0 d1 | d2 junk], slot d in output order (ys * 2 + xs).
 * Block X gets S_X.d0 + S_(X+1).d1 + S_(X+2).d2, array indices. rev: the
 * pshufb reversing the words of each qword. */
ALWAYS_INLINE __m256i x2_pixel(const int8_t *lut, const X2Entries *e, const int q, __m256i rev)
{
#define SET(k, copy, set, st) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *) \
        (lut + (copy) * X2_COPY_BYTES + (set) * 12 + X2_OFF(e->e##k, st, q))))
#define ROT(copy, set0, set1, set2, st) \
        _mm256_add_epi16(_mm256_add_epi16(SET(0, copy, set0, st), SET(1, copy, set1, st)), \
                         SET(2, copy, set2, st))
    const __m256i r0 = ROT(0, 2, 1, 0, 0);
    const __m256i r1 = ROT(1, 2, 1, 0, e->st1);
    const __m256i r2 = ROT(0, 0, 1, 2, e->st2);
    const __m256i r3 = ROT(1, 0, 1, 2, e->st3);
#undef ROT
#undef SET
    /* r0 + r1: swap slots 0 and 2; r2 + r3: reverse each group's values */
    return _mm256_add_epi16(_mm256_permute4x64_epi64(_mm256_add_epi16(r0, r1), 0xC6),
                            _mm256_shuffle_epi8(_mm256_add_epi16(r2, r3), rev));
}

/* Sliding-window state between groups of 4 blocks starting at X: lo01 =
 * unpacklo(S_X, S_(X+1)) = [X.d0 X1.d0 | X.d2 X1.d2] and s1 = S_(X+1). */
typedef struct X2State { __m256i lo01, s1; } X2State;

/* Sums of blocks X .. X+3, int16 qwords of 4 output-order values. */
ALWAYS_INLINE __m256i x2_group4(const int8_t *lut, const X2Entries *e, const int q, X2State *st,
                                __m256i rev)
{
    const __m256i s2 = x2_pixel(lut, e, q + 2, rev), s3 = x2_pixel(lut, e, q + 3, rev);
    const __m256i s4 = x2_pixel(lut, e, q + 4, rev), s5 = x2_pixel(lut, e, q + 5, rev);
    const __m256i lo23 = _mm256_unpacklo_epi64(s2, s3), lo45 = _mm256_unpacklo_epi64(s4, s5);
    const __m256i hi12 = _mm256_unpackhi_epi64(st->s1, s2), hi34 = _mm256_unpackhi_epi64(s3, s4);
    const __m256i d0 = _mm256_permute2x128_si256(st->lo01, lo23, 0x20); /* X .. X+3 */
    const __m256i d1 = _mm256_permute2x128_si256(hi12, hi34, 0x20);     /* X+1 .. X+4 */
    const __m256i d2 = _mm256_permute2x128_si256(lo23, lo45, 0x31);     /* X+2 .. X+5 */
    st->lo01 = lo45;
    st->s1 = s5;
    return _mm256_add_epi16(_mm256_add_epi16(d0, d1), d2);
}

/* Rounds, adds the anchors and stores blocks X .. X+7 from t0 (X .. X+3)
 * and t1 (X+4 .. X+7). */
ALWAYS_INLINE void x2_store8(__m256i t0, __m256i t1, const uint8_t *anchor, int x,
                             uint8_t *dst, ptrdiff_t dst_stride, const RoundShift *rs)
{
    /* dwords [ys 0 | ys 1] per block -> per row, blocks X X1 X4 X5 | X2 X3 X6 X7 */
    const __m256i row0 = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(t0),
                                                               _mm256_castsi256_ps(t1), 0x88));
    const __m256i row1 = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(t0),
                                                               _mm256_castsi256_ps(t1), 0xDD));
    const __m128i a8 = _mm_loadl_epi64((const __m128i *)(anchor + x));
    const __m256i a = _mm256_permute4x64_epi64(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a8, a8)), 0xD8);
    const __m256i o0 = _mm256_add_epi16(round_shift(row0, rs), a);
    const __m256i o1 = _mm256_add_epi16(round_shift(row1, rs), a);
    /* bytes: per half, row 0 then row 1 of its 4 blocks; dwords back in order */
    const __m256i p = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(o0, o1),
                                                  _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm_storeu_si128((__m128i *)(dst + 2 * x), _mm256_castsi256_si128(p));
    _mm_storeu_si128((__m128i *)(dst + dst_stride + 2 * x), _mm256_extracti128_si256(p, 1));
}

/* Whether e->e[k][r] - e->e[k][0] is the same for every k (eclut.c lays
 * the arrays out so); gives the X2Entries if so. If not, C does the row. */
static int x2_strided(const EclutEntries *e, X2Entries *xe)
{
    const char *b[3] = { (const char *)e->e[0][0], (const char *)e->e[1][0], (const char *)e->e[2][0] };
    ptrdiff_t st[4];
    for (int r = 0; r < 4; r++) {
        st[r] = (const char *)e->e[0][r] - b[0];
        for (int k = 1; k < 3; k++)
            if ((const char *)e->e[k][r] - b[k] != st[r])
                return 0;
    }
    *xe = (X2Entries){ e->e[0][0], e->e[1][0], e->e[2][0], st[1], st[2], st[3] };
    return 1;
}

static void blocks_x2_avx2(const EclutContext *c, const EclutEntries *e,
                           const uint8_t *anchor, int x0, int x1,
                           uint8_t *dst, ptrdiff_t dst_stride)
{
    const RoundShift rs = round_shift_init(c->out_shift);
    const int8_t *lut = c->simd_lut;
    const __m256i rev = _mm256_setr_epi8(6, 7, 4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11, 8, 9,
                                         6, 7, 4, 5, 2, 3, 0, 1, 14, 15, 12, 13, 10, 11, 8, 9);
    X2Entries xe;
    int x = x0;
    if (x + 8 <= x1 && x2_strided(e, &xe)) {
        xe.e0 += x;
        xe.e1 += x;
        xe.e2 += x;
        const __m256i s0 = x2_pixel(lut, &xe, 0, rev), s1 = x2_pixel(lut, &xe, 1, rev);
        X2State st = { _mm256_unpacklo_epi64(s0, s1), s1 };
        for (; x + 8 <= x1; x += 8) {
            const __m256i t0 = x2_group4(lut, &xe, 0, &st, rev);
            const __m256i t1 = x2_group4(lut, &xe, 4, &st, rev);
            x2_store8(t0, t1, anchor, x, dst, dst_stride, &rs);
            xe.e0 += 8;
            xe.e1 += 8;
            xe.e2 += 8;
        }
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
    /* Without memory for its LUT copy x2 stays C (the output is the same). */
    if (s == 2 && !c->simd_lut && !x2_build_lut(c))
        return;
    c->entries = entries_avx2;
    c->blocks = s == 2 ? blocks_x2_avx2 : s == 3 ? blocks_x3_avx2 : blocks_x4_avx2;
    c->impl = "avx2";
}
