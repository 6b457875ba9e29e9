/*
 * AVX2 building blocks shared by the 4-D simplex LUT kernels (SR-LUT in
 * srlut_avx2.c, MuLUT in mulut_avx2.c). Include only from *_avx2.c files
 * (the only ones built with -mavx2). Everything is always_inline, so each
 * kernel gets code specialised for its window offsets and constants.
 *
 * A row is done in blocks of 8 pixels, in two passes:
 *  1. the simplices, one pixel per 32-bit lane: each of a, b, c, d becomes
 *     a sort key (fraction << (32 - k)) | step, so five unsigned min/max
 *     pairs sort the fractions and carry their LUT steps along; the entry
 *     indices and weights follow with shifts, masks and adds, and go to a
 *     stack buffer;
 *  2. the LUT fetches and sums: pairs of entries are byte-interleaved and
 *     multiplied by their (unsigned 8-bit) weight pairs with pmaddubsw.
 *     Each 16-bit product pair is at most 64 * 128 and the total over the 4
 *     rotations of one window, |T| <= 4 * 64 * 128, fits int16
 *     (docs/kernels.md).
 * Split like this, the fetches depend on nothing recent and many stay in
 * flight. Entries are fetched with scalar loads, not vpgatherdd: on the
 * Zen 5 this was tuned on, gathers were no faster, and on Zen 4 they are
 * much slower. What bounds pass 2 is the number of loads, hence the x2
 * pair table and the 64-bit index loads.
 *
 * Windows: rotation r of a kernel reads b, c, d at (dy, dx) offsets
 * off[r][0..2] from a; rc points at the centre row's pointer, so the row
 * of offset dy is rc[dy] (rows are padded: any column a window reaches is
 * readable).
 */
#ifndef LUTSR_X86_LUT4D_AVX2_H
#define LUTSR_X86_LUT4D_AVX2_H

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "srlut.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* (dy, dx) of b, c, d for each of the 4 rotations. */
typedef const int8_t (*Lut4dOffsets)[3][2];

/* Per-row constants. */
typedef struct Consts {
    __m128i sh_k;     /* k: sample index = pixel >> k */
    __m128i sh_key;   /* 32 - k: fraction at the top of a key */
    __m256i n;        /* lut_side */
    __m256i step[4];  /* n^3, n^2, n, 1 */
    __m256i step_mask;
    __m256i e_span;   /* n^3 + n^2 + n + 1: e4 - e0 */
    __m256i q;        /* 2^k */
    /* round_shift(T, out_shift) = (T >> sh) + ((T >> (sh - 1)) & 1) */
    __m128i sh_out, sh_out1;
    __m256i round_bit;
} Consts;

/* n = lut_side, kb = interval_bits, sh = out_shift */
static inline void consts_init(Consts *k, int n, int kb, int sh)
{
    k->sh_k = _mm_cvtsi32_si128(kb);
    k->sh_key = _mm_cvtsi32_si128(32 - kb);
    k->n = _mm256_set1_epi32(n);
    k->step[0] = _mm256_set1_epi32(n * n * n);
    k->step[1] = _mm256_set1_epi32(n * n);
    k->step[2] = _mm256_set1_epi32(n);
    k->step[3] = _mm256_set1_epi32(1);
    k->step_mask = _mm256_set1_epi32((int)((1u << (32 - kb)) - 1));
    k->e_span = _mm256_set1_epi32(n * n * n + n * n + n + 1);
    k->q = _mm256_set1_epi32(1 << kb);
    k->sh_out = _mm_cvtsi32_si128(sh);
    k->sh_out1 = _mm_cvtsi32_si128(sh > 0 ? sh - 1 : 0);
    k->round_bit = _mm256_set1_epi16(sh > 0 ? 1 : 0);
}

