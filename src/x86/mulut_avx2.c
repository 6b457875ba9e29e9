/*
 * MuLUT kernel, AVX2: one row of one stage, bit-identical to row_c_tmpl()
 * in mulut.c. The upscaling (last) stage runs SR-LUT's AVX2 passes
 * (lut4d_avx2.h) once per sampling pattern; scale-1 stages have their own
 * pass 2 (below). One window's 4 rotations fit int16 (docs/kernels.md),
 * but up to 3 patterns do not, so the per-pattern int16 sums are widened
 * and added in int32 before rounding.
 *
 * Scale 1, the "cube" table: one 16-byte entry per LUT cell, holding the
 * LUT values at the cell's 16 corners. A pixel's sample indices A, B, C, D
 * are at most 255 >> k = n - 2, so its cell (lowest corner e0 in the LUT)
 * always exists, and cells are indexed ((A m + B) m + C) m + D with
 * m = n - 1 = 2^(8-k). Byte j of a cell is
 * L[e0 + (j>>3 & 1) n^3 + (j>>2 & 1) n^2 + (j>>1 & 1) n + (j & 1)]: bit 8
 * of j stands for a's step, 4 for b's, 2 c's, 1 d's. All 5 simplex
 * vertices of a pixel are corners of its cell (0, then the bits of the
 * largest fractions' axes added one by one, ending at 15), so one 16-byte
 * load fetches all of them and a pshufb with per-pixel indices picks them:
 * 4 loads per pixel and pattern instead of 16. In pass 1 each sort key carries its corner
 * bit instead of its LUT step. The table is 16 (n-1)^4 bytes, 12x the
 * pattern's LUT (1 MiB at k = 4); k = 2 (256 MiB) stays on C.
 *
 * Private LUT layouts (per pattern):
 *  - scale 1, k >= 3: the cube table.
 *  - x2, k >= 3: the pair table of lut4d_avx2.h; k = 2: the model's LUT.
 *  - x3, k >= 3: entries padded to 16 bytes; k = 2 stays on C.
 *  - x4: the model's LUT itself.
 */
#include <immintrin.h>
#include <string.h>

#include "cpu.h"
#include "mem.h"
#include "mulut.h"
#include "x86/lut4d_avx2.h"
#include "x86/lut4d_table.h"

#define CHUNK_BLOCKS 4

/* Runs stmt with Lut4dOffsets `off` set to pattern p's, as a constant (so
 * the window loads get constant offsets). */
#define WITH_PATTERN(p, stmt) do { switch (p) { \
    case LUTSR_MULUT_S: { Lut4dOffsets off = mulut_offsets[LUTSR_MULUT_S]; stmt; } break; \
    case LUTSR_MULUT_D: { Lut4dOffsets off = mulut_offsets[LUTSR_MULUT_D]; stmt; } break; \
    default:            { Lut4dOffsets off = mulut_offsets[LUTSR_MULUT_Y]; stmt; } break; \
    } } while (0)

/* int32 rounding: round_shift(T, sh) = (T + 2^(sh-1)) >> sh (arithmetic). */
typedef struct Round32 { __m256i bias; __m128i sh; } Round32;

static inline void round32_init(Round32 *r, int sh)
{
    r->bias = _mm256_set1_epi32(sh ? 1 << (sh - 1) : 0);
    r->sh = _mm_cvtsi32_si128(sh);
}

ALWAYS_INLINE __m256i round_shift32(__m256i t, const Round32 *r)
{
    return _mm256_sra_epi32(_mm256_add_epi32(t, r->bias), r->sh);
}

/* acc[0], acc[1] += the int16 words of v, sign-extended: words 0-3 | 8-11
 * and 4-7 | 12-15, which packs_epi32(acc[0], acc[1]) puts back in order. */
ALWAYS_INLINE void widen_add(__m256i acc[2], __m256i v)
{
    acc[0] = _mm256_add_epi32(acc[0], _mm256_srai_epi32(_mm256_unpacklo_epi16(v, v), 16));
    acc[1] = _mm256_add_epi32(acc[1], _mm256_srai_epi32(_mm256_unpackhi_epi16(v, v), 16));
}

/* round_shift of widened sums, saturated back to int16 in v's order. */
ALWAYS_INLINE __m256i narrow(const __m256i acc[2], const Round32 *r)
{
    return _mm256_packs_epi32(round_shift32(acc[0], r), round_shift32(acc[1], r));
}

/* ------------------------------------------------------------- scale 1 */

