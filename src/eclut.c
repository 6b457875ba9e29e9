/*
 * ECLUT upscaler: C reference and kernel ops (docs/kernels.md, "ECLUT
 * core" and "The rotation ensemble").
 *
 * row() first turns each of the (up to) three source rows it needs into
 * LUT entry offsets for the four rotations (eclut.h: EclutEntries), then
 * sums, per output block, the 36 s*s groups those entries point at. The
 * SIMD code (x86/eclut_avx2.c) replaces either step and must stay
 * bit-identical.
 */
#include <stdlib.h>
#include <string.h>

#include "eclut.h"
#include "model.h"

#if defined(__GNUC__)
#  define ECLUT_INLINE static inline __attribute__((always_inline))
#else
#  define ECLUT_INLINE static inline
#endif

void lutsr_eclut_entries_c(const EclutContext *c, const LutsrPlane *src,
                           int i, uint32_t *const e[4])
{
    const int w = src->width, h = src->height;
    const uint8_t *row   = src->data + (ptrdiff_t)i * src->stride;
    const uint8_t *below = src->data + (ptrdiff_t)(i + 1 < h ? i + 1 : i) * src->stride;
    const uint8_t *above = src->data + (ptrdiff_t)(i > 0 ? i - 1 : 0) * src->stride;
    for (int x = -1; x <= w; x++)
        eclut_entries_col(row, below, above, w, x, (uint32_t)c->values, e);
    const size_t n = eclut_entry_stride(w);
    for (int r = 0; r < 4; r++)
        memset(e[r] + w + 2, 0, (n - (size_t)w - 2) * sizeof(**e));
}

/* s is a constant at each call site, so the inner loops unroll. */
ECLUT_INLINE void blocks_c(const EclutContext *c, const EclutEntries *e,
                           const uint8_t *anchor, int x0, int x1,
                           uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    const int n = s * s, shift = c->out_shift;
    for (int x = x0; x < x1; x++) {
        int t[16] = { 0 };
        for (int r = 0; r < 4; r++) {
            /* Sum the 9 groups in LUT order, then permute once. */
            int acc[16] = { 0 };
            for (int k = 0; k < 3; k++) {
                for (int d = 0; d < 3; d++) { /* pixel column x + d - 1 */
                    const int8_t *p = c->lut + e->e[k][r][x + d] + c->group[r][k][d];
                    for (int i = 0; i < n; i++)
                        acc[i] += p[i];
                }
            }
            for (int i = 0; i < n; i++)
                t[i] += acc[c->sub[r][i]];
        }
        const int a = anchor[x];
        for (int ys = 0; ys < s; ys++) {
            uint8_t *o = dst + ys * dst_stride + x * s;
            for (int xs = 0; xs < s; xs++)
                o[xs] = lutsr_clip_u8(a + lutsr_round_shift(t[ys * s + xs], shift));
        }
    }
}

void lutsr_eclut_blocks_c(const EclutContext *c, const EclutEntries *e,
                          const uint8_t *anchor, int x0, int x1,
                          uint8_t *dst, ptrdiff_t dst_stride)
{
    switch (c->scale) {
    case 2:  blocks_c(c, e, anchor, x0, x1, dst, dst_stride, 2); break;
    case 3:  blocks_c(c, e, anchor, x0, x1, dst, dst_stride, 3); break;
    default: blocks_c(c, e, anchor, x0, x1, dst, dst_stride, 4); break;
    }
}

