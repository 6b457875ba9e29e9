/*
 * CNN executor, AVX2 + FMA: CONV and DECONV, the layers that hold nearly
 * all of a CNN's arithmetic, and the fused eSR-MAX head (CONV ->
 * PIXEL_SHUFFLE -> GROUP_MAX -> pixels, see cnn.h) (docs/cnn.md; C
 * reference in cnn.c).
 *
 * All keep a block of outputs in registers (at most 12 accumulators of 8
 * columns) while they sum over every input channel and kernel tap, so each
 * input vector loaded feeds several FMAs and nothing is stored until the
 * block is done:
 *  - CONV: up to 4 output channels x up to 3 vectors (24 columns); one
 *    input load feeds 4 FMAs, one weight broadcast 3.
 *  - DECONV: the stride s output phases of one channel (see deconv in
 *    cnn.c: phase p of LR column q is HR column q*s + p) x 12/s vectors of
 *    LR columns; one input load feeds the taps of every phase it meets.
 *  - the head: per output phase, 4 groups (CONV channels) x 2 vectors, the
 *    running max over the groups in 2 more registers; the phases are
 *    interleaved and converted to pixels per block of 16 LR columns, so
 *    the CONV's channels never go to memory. Its sums are CONV's, step
 *    for step, so the bytes equal the unfused layers'.
 *
 * Per pixel, the sum runs in the reference's order (channel, kernel row,
 * kernel column, bias last), but each step is a fused multiply-add, which
 * docs/cnn.md allows SIMD versions. Column blocks start at 0 on every row
 * and the per-lane operations do not depend on the block's width, so the
 * bytes still do not depend on tiles or threads.
 */
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cnn.h"
#include "cpu.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* ------------------------------------------------------------------ CONV */

/* The sums without the bias of output channels o, o+cs, .., o+(OB-1)*cs
 * of row y, columns x .. x+8*NX-1, from kernel rows ua .. ub-1 (those
 * inside the plane). K is the kernel size when it is a compile-time
 * constant, 0 otherwise (then k). */
ALWAYS_INLINE void conv_acc(const LutsrCnnLayer *l, const CnnView *in, int y, int x, int o, int cs,
                            int ua, int ub, int k, const int K, const int OB, const int NX,
                            __m256 acc[4][3])
{
    if (K)
        k = K;
    const int r = k / 2, nc = l->c_in;
    const size_t wo = (size_t)nc * k * k * cs; /* between the block's channels' weights */
    const ptrdiff_t row_step = in->c * in->pitch; /* next image row, same channel */
    const float *w = l->w + (size_t)o * nc * k * k + (size_t)ua * k;
    const float *src0 = cnn_vrow(in, y + ua - r, 0) + x - r;
#pragma GCC unroll 4
    for (int i = 0; i < OB; i++)
#pragma GCC unroll 3
        for (int j = 0; j < NX; j++)
            acc[i][j] = _mm256_setzero_ps();

    for (int ch = 0; ch < nc; ch++, src0 += in->pitch, w += (size_t)k * k) {
        const float *src = src0, *wr = w;
        for (int u = ua; u < ub; u++, src += row_step, wr += k) {
#pragma GCC unroll 9
            for (int v = 0; v < k; v++) {
                __m256 s[3];
#pragma GCC unroll 3
                for (int j = 0; j < NX; j++)
                    s[j] = _mm256_loadu_ps(src + v + 8 * j);
#pragma GCC unroll 4
                for (int i = 0; i < OB; i++) {
                    const __m256 wv = _mm256_broadcast_ss(wr + i * wo + v);
#pragma GCC unroll 3
                    for (int j = 0; j < NX; j++)
                        acc[i][j] = _mm256_fmadd_ps(wv, s[j], acc[i][j]);
                }
            }
        }
    }
}

/* Output channels o .. o+OB-1 of row y, columns x .. x+8*NX-1. */
ALWAYS_INLINE void conv_block(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                              int y, int x, int o, int ua, int ub, int k,
                              const int K, const int OB, const int NX)
{
    __m256 acc[4][3];
    conv_acc(l, in, y, x, o, 1, ua, ub, k, K, OB, NX, acc);
#pragma GCC unroll 4
    for (int i = 0; i < OB; i++) {
        const __m256 b = _mm256_set1_ps(l->b[o + i]);
        float *dst = cnn_vrow(out, y, o + i) + x;
#pragma GCC unroll 3
        for (int j = 0; j < NX; j++)
            _mm256_storeu_ps(dst + 8 * j, _mm256_add_ps(b, acc[i][j]));
    }
}