/* Pass 1 output of one pattern for a block of 8 pixels. rec[r][j] is the
 * pshufb/pmaddubsw record of pixels j (low half) and j + 4 (high half):
 * per half, bytes 0..3 the corner indices of vertices 0..3, byte 4 corner
 * 15 (vertex 4), bytes 5..7 zeroing indices, bytes 8..12 the weights w0..w4
 * and 13..15 zero. e0[r] has the cube indices in that pair order
 * (0, 4, 1, 5, 2, 6, 3, 7), so a 64-bit load gives a pair's two. */
typedef struct BlockX1 {
    uint32_t e0[4][8];
    __m256i rec[4][4];
} BlockX1;

ALWAYS_INLINE void pass1_x1(BlockX1 *o, const Consts *k, const uint8_t *const *rc,
                            Lut4dOffsets off, int x0)
{
    const __m256i pair_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i fifteen = _mm256_set1_epi32((int)0x8080800F);
    const __m256i bits = _mm256_set1_epi32(15);
    /* cube index: the sample indices as base-(n-1) digits, n - 1 = 2^(8-k) */
    const __m128i sh_m = _mm_sub_epi32(_mm_cvtsi32_si128(8), k->sh_k);
    const __m256i a = load8_epu8(rc[0] + x0);
    const __m256i a_n = _mm256_sll_epi32(_mm256_srl_epi32(a, k->sh_k), sh_m);
    const __m256i a_key = _mm256_or_si256(_mm256_sll_epi32(a, k->sh_key), _mm256_set1_epi32(8));
    for (int r = 0; r < 4; r++) {
        const int8_t (*d)[2] = off[r];
        const __m256i vb = load8_epu8(rc[d[0][0]] + x0 + d[0][1]);
        const __m256i vc = load8_epu8(rc[d[1][0]] + x0 + d[1][1]);
        const __m256i vd = load8_epu8(rc[d[2][0]] + x0 + d[2][1]);
        __m256i e0 = _mm256_add_epi32(a_n, _mm256_srl_epi32(vb, k->sh_k));
        e0 = _mm256_add_epi32(_mm256_sll_epi32(e0, sh_m), _mm256_srl_epi32(vc, k->sh_k));
        e0 = _mm256_add_epi32(_mm256_sll_epi32(e0, sh_m), _mm256_srl_epi32(vd, k->sh_k));
        _mm256_storeu_si256((__m256i *)o->e0[r], _mm256_permutevar8x32_epi32(e0, pair_order));

        __m256i k0 = a_key;
        __m256i k1 = _mm256_or_si256(_mm256_sll_epi32(vb, k->sh_key), _mm256_set1_epi32(4));
        __m256i k2 = _mm256_or_si256(_mm256_sll_epi32(vc, k->sh_key), _mm256_set1_epi32(2));
        __m256i k3 = _mm256_or_si256(_mm256_sll_epi32(vd, k->sh_key), _mm256_set1_epi32(1));
        SORT2(k0, k1); SORT2(k2, k3); SORT2(k0, k2); SORT2(k1, k3); SORT2(k1, k2);

        const __m256i c1 = _mm256_and_si256(k0, bits);
        const __m256i c2 = _mm256_or_si256(c1, _mm256_and_si256(k1, bits));
        const __m256i c3 = _mm256_or_si256(c2, _mm256_and_si256(k2, bits));
        const __m256i ctrl = _mm256_or_si256(_mm256_slli_epi32(c1, 8),
                             _mm256_or_si256(_mm256_slli_epi32(c2, 16), _mm256_slli_epi32(c3, 24)));
        const __m256i f0 = _mm256_srl_epi32(k0, k->sh_key), f1 = _mm256_srl_epi32(k1, k->sh_key);
        const __m256i f2 = _mm256_srl_epi32(k2, k->sh_key), f3 = _mm256_srl_epi32(k3, k->sh_key);
        const __m256i w01 = weight_pair(_mm256_sub_epi32(k->q, f0), _mm256_sub_epi32(f0, f1));
        const __m256i w23 = weight_pair(_mm256_sub_epi32(f1, f2), _mm256_sub_epi32(f2, f3));
        const __m256i wts = _mm256_or_si256(w01, _mm256_slli_epi32(w23, 16));

        /* dwords (ctrl, 0x8080800F, wts, w4) per pixel, pixels j | j + 4 */
        const __m256i cl = _mm256_unpacklo_epi32(ctrl, fifteen), ch = _mm256_unpackhi_epi32(ctrl, fifteen);
        const __m256i wl = _mm256_unpacklo_epi32(wts, f3), wh = _mm256_unpackhi_epi32(wts, f3);
        o->rec[r][0] = _mm256_unpacklo_epi64(cl, wl);
        o->rec[r][1] = _mm256_unpackhi_epi64(cl, wl);
        o->rec[r][2] = _mm256_unpacklo_epi64(ch, wh);
        o->rec[r][3] = _mm256_unpackhi_epi64(ch, wh);
    }
}