ALWAYS_INLINE __m256i load8_epu8(const uint8_t *p)
{
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

ALWAYS_INLINE uint32_t load32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

ALWAYS_INLINE uint64_t load64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Same bytes in both halves of a 256-bit shuffle mask. */
static inline __m256i mask2(const uint8_t m[16])
{
    const __m128i x = _mm_loadu_si128((const __m128i *)m);
    return _mm256_inserti128_si256(_mm256_castsi128_si256(x), x, 1);
}

ALWAYS_INLINE __m256i round_shift16(__m256i t, const Consts *k)
{
    return _mm256_add_epi16(_mm256_sra_epi16(t, k->sh_out),
                            _mm256_and_si256(_mm256_sra_epi16(t, k->sh_out1), k->round_bit));
}

/* --------------------------------------------------------------- pass 1 */

/* The centre pixel a, shared by all rotations. */
typedef struct Centre {
    __m256i a_n;  /* (a >> k) * n */
    __m256i key;  /* sort key of a */
} Centre;

ALWAYS_INLINE void centre_init(Centre *ce, const Consts *k, const uint8_t *row, int x0)
{
    const __m256i a = load8_epu8(row + x0);
    ce->a_n = _mm256_mullo_epi32(_mm256_srl_epi32(a, k->sh_k), k->n);
    ce->key = _mm256_or_si256(_mm256_sll_epi32(a, k->sh_key), k->step[0]);
}

/* One rotation's simplex for 8 pixels: entry indices e[0..4] and the
 * sorted fractions f[0] >= .. >= f[3]; the weights are q - f[0],
 * f[0] - f[1], f[1] - f[2], f[2] - f[3], f[3]. */
typedef struct Simplex {
    __m256i e[5];
    __m256i f[4];
} Simplex;

#define SORT2(x, y) do { const __m256i t_ = _mm256_max_epu32(x, y); \
    y = _mm256_min_epu32(x, y); x = t_; } while (0)

ALWAYS_INLINE void simplex(Simplex *sx, const Consts *k, const Centre *ce,
                           const uint8_t *const *rc, Lut4dOffsets off, int x0, const int r)
{
    const int8_t (*o)[2] = off[r];
    const __m256i vb = load8_epu8(rc[o[0][0]] + x0 + o[0][1]);
    const __m256i vc = load8_epu8(rc[o[1][0]] + x0 + o[1][1]);
    const __m256i vd = load8_epu8(rc[o[2][0]] + x0 + o[2][1]);

    __m256i e0 = _mm256_add_epi32(ce->a_n, _mm256_srl_epi32(vb, k->sh_k));
    e0 = _mm256_add_epi32(_mm256_mullo_epi32(e0, k->n), _mm256_srl_epi32(vc, k->sh_k));
    e0 = _mm256_add_epi32(_mm256_mullo_epi32(e0, k->n), _mm256_srl_epi32(vd, k->sh_k));

    __m256i k0 = ce->key;
    __m256i k1 = _mm256_or_si256(_mm256_sll_epi32(vb, k->sh_key), k->step[1]);
    __m256i k2 = _mm256_or_si256(_mm256_sll_epi32(vc, k->sh_key), k->step[2]);
    __m256i k3 = _mm256_or_si256(_mm256_sll_epi32(vd, k->sh_key), k->step[3]);
    SORT2(k0, k1); SORT2(k2, k3); SORT2(k0, k2); SORT2(k1, k3); SORT2(k1, k2);

    sx->e[0] = e0;
    sx->e[1] = _mm256_add_epi32(e0, _mm256_and_si256(k0, k->step_mask));
    sx->e[2] = _mm256_add_epi32(sx->e[1], _mm256_and_si256(k1, k->step_mask));
    sx->e[3] = _mm256_add_epi32(sx->e[2], _mm256_and_si256(k2, k->step_mask));
    sx->e[4] = _mm256_add_epi32(e0, k->e_span);
    sx->f[0] = _mm256_srl_epi32(k0, k->sh_key);
    sx->f[1] = _mm256_srl_epi32(k1, k->sh_key);
    sx->f[2] = _mm256_srl_epi32(k2, k->sh_key);
    sx->f[3] = _mm256_srl_epi32(k3, k->sh_key);
}

