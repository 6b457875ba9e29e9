/*
 * Public entry points: validate every argument, own the slice grid and the
 * per-thread scratch, route rows to the kernels.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "cpu.h"
#include "log.h"
#include "mem.h"

unsigned lutsr_version(void)
{
    return LUTSR_API_VERSION_INT;
}

void lutsr_default_options(LutsrOptions *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof(*o));
    o->threads = 0;
    o->cpu = LUTSR_CPU_AUTO;
    o->log_level = LUTSR_LOG_WARNING;
}

/* Records a detail message on the context and returns code. */
static int LUTSR_PRINTF(3, 4) set_error(LutsrContext *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    lutsr_log(c, LUTSR_LOG_ERROR, "%s", c->err);
    return code;
}

static const LutsrKernelOps *ops_for_kind(LutsrModelKind kind)
{
    switch (kind) {
    case LUTSR_MODEL_BICUBIC: return &lutsr_bicubic_ops;
    case LUTSR_MODEL_SRLUT:   return &lutsr_srlut_ops;
    case LUTSR_MODEL_ECLUT:   return &lutsr_eclut_ops;
    case LUTSR_MODEL_MULUT:   return &lutsr_mulut_ops;
    case LUTSR_MODEL_CNN:     return &lutsr_cnn_ops;
    }
    return NULL;
}

static int options_valid(LutsrContext *c, const LutsrOptions *o)
{
    if (o->threads < 0 || o->threads > 256)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "threads must be 0 (auto) or 1..256, got %d", o->threads);
    if (o->cpu < LUTSR_CPU_AUTO || o->cpu > LUTSR_CPU_AVX2)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "cpu must be a LutsrCpu value, got %d", (int)o->cpu);
    if (o->log_level < LUTSR_LOG_ERROR || o->log_level > LUTSR_LOG_DEBUG)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "log_level must be 0..4, got %d", o->log_level);
    if (o->ensemble != 0 && o->ensemble != 1 && o->ensemble != 8)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "ensemble must be 1 (off) or 8, got %d", o->ensemble);
    for (size_t i = 0; i < sizeof(o->reserved); i++)
        if (o->reserved[i])
            return set_error(c, LUTSR_ERR_INVALID_ARG, "reserved option bytes must be zero "
                             "(initialise options with lutsr_default_options())");
    return 0;
}

static int kernel_init(LutsrContext *c, LutsrKernel *k, const LutsrModel *m)
{
    k->ops = ops_for_kind(m->kind);
    if (!k->ops)
        return set_error(c, LUTSR_ERR_MODEL_KIND, "model kind %d is not supported", (int)m->kind);
    int r = k->ops->init(&k->priv, m, c->cpu_flags);
    if (r < 0) {
        k->ops = NULL;
        return set_error(c, r, "%s kernel: initialisation failed: %s", ops_for_kind(m->kind)->name,
                         lutsr_strerror(r));
    }
    return 0;
}

static void kernel_uninit(LutsrKernel *k)
{
    if (k->ops)
        k->ops->uninit(&k->priv);
    k->ops = NULL;
}

