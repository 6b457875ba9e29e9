/*
 * Image allocation and the helpers every reader/writer shares.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "image.h"

/* Output images are up to LUTSR_MAX_DIM * 4 on a side. */
#define IMAGE_MAX_SIDE (LUTSR_MAX_DIM * 4)

int image_format_planes(ImageFormat fmt)
{
    switch (fmt) {
    case IMAGE_GRAY: return 1;
    case IMAGE_RGBA: return 4;
    default:         return 3;
    }
}

const char *image_format_name(ImageFormat fmt)
{
    switch (fmt) {
    case IMAGE_GRAY:   return "gray";
    case IMAGE_YUV420: return "yuv420";
    case IMAGE_YUV422: return "yuv422";
    case IMAGE_YUV444: return "yuv444";
    case IMAGE_RGB:    return "rgb";
    case IMAGE_RGBA:   return "rgba";
    }
    return "?";
}

void image_plane_size(ImageFormat fmt, int w, int h, int p, int *pw, int *ph)
{
    *pw = w;
    *ph = h;
    if (p == 0 || (p != 1 && p != 2))
        return;
    if (fmt == IMAGE_YUV420 || fmt == IMAGE_YUV422)
        *pw = (w + 1) >> 1;
    if (fmt == IMAGE_YUV420)
        *ph = (h + 1) >> 1;
}

size_t image_frame_bytes(ImageFormat fmt, int w, int h)
{
    size_t n = 0;
    for (int p = 0; p < image_format_planes(fmt); p++) {
        int pw, ph;
        image_plane_size(fmt, w, h, p, &pw, &ph);
        n += (size_t)pw * (size_t)ph;
    }
    return n;
}

int image_alloc(Image *img, ImageFormat fmt, int width, int height)
{
    memset(img, 0, sizeof(*img));
    if (width < 1 || height < 1 || width > IMAGE_MAX_SIDE || height > IMAGE_MAX_SIDE)
        return -1;
    int n = image_format_planes(fmt);
    size_t offs[IMAGE_MAX_PLANES], total = 0;
    ptrdiff_t strides[IMAGE_MAX_PLANES];
    for (int p = 0; p < n; p++) {
        int pw, ph;
        image_plane_size(fmt, width, height, p, &pw, &ph);
        /* 64-byte aligned rows: kernels read faster, and stride != width
         * keeps every stride-handling path exercised. */
        strides[p] = ((ptrdiff_t)pw + 63) & ~(ptrdiff_t)63;
        offs[p] = total;
        total += (size_t)strides[p] * (size_t)ph;
    }
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 64, total ? total : 1))
        return -1;
    img->format = fmt;
    img->width = width;
    img->height = height;
    img->nb_planes = n;
    img->buf = buf;
    for (int p = 0; p < n; p++) {
        image_plane_size(fmt, width, height, p, &img->plane[p].width, &img->plane[p].height);
        img->plane[p].data = buf + offs[p];
        img->plane[p].stride = strides[p];
    }
    return 0;
}

void image_free(Image *img)
{
    free(img->buf);
    memset(img, 0, sizeof(*img));
}

FileKind file_kind_from_name(const char *path)
{
    if (!strcmp(path, "-"))
        return FILE_Y4M;
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return FILE_UNKNOWN;
    if (!strcasecmp(dot, ".png"))
        return FILE_PNG;
    if (!strcasecmp(dot, ".y4m"))
        return FILE_Y4M;
    if (!strcasecmp(dot, ".yuv") || !strcasecmp(dot, ".gray") || !strcasecmp(dot, ".raw"))
        return FILE_RAW;
    return FILE_UNKNOWN;
}

const char *file_kind_name(FileKind k)
{
    switch (k) {
    case FILE_PNG: return "PNG";
    case FILE_Y4M: return "Y4M";
    case FILE_RAW: return "raw gray";
    default:       return "unknown";
    }
}

FILE *image_fopen(const char *path, int write, char *err, size_t err_size)
{
    if (!strcmp(path, "-"))
        return write ? stdout : stdin;
    FILE *f = fopen(path, write ? "wb" : "rb");
    if (!f)
        snprintf(err, err_size, "cannot open for %s: %s", write ? "writing" : "reading",
                 strerror(errno));
    return f;
}

int image_fclose(FILE *f, char *err, size_t err_size)
{
    if (!f)
        return 0;
    int bad = ferror(f);
    int rc = (f == stdin || f == stdout) ? fflush(f) : fclose(f);
    if (bad || rc) {
        snprintf(err, err_size, "write failed: %s", strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

size_t image_read_full(FILE *f, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread((uint8_t *)buf + got, 1, n - got, f);
        if (!r)
            break;
        got += r;
    }
    return got;
}

int image_read_planes(FILE *f, Image *img, size_t *got)
{
    *got = 0;
    for (int p = 0; p < img->nb_planes; p++) {
        const LutsrPlane *pl = &img->plane[p];
        for (int y = 0; y < pl->height; y++) {
            size_t r = image_read_full(f, pl->data + y * pl->stride, (size_t)pl->width);
            *got += r;
            if (r < (size_t)pl->width)
                return -1;
        }
    }
    return 0;
}

int image_write_planes(FILE *f, const Image *img)
{
    for (int p = 0; p < img->nb_planes; p++) {
        const LutsrPlane *pl = &img->plane[p];
        for (int y = 0; y < pl->height; y++)
            if (fwrite(pl->data + y * pl->stride, 1, (size_t)pl->width, f) != (size_t)pl->width)
                return -1;
    }
    return 0;
}
