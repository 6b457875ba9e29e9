/*
 * AVX2 bicubic kernel, bit-identical to the C reference (bicubic.c).
 *
 * Each row() copies the five source rows it needs into edge-padded
 * buffers (edge replication and no over-read of the caller's plane), then
 * runs both passes strip by strip so the int16 rows stay in L1.
 * Horizontal pass, general: each 128-bit lane makes four outputs from a
 * 16-byte window; pshufb zero-extends the tap pairs (t0, t1) and (t2, t3)
 * into 16-bit lanes, so the phase pattern costs nothing at run time, and
 * two pmaddwd give the exact 32-bit sums; round, shift, pack to int16.
 * Horizontal pass, scale 2 (all weights even): pmaddubsw on byte pairs
 * with halved weights, 16-bit sums throughout (see hbytes()), twice as
 * fast; the most common case (4:2:0 chroma, the x2 baseline).
 * Vertical pass: interleave two pairs of int16 rows, two pmaddwd, round,
 * shift by 14, pack to bytes with unsigned saturation (the clip).
 */
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include "bicubic.h"

#define PAD_LEFT  BICUBIC_SIMD_PAD_LEFT
#define PAD_RIGHT BICUBIC_SIMD_PAD_RIGHT
#define STRIP     BICUBIC_SIMD_STRIP
#define SLACK     BICUBIC_SIMD_SLACK

static inline __m256i load_2x128(const uint8_t *lo, const uint8_t *hi)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
                                   _mm_loadu_si128((const __m128i *)hi), 1);
}

/* One 256-bit group: eight outputs, four per lane, as int32 sums. */
static inline __m256i hgroup(const uint8_t *p, const int *win, const int8_t *sh01, const int8_t *sh23,
                             const int16_t *w01, const int16_t *w23)
{
    __m256i px = load_2x128(p + win[0], p + win[1]);
    __m256i a = _mm256_madd_epi16(_mm256_shuffle_epi8(px, _mm256_load_si256((const __m256i *)sh01)),
                                  _mm256_load_si256((const __m256i *)w01));
    __m256i b = _mm256_madd_epi16(_mm256_shuffle_epi8(px, _mm256_load_si256((const __m256i *)sh23)),
                                  _mm256_load_si256((const __m256i *)w23));
    return _mm256_srai_epi32(_mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_set1_epi32(2)), 2);
}

/* Horizontal pass over outputs [0, n) rounded up to whole super-blocks.
 * nb is a constant at each call site so the block loop unrolls. */
static inline __attribute__((always_inline))
void hpass(const BicubicSimdTables *T, const int nb, const uint8_t *p, int16_t *out, int n)
{
    const int step = T->src_step;
    for (int x = 0; x < n; x += 16 * nb, p += step) {
        for (int b = 0; b < nb; b++) {
            __m256i ga = hgroup(p, T->win[b][0], T->shuf01[b][0], T->shuf23[b][0], T->w01[b][0], T->w23[b][0]);
            __m256i gb = hgroup(p, T->win[b][1], T->shuf01[b][1], T->shuf23[b][1], T->w01[b][1], T->w23[b][1]);
            /* Group a holds outputs 0-3 | 8-11, group b 4-7 | 12-15: the
             * per-lane pack puts them back in order. */
            _mm256_storeu_si256((__m256i *)(out + x + 16 * b), _mm256_packs_epi32(ga, gb));
        }
    }
}

/* Byte path: 16 outputs (8 per lane) from one 32-byte window, as biased
 * int16. With halved weights w', half = sum w' * I, each pmaddubsw pair
 * fits int16 and half + 2 * hbias + 1 lies in [1, 65535], so the 16-bit
 * wrap-around sum is exact read as unsigned, and
 * (half + 2 * hbias + 1) >> 1 = round_shift(2 * half, 2) + hbias. */
static inline __m256i hbytes(__m256i px, __m256i s01, __m256i s23, __m256i w01, __m256i w23,
                             __m256i bias)
{
    __m256i a = _mm256_maddubs_epi16(_mm256_shuffle_epi8(px, s01), w01);
    __m256i b = _mm256_maddubs_epi16(_mm256_shuffle_epi8(px, s23), w23);
    return _mm256_srli_epi16(_mm256_add_epi16(_mm256_add_epi16(a, b), bias), 1);
}