/* One block of NX vectors, all output channels: 4 at a time, then the
 * rest. */
ALWAYS_INLINE void conv_cols(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                             int y, int x, int ua, int ub, int k, const int K, const int NX)
{
    const int no = l->c_out;
    int o = 0;
    for (; o + 4 <= no; o += 4)
        conv_block(l, in, out, y, x, o, ua, ub, k, K, 4, NX);
    switch (no - o) {
    case 3: conv_block(l, in, out, y, x, o, ua, ub, k, K, 3, NX); break;
    case 2: conv_block(l, in, out, y, x, o, ua, ub, k, K, 2, NX); break;
    case 1: conv_block(l, in, out, y, x, o, ua, ub, k, K, 1, NX); break;
    }
}

/* Columns in blocks of 24 (the input strip of a block stays in L1 while
 * all output channels use it), then one of 8 or 16: the row is computed
 * up to round16(w), like the C version. */
ALWAYS_INLINE void conv_rows(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                             int h, int w, int y0, int y1, const int K)
{
    const int k = K ? K : l->p[0], r = k / 2, n = (w + 15) & ~15;
    for (int y = y0; y < y1; y++) {
        /* Kernel rows outside the plane are zero padding: skipped. */
        const int ua = r - y > 0 ? r - y : 0, ub = h - y + r < k ? h - y + r : k;
        int x = 0;
        for (; x + 24 <= n; x += 24)
            conv_cols(l, in, out, y, x, ua, ub, k, K, 3);
        if (n - x == 16)
            conv_cols(l, in, out, y, x, ua, ub, k, K, 2);
        else if (n - x == 8)
            conv_cols(l, in, out, y, x, ua, ub, k, K, 1);
    }
}

static void conv_avx2(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                      int h, int w, int y0, int y1, float *tmp)
{
    (void)tmp;
    /* Constant kernel sizes let the tap loop unroll; the others (not in
     * the format's CONV set, but allowed here) take the generic loop. */
    switch (l->p[0]) {
    case 1:  conv_rows(l, in, out, h, w, y0, y1, 1); break;
    case 3:  conv_rows(l, in, out, h, w, y0, y1, 3); break;
    case 5:  conv_rows(l, in, out, h, w, y0, y1, 5); break;
    case 7:  conv_rows(l, in, out, h, w, y0, y1, 7); break;
    case 9:  conv_rows(l, in, out, h, w, y0, y1, 9); break;
    default: conv_rows(l, in, out, h, w, y0, y1, 0); break;
    }
}

/* ---------------------------------------------------------------- DECONV */

/* Column chunk (LR columns) done for all rows before the next, so the
 * input rows an HR row reads (channels x about k/s rows) stay in L2. A
 * multiple of every block width (24 and 32 columns). */
#define DECONV_CHUNK 192

/* Input channels per pass over a chunk. A block reads about k/s rows of
 * each of its channels: all of FSRCNN's 56 at once would be 300+ rows per
 * 24 columns, more than L1 holds and too many streams to prefetch. The
 * partial sums wait in tmp between passes (stored and reloaded exactly,
 * so the per-pixel order is unchanged). */
#define DECONV_GROUP 8

/* The LR rows that feed a group of HR rows: for each, its kernel row for
 * the group's first HR row (u0; the next rows use u0 + 1, ...). */
typedef struct DeconvRows {
    int n, t[LUTSR_CNN_MAX_KERNEL + 4], u0[LUTSR_CNN_MAX_KERNEL + 4];
} DeconvRows;

/* HR rows y .. y+R-1, LR columns q .. q+8*NX-1 of output channel o, all S
 * phases. Tap (u, v) reaches HR row y' = t*S - pad + u, and phase
 * p = (v - pad) mod S at LR column q = x + off, off = floor((v - pad) / S);
 * so v = S*off + p + pad, and one load (row t, offset off) serves every
 * row and phase whose u and v are inside the kernel. Rows t go down, so
 * each output sums its kernel rows in increasing u like the reference.
 * Columns past w_in are computed (from zero padding) but not stored. */
