/*
 * PNG via libpng. libpng reports errors by longjmp()ing out of its calls,
 * so every object that must be freed afterwards lives in a struct reached
 * through a pointer (not a local modified after setjmp), and the error
 * text is captured by our own error callback.
 */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image.h"

typedef struct PngIo {
    FILE *f;
    char *err;
    size_t err_size;
    int have_err;        /* err already holds a better message than libpng's */
    uint8_t *pixels;     /* interleaved image (read) or one row (write) */
    png_bytep *rows;
} PngIo;

static void png_io_error(png_structp png, png_const_charp msg)
{
    PngIo *io = png_get_error_ptr(png);
    if (!io->have_err)
        snprintf(io->err, io->err_size, "corrupt or unsupported PNG: %s", msg);
    io->have_err = 1;
    png_longjmp(png, 1);
}

/* libpng warns about harmless things (e.g. known-bad sRGB profiles) that
 * would only alarm users; real problems arrive as errors. */
static void png_io_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_io_read(png_structp png, png_bytep data, size_t n)
{
    PngIo *io = png_get_io_ptr(png);
    if (image_read_full(io->f, data, n) != n) {
        if (ferror(io->f))
            snprintf(io->err, io->err_size, "read error: %s", strerror(errno));
        else
            snprintf(io->err, io->err_size, "unexpected end of file (truncated PNG)");
        io->have_err = 1;
        png_error(png, "read");
    }
}

static void png_io_write(png_structp png, png_bytep data, size_t n)
{
    PngIo *io = png_get_io_ptr(png);
    if (fwrite(data, 1, n, io->f) != n) {
        snprintf(io->err, io->err_size, "write failed: %s", strerror(errno));
        io->have_err = 1;
        png_error(png, "write");
    }
}

static void png_io_flush(png_structp png)
{
    PngIo *io = png_get_io_ptr(png);
    fflush(io->f);
}

/* The part of reading that runs under setjmp. Returns 0 or -1. */
static int png_decode(png_structp png, png_infop info, PngIo *io, Image *img,
                      unsigned *notes)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;

    png_set_user_limits(png, LUTSR_MAX_DIM, LUTSR_MAX_DIM);
    png_set_read_fn(png, io, png_io_read);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);

    png_uint_32 w, h;
    int depth, ctype, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);

    if (depth == 16) {
        png_set_scale_16(png); /* rounds, unlike png_set_strip_16 */
        *notes |= PNG_NOTE_16BIT;
    }
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    int has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    if (has_trns)
        png_set_tRNS_to_alpha(png);
    /* Gray with alpha has no planar format of its own: expand to RGBA. */
    if (ctype == PNG_COLOR_TYPE_GRAY_ALPHA || (ctype == PNG_COLOR_TYPE_GRAY && has_trns))
        png_set_gray_to_rgb(png);
    if (interlace != PNG_INTERLACE_NONE) {
        png_set_interlace_handling(png);
        *notes |= PNG_NOTE_INTERLACED;
    }
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if ((channels != 1 && channels != 3 && channels != 4) ||
        png_get_bit_depth(png, info) != 8 || rowbytes != (size_t)w * (size_t)channels) {
        snprintf(io->err, io->err_size, "unsupported PNG layout (%d channels, %d bits)",
                 channels, png_get_bit_depth(png, info));
        io->have_err = 1;
        png_error(png, "layout");
    }

    io->pixels = malloc(rowbytes * h);
    io->rows = malloc(sizeof(*io->rows) * h);
    if (!io->pixels || !io->rows) {
        snprintf(io->err, io->err_size, "out of memory for a %ux%u image", w, h);
        io->have_err = 1;
        png_error(png, "memory");
    }
    for (png_uint_32 y = 0; y < h; y++)
        io->rows[y] = io->pixels + y * rowbytes;
    png_read_image(png, io->rows);
    /* Reading to IEND catches files cut short after the last IDAT. */
    png_read_end(png, NULL);

    ImageFormat fmt = channels == 1 ? IMAGE_GRAY : channels == 3 ? IMAGE_RGB : IMAGE_RGBA;
    if (image_alloc(img, fmt, (int)w, (int)h) < 0) {
        snprintf(io->err, io->err_size, "out of memory for a %ux%u image", w, h);
        io->have_err = 1;
        png_error(png, "memory");
    }
    for (int p = 0; p < channels; p++) {
        const LutsrPlane *pl = &img->plane[p];
        for (png_uint_32 y = 0; y < h; y++) {
            const uint8_t *s = io->rows[y] + p;
            uint8_t *d = pl->data + y * pl->stride;
            for (png_uint_32 x = 0; x < w; x++)
                d[x] = s[x * channels];
        }
    }
    return 0;
}

