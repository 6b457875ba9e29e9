/*
 * SR-LUT kernel: C reference and the LutsrKernelOps glue (the SIMD rows and
 * their LUT layouts live in x86/srlut_avx2.c). Semantics (normative):
 * docs/kernels.md, "SR-LUT core" and "The rotation ensemble".
 *
 * The rotation ensemble is computed without rotating anything. Rotation r
 * (the image turned r * 90 degrees counter-clockwise) sees, at the pixel
 * that lands on source pixel (y, x), a 2x2 window whose b, c, d are the
 * source neighbours at srlut_rot_offsets[r] (edge clamping in the rotated
 * frame is clamping in the source frame), and its s x s output block,
 * turned back, puts LUT value srlut_rot_value(r, s, u, v) at block
 * position (u, v). Derivation for r = 1: rot(I)[i][j] = I[j][W-1-i], so
 * rotated pixel (i, j) is source pixel (j, W-1-i); its right neighbour
 * (i, j+1) is source (y+1, x) and its lower neighbour (i+1, j) is source
 * (y, x-1); the block comes back through rot^-1(Z)[p][q] = Z[Hz-1-q][p],
 * i.e. value (s-1-v) * s + u. r = 2 and 3 follow the same way.
 * tests/test_srlut.c checks all of it against literal rot90 calls.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "model.h"
#include "srlut.h"

/* Straight from docs/kernels.md, one output block at a time, reading the
 * source with clamped coordinates. Inlined per scale so the value loops
 * have constant trip counts. */
static inline __attribute__((always_inline))
void row_c_tmpl(const SrlutContext *c, const LutsrPlane *src, int y,
                uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    const int k = c->interval_bits, n = c->lut_side, q = 1 << k, nv = s * s;
    const int w = src->width, h = src->height;
    const int steps[4] = { n * n * n, n * n, n, 1 };
    const uint8_t *rows[3];
    for (int i = 0; i < 3; i++)
        rows[i] = src->data + (ptrdiff_t)lutsr_clampi(y + i - 1, 0, h - 1) * src->stride;
    uint8_t perm[4][16];
    for (int r = 0; r < 4; r++)
        for (int u = 0; u < s; u++)
            for (int v = 0; v < s; v++)
                perm[r][u * s + v] = (uint8_t)srlut_rot_value(r, s, u, v);

    for (int x = 0; x < w; x++) {
        const int cols[3] = { x > 0 ? x - 1 : 0, x, x + 1 < w ? x + 1 : w - 1 };
        const int anchor = rows[1][x];
        int acc[16] = { 0 };
        UNROLL16
        for (int r = 0; r < 4; r++) {
            const int8_t (*o)[2] = srlut_rot_offsets[r];
            int px[4] = { anchor };
            for (int i = 0; i < 3; i++)
                px[i + 1] = rows[1 + o[i][0]][cols[1 + o[i][1]]];
            uint32_t key[4];
            int f[4], e[5] = { 0 };
            for (int i = 0; i < 4; i++) {
                e[0] = e[0] * n + (px[i] >> k);
                key[i] = (uint32_t)(px[i] & (q - 1)) << 24 | (uint32_t)steps[i];
            }
            sort4_desc(key);
            for (int i = 0; i < 4; i++) {
                f[i] = (int)(key[i] >> 24);
                e[i + 1] = e[i] + (int)(key[i] & 0xFFFFFF);
            }
            const int wt[5] = { q - f[0], f[0] - f[1], f[1] - f[2], f[2] - f[3], f[3] };
            /* the rotation's sum in LUT value order, then into block order */
            int sum[16] = { 0 };
            for (int i = 0; i < 5; i++) {
                const int8_t *l = c->lut + (size_t)e[i] * nv;
                UNROLL16
                for (int t = 0; t < nv; t++)
                    sum[t] += wt[i] * l[t];
            }
            UNROLL16
            for (int t = 0; t < nv; t++)
                acc[t] += sum[perm[r][t]];
        }
        for (int u = 0; u < s; u++)
            for (int v = 0; v < s; v++)
                dst[u * dst_stride + x * s + v] =
                    lutsr_clip_u8(anchor + lutsr_round_shift(acc[u * s + v], c->out_shift));
    }
}