ALWAYS_INLINE void deconv_block(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                                int y, int o, int q, int w_in, const DeconvRows *dr,
                                int ch0, int ch1, float *part, ptrdiff_t part_stride,
                                const int S, const int R, const int NX)
{
    const int k = l->p[0], pad = l->p[2], no = l->c_out;
    /* floor((v - pad) / S) for v = 0 and k - 1 (v - pad > -k >= -9). */
    const int off_lo = (-pad + 9 * S) / S - 9, off_hi = (k - 1 - pad + 9 * S) / S - 9;
    __m256 acc[2][4][6];
#pragma GCC unroll 2
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int p = 0; p < S; p++)
#pragma GCC unroll 6
            for (int j = 0; j < NX; j++)
                acc[r][p][j] = ch0 ? _mm256_loadu_ps(part + (r * S + p) * part_stride + 8 * j)
                                   : _mm256_setzero_ps();

    for (int ch = ch0; ch < ch1; ch++) {
        const float *wc = l->w + ((size_t)ch * no + o) * k * k;
        for (int i = 0; i < dr->n; i++) {
            const float *src = cnn_vrow(in, dr->t[i], ch) + q;
            const int u0 = dr->u0[i];
            for (int off = off_lo; off <= off_hi; off++) {
                __m256 s[6];
#pragma GCC unroll 6
                for (int j = 0; j < NX; j++)
                    s[j] = _mm256_loadu_ps(src - off + 8 * j);
#pragma GCC unroll 2
                for (int r = 0; r < R; r++) {
                    const int u = u0 + r;
                    if (u < 0 || u >= k)
                        continue;
#pragma GCC unroll 4
                    for (int p = 0; p < S; p++) {
                        const int v = S * off + p + pad;
                        if (v < 0 || v >= k)
                            continue;
                        const __m256 wv = _mm256_broadcast_ss(wc + u * k + v);
#pragma GCC unroll 6
                        for (int j = 0; j < NX; j++)
                            acc[r][p][j] = _mm256_fmadd_ps(wv, s[j], acc[r][p][j]);
                    }
                }
            }
        }
    }

    if (ch1 < l->c_in) {
#pragma GCC unroll 2
        for (int r = 0; r < R; r++)
#pragma GCC unroll 4
            for (int p = 0; p < S; p++)
#pragma GCC unroll 6
                for (int j = 0; j < NX; j++)
                    _mm256_storeu_ps(part + (r * S + p) * part_stride + 8 * j, acc[r][p][j]);
        return;
    }

    /* Bias, then the phases interleaved into the HR rows. */
    const __m256 b = _mm256_set1_ps(l->b[o]);
    const int m = w_in - q < 8 * NX ? w_in - q : 8 * NX;
