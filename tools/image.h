/*
 * The CLI's image type and its readers/writers (PNG, Y4M, raw gray).
 *
 * Everything is planar 8-bit: PNG RGB(A) is de-interleaved on read so the
 * upscaler sees the same LutsrPlane for every source. Functions that can
 * fail return 0 or -1 and write a one-line detail (no file name, no
 * trailing newline) into err; the caller adds the "lutsr: FILE: " prefix.
 */
#ifndef LUTSR_TOOLS_IMAGE_H
#define LUTSR_TOOLS_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lutsr/lutsr.h"

typedef enum ImageFormat {
    IMAGE_GRAY = 0,  /* 1 plane */
    IMAGE_YUV420,    /* Y, U, V; chroma ceil(w/2) x ceil(h/2) */
    IMAGE_YUV422,    /* Y, U, V; chroma ceil(w/2) x h */
    IMAGE_YUV444,    /* Y, U, V; all full size */
    IMAGE_RGB,       /* R, G, B */
    IMAGE_RGBA,      /* R, G, B, A */
} ImageFormat;

#define IMAGE_MAX_PLANES 4

typedef struct Image {
    ImageFormat format;
    int width, height;                  /* size of plane 0 */
    int nb_planes;
    LutsrPlane plane[IMAGE_MAX_PLANES]; /* per-plane data, stride, size */
    uint8_t *buf;                       /* owns all planes */
} Image;

/* Allocate an image (planes uninitialised). 0 or -1 (size or memory). */
int image_alloc(Image *img, ImageFormat fmt, int width, int height);
void image_free(Image *img);

int image_format_planes(ImageFormat fmt);
const char *image_format_name(ImageFormat fmt);
/* Size of plane p of a w x h image: chroma sizes round up (odd sizes). */
void image_plane_size(ImageFormat fmt, int w, int h, int p, int *pw, int *ph);
/* Bytes of all planes, tightly packed (one raw/Y4M frame). */
size_t image_frame_bytes(ImageFormat fmt, int w, int h);

/* Container formats the CLI reads and writes. */
typedef enum FileKind { FILE_UNKNOWN = 0, FILE_PNG, FILE_Y4M, FILE_RAW } FileKind;

/* From the extension (case-insensitive); "-" (stdin/stdout) is Y4M. */
FileKind file_kind_from_name(const char *path);
const char *file_kind_name(FileKind k);

/* fopen() that maps "-" to stdin/stdout; close with image_fclose(). */
FILE *image_fopen(const char *path, int write, char *err, size_t err_size);
/* Closes (or, for stdio, flushes) f; -1 if buffered data failed to write. */
int image_fclose(FILE *f, char *err, size_t err_size);

/* ------------------------------------------------------------------ PNG */

/* Flags reported by image_png_read() for things worth a warning. */
enum { PNG_NOTE_16BIT = 1 << 0, PNG_NOTE_INTERLACED = 1 << 1 };

/* Reads a whole PNG: gray -> IMAGE_GRAY, RGB -> IMAGE_RGB, palette and
 * low-bit gray are expanded, gray+alpha and tRNS become IMAGE_RGBA,
 * 16-bit samples are rounded to 8 bits (PNG_NOTE_16BIT set in *notes). */
int image_png_read(const char *path, Image *img, unsigned *notes,
                   char *err, size_t err_size);
/* Writes IMAGE_GRAY, IMAGE_RGB or IMAGE_RGBA. */
int image_png_write(const char *path, const Image *img, char *err, size_t err_size);

/* ------------------------------------------------------------------ Y4M */

#define Y4M_MAX_LINE 4096
#define Y4M_MAX_TAGS 64

typedef struct Y4mHeader {
    int width, height;
    ImageFormat format;         /* GRAY for Cmono */
    int interlaced;             /* I tag other than 'p' / '?' */
    int fps_num, fps_den;       /* 0/0 when absent */
    /* Every tag of the stream header in file order (without the leading
     * space), so a writer can reproduce them; W and H are re-emitted with
     * the writer's own size. */
    int nb_tags;
    char *tags[Y4M_MAX_TAGS];
    char tag_buf[Y4M_MAX_LINE];
} Y4mHeader;

typedef struct Y4mReader {
    FILE *f;
    Y4mHeader hdr;
    size_t frame_bytes;
    long frames_read;
    long frames_total;           /* -1 when it cannot be known up front */
    char frame_params[Y4M_MAX_LINE]; /* parameters of the last FRAME line */
} Y4mReader;

/* Parses the stream header of an opened file (f stays owned by the caller). */
int y4m_reader_init(Y4mReader *r, FILE *f, char *err, size_t err_size);
/* Reads the next frame into img (allocated on first use, with the stream's
 * format and size). 1 = frame read, 0 = clean end of stream, -1 = error. */
int y4m_read_frame(Y4mReader *r, Image *img, char *err, size_t err_size);

typedef struct Y4mWriter {
    FILE *f;
    int width, height;
    ImageFormat format;
} Y4mWriter;

/* Writes the header: hdr's tags in order with W and H replaced. */
int y4m_writer_init(Y4mWriter *w, FILE *f, const Y4mHeader *hdr,
                    int width, int height, char *err, size_t err_size);
/* frame_params: text after "FRAME" (may be NULL or ""). */
int y4m_write_frame(Y4mWriter *w, const Image *img, const char *frame_params,
                    char *err, size_t err_size);

/* ------------------------------------------------------------------ raw */

/* Raw 8-bit gray frames, width x height each, back to back. */
typedef struct RawReader {
    FILE *f;
    int width, height;
    long frames_read;
    long frames_total;          /* -1 for a non-seekable file */
} RawReader;

int raw_reader_init(RawReader *r, FILE *f, int width, int height,
                    char *err, size_t err_size);
/* 1 = frame read, 0 = end, -1 = error (a partial last frame is an error). */
int raw_read_frame(RawReader *r, Image *img, char *err, size_t err_size);
int raw_write_frame(FILE *f, const Image *img, char *err, size_t err_size);

/* Shared by the readers: reads exactly n bytes; returns the count read
 * (< n only at end of file or on error, ferror() tells which). */
size_t image_read_full(FILE *f, void *buf, size_t n);
/* Reads/writes every plane of img tightly packed (raw and Y4M payloads). */
int image_read_planes(FILE *f, Image *img, size_t *got);
int image_write_planes(FILE *f, const Image *img);

#endif /* LUTSR_TOOLS_IMAGE_H */