/* Bytes (lo, hi) of a dword of two weights. */
ALWAYS_INLINE __m256i weight_pair(__m256i lo, __m256i hi)
{
    return _mm256_or_si256(lo, _mm256_slli_epi32(hi, 8));
}

/* Index pairs are read 64 bits at a time (one load, then register
 * shifts, for two indices): loads are what pass 2 runs out of. The empty
 * asm keeps the compiler from splitting the load back into two. */
ALWAYS_INLINE uint64_t load_index_pair(const uint32_t *e)
{
    uint64_t v = load64(e);
    __asm__("" : "+r"(v));
    return v;
}

/* ------------------------------------------------------------------ x2 */

/* The 20 entries a pixel needs (5 vertices x 4 rotations) are taken in 10
 * groups of 2, one pmaddubsw operand pair per 4 pixels. Pixel order inside
 * the two registers of a group: "lo" holds pixels 0, 1 | 4, 5 and "hi"
 * pixels 2, 3 | 6, 7 (what unpack{lo,hi}_epi32 give), 8 bytes each.
 *
 * With the pair table (paired = 1), groups 0..3 are (e0, e4) of rotation
 * 0..3, one 64-bit load per pixel; 4..7 are (e1, e2) of rotation 0..3;
 * 8 and 9 are e3 of rotations (0, 1) and (2, 3). Without it, groups 2r and
 * 2r+1 are (e0, e1) and (e2, e3) of rotation r; 8 and 9 are e4 of
 * rotations (0, 1) and (2, 3).
 *
 * Pair table, x2, entry e: 8 bytes, L[e][0..3] then L[e + S][0..3] with
 * S = n^3 + n^2 + n + 1 (zeros past the end): e4 = e0 + S always, so one
 * 64-bit load fetches both ends of a simplex. */
#define X2_GROUPS 10

static const uint8_t x2_group_rot[2][X2_GROUPS][2] = {
    { { 0, 0 }, { 0, 0 }, { 1, 1 }, { 1, 1 }, { 2, 2 },
      { 2, 2 }, { 3, 3 }, { 3, 3 }, { 0, 1 }, { 2, 3 } },
    { { 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 3 }, { 0, 0 },
      { 1, 1 }, { 2, 2 }, { 3, 3 }, { 0, 1 }, { 2, 3 } },
};

typedef struct BlockX2 {
    uint32_t e0[4][8];          /* paired: e0 per rotation, pixel order */
    uint32_t e[X2_GROUPS][16];  /* (ei, ej) per pixel: lo pixels, then hi pixels */
    __m256i w[X2_GROUPS][2];    /* weight bytes (wi, wj) x4 per pixel: lo, hi */
} BlockX2;

/* Per-row x2 constants: ileave[g] interleaves the entries of group g into
 * pmaddubsw order in block order; split turns the packed result into the
 * two output rows. */
typedef struct ConstsX2 {
    __m256i ileave[X2_GROUPS];
    __m256i split;
} ConstsX2;

static inline void consts_x2_init(ConstsX2 *c, int paired)
{
    /* per pixel, byte 2t takes entry i's value for block position t
     * (entry bytes 0..3) under its rotation, byte 2t+1 entry j's (4..7) */
    for (int g = 0; g < X2_GROUPS; g++) {
        uint8_t m[16];
        const uint8_t *rot = x2_group_rot[paired][g];
        for (int t = 0; t < 8; t++) {
            const int base = t & ~3, u = (t & 3) >> 1, v = t & 1;
            m[2 * t] = (uint8_t)(2 * base + srlut_rot_value(rot[0], 2, u, v));
            m[2 * t + 1] = (uint8_t)(2 * base + 4 + srlut_rot_value(rot[1], 2, u, v));
        }
        c->ileave[g] = mask2(m);
    }
    static const uint8_t rows_of[16] = { 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15 };
    c->split = mask2(rows_of);
}