#pragma GCC unroll 2
    for (int r = 0; r < R; r++) {
        float *d = cnn_vrow(out, y + r, o) + (ptrdiff_t)q * S;
        if (S == 2 && m == 8 * NX) {
#pragma GCC unroll 6
            for (int j = 0; j < NX; j++) {
                const __m256 a = _mm256_add_ps(b, acc[r][0][j]), c = _mm256_add_ps(b, acc[r][1][j]);
                const __m256 lo = _mm256_unpacklo_ps(a, c), hi = _mm256_unpackhi_ps(a, c);
                _mm256_storeu_ps(d + 16 * j, _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(d + 16 * j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
            continue;
        }
        float t[4][48];
#pragma GCC unroll 4
        for (int p = 0; p < S; p++)
#pragma GCC unroll 6
            for (int j = 0; j < NX; j++)
                _mm256_storeu_ps(t[p] + 8 * j, _mm256_add_ps(b, acc[r][p][j]));
        for (int x = 0; x < m; x++)
#pragma GCC unroll 4
            for (int p = 0; p < S; p++)
                d[x * S + p] = t[p][x];
    }
}

/* One group of R HR rows, LR columns [c0, c1): blocks of NX vectors, then
 * the rest in one block of as many vectors as it needs (1 .. NX; the
 * cases above NX cannot happen, they only keep the count a constant). */
ALWAYS_INLINE void deconv_group(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                                int y, int c0, int c1, int w_in, const DeconvRows *dr, float *tmp,
                                const int S, const int R, const int NX)
{
    /* Partial sums of the chunk: R*S rows of round8(c1 - c0) floats, at
     * most 4 (round16(w_in) + 16), which tmp holds (tmp_floats()). */
    const ptrdiff_t ps = (c1 - c0 + 7) & ~7;
#define DECONV_BLOCK(nx) deconv_block(l, in, out, y, o, q, w_in, dr, ch0, ch1, tmp + (q - c0), ps, \
                                      S, R, nx)
    for (int o = 0; o < l->c_out; o++)
        for (int ch0 = 0; ch0 < l->c_in; ch0 += DECONV_GROUP) {
            const int ch1 = l->c_in - ch0 < DECONV_GROUP ? l->c_in : ch0 + DECONV_GROUP;
            int q = c0;
            for (; q + 8 * NX <= c1; q += 8 * NX)
                DECONV_BLOCK(NX);
            switch ((c1 - q + 7) / 8) {
            case 6: DECONV_BLOCK(6 <= NX ? 6 : 1); break;
            case 5: DECONV_BLOCK(5 <= NX ? 5 : 1); break;
            case 4: DECONV_BLOCK(4 <= NX ? 4 : 1); break;
            case 3: DECONV_BLOCK(3 <= NX ? 3 : 1); break;
            case 2: DECONV_BLOCK(2 <= NX ? 2 : 1); break;
            case 1: DECONV_BLOCK(1); break;
            }
        }
#undef DECONV_BLOCK
}

/* Stride S: groups of R HR rows (2 for S = 2, where each input load then
 * feeds both rows' taps), NX = 12 / (R*S) vectors. */
ALWAYS_INLINE void deconv_rows(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                               int h_in, int w_in, int y0, int y1, float *tmp, const int S)
{
    const int k = l->p[0], pad = l->p[2];
    const int R = S == 2 ? 2 : 1, NX = 12 / (R * S);
    for (int c0 = 0; c0 < w_in; c0 += DECONV_CHUNK) {
        const int c1 = w_in - c0 < DECONV_CHUNK ? w_in : c0 + DECONV_CHUNK;
        for (int y = y0; y < y1; y += R) {
            const int r = y1 - y < R ? y1 - y : R;
            /* LR rows t with 0 <= y + i + pad - S*t < k for some i < r, downwards. */
            DeconvRows dr;
            dr.n = 0;
            for (int t = (y + r - 1 + pad) / S; t >= 0 && S * t > y + pad - k; t--)
                if (t < h_in) {
                    dr.t[dr.n] = t;
                    dr.u0[dr.n++] = y + pad - S * t;
                }
            if (r == R)
                deconv_group(l, in, out, y, c0, c1, w_in, &dr, tmp, S, R, NX);
            else
                deconv_group(l, in, out, y, c0, c1, w_in, &dr, tmp, S, 1, 12 / S);
        }
    }
}

static void deconv_avx2(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                        int h, int w, int y0, int y1, float *tmp)
{
    switch (l->p[1]) {
    case 2:  deconv_rows(l, in, out, h, w, y0, y1, tmp, 2); break;
    case 3:  deconv_rows(l, in, out, h, w, y0, y1, tmp, 3); break;
    default: deconv_rows(l, in, out, h, w, y0, y1, tmp, 4); break;
    }
}

/* ------------------------------------------------------- element-wise */

/* Exact like the C versions: the same select, the same two roundings. */
static void prelu_avx2(float *dst, const float *a, float slope, int n)
{
    const __m256 sl = _mm256_set1_ps(slope), zero = _mm256_setzero_ps();
    int x = 0;
    for (; x + 8 <= n; x += 8) {
        const __m256 v = _mm256_loadu_ps(a + x);
        const __m256 ge = _mm256_cmp_ps(v, zero, _CMP_GE_OQ); /* NaN: false, the product */
        _mm256_storeu_ps(dst + x, _mm256_blendv_ps(_mm256_mul_ps(sl, v), v, ge));
    }
    for (; x < n; x++)
        dst[x] = a[x] >= 0.0f ? a[x] : slope * a[x];
}

static void to_pixels_avx2(uint8_t *dst, const float *v, int n)
{
    const __m256 k255 = _mm256_set1_ps(255.0f), half = _mm256_set1_ps(0.5f);
    const __m256 zero = _mm256_setzero_ps();
    int x = 0;
    for (; x + 16 <= n; x += 16) {
        __m256i q[2];
        for (int j = 0; j < 2; j++) {
            /* mul then add (not fused), as in C; max() gives 0 for NaN. */
            __m256 t = _mm256_add_ps(_mm256_mul_ps(k255, _mm256_loadu_ps(v + x + 8 * j)), half);
            t = _mm256_min_ps(_mm256_max_ps(_mm256_floor_ps(t), zero), k255);
            q[j] = _mm256_cvttps_epi32(t);
        }
        /* 16 x int32 (0..255) -> 16 bytes; packs work per 128-bit lane. */
        const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xd8);
        const __m128i b = _mm_packus_epi16(_mm256_castsi256_si128(w16),
                                           _mm256_extracti128_si256(w16, 1));
        _mm_storeu_si128((__m128i *)(dst + x), b);
    }
    for (; x < n; x++) {
        const float t = 255.0f * v[x] + 0.5f;
        dst[x] = t >= 255.0f ? 255 : t > 0.0f ? (uint8_t)t : 0;
    }
}

