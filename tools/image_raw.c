/*
 * Raw 8-bit gray: width x height bytes per frame, frames back to back, no
 * header (so the size comes from the command line and is checked against
 * the file size where the file has one).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"

int raw_reader_init(RawReader *r, FILE *f, int width, int height,
                    char *err, size_t err_size)
{
    memset(r, 0, sizeof(*r));
    r->f = f;
    r->width = width;
    r->height = height;
    r->frames_total = -1;
    if (width < 1 || height < 1 || width > LUTSR_MAX_DIM || height > LUTSR_MAX_DIM) {
        snprintf(err, err_size, "raw frame size %dx%d out of range (1..%d)", width, height,
                 LUTSR_MAX_DIM);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        uint64_t fb = (uint64_t)width * (uint64_t)height;
        uint64_t size = (uint64_t)st.st_size;
        if (size == 0 || size % fb) {
            snprintf(err, err_size, "file size %llu is not a multiple of the frame size "
                     "%dx%d = %llu bytes (wrong --size?)", (unsigned long long)size, width,
                     height, (unsigned long long)fb);
            return -1;
        }
        r->frames_total = (long)(size / fb);
    }
    return 0;
}

int raw_read_frame(RawReader *r, Image *img, char *err, size_t err_size)
{
    if (!img->buf && image_alloc(img, IMAGE_GRAY, r->width, r->height) < 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    size_t got;
    if (image_read_planes(r->f, img, &got) < 0) {
        if (ferror(r->f)) {
            snprintf(err, err_size, "read error: %s", strerror(errno));
            return -1;
        }
        if (got == 0)
            return r->frames_read ? 0 : (snprintf(err, err_size, "empty input"), -1);
        snprintf(err, err_size, "truncated frame %ld: got %zu of %zu bytes (wrong --size?)",
                 r->frames_read + 1, got, (size_t)r->width * (size_t)r->height);
        return -1;
    }
    r->frames_read++;
    return 1;
}

int raw_write_frame(FILE *f, const Image *img, char *err, size_t err_size)
{
    if (img->format != IMAGE_GRAY) {
        snprintf(err, err_size, "raw output holds gray images only, not %s",
                 image_format_name(img->format));
        return -1;
    }
    if (image_write_planes(f, img) < 0 || ferror(f)) {
        snprintf(err, err_size, "write failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}