ALWAYS_INLINE void store_weights_x2(BlockX2 *o, int g, __m256i wij)
{
    static const uint8_t wlo[16] = { 0, 1, 0, 1, 0, 1, 0, 1, 4, 5, 4, 5, 4, 5, 4, 5 };
    static const uint8_t whi[16] = { 8, 9, 8, 9, 8, 9, 8, 9, 12, 13, 12, 13, 12, 13, 12, 13 };
    o->w[g][0] = _mm256_shuffle_epi8(wij, mask2(wlo));
    o->w[g][1] = _mm256_shuffle_epi8(wij, mask2(whi));
}

ALWAYS_INLINE void store_group_x2(BlockX2 *o, int g, __m256i ei, __m256i ej, __m256i wij)
{
    _mm256_storeu_si256((__m256i *)o->e[g], _mm256_unpacklo_epi32(ei, ej));
    _mm256_storeu_si256((__m256i *)(o->e[g] + 8), _mm256_unpackhi_epi32(ei, ej));
    store_weights_x2(o, g, wij);
}

/* Stores rotation r's part of the groups; the last entry (e3 or e4),
 * whose group it shares with the next rotation, goes to *last / *wlast. */
ALWAYS_INLINE void rotation_x2(BlockX2 *o, const Simplex *sx, const Consts *k, const int r,
                               const int paired, __m256i *last, __m256i *wlast)
{
    const __m256i w0 = _mm256_sub_epi32(k->q, sx->f[0]);
    const __m256i w1 = _mm256_sub_epi32(sx->f[0], sx->f[1]);
    const __m256i w2 = _mm256_sub_epi32(sx->f[1], sx->f[2]);
    const __m256i w3 = _mm256_sub_epi32(sx->f[2], sx->f[3]);
    if (paired) {
        _mm256_storeu_si256((__m256i *)o->e0[r], sx->e[0]);
        store_weights_x2(o, r, weight_pair(w0, sx->f[3]));
        store_group_x2(o, 4 + r, sx->e[1], sx->e[2], weight_pair(w1, w2));
        *last = sx->e[3];
        *wlast = w3;
    } else {
        store_group_x2(o, 2 * r, sx->e[0], sx->e[1], weight_pair(w0, w1));
        store_group_x2(o, 2 * r + 1, sx->e[2], sx->e[3], weight_pair(w2, w3));
        *last = sx->e[4];
        *wlast = sx->f[3];
    }
}

ALWAYS_INLINE void pass1_x2(BlockX2 *o, const Consts *k, const uint8_t *const *rc,
                            Lut4dOffsets off, int x0, const int paired)
{
    Centre ce;
    centre_init(&ce, k, rc[0], x0);
    Simplex sx;
    __m256i e[4], w[4];
    simplex(&sx, k, &ce, rc, off, x0, 0);
    rotation_x2(o, &sx, k, 0, paired, &e[0], &w[0]);
    simplex(&sx, k, &ce, rc, off, x0, 1);
    rotation_x2(o, &sx, k, 1, paired, &e[1], &w[1]);
    store_group_x2(o, 8, e[0], e[1], weight_pair(w[0], w[1]));
    simplex(&sx, k, &ce, rc, off, x0, 2);
    rotation_x2(o, &sx, k, 2, paired, &e[2], &w[2]);
    simplex(&sx, k, &ce, rc, off, x0, 3);
    rotation_x2(o, &sx, k, 3, paired, &e[3], &w[3]);
    store_group_x2(o, 9, e[2], e[3], weight_pair(w[2], w[3]));
}

/* The 4-byte entries of 4 (ei, ej) index pairs, each a broadcast load and
 * a blend (no shuffle-port inserts), then shuffled into pmaddubsw order. */
