/*
 * lutsr: learned super-resolution (lookup-table models) for FFmpeg.
 *
 * The luma plane goes through the lutsr engine's model; chroma and alpha
 * through the engine's bicubic, so the output is byte-identical to
 * `lutsr upscale` on the same planes. Both run as FFmpeg slice jobs on
 * whole source rows; the engine's output does not depend on how rows are
 * split, so every -filter_threads value gives the same bytes. With
 * ensemble=8 (offline quality) the luma needs the whole plane at once, so
 * it runs as one engine call on the engine's own threads before the
 * chroma slice jobs.
 *
 * This file is compiled inside an FFmpeg tree (5.1, 7.1, 8.x, 9.0); see
 * patches/README.md for how it is registered.
 */

#include <string.h>

#include <lutsr/lutsr.h>

#include "libavutil/common.h"
#include "libavutil/imgutils.h"
#include "libavutil/internal.h"
#include "libavutil/mem.h"
#include "libavutil/opt.h"
#include "libavutil/pixdesc.h"

#include "avfilter.h"
#include "version.h"
#if LIBAVFILTER_VERSION_MAJOR >= 10
/* FFmpeg 7.0 moved the internal.h helpers (ff_filter_execute, pads) here. */
#include "filters.h"
#else
#include "internal.h"
#endif
#include "formats.h"
#include "video.h"

enum LutsrChroma {
    CHROMA_BICUBIC,
    CHROMA_NB,
};

/* One plane of work: source and (full-size) destination as the engine sees
 * them. A destination larger than the frame's plane (odd-sized chroma,
 * NV12) goes to a temporary plane and is copied out per slice. */
typedef struct PlaneWork {
    LutsrPlane src, dst;
    int use_model;
    uint8_t *out;          /* the frame's plane (NULL: dst is the frame) */
    ptrdiff_t out_stride;
    int out_w, out_h;      /* the frame's plane size in pixels */
    int interleave;        /* NV12: 0 = U bytes, 1 = V bytes of out */
} PlaneWork;

typedef struct LutsrFilterContext {
    const AVClass *class;

    char *model_name;
    int scale;
    int chroma;
    int cpu;
    int ensemble;

    LutsrModel *model;
    LutsrContext *sr;
    int sr_slots;
    int *job_ret;          /* one return value per slice job */

    const AVPixFmtDescriptor *desc;
    int is_nv12;
    /* Temporaries for NV12 (split source U/V) and cropped chroma output. */
    uint8_t *split[2];
    int split_w, split_h;
    uint8_t *full[4];
    size_t full_size[4];

    PlaneWork work[4];
    int nb_work;
} LutsrFilterContext;

#define OFFSET(x) offsetof(LutsrFilterContext, x)
#define FLAGS AV_OPT_FLAG_VIDEO_PARAM | AV_OPT_FLAG_FILTERING_PARAM

static const AVOption lutsr_options[] = {
    { "model", "model: a shipped short name (x2, x3, x4, srlut-x2, eclut-x2, ...) or a .lsr path",
        OFFSET(model_name), AV_OPT_TYPE_STRING, { .str = "x2" }, 0, 0, FLAGS },
    { "scale", "expected scale factor (0 = the model's); checked against the model",
        OFFSET(scale), AV_OPT_TYPE_INT, { .i64 = 0 }, 0, 4, FLAGS },
    { "chroma", "how chroma and alpha are upscaled",
        OFFSET(chroma), AV_OPT_TYPE_INT, { .i64 = CHROMA_BICUBIC }, 0, CHROMA_NB - 1, FLAGS, .unit = "chroma" },
        { "bicubic", "engine bicubic (a = -0.5)", 0, AV_OPT_TYPE_CONST, { .i64 = CHROMA_BICUBIC }, 0, 0, FLAGS, .unit = "chroma" },
    { "cpu", "highest SIMD level the engine may use (the output is the same for all)",
        OFFSET(cpu), AV_OPT_TYPE_INT, { .i64 = LUTSR_CPU_AUTO }, LUTSR_CPU_AUTO, LUTSR_CPU_AVX2, FLAGS, .unit = "cpu" },
        { "auto",  "best available",          0, AV_OPT_TYPE_CONST, { .i64 = LUTSR_CPU_AUTO  }, 0, 0, FLAGS, .unit = "cpu" },
        { "c",     "portable C reference",    0, AV_OPT_TYPE_CONST, { .i64 = LUTSR_CPU_NONE  }, 0, 0, FLAGS, .unit = "cpu" },
        { "sse41", "at most SSE4.1",          0, AV_OPT_TYPE_CONST, { .i64 = LUTSR_CPU_SSE41 }, 0, 0, FLAGS, .unit = "cpu" },
        { "avx2",  "at most AVX2",            0, AV_OPT_TYPE_CONST, { .i64 = LUTSR_CPU_AVX2  }, 0, 0, FLAGS, .unit = "cpu" },
    { "ensemble", "1, or 8: x8 self-ensemble of the luma model (about 8x slower; offline quality mode)",
        OFFSET(ensemble), AV_OPT_TYPE_INT, { .i64 = 1 }, 1, 8, FLAGS },
    { NULL }
};