/* Scale 2 only: 64 outputs (32 source pixels) per iteration. A 32-byte
 * load at source j - 2 serves j..j+7 in lane 0 and j+16..j+23 in lane 1,
 * so two loads cover 32 pixels and whole-lane permutes restore order. */
static void hpass_bytes(const BicubicSimdTables *T, const uint8_t *p, int16_t *out, int n)
{
    const __m256i sa01 = _mm256_load_si256((const __m256i *)T->bshuf01[0]);
    const __m256i sa23 = _mm256_load_si256((const __m256i *)T->bshuf23[0]);
    const __m256i sb01 = _mm256_load_si256((const __m256i *)T->bshuf01[1]);
    const __m256i sb23 = _mm256_load_si256((const __m256i *)T->bshuf23[1]);
    const __m256i w01 = _mm256_load_si256((const __m256i *)T->bw01);
    const __m256i w23 = _mm256_load_si256((const __m256i *)T->bw23);
    const __m256i bias = _mm256_set1_epi16((int16_t)(2 * T->hbias + 1));
    for (int x = 0; x < n; x += 64, p += 32) {
        __m256i l0 = _mm256_loadu_si256((const __m256i *)(p - 2));
        __m256i l1 = _mm256_loadu_si256((const __m256i *)(p + 6));
        __m256i r1 = hbytes(l0, sa01, sa23, w01, w23, bias); /* x  0..7  | 32..39 */
        __m256i r2 = hbytes(l0, sb01, sb23, w01, w23, bias); /* x  8..15 | 40..47 */
        __m256i r3 = hbytes(l1, sa01, sa23, w01, w23, bias); /* x 16..23 | 48..55 */
        __m256i r4 = hbytes(l1, sb01, sb23, w01, w23, bias); /* x 24..31 | 56..63 */
        _mm256_storeu_si256((__m256i *)(out + x),      _mm256_permute2x128_si256(r1, r2, 0x20));
        _mm256_storeu_si256((__m256i *)(out + x + 16), _mm256_permute2x128_si256(r3, r4, 0x20));
        _mm256_storeu_si256((__m256i *)(out + x + 32), _mm256_permute2x128_si256(r1, r2, 0x31));
        _mm256_storeu_si256((__m256i *)(out + x + 48), _mm256_permute2x128_si256(r3, r4, 0x31));
    }
}

static void hpass_nb1(const BicubicSimdTables *T, const uint8_t *p, int16_t *out, int n)
{
    hpass(T, 1, p, out, n);
}

static void hpass_nb3(const BicubicSimdTables *T, const uint8_t *p, int16_t *out, int n)
{
    hpass(T, 3, p, out, n);
}

/* 16 outputs of the vertical pass, as int16 in order. */
static inline __m256i vpass16(const int16_t *const *r, int x, __m256i w01, __m256i w23, __m256i rnd)
{
    __m256i h0 = _mm256_loadu_si256((const __m256i *)(r[0] + x));
    __m256i h1 = _mm256_loadu_si256((const __m256i *)(r[1] + x));
    __m256i h2 = _mm256_loadu_si256((const __m256i *)(r[2] + x));
    __m256i h3 = _mm256_loadu_si256((const __m256i *)(r[3] + x));
    __m256i lo = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpacklo_epi16(h0, h1), w01),
                                  _mm256_madd_epi16(_mm256_unpacklo_epi16(h2, h3), w23));
    __m256i hi = _mm256_add_epi32(_mm256_madd_epi16(_mm256_unpackhi_epi16(h0, h1), w01),
                                  _mm256_madd_epi16(_mm256_unpackhi_epi16(h2, h3), w23));
    lo = _mm256_srai_epi32(_mm256_add_epi32(lo, rnd), 14);
    hi = _mm256_srai_epi32(_mm256_add_epi32(hi, rnd), 14);
    return _mm256_packs_epi32(lo, hi);
}

static inline __m256i vpass32(const int16_t *const *r, int x, __m256i w01, __m256i w23, __m256i rnd)
{
    __m256i a = vpass16(r, x, w01, w23, rnd), b = vpass16(r, x + 16, w01, w23, rnd);
    return _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8);
}

/* One output row from four int16 rows holding H + hbias; tmp (32 bytes)
 * takes the tail so nothing past dst[n - 1] is written. The H rows are
 * valid up to n rounded up to 32. */