ALWAYS_INLINE __m256i fetch_group_x2(const int8_t *lut, const int stride,
                                     const uint32_t *e, __m256i ileave)
{
    const uint64_t p0 = load_index_pair(e), p1 = load_index_pair(e + 2);
    const uint64_t p2 = load_index_pair(e + 4), p3 = load_index_pair(e + 6);
#define ENTRY(i) ((int)load32(lut + (size_t)stride * (i)))
    __m256i v = _mm256_castsi128_si256(_mm_cvtsi32_si128(ENTRY((uint32_t)p0)));
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY(p0 >> 32)), 0x02);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY((uint32_t)p1)), 0x04);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY(p1 >> 32)), 0x08);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY((uint32_t)p2)), 0x10);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY(p2 >> 32)), 0x20);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY((uint32_t)p3)), 0x40);
    v = _mm256_blend_epi32(v, _mm256_set1_epi32(ENTRY(p3 >> 32)), 0x80);
#undef ENTRY
    return _mm256_shuffle_epi8(v, ileave);
}

/* (e0, e4) of 4 pixels from the pair table: e points at pixels p, p+1 and
 * p+4, p+5 of e0[r]. */
ALWAYS_INLINE __m256i fetch_ends_x2(const int8_t *lut, const uint32_t *e, __m256i ileave)
{
    const uint64_t p0 = load_index_pair(e), p1 = load_index_pair(e + 4);
#define ENTRY(i) ((long long)load64(lut + 8 * (size_t)(i)))
    __m256i v = _mm256_castsi128_si256(_mm_cvtsi64_si128(ENTRY((uint32_t)p0)));
    v = _mm256_blend_epi32(v, _mm256_set1_epi64x(ENTRY(p0 >> 32)), 0x0C);
    v = _mm256_blend_epi32(v, _mm256_set1_epi64x(ENTRY((uint32_t)p1)), 0x30);
    v = _mm256_blend_epi32(v, _mm256_set1_epi64x(ENTRY(p1 >> 32)), 0xC0);
#undef ENTRY
    return _mm256_shuffle_epi8(v, ileave);
}

/* Pass 2 of one block: T of its 8 pixels as int16, in block order, "lo"
 * for pixels 0..3 and "hi" for 4..7, 4 values each (exact: one window's 4
 * rotations fit int16). stride: bytes per LUT entry (8 paired, else 4). */
ALWAYS_INLINE void sums_x2(const BlockX2 *o, const ConstsX2 *cx, const int8_t *lut,
                           const int stride, const int paired, __m256i *plo, __m256i *phi)
{
    __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 10
#endif
    for (int g = 0; g < X2_GROUPS; g++) {
        __m256i vlo, vhi;
        if (paired && g < 4) {
            vlo = fetch_ends_x2(lut, o->e0[g], cx->ileave[g]);
            vhi = fetch_ends_x2(lut, o->e0[g] + 2, cx->ileave[g]);
        } else {
            vlo = fetch_group_x2(lut, stride, o->e[g], cx->ileave[g]);
            vhi = fetch_group_x2(lut, stride, o->e[g] + 8, cx->ileave[g]);
        }
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(o->w[g][0], vlo));
        hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(o->w[g][1], vhi));
    }
    *plo = lo;
    *phi = hi;
}

/* Output of one block: lo / hi are round_shift(T) (saturated to int16) in
 * sums_x2()'s layout; adds the anchors (row a, saturating: the clip is
 * exact) and writes the block's 2 rows of 16 pixels, fewer at the end of
 * a row of w pixels. */