AVFILTER_DEFINE_CLASS(lutsr);

static const enum AVPixelFormat pix_fmts[] = {
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P,
    AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12, AV_PIX_FMT_YUVA420P,
    AV_PIX_FMT_NONE
};

static void log_from_engine(void *priv, int level, const char *msg)
{
    static const int av_levels[] = {
        AV_LOG_ERROR, AV_LOG_WARNING, AV_LOG_INFO, AV_LOG_VERBOSE, AV_LOG_DEBUG,
    };
    av_log(priv, av_levels[av_clip(level, 0, (int)FF_ARRAY_ELEMS(av_levels) - 1)], "%s\n", msg);
}

static av_cold int init(AVFilterContext *ctx)
{
    LutsrFilterContext *s = ctx->priv;
    char err[512] = "";
    int ret, model_scale;

    if (!s->model_name || !*s->model_name) {
        av_log(ctx, AV_LOG_ERROR, "model is empty: give a shipped name (e.g. x2) or a .lsr path\n");
        return AVERROR(EINVAL);
    }
    ret = lutsr_model_open(&s->model, s->model_name, err, sizeof(err));
    if (ret < 0) {
        av_log(ctx, AV_LOG_ERROR, "cannot load model '%s': %s\n", s->model_name,
               *err ? err : lutsr_strerror(ret));
        return ret == LUTSR_ERR_NOMEM ? AVERROR(ENOMEM) : AVERROR(EINVAL);
    }
    if (s->ensemble != 1 && s->ensemble != 8) {
        av_log(ctx, AV_LOG_ERROR, "ensemble=%d: use 1 (off) or 8 (x8 self-ensemble)\n", s->ensemble);
        return AVERROR(EINVAL);
    }
    model_scale = lutsr_model_scale(s->model);
    if (s->scale && s->scale != model_scale) {
        av_log(ctx, AV_LOG_ERROR, "scale=%d does not match model '%s', which upscales x%d\n",
               s->scale, s->model_name, model_scale);
        return AVERROR(EINVAL);
    }
    av_log(ctx, AV_LOG_VERBOSE, "model '%s': %s x%d\n", s->model_name,
           lutsr_model_kind_name(s->model), model_scale);
    return 0;
}

static av_cold void uninit(AVFilterContext *ctx)
{
    LutsrFilterContext *s = ctx->priv;
    lutsr_close(&s->sr);
    lutsr_model_close(&s->model);
    av_freep(&s->job_ret);
    for (int i = 0; i < 2; i++)
        av_freep(&s->split[i]);
    for (int i = 0; i < 4; i++)
        av_freep(&s->full[i]);
}

/* The engine context is sized by job slots; FFmpeg's thread count decides
 * how many slice jobs can run at once. */