static void vpass(const int16_t *const *r, const int16_t *w, int hbias, uint8_t *dst, int n, uint8_t *tmp)
{
    const __m256i rnd = _mm256_set1_epi32((1 << 13) - 256 * hbias);
    const __m256i w01 = _mm256_set1_epi32((int)((uint16_t)w[0] | ((uint32_t)(uint16_t)w[1] << 16)));
    const __m256i w23 = _mm256_set1_epi32((int)((uint16_t)w[2] | ((uint32_t)(uint16_t)w[3] << 16)));
    int x = 0;
    if (w[0] == 0 && w[1] == 256 && w[2] == 0 && w[3] == 0 && hbias == 0) {
        /* On a source row (scale 3, u = 1): (256 H + 2^13) >> 14 is
         * (H + 32) >> 6, exact in 16 bits. */
        const __m256i r32 = _mm256_set1_epi16(32);
        for (; x + 32 <= n; x += 32) {
            __m256i a = _mm256_loadu_si256((const __m256i *)(r[1] + x));
            __m256i b = _mm256_loadu_si256((const __m256i *)(r[1] + x + 16));
            a = _mm256_srai_epi16(_mm256_add_epi16(a, r32), 6);
            b = _mm256_srai_epi16(_mm256_add_epi16(b, r32), 6);
            _mm256_storeu_si256((__m256i *)(dst + x),
                                _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
        }
    }
    for (; x + 32 <= n; x += 32)
        _mm256_storeu_si256((__m256i *)(dst + x), vpass32(r, x, w01, w23, rnd));
    if (x < n) {
        _mm256_storeu_si256((__m256i *)tmp, vpass32(r, x, w01, w23, rnd));
        memcpy(dst + x, tmp, (size_t)(n - x));
    }
}

static void row_avx2(const BicubicContext *k, const LutsrPlane *src, int y,
                     uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const int s = k->scale, w = src->width, n = w * s;
    const int nb = k->simd.nb_blocks;
    /* Scratch layout matches lutsr_bicubic_scratch_bytes(): five padded
     * source rows, five int16 strip rows, a 32-byte tail. */
    const size_t prow_size = ((size_t)w + PAD_LEFT + PAD_RIGHT + 63) & ~(size_t)63;
    int16_t *hbuf = (int16_t *)(scratch + 5 * prow_size);
    uint8_t *tmp = (uint8_t *)(hbuf + 5 * (STRIP + SLACK));
    const uint8_t *prow[5];
    int row_of[5];

    for (int t = 0; t < 5; t++) {
        int sy = lutsr_clampi(y - 2 + t, 0, src->height - 1);
        row_of[t] = t;
        if (t && sy == lutsr_clampi(y - 3 + t, 0, src->height - 1)) {
            row_of[t] = row_of[t - 1]; /* clamped border rows repeat */
            continue;
        }
        uint8_t *p = scratch + t * prow_size;
        const uint8_t *in = src->data + sy * src->stride;
        memset(p, in[0], PAD_LEFT);
        memcpy(p + PAD_LEFT, in, (size_t)w);
        memset(p + PAD_LEFT + w, in[w - 1], PAD_RIGHT);
        prow[t] = p + PAD_LEFT;
    }
    for (int x0 = 0; x0 < n; x0 += STRIP) {
        const int len = n - x0 < STRIP ? n - x0 : STRIP;
        const int len32 = (len + 31) & ~31;
        const int16_t *h[5];
        for (int t = 0; t < 5; t++) {
            int16_t *out = hbuf + t * (STRIP + SLACK);
            h[t] = hbuf + row_of[t] * (STRIP + SLACK);
            if (row_of[t] != t)
                continue;
            /* strip starts are whole super-blocks: source x0 / s */
            if (k->simd.byte_path)
                hpass_bytes(&k->simd, prow[t] + x0 / s, out, len32);
            else if (nb == 3)
                hpass_nb3(&k->simd, prow[t] + x0 / s, out, len32);
            else
                hpass_nb1(&k->simd, prow[t] + x0 / s, out, len32);
        }
        for (int u = 0; u < s; u++) {
            const BicubicPhase *p = &k->phase[u];
            vpass(h + p->off + 2, p->w, k->simd.hbias, dst + u * dst_stride + x0, len, tmp);
        }
    }
}

/* Enables the byte path when the weights allow it (see hbytes()). Both
 * pmaddubsw pair sums must fit int16 and the half sum's range 16 bits. */
static void init_byte_path(BicubicContext *k)
{
    const int s = k->scale;
    BicubicSimdTables *T = &k->simd;
    int lo = 0, hi = 0;
    if (s != 2)
        return; /* the 64-output loop below assumes two phases */
    for (int v = 0; v < s; v++) {
        const int16_t *w = k->phase[v].w;
        int neg = 0, pos = 0;
        for (int t = 0; t < 4; t++) {
            if (w[t] & 1 || w[t] / 2 < -128 || w[t] / 2 > 127)
                return;
            neg += w[t] < 0 ? w[t] / 2 * 255 : 0;
            pos += w[t] > 0 ? w[t] / 2 * 255 : 0;
        }
        /* pmaddubsw saturates each pair sum to int16 */
        if ((abs(w[0] / 2) + abs(w[1] / 2)) * 255 > 32767 || (abs(w[2] / 2) + abs(w[3] / 2)) * 255 > 32767)
            return;
        lo = neg < lo ? neg : lo;
        hi = pos > hi ? pos : hi;
    }
    const int hbias = (-lo + 1) / 2;     /* half + 2 * hbias + 1 >= 1 */
    if (hi + 2 * hbias + 1 > 65535)
        return;
    for (int m = 0; m < 2; m++) {        /* mask A: j + 0..3, B: j + 4..7 */
        for (int lane = 0; lane < 2; lane++) {
            for (int i = 0; i < 8; i++) {
                int jr = 4 * m + i / 2, v = i % 2; /* window starts at j - 2 */
                int t0 = jr + k->phase[v].off + 2;
                int8_t *m01 = &T->bshuf01[m][16 * lane + 2 * i];
                int8_t *m23 = &T->bshuf23[m][16 * lane + 2 * i];
                m01[0] = (int8_t)t0;       m01[1] = (int8_t)(t0 + 1);
                m23[0] = (int8_t)(t0 + 2); m23[1] = (int8_t)(t0 + 3);
                T->bw01[16 * lane + 2 * i]     = (int8_t)(k->phase[v].w[0] / 2);
                T->bw01[16 * lane + 2 * i + 1] = (int8_t)(k->phase[v].w[1] / 2);
                T->bw23[16 * lane + 2 * i]     = (int8_t)(k->phase[v].w[2] / 2);
                T->bw23[16 * lane + 2 * i + 1] = (int8_t)(k->phase[v].w[3] / 2);
            }
        }
    }
    T->hbias = hbias;
    T->byte_path = 1;
}

void lutsr_bicubic_init_avx2(BicubicContext *k)
{
    const int s = k->scale;
    BicubicSimdTables *T = &k->simd;
    T->nb_blocks = s == 3 ? 3 : 1; /* 16 * nb_blocks outputs: a multiple of s */
    T->src_step = 16 * T->nb_blocks / s;
    for (int b = 0; b < T->nb_blocks; b++) {
        for (int g = 0; g < 2; g++) {
            for (int lane = 0; lane < 2; lane++) {
                int xq = 16 * b + 4 * g + 8 * lane; /* first output of the lane */
                int jq = xq / s;
                T->win[b][g][lane] = jq - 2;
                for (int i = 0; i < 4; i++) {
                    int x = xq + i;
                    const BicubicPhase *p = &k->phase[x % s];
                    /* tap 0 (source x / s + off) within the window at jq - 2 */
                    int t0 = x / s - jq + p->off + 2;
                    int8_t *m01 = &T->shuf01[b][g][16 * lane + 4 * i];
                    int8_t *m23 = &T->shuf23[b][g][16 * lane + 4 * i];
                    m01[0] = (int8_t)t0;       m01[1] = -128; /* high byte 0 */
                    m01[2] = (int8_t)(t0 + 1); m01[3] = -128;
                    m23[0] = (int8_t)(t0 + 2); m23[1] = -128;
                    m23[2] = (int8_t)(t0 + 3); m23[3] = -128;
                    int16_t *w01 = &T->w01[b][g][8 * lane + 2 * i];
                    int16_t *w23 = &T->w23[b][g][8 * lane + 2 * i];
                    w01[0] = p->w[0]; w01[1] = p->w[1];
                    w23[0] = p->w[2]; w23[1] = p->w[3];
                }
            }
        }
    }
    init_byte_path(k);
    k->row = row_avx2;
    k->impl = "avx2";
}
