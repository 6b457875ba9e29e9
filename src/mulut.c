/*
 * MuLUT kernel: C reference, the stage pipeline, and the LutsrKernelOps
 * glue (SIMD row functions and their LUT layouts live in x86/mulut_avx2.c).
 * Semantics (normative): docs/kernels.md, "MuLUT core".
 *
 * Each stage is an SR-LUT-like pass (srlut.c explains how the rotation
 * ensemble is computed without rotating anything) summed over the stage's
 * sampling patterns. Stages before the last keep the size, so a final
 * output row needs rows y-2 .. y+2 of the last stage's input, which need
 * rows y-4 .. y+4 of the stage before, and so on. Recomputing those per
 * output row would redo every earlier stage about five times over; instead
 * rows() streams: each stage input ("level" 0 = the source, level t = the
 * output of stage t-1) lives in a ring of MULUT_RING padded rows, and a
 * level's rows are produced in order, once per call, as the level above
 * asks for them. Memory is bounded by the width; the bytes do not depend on
 * how calls split the rows, because every intermediate row is computed
 * exactly, as a function of the source alone.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mulut.h"
#include "srlut.h"

/* One stage on one row, straight from docs/kernels.md: per pixel, per
 * pattern and rotation, the SR-LUT simplex on the pattern's window, summed
 * into the block in block order. Inlined per scale so the value loops have
 * constant trip counts. */
static inline __attribute__((always_inline))
void row_c_tmpl(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                uint8_t *dst, ptrdiff_t dst_stride, const int s)
{
    const int k = st->interval_bits, n = st->lut_side, q = 1 << k, nv = s * s;
    const int steps[4] = { n * n * n, n * n, n, 1 };
    uint8_t perm[4][16];
    for (int r = 0; r < 4; r++)
        for (int u = 0; u < s; u++)
            for (int v = 0; v < s; v++)
                perm[r][u * s + v] = (uint8_t)srlut_rot_value(r, s, u, v);

    for (int x = 0; x < w; x++) {
        const int anchor = rows[2][x];
        int acc[16] = { 0 };
        for (int pi = 0; pi < st->n_patterns; pi++) {
            const int8_t (*offsets)[3][2] = mulut_offsets[st->pattern[pi]];
            const int8_t *lut = st->lut[pi];
            for (int r = 0; r < 4; r++) {
                int px[4] = { anchor };
                for (int i = 0; i < 3; i++)
                    px[i + 1] = rows[2 + offsets[r][i][0]][x + offsets[r][i][1]];
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
                int sum[16] = { 0 };
                for (int i = 0; i < 5; i++) {
                    const int8_t *l = lut + (size_t)e[i] * nv;
                    UNROLL16
                    for (int t = 0; t < nv; t++)
                        sum[t] += wt[i] * l[t];
                }
                UNROLL16
                for (int t = 0; t < nv; t++)
                    acc[t] += sum[perm[r][t]];
            }
        }
        for (int u = 0; u < s; u++)
            for (int v = 0; v < s; v++)
                dst[u * dst_stride + x * s + v] =
                    lutsr_clip_u8(anchor + lutsr_round_shift(acc[u * s + v], st->out_shift));
    }
}

static void row_c_x1(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                     uint8_t *dst, ptrdiff_t dst_stride)
{
    row_c_tmpl(st, rows, w, dst, dst_stride, 1);
}

static void row_c_x2(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                     uint8_t *dst, ptrdiff_t dst_stride)
{
    row_c_tmpl(st, rows, w, dst, dst_stride, 2);
}

static void row_c_x3(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                     uint8_t *dst, ptrdiff_t dst_stride)
{
    row_c_tmpl(st, rows, w, dst, dst_stride, 3);
}

static void row_c_x4(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                     uint8_t *dst, ptrdiff_t dst_stride)
{
    row_c_tmpl(st, rows, w, dst, dst_stride, 4);
}