static int open_engine(AVFilterContext *ctx, int slots)
{
    LutsrFilterContext *s = ctx->priv;
    LutsrOptions o;
    int ret;

    if (s->sr && s->sr_slots >= slots)
        return 0;
    lutsr_close(&s->sr);
    av_freep(&s->job_ret);
    s->sr_slots = 0;
    if (!(s->job_ret = av_calloc(slots, sizeof(*s->job_ret))))
        return AVERROR(ENOMEM);

    lutsr_default_options(&o);
    o.threads = slots;
    /* The ensemble's whole-plane call needs the engine's own pool. */
    o.external_threads = s->ensemble != 8;
    o.ensemble = s->ensemble;
    o.cpu = s->cpu;
    o.log_level = LUTSR_LOG_VERBOSE;
    o.log_cb = log_from_engine;
    o.log_priv = ctx;
    ret = lutsr_open(&s->sr, s->model, &o);
    if (ret < 0) {
        av_log(ctx, AV_LOG_ERROR, "cannot start the lutsr engine: %s\n", lutsr_strerror(ret));
        return ret == LUTSR_ERR_NOMEM ? AVERROR(ENOMEM) : AVERROR_EXTERNAL;
    }
    s->sr_slots = slots;
    return 0;
}

static int alloc_full(LutsrFilterContext *s, int p, int w, int h)
{
    size_t size = (size_t)w * h;
    if (s->full[p] && s->full_size[p] >= size)
        return 0;
    av_freep(&s->full[p]);
    s->full_size[p] = 0;
    if (!(s->full[p] = av_malloc(size)))
        return AVERROR(ENOMEM);
    s->full_size[p] = size;
    return 0;
}

static int config_output(AVFilterLink *outlink)
{
    AVFilterContext *ctx = outlink->src;
    LutsrFilterContext *s = ctx->priv;
    AVFilterLink *inlink = ctx->inputs[0];
    const int scale = lutsr_model_scale(s->model);
    int ret, cw, ch, ocw, och, nb_planes;

    if (inlink->w > LUTSR_MAX_DIM || inlink->h > LUTSR_MAX_DIM) {
        av_log(ctx, AV_LOG_ERROR, "input %dx%d is larger than the engine's %dx%d limit\n",
               inlink->w, inlink->h, LUTSR_MAX_DIM, LUTSR_MAX_DIM);
        return AVERROR(EINVAL);
    }
    outlink->w = inlink->w * scale;
    outlink->h = inlink->h * scale;
    /* Uniform scaling keeps the pixel aspect ratio. */
    outlink->sample_aspect_ratio = inlink->sample_aspect_ratio;

    s->desc = av_pix_fmt_desc_get(inlink->format);
    s->is_nv12 = inlink->format == AV_PIX_FMT_NV12;
    if ((ret = open_engine(ctx, FFMAX(1, ff_filter_get_nb_threads(ctx)))) < 0)
        return ret;

    /* Chroma planes whose s-times upscale is larger than the output plane
     * (odd sizes) or that NV12 interleaves go through temporaries. */
    cw = AV_CEIL_RSHIFT(inlink->w, s->desc->log2_chroma_w);
    ch = AV_CEIL_RSHIFT(inlink->h, s->desc->log2_chroma_h);
    ocw = AV_CEIL_RSHIFT(outlink->w, s->desc->log2_chroma_w);
    och = AV_CEIL_RSHIFT(outlink->h, s->desc->log2_chroma_h);
    nb_planes = av_pix_fmt_count_planes(inlink->format);
    if (s->is_nv12) {
        for (int i = 0; i < 2; i++) {
            av_freep(&s->split[i]);
            if (!(s->split[i] = av_malloc((size_t)cw * ch)))
                return AVERROR(ENOMEM);
            if ((ret = alloc_full(s, 1 + i, cw * scale, ch * scale)) < 0)
                return ret;
        }
        s->split_w = cw;
        s->split_h = ch;
    } else if (nb_planes > 1 && (ocw != cw * scale || och != ch * scale)) {
        for (int p = 1; p < 3; p++)
            if ((ret = alloc_full(s, p, cw * scale, ch * scale)) < 0)
                return ret;
    }

    av_log(ctx, AV_LOG_VERBOSE, "%dx%d %s -> %dx%d, model '%s' (%s x%d, %s%s), %d slice job(s)\n",
           inlink->w, inlink->h, s->desc->name, outlink->w, outlink->h, s->model_name,
           lutsr_model_kind_name(s->model), scale, lutsr_cpu_name(s->sr),
           s->ensemble == 8 ? ", x8 self-ensemble" : "", s->sr_slots);
    return 0;
}