ALWAYS_INLINE void store_x2(__m256i lo, __m256i hi, const ConstsX2 *cx, const uint8_t *a_row,
                            int x0, int w, uint8_t *dst, ptrdiff_t dst_stride)
{
    const __m256i a = load8_epu8(a_row + x0);
    const __m256i a16 = _mm256_or_si256(a, _mm256_slli_epi32(a, 16));
    lo = _mm256_adds_epi16(lo, _mm256_unpacklo_epi32(a16, a16));
    hi = _mm256_adds_epi16(hi, _mm256_unpackhi_epi32(a16, a16));
    /* bytes: pixel-major (t0..t3 of pixels 0..3 | 4..7) -> row 0 | row 1 */
    __m256i out = _mm256_shuffle_epi8(_mm256_packus_epi16(lo, hi), cx->split);
    out = _mm256_permute4x64_epi64(out, _MM_SHUFFLE(3, 1, 2, 0));
    if (x0 + 8 <= w) {
        _mm_storeu_si128((__m128i *)(dst + 2 * x0), _mm256_castsi256_si128(out));
        _mm_storeu_si128((__m128i *)(dst + dst_stride + 2 * x0), _mm256_extracti128_si256(out, 1));
    } else {
        uint8_t tmp[32];
        _mm256_storeu_si256((__m256i *)tmp, out);
        memcpy(dst + 2 * x0, tmp, (size_t)(2 * (w - x0)));
        memcpy(dst + dst_stride + 2 * x0, tmp + 16, (size_t)(2 * (w - x0)));
    }
}

/* ------------------------------------------------------------ x3, x4 */

/* Two pixels per register, one per 128-bit half, so a 16-byte entry is a
 * whole lane and pshufb can reach all its values. Per rotation the five
 * entries are interleaved as (e0, e1), (e2, e3), (e4, 0), the 16-bit sums
 * kept in value order, values 0..7 (lo) and 8..15 (hi), and then put in
 * block order with four pshufb. For x3, values 9..15 of an entry are the
 * zero padding (entries padded to 16 bytes). */
ALWAYS_INLINE __m256i fetch2_x16(const int8_t *lut, const uint32_t *e)
{
    const uint64_t i = load_index_pair(e);
    const __m128i a = _mm_loadu_si128((const __m128i *)(lut + 16 * (size_t)(uint32_t)i));
    const __m128i b = _mm_loadu_si128((const __m128i *)(lut + 16 * (size_t)(i >> 32)));
    return _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
}

/* Per-row x3/x4 constants. perm.m[r]: rotation r's masks, [0] lo <- lo,
 * [1] lo <- hi, [2] hi <- lo, [3] hi <- hi. to_rows (x3): per pixel, row
 * u's 3 bytes into dword u. */
typedef struct ConstsX16 {
    __m256i m[4][4];
    __m256i to_rows;
} ConstsX16;

static inline void consts_x16_init(ConstsX16 *p, int s)
{
    for (int r = 0; r < 4; r++) {
        uint8_t m[4][16];
        memset(m, 0x80, sizeof(m));
        for (int t = 0; t < s * s; t++) {
            const int src = srlut_rot_value(r, s, t / s, t % s);
            const int to = (t >> 3) * 2 + (src >> 3);
            m[to][2 * (t & 7)] = (uint8_t)(2 * (src & 7));
            m[to][2 * (t & 7) + 1] = (uint8_t)(2 * (src & 7) + 1);
        }
        for (int i = 0; i < 4; i++)
            p->m[r][i] = mask2(m[i]);
    }
    static const uint8_t rows3[16] = { 0, 1, 2, 0x80, 3, 4, 5, 0x80, 6, 7, 8, 0x80,
                                       0x80, 0x80, 0x80, 0x80 };
    p->to_rows = mask2(rows3);
}

typedef struct SimplexStore {
    uint32_t e[4][5][8];
    uint32_t w[4][3][8]; /* weight pairs as bytes (wi, wj, wi, wj) */
} SimplexStore;

/* v[0] to every dword of the low half, v[1] of the high half. */
ALWAYS_INLINE __m256i pair_bcast(const uint32_t *v, __m256i halves)
{
    return _mm256_permutevar8x32_epi32(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)v)),
                                       halves);
}