static int eclut_init(void **priv, const struct LutsrModel *m, unsigned cpu_flags)
{
    if (!priv)
        return LUTSR_ERR_INVALID_ARG;
    *priv = NULL;
    if (!m || m->kind != LUTSR_MODEL_ECLUT || !m->lut)
        return LUTSR_ERR_INVALID_ARG;
    if (m->scale < 2 || m->scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    const int s = m->scale;
    if (m->lut_entries != 65536 || m->lut_values != (uint32_t)(9 * s * s) ||
        m->out_shift < 0 || m->out_shift > LUTSR_MAX_OUT_SHIFT)
        return LUTSR_ERR_MODEL_RANGE;

    EclutContext *c = calloc(1, sizeof(*c));
    if (!c)
        return LUTSR_ERR_NOMEM;
    c->scale = s;
    c->values = 9 * s * s;
    c->out_shift = m->out_shift;
    c->lut = m->lut;
    for (int r = 0; r < 4; r++) {
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++)
                c->group[r][dy + 1][dx + 1] = eclut_group(r, dy, dx) * s * s;
        }
        for (int ys = 0; ys < s; ys++) {
            for (int xs = 0; xs < s; xs++) {
                int u, v;
                eclut_sub_uv(r, s, ys, xs, &u, &v);
                c->sub[r][ys * s + xs] = (uint8_t)(u * s + v);
            }
        }
    }
    c->entries = lutsr_eclut_entries_c;
    c->blocks = lutsr_eclut_blocks_c;
    c->impl = "c";
#if HAVE_X86_SIMD
    lutsr_eclut_init_x86(c, cpu_flags);
#else
    (void)cpu_flags;
#endif
    *priv = c;
    return 0;
}

static void eclut_uninit(void **priv)
{
    if (!priv)
        return;
    EclutContext *c = *priv;
    if (c)
        free(c->simd_lut);
    free(c);
    *priv = NULL;
}

static size_t eclut_scratch_size(const void *priv, int src_w)
{
    (void)priv;
    return 12 * eclut_entry_stride(src_w) * sizeof(uint32_t);
}

/* Source rows y0 .. y1-1. The entry offsets of a source row are computed
 * once and kept while later rows need them: the scratch holds three slots
 * (one per row of the 3-row window) of four arrays, rotation r's at slot
 * base + r * entry stride (x86/eclut_avx2.c relies on that spacing). */
static void eclut_rows(const void *priv, const LutsrPlane *src, int y0, int y1,
                       uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const EclutContext *c = priv;
    const size_t es = eclut_entry_stride(src->width);
    uint32_t *buf = (uint32_t *)(void *)scratch;
    int have[3] = { -1, -1, -1 }; /* source row in each slot */
    for (int y = y0; y < y1; y++) {
        int rows[3], slot[3];
        for (int k = 0; k < 3; k++)
            rows[k] = eclut_refl(y + k - 1, src->height);
        for (int k = 0; k < 3; k++) {
            slot[k] = -1;
            for (int j = 0; j < 3; j++)
                if (have[j] == rows[k])
                    slot[k] = j;
        }
        EclutEntries e;
        for (int k = 0; k < 3; k++) {
            if (slot[k] < 0) {
                /* a slot no row of this window is in */
                int j = 0;
                while (have[j] == rows[0] || have[j] == rows[1] || have[j] == rows[2])
                    j++;
                uint32_t *p[4];
                for (int r = 0; r < 4; r++)
                    p[r] = buf + (size_t)(j * 4 + r) * es;
                c->entries(c, src, rows[k], p);
                have[j] = rows[k];
                for (int i = k; i < 3; i++)
                    if (rows[i] == rows[k])
                        slot[i] = j;
            }
            for (int r = 0; r < 4; r++)
                e.e[k][r] = buf + (size_t)(slot[k] * 4 + r) * es;
        }
        c->blocks(c, &e, src->data + (ptrdiff_t)y * src->stride, 0, src->width,
                  dst + (ptrdiff_t)(y - y0) * c->scale * dst_stride, dst_stride);
    }
}

static void eclut_row(const void *priv, const LutsrPlane *src, int y,
                      uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    eclut_rows(priv, src, y, y + 1, dst, dst_stride, scratch);
}

static const char *eclut_impl_name(const void *priv)
{
    return priv ? ((const EclutContext *)priv)->impl : "none";
}

const LutsrKernelOps lutsr_eclut_ops = {
    .name         = "eclut",
    .init         = eclut_init,
    .uninit       = eclut_uninit,
    .scratch_size = eclut_scratch_size,
    .row          = eclut_row,
    .rows         = eclut_rows,
    .impl_name    = eclut_impl_name,
};