/* Pass 2 of one pattern: tot[j] += T of pixels j | j + 4, as two dwords
 * per half whose sum is T (the other two are 0). */
ALWAYS_INLINE void sums_x1(const BlockX1 *o, const int8_t *cube, __m256i tot[4])
{
    const __m256i ones = _mm256_set1_epi16(1);
    for (int j = 0; j < 4; j++) {
        __m256i acc = _mm256_setzero_si256();
        for (int r = 0; r < 4; r++) {
            const uint64_t i = load_index_pair(&o->e0[r][2 * j]);
            const __m128i lo = _mm_loadu_si128((const __m128i *)(cube + 16 * (size_t)(uint32_t)i));
            const __m128i hi = _mm_loadu_si128((const __m128i *)(cube + 16 * (size_t)(i >> 32)));
            const __m256i c = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
            const __m256i rec = o->rec[r][j];
            acc = _mm256_add_epi16(acc, _mm256_maddubs_epi16(_mm256_srli_si256(rec, 8),
                                                             _mm256_shuffle_epi8(c, rec)));
        }
        /* words: w0 L0 + w1 L1, w2 L2 + w3 L3, w4 L15, 0 (4 rotations each, exact) */
        tot[j] = _mm256_add_epi32(tot[j], _mm256_madd_epi16(acc, ones));
    }
}

static void row_x1_avx2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                        uint8_t *dst, ptrdiff_t dst_stride)
{
    (void)dst_stride;
    Consts k;
    consts_init(&k, st->lut_side, st->interval_bits, st->out_shift);
    Round32 rnd;
    round32_init(&rnd, st->out_shift);
    const uint8_t *const *rc = rows + 2;
    const int np = st->n_patterns;
    BlockX1 chunk[LUTSR_MULUT_PATTERNS][CHUNK_BLOCKS];

    for (int x = 0; x < w; x += 8 * CHUNK_BLOCKS) {
        const int blocks = (w - x + 7) / 8 < CHUNK_BLOCKS ? (w - x + 7) / 8 : CHUNK_BLOCKS;
        for (int pi = 0; pi < np; pi++)
            for (int b = 0; b < blocks; b++)
                WITH_PATTERN(st->pattern[pi], pass1_x1(&chunk[pi][b], &k, rc, off, x + 8 * b));
        for (int b = 0; b < blocks; b++) {
            const int x0 = x + 8 * b;
            __m256i tot[4] = { _mm256_setzero_si256(), _mm256_setzero_si256(),
                               _mm256_setzero_si256(), _mm256_setzero_si256() };
            for (int pi = 0; pi < np; pi++)
                sums_x1(&chunk[pi][b], st->simd_lut[pi], tot);
            /* pixels 0..7 in order: lane 0 (j) then lane 1 (j + 4) */
            const __m256i t = _mm256_hadd_epi32(_mm256_hadd_epi32(tot[0], tot[1]),
                                                _mm256_hadd_epi32(tot[2], tot[3]));
            const __m256i v = _mm256_add_epi32(round_shift32(t, &rnd), load8_epu8(rc[0] + x0));
            const __m256i b16 = _mm256_packs_epi32(v, v);
            const __m256i b8 = _mm256_packus_epi16(b16, b16);
            const __m256i out = _mm256_permutevar8x32_epi32(b8, _mm256_setr_epi32(0, 4, 0, 0, 0, 0, 0, 0));
            /* 8 bytes at x0 <= w - 1: at most 7 into the row's padding */
            _mm_storel_epi64((__m128i *)(dst + x0), _mm256_castsi256_si128(out));
        }
    }
}

/* ------------------------------------------------------------------ x2 */