ALWAYS_INLINE void pass1_x16(SimplexStore *st, const Consts *k, const uint8_t *const *rc,
                             Lut4dOffsets off, int x0)
{
    Centre ce;
    centre_init(&ce, k, rc[0], x0);
    for (int r = 0; r < 4; r++) {
        Simplex sx;
        switch (r) {
        case 0:  simplex(&sx, k, &ce, rc, off, x0, 0); break;
        case 1:  simplex(&sx, k, &ce, rc, off, x0, 1); break;
        case 2:  simplex(&sx, k, &ce, rc, off, x0, 2); break;
        default: simplex(&sx, k, &ce, rc, off, x0, 3); break;
        }
        for (int i = 0; i < 5; i++)
            _mm256_storeu_si256((__m256i *)st->e[r][i], sx.e[i]);
        const __m256i w01 = weight_pair(_mm256_sub_epi32(k->q, sx.f[0]),
                                        _mm256_sub_epi32(sx.f[0], sx.f[1]));
        const __m256i w23 = weight_pair(_mm256_sub_epi32(sx.f[1], sx.f[2]),
                                        _mm256_sub_epi32(sx.f[2], sx.f[3]));
        const __m256i w4 = sx.f[3];
        /* (wi, wj, wi, wj): each dword is then a ready pmaddubsw operand */
        _mm256_storeu_si256((__m256i *)st->w[r][0], weight_pair(w01, _mm256_slli_epi32(w01, 8)));
        _mm256_storeu_si256((__m256i *)st->w[r][1], weight_pair(w23, _mm256_slli_epi32(w23, 8)));
        _mm256_storeu_si256((__m256i *)st->w[r][2], weight_pair(w4, _mm256_slli_epi32(w4, 8)));
    }
}

/* Pass 2 for pixels p and p+1 of a block (one per 128-bit half): T as
 * int16 in block order, values 0..7 (lo) and 8..15 (hi); exact. */
ALWAYS_INLINE void sums_x16(const SimplexStore *st, const ConstsX16 *c, const int8_t *lut, int p,
                            __m256i *plo, __m256i *phi)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i halves = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    __m256i acc_lo = zero, acc_hi = zero;
    for (int r = 0; r < 4; r++) {
        const uint32_t (*e)[8] = st->e[r];
        const __m256i g0 = fetch2_x16(lut, &e[0][p]);
        const __m256i g1 = fetch2_x16(lut, &e[1][p]);
        const __m256i g2 = fetch2_x16(lut, &e[2][p]);
        const __m256i g3 = fetch2_x16(lut, &e[3][p]);
        const __m256i g4 = fetch2_x16(lut, &e[4][p]);
        const __m256i w01 = pair_bcast(&st->w[r][0][p], halves);
        const __m256i w23 = pair_bcast(&st->w[r][1][p], halves);
        const __m256i w4 = pair_bcast(&st->w[r][2][p], halves);
        __m256i lo = _mm256_maddubs_epi16(w01, _mm256_unpacklo_epi8(g0, g1));
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(w23, _mm256_unpacklo_epi8(g2, g3)));
        lo = _mm256_add_epi16(lo, _mm256_maddubs_epi16(w4, _mm256_unpacklo_epi8(g4, zero)));
        __m256i hi = _mm256_maddubs_epi16(w01, _mm256_unpackhi_epi8(g0, g1));
        hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(w23, _mm256_unpackhi_epi8(g2, g3)));
        hi = _mm256_add_epi16(hi, _mm256_maddubs_epi16(w4, _mm256_unpackhi_epi8(g4, zero)));
        if (r) {
            const __m256i plo2 = _mm256_or_si256(_mm256_shuffle_epi8(lo, c->m[r][0]),
                                                 _mm256_shuffle_epi8(hi, c->m[r][1]));
            hi = _mm256_or_si256(_mm256_shuffle_epi8(lo, c->m[r][2]),
                                 _mm256_shuffle_epi8(hi, c->m[r][3]));
            lo = plo2;
        }
        acc_lo = _mm256_add_epi16(acc_lo, lo);
        acc_hi = _mm256_add_epi16(acc_hi, hi);
    }
    *plo = acc_lo;
    *phi = acc_hi;
}