static void row_c(const SrlutContext *c, const LutsrPlane *src, int y,
                  uint8_t *dst, ptrdiff_t dst_stride)
{
    switch (c->scale) {
    case 2:  row_c_tmpl(c, src, y, dst, dst_stride, 2); break;
    case 3:  row_c_tmpl(c, src, y, dst, dst_stride, 3); break;
    default: row_c_tmpl(c, src, y, dst, dst_stride, 4); break;
    }
}

static size_t padded_row_size(int w)
{
    return ((size_t)SRLUT_PAD_LEFT + (size_t)w + SRLUT_PAD_RIGHT + LUTSR_ALIGN - 1) &
           ~(size_t)(LUTSR_ALIGN - 1);
}

static size_t srlut_scratch_size(const void *priv, int src_w)
{
    const SrlutContext *c = priv;
    return c->row_simd ? 3 * padded_row_size(src_w) : 0;
}

static void srlut_row(const void *priv, const LutsrPlane *src, int y,
                      uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const SrlutContext *c = priv;
    if (!c->row_simd) {
        row_c(c, src, y, dst, dst_stride);
        return;
    }
    /* Edge-replicated copies of rows y-1, y, y+1, so the SIMD code needs no
     * border cases (a few KiB of copying per row, noise next to the LUT
     * work). */
    const int w = src->width;
    const size_t pitch = padded_row_size(w);
    const uint8_t *rows[3];
    for (int i = 0; i < 3; i++) {
        const int sy = lutsr_clampi(y + i - 1, 0, src->height - 1);
        const uint8_t *in = src->data + (ptrdiff_t)sy * src->stride;
        uint8_t *p = scratch + i * pitch + SRLUT_PAD_LEFT;
        memset(p - SRLUT_PAD_LEFT, in[0], SRLUT_PAD_LEFT);
        memcpy(p, in, (size_t)w);
        memset(p + w, in[w - 1], SRLUT_PAD_RIGHT);
        rows[i] = p;
    }
    c->row_simd(c, rows, w, dst, dst_stride);
}

static void srlut_uninit(void **priv)
{
    SrlutContext *c = *priv;
    if (c) {
        lutsr_free_aligned(c->simd_lut_buf);
        free(c);
    }
    *priv = NULL;
}

/* The model parser already checks all of this; a kernel still refuses a
 * model it cannot run safely (hand-built models in tests and tools). */
static int check_model(const struct LutsrModel *m)
{
    if (!m || m->kind != LUTSR_MODEL_SRLUT || !m->lut)
        return LUTSR_ERR_INVALID_ARG;
    if (m->scale < 2 || m->scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    const int k = m->interval_bits;
    if (k < LUTSR_SRLUT_MIN_INTERVAL_BITS || k > LUTSR_SRLUT_MAX_INTERVAL_BITS)
        return LUTSR_ERR_MODEL_RANGE;
    const uint32_t n = (1u << (8 - k)) + 1;
    if ((uint32_t)m->lut_side != n || m->lut_entries != n * n * n * n ||
        m->lut_values != (uint32_t)(m->scale * m->scale) ||
        m->out_shift < 0 || m->out_shift > LUTSR_MAX_OUT_SHIFT)
        return LUTSR_ERR_MODEL_RANGE;
    return 0;
}

static int srlut_init(void **priv, const struct LutsrModel *m, unsigned cpu_flags)
{
    *priv = NULL;
    int ret = check_model(m);
    if (ret < 0)
        return ret;
    SrlutContext *c = calloc(1, sizeof(*c));
    if (!c)
        return LUTSR_ERR_NOMEM;
    c->scale = m->scale;
    c->interval_bits = m->interval_bits;
    c->lut_side = m->lut_side;
    c->out_shift = m->out_shift;
    c->lut_values = (int)m->lut_values;
    c->lut = m->lut;
    c->impl = "c";
#if HAVE_X86_SIMD
    if ((ret = lutsr_srlut_init_x86(c, cpu_flags)) < 0) {
        srlut_uninit((void **)&c);
        return ret;
    }
#else
    (void)cpu_flags;
#endif
    *priv = c;
    return 0;
}

static const char *srlut_impl_name(const void *priv)
{
    const SrlutContext *c = priv;
    return c ? c->impl : "none";
}

const LutsrKernelOps lutsr_srlut_ops = {
    .name         = "srlut",
    .init         = srlut_init,
    .uninit       = srlut_uninit,
    .scratch_size = srlut_scratch_size,
    .row          = srlut_row,
    .impl_name    = srlut_impl_name,
};