/* ------------------------------------------------------------------------ */
/* The stage pipeline                                                       */

static size_t padded_row_size(int w)
{
    return ((size_t)MULUT_PAD_LEFT + (size_t)w + MULUT_PAD_RIGHT + LUTSR_ALIGN - 1) &
           ~(size_t)(LUTSR_ALIGN - 1);
}

/* One rows() call's streaming state, over the caller's scratch. */
typedef struct Pipe {
    const MulutContext *c;
    const LutsrPlane *src;
    uint8_t *ring;   /* n_stages levels x MULUT_RING rows x pitch */
    size_t pitch;
    int next[LUTSR_MULUT_MAX_STAGES]; /* per level: the next row to produce */
} Pipe;

static uint8_t *slot(const Pipe *p, int level, int y)
{
    return p->ring + ((size_t)level * MULUT_RING + (size_t)(y & (MULUT_RING - 1))) * p->pitch +
           MULUT_PAD_LEFT;
}

static void pad_row(uint8_t *row, int w)
{
    memset(row - MULUT_PAD_LEFT, row[0], MULUT_PAD_LEFT);
    memset(row + w, row[w - 1], MULUT_PAD_RIGHT);
}

/* Rows y-2 .. y+2 of level, clamped to the plane; all must be in the ring. */
static void window(const Pipe *p, int level, int y, const uint8_t *rows[5])
{
    for (int i = 0; i < 5; i++)
        rows[i] = slot(p, level, lutsr_clampi(y + i - 2, 0, p->src->height - 1));
}

/* Makes rows up to `last` of level available (in order; the ring holds the
 * last MULUT_RING). A level's rows are asked for only by the level above,
 * which reads at most rows y-2 .. y+2 while it asks for y+2, so 5 rows are
 * live at a time. */
static void produce(Pipe *p, int level, int last)
{
    const int w = p->src->width;
    while (p->next[level] <= last) {
        const int y = p->next[level]++;
        uint8_t *out = slot(p, level, y);
        if (level == 0) {
            memcpy(out, p->src->data + (ptrdiff_t)y * p->src->stride, (size_t)w);
        } else {
            const uint8_t *rows[5];
            produce(p, level - 1, lutsr_clampi(y + 2, 0, p->src->height - 1));
            window(p, level - 1, y, rows);
            const MulutStageCtx *st = &p->c->stage[level - 1];
            st->row(st, rows, w, out, 0);
        }
        pad_row(out, w);
    }
}

static void mulut_rows(const void *priv, const LutsrPlane *src, int y0, int y1,
                       uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const MulutContext *c = priv;
    const int last = c->n_stages - 1, s = c->scale;
    Pipe p = { c, src, scratch, padded_row_size(src->width), { 0 } };
    /* First row each level is asked for: 2 above the level after it. */
    for (int level = last, y = y0 - 2; level >= 0; level--, y -= 2)
        p.next[level] = y > 0 ? y : 0;
    const MulutStageCtx *st = &c->stage[last];
    for (int y = y0; y < y1; y++) {
        const uint8_t *rows[5];
        produce(&p, last, lutsr_clampi(y + 2, 0, src->height - 1));
        window(&p, last, y, rows);
        st->row(st, rows, src->width, dst + (ptrdiff_t)(y - y0) * s * dst_stride, dst_stride);
    }
}

/* A single row costs as much of the earlier stages as 5 rows (and 9 of the
 * one before): lib.c only asks for it where the caller cuts a source
 * row's output. */
static void mulut_row(const void *priv, const LutsrPlane *src, int y,
                      uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    mulut_rows(priv, src, y, y + 1, dst, dst_stride, scratch);
}

