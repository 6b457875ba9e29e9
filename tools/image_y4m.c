/*
 * YUV4MPEG2 streams: "YUV4MPEG2 W.. H.. [F.. I.. A.. C.. X..]\n", then per
 * frame "FRAME[ params]\n" followed by the Y, U, V planes. Streaming: one
 * frame in memory at a time, so stdin/stdout pipes work.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"

#define Y4M_MAGIC "YUV4MPEG2"
#define FRAME_MAGIC "FRAME"

/* Reads one '\n'-terminated line (without the '\n') into buf.
 * Returns its length, -1 at EOF before any byte, -2 if too long,
 * -3 at EOF inside the line, -4 on a read error. */
static int read_line(FILE *f, char *buf, int size)
{
    int n = 0, c;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            buf[n] = '\0';
            return n;
        }
        if (n >= size - 1)
            return -2;
        buf[n++] = (char)c;
    }
    if (ferror(f))
        return -4;
    return n == 0 ? -1 : -3;
}

/* Parses a decimal in [lo, hi] that spans all of s. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

/* "num:den" with both parts non-negative decimals. */
static int parse_ratio(const char *s, int *num, int *den)
{
    char tmp[64];
    const char *colon = strchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, (size_t)(colon - s));
    tmp[colon - s] = '\0';
    return parse_int(tmp, 0, INT_MAX, num) < 0 || parse_int(colon + 1, 0, INT_MAX, den) < 0 ? -1 : 0;
}

static int parse_colorspace(const char *c, ImageFormat *fmt)
{
    static const struct { const char *name; ImageFormat fmt; } map[] = {
        { "420jpeg", IMAGE_YUV420 }, { "420paldv", IMAGE_YUV420 },
        { "420mpeg2", IMAGE_YUV420 }, { "420", IMAGE_YUV420 },
        { "422", IMAGE_YUV422 }, { "444", IMAGE_YUV444 }, { "mono", IMAGE_GRAY },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (!strcmp(c, map[i].name)) {
            *fmt = map[i].fmt;
            return 0;
        }
    }
    return -1;
}

static int parse_header(Y4mHeader *h, char *line, char *err, size_t err_size)
{
    memset(h, 0, sizeof(*h));
    h->format = IMAGE_YUV420; /* the default when C is absent */
    if (strncmp(line, Y4M_MAGIC, strlen(Y4M_MAGIC)) ||
        (line[strlen(Y4M_MAGIC)] != ' ' && line[strlen(Y4M_MAGIC)] != '\0')) {
        snprintf(err, err_size, "not a Y4M stream (header does not start with \"" Y4M_MAGIC "\")");
        return -1;
    }
    int have_c = 0;
    size_t used = 0;
    char *p = line + strlen(Y4M_MAGIC);
    while (*p == ' ') {
        char *tok = ++p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - tok);
        if (!len) {
            snprintf(err, err_size, "malformed Y4M header (empty tag)");
            return -1;
        }
        if (h->nb_tags == Y4M_MAX_TAGS) {
            snprintf(err, err_size, "Y4M header has more than %d tags", Y4M_MAX_TAGS);
            return -1;
        }
        char *t = h->tag_buf + used;
        memcpy(t, tok, len);
        t[len] = '\0';
        used += len + 1;
        h->tags[h->nb_tags++] = t;

        const char *val = t + 1;
        switch (t[0]) {
        case 'W':
        case 'H': {
            int *dim = t[0] == 'W' ? &h->width : &h->height;
            if (*dim) {
                snprintf(err, err_size, "Y4M header has two %c tags", t[0]);
                return -1;
            }
            if (parse_int(val, 1, LUTSR_MAX_DIM, dim) < 0) {
                snprintf(err, err_size, "bad Y4M %s '%s' (must be 1..%d)",
                         t[0] == 'W' ? "width" : "height", t, LUTSR_MAX_DIM);
                return -1;
            }
            break;
        }
        case 'F':
            if (parse_ratio(val, &h->fps_num, &h->fps_den) < 0) {
                snprintf(err, err_size, "bad Y4M frame rate '%s' (expected Fnum:den)", t);
                return -1;
            }
            break;
        case 'A': {
            int n, d;
            if (parse_ratio(val, &n, &d) < 0) {
                snprintf(err, err_size, "bad Y4M pixel aspect '%s' (expected Anum:den)", t);
                return -1;
            }
            break;
        }
        case 'I':
            if (strlen(val) != 1 || !strchr("ptbm?", val[0])) {
                snprintf(err, err_size, "bad Y4M interlace tag '%s' (expected Ip, It, Ib, Im or I?)", t);
                return -1;
            }
            h->interlaced = strchr("tbm", val[0]) != NULL;
            break;
        case 'C':
            if (have_c++) {
                snprintf(err, err_size, "Y4M header has two C tags");
                return -1;
            }
            if (parse_colorspace(val, &h->format) < 0) {
                snprintf(err, err_size, "unsupported Y4M colorspace '%s' (supported: 8-bit "
                         "C420jpeg, C420paldv, C420mpeg2, C420, C422, C444, Cmono)", t);
                return -1;
            }
            break;
        default:
            /* X (comments) and unknown tags: kept and passed through, as
             * the format asks readers to do. */
            break;
        }
    }
    if (*p) {
        snprintf(err, err_size, "malformed Y4M header");
        return -1;
    }
    if (!h->width || !h->height) {
        snprintf(err, err_size, "Y4M header lacks the %s tag", h->width ? "H" : "W");
        return -1;
    }
    return 0;
}