int image_png_read(const char *path, Image *img, unsigned *notes,
                   char *err, size_t err_size)
{
    memset(img, 0, sizeof(*img));
    *notes = 0;
    FILE *f = image_fopen(path, 0, err, err_size);
    if (!f)
        return -1;

    uint8_t sig[8];
    size_t got = image_read_full(f, sig, sizeof(sig));
    if (got < sizeof(sig) || png_sig_cmp(sig, 0, sizeof(sig))) {
        snprintf(err, err_size, got == 0 ? "empty file, not a PNG" : "not a PNG file (bad signature)");
        image_fclose(f, NULL, 0);
        return -1;
    }

    PngIo io = { .f = f, .err = err, .err_size = err_size };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io,
                                             png_io_error, png_io_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int ret = -1;
    if (!info)
        snprintf(err, err_size, "out of memory");
    else
        ret = png_decode(png, info, &io, img, notes);
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    free(io.pixels);
    free(io.rows);
    image_fclose(f, NULL, 0);
    if (ret < 0)
        image_free(img);
    return ret;
}

static int png_encode(png_structp png, png_infop info, PngIo *io, const Image *img)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;

    int channels = img->nb_planes;
    int ctype = channels == 1 ? PNG_COLOR_TYPE_GRAY
              : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_write_fn(png, io, png_io_write, png_io_flush);
    /* Level 3 is several times faster than the default 6 on large
     * upscaled images for a few percent of size. */
    png_set_compression_level(png, 3);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8, ctype,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);

    io->pixels = malloc((size_t)img->width * (size_t)channels);
    if (!io->pixels) {
        snprintf(io->err, io->err_size, "out of memory");
        io->have_err = 1;
        png_error(png, "memory");
    }
    for (int y = 0; y < img->height; y++) {
        for (int p = 0; p < channels; p++) {
            const uint8_t *s = img->plane[p].data + y * img->plane[p].stride;
            uint8_t *d = io->pixels + p;
            for (int x = 0; x < img->width; x++)
                d[x * channels] = s[x];
        }
        png_write_row(png, io->pixels);
    }
    png_write_end(png, info);
    return 0;
}

int image_png_write(const char *path, const Image *img, char *err, size_t err_size)
{
    if (img->format != IMAGE_GRAY && img->format != IMAGE_RGB && img->format != IMAGE_RGBA) {
        snprintf(err, err_size, "PNG output cannot hold %s images", image_format_name(img->format));
        return -1;
    }
    if (!strcmp(path, "-")) {
        snprintf(err, err_size, "PNG output to stdout is not supported (stdout is Y4M)");
        return -1;
    }
    FILE *f = image_fopen(path, 1, err, err_size);
    if (!f)
        return -1;
    PngIo io = { .f = f, .err = err, .err_size = err_size };
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io,
                                              png_io_error, png_io_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    int ret = -1;
    if (!info)
        snprintf(err, err_size, "out of memory");
    else
        ret = png_encode(png, info, &io, img);
    png_destroy_write_struct(&png, info ? &info : NULL);
    free(io.pixels);
    if (image_fclose(f, ret < 0 ? NULL : err, ret < 0 ? 0 : err_size) < 0)
        ret = -1;
    if (ret < 0)
        unlink(path); /* no half-written file left behind */
    return ret;
}