/* ------------------------------------------------------------- max head */

/* Groups 4 gb .. 4 gb + OB-1 of output phase p, into the running max m of
 * NX vectors. The sums are conv_acc()'s (same loads, same FMAs in the same
 * order, from the packed copy of the weights: one pointer, constant
 * offsets), then b + acc as conv_block() has it, then m = max(v, m), i.e.
 * v > m ? v : m like GROUP_MAX (group 0 starts m). */
ALWAYS_INLINE void head_groups(const CnnHead *hd, const CnnView *in, int y, int x, int p, int gb,
                               int ua, int ub, const int K, const int OB, const int NX,
                               __m256 m[2])
{
    const int k = K ? K : hd->conv->p[0], r = k / 2, nc = hd->conv->c_in;
    const ptrdiff_t row_step = in->c * in->pitch;
    const float *w = hd->w + ((size_t)p * hd->n_blk + gb) * nc * k * k * 4 + (size_t)ua * k * 4;
    const float *src0 = cnn_vrow(in, y + ua - r, 0) + x - r;
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int i = 0; i < OB; i++)
#pragma GCC unroll 2
        for (int j = 0; j < NX; j++)
            acc[i][j] = _mm256_setzero_ps();

    for (int ch = 0; ch < nc; ch++, src0 += in->pitch, w += (size_t)k * k * 4) {
        const float *src = src0, *wr = w;
        for (int u = ua; u < ub; u++, src += row_step, wr += 4 * k) {
#pragma GCC unroll 9
            for (int v = 0; v < k; v++) {
                __m256 s[2];
#pragma GCC unroll 2
                for (int j = 0; j < NX; j++)
                    s[j] = _mm256_loadu_ps(src + v + 8 * j);
#pragma GCC unroll 4
                for (int i = 0; i < OB; i++) {
                    const __m256 wv = _mm256_broadcast_ss(wr + 4 * v + i);
#pragma GCC unroll 2
                    for (int j = 0; j < NX; j++)
                        acc[i][j] = _mm256_fmadd_ps(wv, s[j], acc[i][j]);
                }
            }
        }
    }

    const float *b = hd->b + ((size_t)p * hd->n_blk + gb) * 4;
#pragma GCC unroll 4
    for (int i = 0; i < OB; i++) {
        const __m256 bv = _mm256_broadcast_ss(b + i);
#pragma GCC unroll 2
        for (int j = 0; j < NX; j++) {
            const __m256 v = _mm256_add_ps(bv, acc[i][j]);
            m[j] = gb + i ? _mm256_max_ps(v, m[j]) : v;
        }
    }
}

/* to_pixels_avx2() on 16 values. */
ALWAYS_INLINE __m128i pixels16(const float *v)
{
    const __m256 k255 = _mm256_set1_ps(255.0f), half = _mm256_set1_ps(0.5f);
    __m256i q[2];
    for (int j = 0; j < 2; j++) {
        __m256 t = _mm256_add_ps(_mm256_mul_ps(k255, _mm256_loadu_ps(v + 8 * j)), half);
        t = _mm256_min_ps(_mm256_max_ps(_mm256_floor_ps(t), _mm256_setzero_ps()), k255);
        q[j] = _mm256_cvttps_epi32(t);
    }
    const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q[0], q[1]), 0xd8);
    return _mm_packus_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
}

/* LR row y, columns x .. x+8*NX-1 (n <= 8*NX of them real): the s HR rows'
 * pixels from s*x on, only the real ones stored. Per phase, 4 groups at a
 * time; the input strip (k rows of 8*NX + k - 1 floats) stays in L1
 * across the phases. */