int lutsr_open(LutsrContext **out, const LutsrModel *model, const LutsrOptions *o)
{
    if (!out)
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    LutsrContext *c = calloc(1, sizeof(*c));
    if (!c)
        return LUTSR_ERR_NOMEM;
    if (o)
        c->opts = *o;
    else
        lutsr_default_options(&c->opts);

    int r;
    if (!model) {
        r = set_error(c, LUTSR_ERR_INVALID_ARG, "no model given");
        goto fail;
    }
    if ((r = options_valid(c, &c->opts)) < 0)
        goto fail;

    c->model = model;
    c->scale = lutsr_model_scale(model);
    c->cpu_flags = lutsr_cpu_flags_for(c->opts.cpu);
    c->threads = c->opts.threads ? c->opts.threads : lutsr_cpu_count();

    if ((r = kernel_init(c, &c->luma, model)) < 0)
        goto fail;
    if ((r = lutsr_model_bicubic(&c->bicubic_model, c->scale)) < 0) {
        set_error(c, r, "cannot create the bicubic kernel for scale %d", c->scale);
        goto fail;
    }
    if ((r = kernel_init(c, &c->bicubic, c->bicubic_model)) < 0)
        goto fail;

    c->slots = calloc((size_t)c->threads, sizeof(*c->slots));
    if (!c->slots) {
        r = set_error(c, LUTSR_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* With external threads the pool only runs whole-plane calls, on the caller. */
    if ((r = lutsr_pool_create(&c->pool, c->opts.external_threads ? 1 : c->threads)) < 0) {
        set_error(c, r, "cannot start %d threads", c->threads);
        goto fail;
    }
    lutsr_log(c, LUTSR_LOG_VERBOSE, "model %s x%d, %s kernel (%s), %d %s%s",
              lutsr_model_kind_name(model), c->scale, c->luma.ops->name,
              c->luma.ops->impl_name(c->luma.priv), c->threads,
              c->opts.external_threads ? "job slot(s) for the caller's threads" : "thread(s)",
              c->opts.ensemble == 8 ? ", x8 self-ensemble" : "");
    *out = c;
    return 0;

fail:
    /* Keep the context only long enough to log; the caller gets the code. */
    lutsr_close(&c);
    return r;
}

void lutsr_close(LutsrContext **pc)
{
    LutsrContext *c = pc ? *pc : NULL;
    if (!c)
        return;
    lutsr_pool_free(&c->pool);
    if (c->slots) {
        for (int i = 0; i < c->threads; i++) {
            lutsr_free_aligned(c->slots[i].luma_scratch);
            lutsr_free_aligned(c->slots[i].bicubic_scratch);
            lutsr_free_aligned(c->slots[i].rows);
        }
        free(c->slots);
    }
    lutsr_ensemble_free(&c->ensemble_bufs);
    kernel_uninit(&c->luma);
    kernel_uninit(&c->bicubic);
    lutsr_model_close(&c->bicubic_model);
    free(c);
    *pc = NULL;
}

const char *lutsr_last_error(const LutsrContext *c)
{
    return c ? c->err : "";
}

int lutsr_scale(const LutsrContext *c)
{
    return c ? c->scale : 0;
}

int lutsr_threads(const LutsrContext *c)
{
    return c ? c->threads : 0;
}

const char *lutsr_cpu_name(const LutsrContext *c)
{
    if (!c)
        return "";
    return c->luma.ops ? c->luma.ops->impl_name(c->luma.priv) : lutsr_cpu_flags_name(c->cpu_flags);
}

/* ------------------------------------------------------------------------ */

static int check_planes(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst)
{
    if (!src || !dst || !src->data || !dst->data)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "source or destination plane is NULL");
    if (src->width < 1 || src->height < 1 || src->width > LUTSR_MAX_DIM || src->height > LUTSR_MAX_DIM)
        return set_error(c, LUTSR_ERR_UNSUPPORTED_SIZE, "source size %dx%d is outside 1x1..%dx%d",
                         src->width, src->height, LUTSR_MAX_DIM, LUTSR_MAX_DIM);
    /* Dimensions are <= 16384 and scale <= 4, so these products fit an int. */
    if (dst->width != src->width * c->scale || dst->height != src->height * c->scale)
        return set_error(c, LUTSR_ERR_UNSUPPORTED_SIZE,
                         "destination is %dx%d, expected %dx%d (source %dx%d times scale %d)",
                         dst->width, dst->height, src->width * c->scale, src->height * c->scale,
                         src->width, src->height, c->scale);
    if (src->stride > -(ptrdiff_t)src->width && src->stride < (ptrdiff_t)src->width && src->height > 1)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "source stride %td is smaller than its width %d",
                         src->stride, src->width);
    if (dst->stride > -(ptrdiff_t)dst->width && dst->stride < (ptrdiff_t)dst->width && dst->height > 1)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "destination stride %td is smaller than its width %d",
                         dst->stride, dst->width);
    return 0;
}

/* Grows *buf to at least size bytes (aligned); contents are not kept. */
static int ensure_buffer(uint8_t **buf, size_t *have, size_t size)
{
    if (size <= *have && *buf)
        return 0;
    lutsr_free_aligned(*buf);
    *have = 0;
    *buf = lutsr_alloc_aligned(size ? size : 1);
    if (!*buf)
        return LUTSR_ERR_NOMEM;
    *have = size;
    return 0;
}

/* Writes destination rows [y0, y1) using kernel k on the job slot `slot`.
 * Source rows whose `scale` output rows are all wanted are written in
 * place (as one run, where the kernel has rows()); a source row cut by
 * y0/y1 goes through the slot's row buffer. */
