/*
 * Glue between the CLI's images and the library: opening a model and a
 * context, and upscaling every plane of an image the right way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "colorspace.h"
#include "commands.h"

double tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void log_to_stderr(void *priv, int level, const char *msg)
{
    fprintf(stderr, "lutsr: %s: %s%s\n", (const char *)priv,
            level == LUTSR_LOG_ERROR ? "" : "warning: ", msg);
}

int tool_open_engine(const char *what, const char *model_name, int threads, LutsrCpu cpu,
                     int ensemble, int quiet, LutsrModel **model, LutsrContext **ctx)
{
    char err[512] = "";
    *model = NULL;
    *ctx = NULL;
    int r = lutsr_model_open(model, model_name, err, sizeof(err));
    if (r < 0) {
        /* The library's detail already names the model. */
        if (*err)
            cli_error(what, "cannot load model: %s", err);
        else
            cli_error(what, "cannot load model '%s': %s", model_name, lutsr_strerror(r));
        return -1;
    }
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = threads;
    o.cpu = cpu;
    o.ensemble = ensemble;
    if (!quiet) {
        o.log_cb = log_to_stderr;
        o.log_priv = (void *)what;
    }
    r = lutsr_open(ctx, *model, &o);
    if (r < 0) {
        cli_error(what, "cannot start the engine: %s", lutsr_strerror(r));
        lutsr_model_close(model);
        return -1;
    }
    return 0;
}

void tool_close_engine(LutsrModel **model, LutsrContext **ctx)
{
    lutsr_close(ctx);
    lutsr_model_close(model);
}

/* Upscale one plane. dst may be smaller than src * scale (odd-sized chroma:
 * ceil(w/2) * s can exceed ceil(w * s / 2)); then the top-left part of a
 * full-size result is kept, which is where the samples belong. */
static int upscale_plane(LutsrContext *c, int use_model, const LutsrPlane *src,
                         const LutsrPlane *dst, char *err, size_t err_size)
{
    const int s = lutsr_scale(c);
    LutsrPlane full = *dst;
    uint8_t *tmp = NULL;
    if (dst->width != src->width * s || dst->height != src->height * s) {
        full.width = src->width * s;
        full.height = src->height * s;
        full.stride = full.width;
        tmp = malloc((size_t)full.width * (size_t)full.height);
        if (!tmp) {
            snprintf(err, err_size, "out of memory");
            return -1;
        }
        full.data = tmp;
    }
    int r = use_model ? lutsr_upscale_luma(c, src, &full) : lutsr_upscale_bicubic(c, src, &full);
    if (r < 0) {
        const char *detail = lutsr_last_error(c);
        snprintf(err, err_size, "%s", detail && *detail ? detail : lutsr_strerror(r));
    } else if (tmp) {
        for (int y = 0; y < dst->height; y++)
            memcpy(dst->data + y * dst->stride, tmp + (size_t)y * (size_t)full.width,
                   (size_t)dst->width);
    }
    free(tmp);
    return r < 0 ? -1 : 0;
}

static int upscale_rgb(LutsrContext *c, const Image *in, Image *out, char *err, size_t err_size)
{
    Image yin, yout;
    if (image_alloc(&yin, IMAGE_YUV444, in->width, in->height) < 0)
        goto nomem;
    if (image_alloc(&yout, IMAGE_YUV444, out->width, out->height) < 0) {
        image_free(&yin);
        goto nomem;
    }
    rgb_to_ycbcr(&in->plane[0], &in->plane[1], &in->plane[2],
                 &yin.plane[0], &yin.plane[1], &yin.plane[2]);
    int r = 0;
    for (int p = 0; p < 3 && r == 0; p++)
        r = upscale_plane(c, p == 0, &yin.plane[p], &yout.plane[p], err, err_size);
    if (r == 0) {
        ycbcr_to_rgb(&yout.plane[0], &yout.plane[1], &yout.plane[2],
                     &out->plane[0], &out->plane[1], &out->plane[2]);
        if (in->format == IMAGE_RGBA)
            r = upscale_plane(c, 0, &in->plane[3], &out->plane[3], err, err_size);
    }
    image_free(&yin);
    image_free(&yout);
    return r;
nomem:
    snprintf(err, err_size, "out of memory");
    return -1;
}

int upscale_image(LutsrContext *ctx, const Image *in, Image *out,
                  char *err, size_t err_size)
{
    const int s = lutsr_scale(ctx);
    const int ow = in->width * s, oh = in->height * s;
    if (!out->buf) {
        if (image_alloc(out, in->format, ow, oh) < 0) {
            snprintf(err, err_size, "cannot allocate a %dx%d output image", ow, oh);
            return -1;
        }
    } else if (out->format != in->format || out->width != ow || out->height != oh) {
        snprintf(err, err_size, "internal error: output image has the wrong size or format");
        return -1;
    }
    switch (in->format) {
    case IMAGE_RGB:
    case IMAGE_RGBA:
        return upscale_rgb(ctx, in, out, err, err_size);
    default:
        for (int p = 0; p < in->nb_planes; p++)
            if (upscale_plane(ctx, p == 0, &in->plane[p], &out->plane[p], err, err_size) < 0)
                return -1;
        return 0;
    }
}
