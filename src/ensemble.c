/*
 * Geometric self-ensemble: t(src) for the 8 transforms t (bit 0 flips x,
 * bit 1 flips y, bit 2 transposes after the flips), each upscaled by the
 * normal path and mapped back into a uint16 running sum; the last pass
 * writes (sum + 4) >> 3. Upscaling commutes with these transforms on the
 * pixel grid (pixel-centre aligned, integer scale), so every pass predicts
 * the same output pixels and only the model's errors differ.
 */
#include <string.h>

#include "context.h"
#include "ensemble.h"
#include "mem.h"

/* Where row y of a w x h image in the original orientation lies inside its
 * t-transformed copy (row stride `stride`): pixel x is at off + x * step. */
static void line_in_transform(int t, int w, int h, ptrdiff_t stride, int y,
                              ptrdiff_t *off, ptrdiff_t *step)
{
    const int x0 = t & 1 ? w - 1 : 0, dx = t & 1 ? -1 : 1;
    const int y1 = t & 2 ? h - 1 - y : y;
    if (t & 4) {        /* transposed: original (x, y1) sits at row x, column y1 */
        *off = (ptrdiff_t)x0 * stride + y1;
        *step = dx * stride;
    } else {
        *off = (ptrdiff_t)y1 * stride + x0;
        *step = dx;
    }
}

/* Returns buf if it holds size bytes, else a fresh aligned buffer (NULL on
 * failure); the old contents are not kept. */
static void *grow(void *buf, size_t *have, size_t size)
{
    if (buf && *have >= size)
        return buf;
    lutsr_free_aligned(buf);
    buf = lutsr_alloc_aligned(size);
    *have = buf ? size : 0;
    return buf;
}

typedef struct MapBack {
    const LutsrPlane *hr;   /* this pass's upscale, in transformed orientation */
    const LutsrPlane *dst;
    uint16_t *sum;
    int t, pass, njobs;
} MapBack;

/* Adds one pass into the sum for a band of output rows; the first pass
 * stores, the last writes the rounded mean. */
static int map_back_rows(void *arg, int job, int thread)
{
    const MapBack *m = arg;
    const int w = m->dst->width, h = m->dst->height;
    const int y0 = (int)((int64_t)h * job / m->njobs), y1 = (int)((int64_t)h * (job + 1) / m->njobs);
    (void)thread;
    for (int y = y0; y < y1; y++) {
        ptrdiff_t off, step;
        line_in_transform(m->t, w, h, m->hr->stride, y, &off, &step);
        const uint8_t *in = m->hr->data + off;
        uint16_t *sum = m->sum + (size_t)y * (size_t)w;
        if (m->pass == 0) {
            for (int x = 0; x < w; x++)
                sum[x] = in[x * step];
        } else if (m->pass < 7) {
            for (int x = 0; x < w; x++)
                sum[x] += in[x * step];
        } else {
            uint8_t *out = m->dst->data + y * m->dst->stride;
            for (int x = 0; x < w; x++)
                out[x] = (uint8_t)((sum[x] + in[x * step] + 4) >> 3);
        }
    }
    return 0;
}

int lutsr_ensemble_upscale(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst,
                           LutsrPlaneFn upscale)
{
    LutsrEnsembleBufs *b = &c->ensemble_bufs;
    const int w = src->width, h = src->height, s = c->scale;
    const size_t n = (size_t)w * (size_t)h, hr_n = n * (size_t)s * (size_t)s;
    int r;
    if (!(b->src = grow(b->src, &b->src_size, n)) ||
        !(b->hr = grow(b->hr, &b->hr_size, hr_n)) ||
        !(b->sum = grow(b->sum, &b->sum_size, hr_n * sizeof(*b->sum))))
        return LUTSR_ERR_NOMEM;

    int njobs = c->threads * 4;
    if (njobs > dst->height)
        njobs = dst->height;
    for (int t = 0; t < 8; t++) {
        const int tw = t & 4 ? h : w, th = t & 4 ? w : h;
        const LutsrPlane tsrc = { b->src, tw, tw, th };
        const LutsrPlane thr = { b->hr, (ptrdiff_t)tw * s, tw * s, th * s };
        for (int y = 0; y < h; y++) {
            ptrdiff_t off, step;
            line_in_transform(t, w, h, tsrc.stride, y, &off, &step);
            const uint8_t *in = src->data + y * src->stride;
            for (int x = 0; x < w; x++)
                b->src[off + x * step] = in[x];
        }
        if ((r = upscale(c, &tsrc, &thr)) < 0)
            return r;
        MapBack m = { &thr, dst, b->sum, t, t, njobs };
        if ((r = lutsr_pool_run(c->pool, map_back_rows, &m, njobs)) < 0)
            return r;
    }
    return 0;
}

void lutsr_ensemble_free(LutsrEnsembleBufs *b)
{
    lutsr_free_aligned(b->src);
    lutsr_free_aligned(b->hr);
    lutsr_free_aligned(b->sum);
    memset(b, 0, sizeof(*b));
}