/* Fills s->work for one frame: which engine call writes which plane. */
static void plan_frame(LutsrFilterContext *s, const AVFrame *in, AVFrame *out)
{
    const int scale = lutsr_model_scale(s->model);
    const int sw = s->desc->log2_chroma_w, sh = s->desc->log2_chroma_h;
    PlaneWork *w;

    s->nb_work = 0;
    w = &s->work[s->nb_work++];
    *w = (PlaneWork) {
        .src = { in->data[0], in->linesize[0], in->width, in->height },
        .dst = { out->data[0], out->linesize[0], out->width, out->height },
        .use_model = 1,
    };

    if (s->is_nv12) {
        for (int i = 0; i < 2; i++) {
            w = &s->work[s->nb_work++];
            *w = (PlaneWork) {
                .src = { s->split[i], s->split_w, s->split_w, s->split_h },
                .dst = { s->full[1 + i], s->split_w * scale, s->split_w * scale, s->split_h * scale },
                .out = out->data[1], .out_stride = out->linesize[1],
                .out_w = AV_CEIL_RSHIFT(out->width, 1), .out_h = AV_CEIL_RSHIFT(out->height, 1),
                .interleave = 1 + i,
            };
        }
        return;
    }

    for (int p = 1; p < 4 && in->data[p]; p++) {
        const int alpha = p == 3;
        const int iw = alpha ? in->width : AV_CEIL_RSHIFT(in->width, sw);
        const int ih = alpha ? in->height : AV_CEIL_RSHIFT(in->height, sh);
        const int ow = alpha ? out->width : AV_CEIL_RSHIFT(out->width, sw);
        const int oh = alpha ? out->height : AV_CEIL_RSHIFT(out->height, sh);
        w = &s->work[s->nb_work++];
        *w = (PlaneWork) {
            .src = { in->data[p], in->linesize[p], iw, ih },
            .dst = { out->data[p], out->linesize[p], iw * scale, ih * scale },
        };
        if (ow != iw * scale || oh != ih * scale) {
            w->dst = (LutsrPlane) { s->full[p], iw * scale, iw * scale, ih * scale };
            w->out = out->data[p];
            w->out_stride = out->linesize[p];
            w->out_w = ow;
            w->out_h = oh;
        }
    }
}

/* Copies destination rows [y0, y1) of a temporary into the frame's plane. */
static void copy_out(const PlaneWork *w, int y0, int y1)
{
    y1 = FFMIN(y1, w->out_h);
    for (int y = y0; y < y1; y++) {
        const uint8_t *src = w->dst.data + y * w->dst.stride;
        uint8_t *dst = w->out + y * w->out_stride;
        if (w->interleave) {
            dst += w->interleave - 1;
            for (int x = 0; x < w->out_w; x++)
                dst[2 * x] = src[x];
        } else {
            memcpy(dst, src, w->out_w);
        }
    }
}

static int upscale_slice(AVFilterContext *ctx, void *arg, int jobnr, int nb_jobs)
{
    LutsrFilterContext *s = ctx->priv;
    const int scale = lutsr_model_scale(s->model);

    for (int i = 0; i < s->nb_work; i++) {
        const PlaneWork *w = &s->work[i];
        /* Whole source rows per job, so the model never sees a cut row. */
        const int h = w->src.height;
        const int y0 = (int)((int64_t)h * jobnr / nb_jobs) * scale;
        const int y1 = (int)((int64_t)h * (jobnr + 1) / nb_jobs) * scale;
        int ret;
        if (y0 == y1 || (w->use_model && s->ensemble == 8))
            continue;
        ret = w->use_model
            ? lutsr_upscale_luma_rows(s->sr, &w->src, &w->dst, y0, y1, jobnr)
            : lutsr_upscale_bicubic_rows(s->sr, &w->src, &w->dst, y0, y1, jobnr);
        if (ret < 0) {
            av_log(ctx, AV_LOG_ERROR, "plane %d rows %d..%d: %s\n", i, y0, y1 - 1,
                   lutsr_last_error(s->sr));
            return AVERROR_EXTERNAL;
        }
        if (w->out)
            copy_out(w, y0, y1);
    }
    return 0;
}