/* Output bytes of pixels p, p+1 into blk[p] (32 bytes): lo / hi are
 * round_shift(T) (saturated to int16) in sums_x16()'s layout; adds the
 * anchors (a16: the block's 8 anchors, each in both words of its dword,
 * saturating: the clip is exact). */
ALWAYS_INLINE void finish_x16(__m256i lo, __m256i hi, const ConstsX16 *c, __m256i a16, int p,
                              uint8_t blk[8][16], const int s)
{
    const __m256i halves = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    const __m256i av = _mm256_permutevar8x32_epi32(a16, _mm256_add_epi32(halves, _mm256_set1_epi32(p)));
    lo = _mm256_adds_epi16(lo, av);
    hi = _mm256_adds_epi16(hi, av);
    __m256i out = _mm256_packus_epi16(lo, hi);
    if (s == 3)
        out = _mm256_shuffle_epi8(out, c->to_rows);
    _mm256_storeu_si256((__m256i *)blk[p], out);
}

ALWAYS_INLINE void transpose_store_x16(uint8_t *dst, ptrdiff_t dst_stride, const uint8_t blk[8][16],
                                       const int s, int direct, int count)
{
    const __m256i y0 = _mm256_loadu_si256((const __m256i *)blk[0]);
    const __m256i y1 = _mm256_loadu_si256((const __m256i *)blk[2]);
    const __m256i y2 = _mm256_loadu_si256((const __m256i *)blk[4]);
    const __m256i y3 = _mm256_loadu_si256((const __m256i *)blk[6]);
    const __m256i t0 = _mm256_unpacklo_epi32(y0, y1), t1 = _mm256_unpackhi_epi32(y0, y1);
    const __m256i t2 = _mm256_unpacklo_epi32(y2, y3), t3 = _mm256_unpackhi_epi32(y2, y3);
    __m256i u[4] = {
        _mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
        _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3),
    };
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    static const uint8_t squeeze[16] = { 0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14,
                                         0x80, 0x80, 0x80, 0x80 };
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for (int i = 0; i < s; i++) {
        __m256i row = _mm256_permutevar8x32_epi32(u[i], order);
        if (s == 3)
            row = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(row, mask2(squeeze)), join);
        if (direct) {
            _mm256_storeu_si256((__m256i *)(dst + i * dst_stride), row);
        } else {
            uint8_t tmp[32];
            _mm256_storeu_si256((__m256i *)tmp, row);
            memcpy(dst + i * dst_stride, tmp, (size_t)(s * count));
        }
    }
}

/* Writes the block's s rows of s * 8 pixels (fewer at the end of a row of
 * w pixels) from blk. A full store writes 32 bytes per row; on the last
 * blocks that may run past the row, so those go through a buffer. */
ALWAYS_INLINE void store_x16(const uint8_t blk[8][16], int x0, int w, uint8_t *dst,
                             ptrdiff_t dst_stride, const int s)
{
    const int count = w - x0 < 8 ? w - x0 : 8;
    const int direct = s * x0 + 32 <= s * w;
    transpose_store_x16(dst + s * x0, dst_stride, blk, s, direct, count);
}

/* The 8 anchors of a block, each in both words of its dword. */
ALWAYS_INLINE __m256i anchors16(const uint8_t *a_row, int x0)
{
    const __m256i a = load8_epu8(a_row + x0);
    return _mm256_or_si256(a, _mm256_slli_epi32(a, 16));
}

#endif /* LUTSR_X86_LUT4D_AVX2_H */