ALWAYS_INLINE void head_cols(const CnnHead *hd, const CnnView *in, int y, int x, int n,
                             int ua, int ub, uint8_t *dst, ptrdiff_t dst_stride,
                             const int K, const int NX)
{
    const int s = hd->s, groups = hd->groups;
    for (int i = 0; i < s; i++) {
        float ph[4][16], hr[64];
        for (int j = 0; j < s; j++) {
            const int p = i * s + j;
            /* (set by group 0; initialised only for the compiler) */
            __m256 m[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() };
            int gb = 0;
            for (; 4 * gb + 4 <= groups; gb++)
                head_groups(hd, in, y, x, p, gb, ua, ub, K, 4, NX, m);
            switch (groups - 4 * gb) {
            case 3: head_groups(hd, in, y, x, p, gb, ua, ub, K, 3, NX, m); break;
            case 2: head_groups(hd, in, y, x, p, gb, ua, ub, K, 2, NX, m); break;
            case 1: head_groups(hd, in, y, x, p, gb, ua, ub, K, 1, NX, m); break;
            }
#pragma GCC unroll 2
            for (int jj = 0; jj < NX; jj++)
                _mm256_storeu_ps(ph[j] + 8 * jj, m[jj]);
        }
        /* The phases interleaved: HR column s*q + j is phase j of LR column q. */
        if (s == 2) {
#pragma GCC unroll 2
            for (int jj = 0; jj < NX; jj++) {
                const __m256 a = _mm256_loadu_ps(ph[0] + 8 * jj), c = _mm256_loadu_ps(ph[1] + 8 * jj);
                const __m256 lo = _mm256_unpacklo_ps(a, c), hi = _mm256_unpackhi_ps(a, c);
                _mm256_storeu_ps(hr + 16 * jj, _mm256_permute2f128_ps(lo, hi, 0x20));
                _mm256_storeu_ps(hr + 16 * jj + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
        } else {
            for (int q = 0; q < n; q++)
                for (int j = 0; j < s; j++)
                    hr[q * s + j] = ph[j][q];
        }
        uint8_t *d = dst + i * dst_stride + (ptrdiff_t)x * s;
        const int np = n * s;
        int t = 0;
        for (; t + 16 <= np; t += 16)
            _mm_storeu_si128((__m128i *)(d + t), pixels16(hr + t));
        if (t < np) {
            float rest[16] = { 0 };
            uint8_t last[16];
            memcpy(rest, hr + t, (size_t)(np - t) * sizeof(float));
            _mm_storeu_si128((__m128i *)last, pixels16(rest));
            memcpy(d + t, last, (size_t)(np - t));
        }
    }
}

ALWAYS_INLINE void head_rows(const CnnHead *hd, const CnnView *in, int h, int w, int y0, int y1,
                             uint8_t *dst, ptrdiff_t dst_stride, const int K)
{
    const int k = K ? K : hd->conv->p[0], r = k / 2, s = hd->s;
    for (int y = y0; y < y1; y++, dst += s * dst_stride) {
        /* Kernel rows outside the plane are zero padding: skipped. */
        const int ua = r - y > 0 ? r - y : 0, ub = h - y + r < k ? h - y + r : k;
        /* Blocks of 16 columns: 8 accumulators, and per tap 2 loads and
         * 4 broadcasts for 8 FMAs, which keeps the FMA units busy. (Blocks
         * of 24, as CONV uses, measured 1.3x slower here: with the running
         * max the 12 accumulators left too few registers, so GCC re-loaded
         * the inputs for every FMA.) */
        int x = 0;
        for (; x + 16 <= w; x += 16)
            head_cols(hd, in, y, x, 16, ua, ub, dst, dst_stride, K, 2);
        if (w - x > 8)
            head_cols(hd, in, y, x, w - x, ua, ub, dst, dst_stride, K, 2);
        else if (w - x > 0)
            head_cols(hd, in, y, x, w - x, ua, ub, dst, dst_stride, K, 1);
    }
}

static void max_head_avx2(const CnnHead *hd, const CnnView *in, int h, int w, int y0, int y1,
                          uint8_t *dst, ptrdiff_t dst_stride, float *tmp)
{
    (void)tmp;
    switch (hd->conv->p[0]) {
    case 1:  head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 1); break;
    case 3:  head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 3); break;
    case 5:  head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 5); break;
    case 7:  head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 7); break;
    case 9:  head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 9); break;
    default: head_rows(hd, in, h, w, y0, y1, dst, dst_stride, 0); break;
    }
}

void lutsr_cnn_dsp_init_x86(CnnDsp *dsp, unsigned cpu_flags)
{
    if (!(cpu_flags & LUTSR_CPU_FLAG_AVX2))
        return;
    dsp->conv = conv_avx2;
    dsp->deconv = deconv_avx2;
    dsp->prelu = prelu_avx2;
    dsp->to_pixels = to_pixels_avx2;
    dsp->max_head = max_head_avx2;
    dsp->impl = "avx2";
}