ALWAYS_INLINE void row_x2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                          uint8_t *dst, ptrdiff_t dst_stride, const int paired)
{
    Consts k;
    consts_init(&k, st->lut_side, st->interval_bits, st->out_shift);
    Round32 rnd;
    round32_init(&rnd, st->out_shift);
    ConstsX2 cx;
    consts_x2_init(&cx, paired);
    const uint8_t *const *rc = rows + 2;
    const int np = st->n_patterns, stride = paired ? 8 : 4;
    BlockX2 chunk[LUTSR_MULUT_PATTERNS][CHUNK_BLOCKS];

    for (int x = 0; x < w; x += 8 * CHUNK_BLOCKS) {
        const int blocks = (w - x + 7) / 8 < CHUNK_BLOCKS ? (w - x + 7) / 8 : CHUNK_BLOCKS;
        for (int pi = 0; pi < np; pi++)
            for (int b = 0; b < blocks; b++)
                WITH_PATTERN(st->pattern[pi], pass1_x2(&chunk[pi][b], &k, rc, off, x + 8 * b, paired));
        for (int b = 0; b < blocks; b++) {
            __m256i lo32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
            __m256i hi32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
            for (int pi = 0; pi < np; pi++) {
                __m256i lo, hi;
                sums_x2(&chunk[pi][b], &cx, st->simd_lut[pi], stride, paired, &lo, &hi);
                widen_add(lo32, lo);
                widen_add(hi32, hi);
            }
            store_x2(narrow(lo32, &rnd), narrow(hi32, &rnd), &cx, rc[0], x + 8 * b, w, dst, dst_stride);
        }
    }
}

static void row_x2_avx2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                        uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x2(st, rows, w, dst, dst_stride, 0);
}

static void row_x2_paired_avx2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                               uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x2(st, rows, w, dst, dst_stride, 1);
}

/* ------------------------------------------------------------ x3, x4 */

ALWAYS_INLINE void row_x16(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                           uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    Consts k;
    consts_init(&k, st->lut_side, st->interval_bits, st->out_shift);
    Round32 rnd;
    round32_init(&rnd, st->out_shift);
    ConstsX16 cx;
    consts_x16_init(&cx, s);
    const uint8_t *const *rc = rows + 2;
    const int np = st->n_patterns;
    SimplexStore chunk[LUTSR_MULUT_PATTERNS][CHUNK_BLOCKS];

    for (int x = 0; x < w; x += 8 * CHUNK_BLOCKS) {
        const int blocks = (w - x + 7) / 8 < CHUNK_BLOCKS ? (w - x + 7) / 8 : CHUNK_BLOCKS;
        for (int pi = 0; pi < np; pi++)
            for (int b = 0; b < blocks; b++)
                WITH_PATTERN(st->pattern[pi], pass1_x16(&chunk[pi][b], &k, rc, off, x + 8 * b));
        for (int b = 0; b < blocks; b++) {
            const int x0 = x + 8 * b;
            const __m256i a16 = anchors16(rc[0], x0);
            uint8_t blk[8][16];
            for (int p = 0; p < 8; p += 2) {
                __m256i lo32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
                __m256i hi32[2] = { _mm256_setzero_si256(), _mm256_setzero_si256() };
                for (int pi = 0; pi < np; pi++) {
                    __m256i lo, hi;
                    sums_x16(&chunk[pi][b], &cx, st->simd_lut[pi], p, &lo, &hi);
                    widen_add(lo32, lo);
                    widen_add(hi32, hi);
                }
                finish_x16(narrow(lo32, &rnd), narrow(hi32, &rnd), &cx, a16, p, blk, s);
            }
            store_x16((const uint8_t (*)[16])blk, x0, w, dst, dst_stride, s);
        }
    }
}

static void row_x3_avx2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                        uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x16(st, rows, w, dst, dst_stride, 3);
}

static void row_x4_avx2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                        uint8_t *dst, ptrdiff_t dst_stride)
{
    row_x16(st, rows, w, dst, dst_stride, 4);
}

/* ------------------------------------------------------------------ init */

int lutsr_mulut_init_stage_x86(MulutStageCtx *st, unsigned cpu_flags)
{
    if (!(cpu_flags & LUTSR_CPU_FLAG_AVX2))
        return 0;
    const size_t n = (size_t)st->lut_side;
    const int stride = lutsr_lut4d_stride(st->scale, n);
    MulutRowFn fn;
    switch (stride ? st->scale : 0) {
    case 1: fn = row_x1_avx2; break;
    case 2: fn = stride == 8 ? row_x2_paired_avx2 : row_x2_avx2; break;
    case 3: fn = row_x3_avx2; break;
    case 4: fn = row_x4_avx2; break;
    default: return 0;
    }
    for (int i = 0; i < st->n_patterns; i++) {
        if (stride == st->lut_values) {
            st->simd_lut[i] = st->lut[i];
            continue;
        }
        int8_t *t = lutsr_lut4d_build_table(st->lut[i], n, (size_t)st->lut_values, stride);
        if (!t)
            return LUTSR_ERR_NOMEM;
        st->simd_lut_buf[i] = t;
        st->simd_lut[i] = t;
    }
    st->row = fn;
    return 1;
}