/* Frame count of a regular file whose FRAME lines carry no parameters;
 * -1 when that cannot be known without reading it all. */
static long count_frames(FILE *f, size_t frame_bytes)
{
    struct stat st;
    long pos = ftell(f);
    if (pos < 0 || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < pos)
        return -1;
    uint64_t left = (uint64_t)st.st_size - (uint64_t)pos;
    uint64_t per = frame_bytes + strlen(FRAME_MAGIC) + 1;
    return left % per ? -1 : (long)(left / per);
}

int y4m_reader_init(Y4mReader *r, FILE *f, char *err, size_t err_size)
{
    memset(r, 0, sizeof(*r));
    r->f = f;
    char line[Y4M_MAX_LINE];
    int n = read_line(f, line, sizeof(line));
    if (n < 0) {
        snprintf(err, err_size, n == -1 ? "empty input, not a Y4M stream"
                               : n == -2 ? "Y4M header line too long (or not a Y4M stream)"
                               : n == -4 ? "read error" : "truncated Y4M header");
        return -1;
    }
    if (parse_header(&r->hdr, line, err, err_size) < 0)
        return -1;
    r->frame_bytes = image_frame_bytes(r->hdr.format, r->hdr.width, r->hdr.height);
    r->frames_total = count_frames(f, r->frame_bytes);
    return 0;
}

int y4m_read_frame(Y4mReader *r, Image *img, char *err, size_t err_size)
{
    char line[Y4M_MAX_LINE];
    long idx = r->frames_read + 1;
    int n = read_line(r->f, line, sizeof(line));
    if (n == -1)
        return 0;
    if (n == -4) {
        snprintf(err, err_size, "read error before frame %ld: %s", idx, strerror(errno));
        return -1;
    }
    size_t ml = strlen(FRAME_MAGIC);
    if (n < 0 || strncmp(line, FRAME_MAGIC, ml) || (line[ml] != '\0' && line[ml] != ' ')) {
        snprintf(err, err_size, "bad or truncated FRAME marker before frame %ld", idx);
        return -1;
    }
    snprintf(r->frame_params, sizeof(r->frame_params), "%s", line[ml] ? line + ml + 1 : "");

    if (!img->buf && image_alloc(img, r->hdr.format, r->hdr.width, r->hdr.height) < 0) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    size_t got;
    if (image_read_planes(r->f, img, &got) < 0) {
        if (ferror(r->f))
            snprintf(err, err_size, "read error in frame %ld: %s", idx, strerror(errno));
        else
            snprintf(err, err_size, "truncated frame %ld: got %zu of %zu bytes", idx, got,
                     r->frame_bytes);
        return -1;
    }
    r->frames_read++;
    return 1;
}

int y4m_writer_init(Y4mWriter *w, FILE *f, const Y4mHeader *hdr,
                    int width, int height, char *err, size_t err_size)
{
    w->f = f;
    w->width = width;
    w->height = height;
    w->format = hdr->format;
    fputs(Y4M_MAGIC, f);
    for (int i = 0; i < hdr->nb_tags; i++) {
        const char *t = hdr->tags[i];
        if (t[0] == 'W')
            fprintf(f, " W%d", width);
        else if (t[0] == 'H')
            fprintf(f, " H%d", height);
        else
            fprintf(f, " %s", t);
    }
    if (putc('\n', f) == EOF || ferror(f)) {
        snprintf(err, err_size, "write failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int y4m_write_frame(Y4mWriter *w, const Image *img, const char *frame_params,
                    char *err, size_t err_size)
{
    if (img->format != w->format || img->width != w->width || img->height != w->height) {
        snprintf(err, err_size, "internal error: frame does not match the stream header");
        return -1;
    }
    if (frame_params && *frame_params)
        fprintf(w->f, FRAME_MAGIC " %s\n", frame_params);
    else
        fputs(FRAME_MAGIC "\n", w->f);
    if (image_write_planes(w->f, img) < 0 || ferror(w->f)) {
        snprintf(err, err_size, "write failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}