static int run_rows(LutsrContext *c, const LutsrKernel *k, int bicubic, const LutsrPlane *src,
                    const LutsrPlane *dst, int y0, int y1, int slot)
{
    const int s = c->scale;
    LutsrSlot *sl = &c->slots[slot];
    uint8_t **scratch = bicubic ? &sl->bicubic_scratch : &sl->luma_scratch;
    size_t *scratch_have = bicubic ? &sl->bicubic_scratch_size : &sl->luma_scratch_size;
    int r = ensure_buffer(scratch, scratch_have, k->ops->scratch_size(k->priv, src->width));
    if (r < 0)
        return r;

    for (int sy = y0 / s; sy * s < y1; sy++) {
        int first = sy * s, last = first + s; /* output rows of this source row */
        if (first >= y0 && last <= y1) {
            uint8_t *out = dst->data + first * dst->stride;
            if (k->ops->rows) {
                const int end = y1 / s; /* source rows sy .. end-1 are whole */
                k->ops->rows(k->priv, src, sy, end, out, dst->stride, *scratch);
                sy = end - 1;
            } else {
                k->ops->row(k->priv, src, sy, out, dst->stride, *scratch);
            }
            continue;
        }
        size_t row_bytes = (size_t)dst->width;
        if ((r = ensure_buffer(&sl->rows, &sl->rows_size, row_bytes * (size_t)s)) < 0)
            return r;
        k->ops->row(k->priv, src, sy, sl->rows, (ptrdiff_t)row_bytes, *scratch);
        for (int y = first > y0 ? first : y0; y < last && y < y1; y++)
            memcpy(dst->data + y * dst->stride, sl->rows + (size_t)(y - first) * row_bytes, row_bytes);
    }
    return 0;
}

typedef struct PlaneJob {
    LutsrContext *c;
    const LutsrKernel *k;
    int bicubic;
    const LutsrPlane *src, *dst;
    int njobs;
} PlaneJob;

static int plane_job(void *arg, int job, int thread)
{
    const PlaneJob *pj = arg;
    const int h = pj->src->height, s = pj->c->scale;
    /* Whole source rows per job: the grid only affects who computes a row. */
    int sy0 = (int)((int64_t)h * job / pj->njobs), sy1 = (int)((int64_t)h * (job + 1) / pj->njobs);
    return run_rows(pj->c, pj->k, pj->bicubic, pj->src, pj->dst, sy0 * s, sy1 * s, thread);
}

static int run_plane(LutsrContext *c, const LutsrKernel *k, int bicubic,
                     const LutsrPlane *src, const LutsrPlane *dst)
{
    int r = check_planes(c, src, dst);
    if (r < 0)
        return r;
    /* A few jobs per thread balance uneven rows without much overhead. */
    int njobs = c->threads * 4;
    if (njobs > src->height)
        njobs = src->height;
    PlaneJob pj = { c, k, bicubic, src, dst, njobs };
    r = lutsr_pool_run(c->pool, plane_job, &pj, njobs);
    if (r < 0)
        return set_error(c, r, "upscale failed: %s", lutsr_strerror(r));
    return 0;
}

static int run_rows_checked(LutsrContext *c, const LutsrKernel *k, int bicubic, const LutsrPlane *src,
                            const LutsrPlane *dst, int y0, int y1, int job)
{
    int r = check_planes(c, src, dst);
    if (r < 0)
        return r;
    if (y0 < 0 || y1 > dst->height || y0 > y1)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "row range [%d, %d) is outside the destination's %d rows",
                         y0, y1, dst->height);
    if (job < 0 || job >= c->threads)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "job %d is outside 0..%d (the context's threads)",
                         job, c->threads - 1);
    r = run_rows(c, k, bicubic, src, dst, y0, y1, job);
    if (r < 0)
        return set_error(c, r, "upscale failed: %s", lutsr_strerror(r));
    return 0;
}

static int run_luma_plane(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst)
{
    return run_plane(c, &c->luma, 0, src, dst);
}

int lutsr_upscale_luma(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst)
{
    if (!c)
        return LUTSR_ERR_INVALID_ARG;
    if (c->opts.ensemble != 8)
        return run_luma_plane(c, src, dst);
    int r = check_planes(c, src, dst);
    if (r < 0)
        return r;
    if ((r = lutsr_ensemble_upscale(c, src, dst, run_luma_plane)) < 0)
        return set_error(c, r, "x8 self-ensemble upscale failed: %s", lutsr_strerror(r));
    return 0;
}

int lutsr_upscale_luma_rows(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst,
                            int dst_y0, int dst_y1, int job)
{
    if (!c)
        return LUTSR_ERR_INVALID_ARG;
    if (c->opts.ensemble == 8)
        return set_error(c, LUTSR_ERR_INVALID_ARG, "the x8 self-ensemble needs the whole plane: "
                         "call lutsr_upscale_luma(), not the row-range variant");
    return run_rows_checked(c, &c->luma, 0, src, dst, dst_y0, dst_y1, job);
}

int lutsr_upscale_bicubic(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst)
{
    if (!c)
        return LUTSR_ERR_INVALID_ARG;
    return run_plane(c, &c->bicubic, 1, src, dst);
}

int lutsr_upscale_bicubic_rows(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst,
                               int dst_y0, int dst_y1, int job)
{
    if (!c)
        return LUTSR_ERR_INVALID_ARG;
    return run_rows_checked(c, &c->bicubic, 1, src, dst, dst_y0, dst_y1, job);
}