static void split_nv12(LutsrFilterContext *s, const AVFrame *in)
{
    for (int y = 0; y < s->split_h; y++) {
        const uint8_t *uv = in->data[1] + y * in->linesize[1];
        uint8_t *u = s->split[0] + (size_t)y * s->split_w;
        uint8_t *v = s->split[1] + (size_t)y * s->split_w;
        for (int x = 0; x < s->split_w; x++) {
            u[x] = uv[2 * x];
            v[x] = uv[2 * x + 1];
        }
    }
}

static int filter_frame(AVFilterLink *inlink, AVFrame *in)
{
    AVFilterContext *ctx = inlink->dst;
    LutsrFilterContext *s = ctx->priv;
    AVFilterLink *outlink = ctx->outputs[0];
    AVFrame *out;
    int ret, nb_jobs;

    if (in->width != inlink->w || in->height != inlink->h || in->format != inlink->format) {
        av_log(ctx, AV_LOG_ERROR, "frame is %dx%d %s but the link was configured for %dx%d %s\n",
               in->width, in->height, av_get_pix_fmt_name(in->format),
               inlink->w, inlink->h, av_get_pix_fmt_name(inlink->format));
        av_frame_free(&in);
        return AVERROR(EINVAL);
    }

    out = ff_get_video_buffer(outlink, outlink->w, outlink->h);
    if (!out) {
        av_frame_free(&in);
        return AVERROR(ENOMEM);
    }
    if ((ret = av_frame_copy_props(out, in)) < 0)
        goto fail;

    if (s->is_nv12)
        split_nv12(s, in);
    plan_frame(s, in, out);

    if (s->ensemble == 8 && lutsr_upscale_luma(s->sr, &s->work[0].src, &s->work[0].dst) < 0) {
        av_log(ctx, AV_LOG_ERROR, "luma: %s\n", lutsr_last_error(s->sr));
        ret = AVERROR_EXTERNAL;
        goto fail;
    }
    nb_jobs = FFMIN(s->sr_slots, FFMAX(1, in->height));
    ff_filter_execute(ctx, upscale_slice, NULL, s->job_ret, nb_jobs);
    for (int j = 0; j < nb_jobs; j++)
        if ((ret = s->job_ret[j]) < 0)
            goto fail;
    av_frame_free(&in);
    return ff_filter_frame(outlink, out);

fail:
    av_frame_free(&in);
    av_frame_free(&out);
    return ret;
}

static const AVFilterPad lutsr_inputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .filter_frame = filter_frame,
    },
};

static const AVFilterPad lutsr_outputs[] = {
    {
        .name         = "default",
        .type         = AVMEDIA_TYPE_VIDEO,
        .config_props = config_output,
    },
};

#if LIBAVFILTER_VERSION_MAJOR >= 11
/* FFmpeg 8.0 wraps the public AVFilter in FFFilter. */
const FFFilter ff_vf_lutsr = {
    .p.name          = "lutsr",
    .p.description   = NULL_IF_CONFIG_SMALL("Learned super-resolution with lookup-table models (lutsr)."),
    .p.priv_class    = &lutsr_class,
    .p.flags         = AVFILTER_FLAG_SLICE_THREADS,
#else
const AVFilter ff_vf_lutsr = {
    .name            = "lutsr",
    .description     = NULL_IF_CONFIG_SMALL("Learned super-resolution with lookup-table models (lutsr)."),
    .priv_class      = &lutsr_class,
    .flags           = AVFILTER_FLAG_SLICE_THREADS,
#endif
    .priv_size       = sizeof(LutsrFilterContext),
    .init            = init,
    .uninit          = uninit,
    FILTER_INPUTS(lutsr_inputs),
    FILTER_OUTPUTS(lutsr_outputs),
    FILTER_PIXFMTS_ARRAY(pix_fmts),
};