static size_t mulut_scratch_size(const void *priv, int src_w)
{
    const MulutContext *c = priv;
    return (size_t)c->n_stages * MULUT_RING * padded_row_size(src_w);
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */

static void mulut_uninit(void **priv)
{
    MulutContext *c = *priv;
    if (c) {
        for (int t = 0; t < c->n_stages; t++)
            for (int i = 0; i < LUTSR_MULUT_PATTERNS; i++)
                lutsr_free_aligned(c->stage[t].simd_lut_buf[i]);
        free(c);
    }
    *priv = NULL;
}

/* The model parser already checks all of this; a kernel still refuses a
 * model it cannot run safely (hand-built models in tests and tools). */
static int check_model(const struct LutsrModel *m)
{
    if (!m || m->kind != LUTSR_MODEL_MULUT)
        return LUTSR_ERR_INVALID_ARG;
    if (m->scale < 2 || m->scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    if (m->n_stages < 1 || m->n_stages > LUTSR_MULUT_MAX_STAGES)
        return LUTSR_ERR_MODEL_RANGE;
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *st = &m->stages[t];
        const int k = st->interval_bits;
        if (st->scale != (t == m->n_stages - 1 ? m->scale : 1) ||
            st->pattern_mask < 1 || st->pattern_mask >= 1 << LUTSR_MULUT_PATTERNS ||
            k < LUTSR_SRLUT_MIN_INTERVAL_BITS || k > LUTSR_SRLUT_MAX_INTERVAL_BITS ||
            st->out_shift < 0 || st->out_shift > LUTSR_MAX_OUT_SHIFT)
            return LUTSR_ERR_MODEL_RANGE;
        const uint32_t n = (1u << (8 - k)) + 1;
        if ((uint32_t)st->lut_side != n || st->lut_entries != n * n * n * n ||
            st->lut_values != (uint32_t)(st->scale * st->scale))
            return LUTSR_ERR_MODEL_RANGE;
        for (int i = 0; i < LUTSR_MULUT_PATTERNS; i++)
            if ((st->pattern_mask & 1 << i) && !st->lut[i])
                return LUTSR_ERR_INVALID_ARG;
    }
    return 0;
}

static int mulut_init(void **priv, const struct LutsrModel *m, unsigned cpu_flags)
{
    static const MulutRowFn row_c[5] = { NULL, row_c_x1, row_c_x2, row_c_x3, row_c_x4 };
    *priv = NULL;
    int ret = check_model(m);
    if (ret < 0)
        return ret;
    MulutContext *c = calloc(1, sizeof(*c));
    if (!c)
        return LUTSR_ERR_NOMEM;
    c->n_stages = m->n_stages;
    c->scale = m->scale;
    c->impl = "c";
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *ms = &m->stages[t];
        MulutStageCtx *st = &c->stage[t];
        st->scale = ms->scale;
        st->interval_bits = ms->interval_bits;
        st->lut_side = ms->lut_side;
        st->out_shift = ms->out_shift;
        st->lut_values = (int)ms->lut_values;
        for (int i = 0; i < LUTSR_MULUT_PATTERNS; i++) {
            if (!(ms->pattern_mask & 1 << i))
                continue;
            st->pattern[st->n_patterns] = i;
            st->lut[st->n_patterns++] = ms->lut[i];
        }
        st->row = row_c[st->scale];
#if HAVE_X86_SIMD
        if ((ret = lutsr_mulut_init_stage_x86(st, cpu_flags)) < 0) {
            mulut_uninit((void **)&c);
            return ret;
        }
        if (ret > 0)
            c->impl = "avx2";
#else
        (void)cpu_flags;
#endif
    }
    *priv = c;
    return 0;
}

static const char *mulut_impl_name(const void *priv)
{
    const MulutContext *c = priv;
    return c ? c->impl : "none";
}

const LutsrKernelOps lutsr_mulut_ops = {
    .name         = "mulut",
    .init         = mulut_init,
    .uninit       = mulut_uninit,
    .scratch_size = mulut_scratch_size,
    .row          = mulut_row,
    .rows         = mulut_rows,
    .impl_name    = mulut_impl_name,
};
