/*
 * Model files: validation, parsing and serialisation (byte layout in
 * docs/model-format.md), plus the built-in bicubic "model" and accessors.
 *
 * Loading is one pass over the data (the payload CRC); everything else
 * reads the 64-byte header and descriptors only. Every field is checked
 * before it is used, reads never leave [buf, buf + size), and each error
 * comes with a message naming the field and the expected value.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mem.h"
#include "model.h"

/* Header field offsets (bytes from the start of the file). */
enum {
    HDR_MAGIC = 0, HDR_VERSION_MAJOR = 8, HDR_VERSION_MINOR = 10, HDR_HEADER_SIZE = 12,
    HDR_KIND = 16, HDR_SCALE = 20, HDR_N_TENSORS = 24, HDR_META_SIZE = 28,
    HDR_FILE_SIZE = 32, HDR_PARAMS = 40, HDR_PAYLOAD_CRC = 56, HDR_HEADER_CRC = 60,
};

/* Tensor descriptor field offsets (bytes from the descriptor start). */
enum {
    TD_NAME = 0, TD_NAME_SIZE = 24, TD_DTYPE = 24, TD_NDIM = 28, TD_DIMS = 32,
    TD_OFFSET = 48, TD_NBYTES = 56,
};

#define MAX_DIMS 4

/* File kinds 4..15 are reserved for more multi-stage LUT models (3 is
 * mulut), 16.. for CNNs. */
#define KIND_FIRST_MULTISTAGE 3
#define KIND_FIRST_CNN        16

/* ------------------------------------------------------------------------ */
/* Little-endian field access (byte by byte: no alignment assumptions)      */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* Two's complement without the implementation-defined unsigned->signed cast. */
static int64_t rdi32(const uint8_t *p)
{
    uint32_t v = rd32(p);
    return v <= INT32_MAX ? (int64_t)v : (int64_t)v - ((int64_t)1 << 32);
}

static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, v & 0xffff); wr16(p + 2, v >> 16); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static uint64_t align_up(uint64_t v) { return (v + LUTSR_MODEL_DATA_ALIGN - 1) & ~(uint64_t)(LUTSR_MODEL_DATA_ALIGN - 1); }

/* ------------------------------------------------------------------------ */
/* Error reporting                                                          */

typedef struct ErrSink {
    const char *prefix; /* "model" or the file's path */
    char *buf;
    size_t size;
} ErrSink;

static int LUTSR_PRINTF(3, 4) fail(const ErrSink *e, int code, const char *fmt, ...)
{
    if (e->buf && e->size) {
        int n = snprintf(e->buf, e->size, "%s: ", e->prefix);
        if (n >= 0 && (size_t)n < e->size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(e->buf + n, e->size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return code;
}

/* ------------------------------------------------------------------------ */
/* Shared limits                                                            */

static int srlut_lut_side(int interval_bits) { return (1 << (8 - interval_bits)) + 1; }

static uint32_t lut_entries_for(LutsrModelKind kind, int interval_bits)
{
    if (kind == LUTSR_MODEL_SRLUT || kind == LUTSR_MODEL_MULUT) {
        uint32_t n = (uint32_t)srlut_lut_side(interval_bits);
        return n * n * n * n;
    }
    return 65536;
}

static uint32_t lut_values_for(LutsrModelKind kind, int scale)
{
    return (uint32_t)(kind == LUTSR_MODEL_ECLUT ? 9 : 1) * (uint32_t)(scale * scale);
}

/* Offset of the first invalid UTF-8 sequence (overlong forms, surrogates and
 * code points above U+10FFFF are invalid), or len if the text is valid. */
static size_t utf8_invalid_at(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 2; cp = c & 0x1f; min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3; cp = c & 0x0f; min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return i;
        }
        if (len - i < n)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += n;
    }
    return len;
}

static int check_metadata(const ErrSink *e, const uint8_t *meta, size_t len)
{
    const uint8_t *nul = memchr(meta, 0, len);
    if (nul)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "metadata contains a NUL byte at offset %zu "
                    "(it must be plain UTF-8 text)", (size_t)(nul - meta));
    size_t bad = utf8_invalid_at(meta, len);
    if (bad != len)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "metadata is not valid UTF-8 "
                    "(bad byte 0x%02x at offset %zu)", meta[bad], bad);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Validation                                                               */

/* Shared with model_cnn.c, which checks the tensors of CNN files. */
typedef LutsrTensorDesc Tensor;

/* What validation learns about a file: enough to build the model. */
typedef struct ModelImage {
    unsigned version_minor;
    LutsrModelKind kind;
    int scale, interval_bits, out_shift;
    uint32_t lut_entries, lut_values;
    uint64_t lut_offset;
    /* mulut: the "stages" rows (scale, pattern_mask, interval_bits,
     * out_shift) and where each stage's pattern LUT is */
    int n_stages;
    int stage_rows[LUTSR_MULUT_MAX_STAGES][4];
    uint64_t mulut_lut_offset[LUTSR_MULUT_MAX_STAGES][LUTSR_MULUT_PATTERNS];
    /* cnn: the checked layers and the offsets of their w, b, a tensors */
    int n_layers;
    LutsrCnnLayer cnn_layers[LUTSR_CNN_MAX_LAYERS];
    uint64_t cnn_offset[LUTSR_CNN_MAX_LAYERS][3];
    const uint8_t *meta;
    uint32_t meta_size;
    uint64_t file_size;
    uint32_t payload_crc;
} ModelImage;

static unsigned dtype_size(uint32_t dtype)
{
    switch (dtype) {
    case LUTSR_DTYPE_INT8: case LUTSR_DTYPE_UINT8: return 1;
    case LUTSR_DTYPE_INT16: return 2;
    case LUTSR_DTYPE_INT32: case LUTSR_DTYPE_FLOAT32: return 4;
    default: return 0;
    }
}

static const char *dtype_name(uint32_t dtype)
{
    static const char *const names[] = { "?", "int8", "uint8", "int16", "int32", "float32" };
    return dtype < sizeof(names) / sizeof(names[0]) ? names[dtype] : "?";
}

/* Magic, major version and header CRC: checked before any other field is
 * trusted. The magic and version come first (they are the part of the
 * header every format version shares), so a newer file is reported as
 * such rather than as corrupted. */
static int check_prefix(const ErrSink *e, const uint8_t *p, size_t size)
{
    size_t n = size < 8 ? size : 8;
    if (memcmp(p, LUTSR_MODEL_MAGIC, n))
        return fail(e, LUTSR_ERR_MODEL_MAGIC, "not a lutsr model file (magic is not \"%s\")",
                    LUTSR_MODEL_MAGIC);
    if (size >= HDR_VERSION_MAJOR + 2) {
        unsigned major = rd16(p + HDR_VERSION_MAJOR);
        unsigned minor = size >= HDR_VERSION_MINOR + 2 ? rd16(p + HDR_VERSION_MINOR) : 0;
        if (major > LUTSR_MODEL_VERSION_MAJOR)
            return fail(e, LUTSR_ERR_MODEL_VERSION, "model format %u.%u is newer than this "
                        "library (%d.x)", major, minor, LUTSR_MODEL_VERSION_MAJOR);
        if (major < LUTSR_MODEL_VERSION_MAJOR)
            return fail(e, LUTSR_ERR_MODEL_VERSION, "model format %u.%u is older than this "
                        "library (%d.x) and not supported", major, minor, LUTSR_MODEL_VERSION_MAJOR);
    }
    if (size < LUTSR_MODEL_HEADER_SIZE)
        return fail(e, LUTSR_ERR_MODEL_TRUNCATED, "file is %zu bytes, shorter than the "
                    "%d-byte header", size, LUTSR_MODEL_HEADER_SIZE);
    uint32_t stored = rd32(p + HDR_HEADER_CRC), actual = lutsr_crc32(0, p, HDR_HEADER_CRC);
    if (stored != actual)
        return fail(e, LUTSR_ERR_MODEL_CHECKSUM, "header CRC32 mismatch (stored 0x%08x, "
                    "computed 0x%08x): the file is corrupted", stored, actual);
    return 0;
}

/* Header fields other than the prefix; sets everything in img but the
 * tensor location. */
static int check_header(const ErrSink *e, const uint8_t *p, size_t size, ModelImage *img)
{
    uint32_t header_size = rd32(p + HDR_HEADER_SIZE);
    uint32_t n_tensors = rd32(p + HDR_N_TENSORS);
    uint32_t meta_size = rd32(p + HDR_META_SIZE);
    uint64_t file_size = rd64(p + HDR_FILE_SIZE);
    uint32_t kind = rd32(p + HDR_KIND), scale = rd32(p + HDR_SCALE);

    if (header_size != LUTSR_MODEL_HEADER_SIZE)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "header_size is %u, expected %d",
                    header_size, LUTSR_MODEL_HEADER_SIZE);
    if (n_tensors < 1 || n_tensors > LUTSR_MODEL_MAX_TENSORS)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "n_tensors is %u, expected 1..%d",
                    n_tensors, LUTSR_MODEL_MAX_TENSORS);
    if (meta_size > LUTSR_MODEL_MAX_META)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "meta_size is %u, expected at most %u",
                    meta_size, LUTSR_MODEL_MAX_META);

    /* The size checks come before anything is allocated or checksummed.
     * Both operands are bounded above, so the sum cannot overflow. */
    uint64_t data_start = LUTSR_MODEL_HEADER_SIZE + (uint64_t)n_tensors * LUTSR_MODEL_TENSOR_SIZE + meta_size;
    if (file_size > LUTSR_MODEL_MAX_FILE)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "file_size is %llu, more than the %llu-byte limit",
                    (unsigned long long)file_size, (unsigned long long)LUTSR_MODEL_MAX_FILE);
    if (file_size < data_start)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "file_size is %llu, smaller than header, tensor "
                    "table and metadata (%llu bytes)", (unsigned long long)file_size,
                    (unsigned long long)data_start);
    if (file_size > size)
        return fail(e, LUTSR_ERR_MODEL_TRUNCATED, "file is %zu bytes but file_size says %llu: "
                    "truncated", size, (unsigned long long)file_size);
    if (file_size < size)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "file is %zu bytes but file_size says %llu: "
                    "%llu bytes of trailing data", size, (unsigned long long)file_size,
                    (unsigned long long)(size - file_size));

    if (kind != LUTSR_MODEL_SRLUT && kind != LUTSR_MODEL_ECLUT && kind != LUTSR_MODEL_MULUT &&
        kind != LUTSR_MODEL_CNN) {
        const char *what = kind >= KIND_FIRST_CNN ? " (reserved for CNN models)" :
                           kind >= KIND_FIRST_MULTISTAGE ? " (reserved for multi-stage LUT models)" : "";
        return fail(e, LUTSR_ERR_MODEL_KIND, "unknown model kind %u%s; this library runs "
                    "kinds %d (srlut), %d (eclut), %d (mulut) and %d (cnn)", kind, what,
                    LUTSR_MODEL_SRLUT, LUTSR_MODEL_ECLUT, LUTSR_MODEL_MULUT, LUTSR_MODEL_CNN);
    }
    if (scale < 2 || scale > 4)
        return fail(e, LUTSR_ERR_UNSUPPORTED_SCALE, "scale is %u, expected 2, 3 or 4", scale);

    int64_t params[4];
    for (int i = 0; i < 4; i++)
        params[i] = rdi32(p + HDR_PARAMS + 4 * i);
    int first_unused;
    img->interval_bits = 0;
    img->out_shift = 0;
    img->n_stages = 0;
    img->n_layers = 0;
    if (kind == LUTSR_MODEL_CNN) {
        /* the rest is in the "graph" tensor (docs/cnn.md) */
        if (params[0] < 1 || params[0] > LUTSR_CNN_MAX_LAYERS)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "number of layers (params[0]) is %lld, expected 1..%d",
                        (long long)params[0], LUTSR_CNN_MAX_LAYERS);
        img->n_layers = (int)params[0];
        first_unused = 1;
    } else if (kind == LUTSR_MODEL_MULUT) {
        /* everything else is per stage, in the "stages" tensor */
        if (params[0] < 1 || params[0] > LUTSR_MULUT_MAX_STAGES)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "number of stages (params[0]) is %lld, expected 1..%d",
                        (long long)params[0], LUTSR_MULUT_MAX_STAGES);
        img->n_stages = (int)params[0];
        first_unused = 1;
    } else if (kind == LUTSR_MODEL_SRLUT) {
        if (params[0] < LUTSR_SRLUT_MIN_INTERVAL_BITS || params[0] > LUTSR_SRLUT_MAX_INTERVAL_BITS)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "interval_bits (params[0]) is %lld, expected %d..%d",
                        (long long)params[0], LUTSR_SRLUT_MIN_INTERVAL_BITS, LUTSR_SRLUT_MAX_INTERVAL_BITS);
        if (params[1] < 0 || params[1] > LUTSR_MAX_OUT_SHIFT)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "out_shift (params[1]) is %lld, expected 0..%d",
                        (long long)params[1], LUTSR_MAX_OUT_SHIFT);
        img->interval_bits = (int)params[0];
        img->out_shift = (int)params[1];
        first_unused = 2;
    } else {
        if (params[0] < 0 || params[0] > LUTSR_MAX_OUT_SHIFT)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "out_shift (params[0]) is %lld, expected 0..%d",
                        (long long)params[0], LUTSR_MAX_OUT_SHIFT);
        img->out_shift = (int)params[0];
        first_unused = 1;
    }
    for (int i = first_unused; i < 4; i++)
        if (params[i])
            return fail(e, LUTSR_ERR_MODEL_RANGE, "params[%d] is %lld, expected 0 (unused by kind %u)",
                        i, (long long)params[i], kind);

    img->version_minor = rd16(p + HDR_VERSION_MINOR);
    img->kind = (LutsrModelKind)kind;
    img->scale = (int)scale;
    img->meta = p + LUTSR_MODEL_HEADER_SIZE + (size_t)n_tensors * LUTSR_MODEL_TENSOR_SIZE;
    img->meta_size = meta_size;
    img->file_size = file_size;
    img->payload_crc = rd32(p + HDR_PAYLOAD_CRC);
    const int has_lut = kind != LUTSR_MODEL_MULUT && kind != LUTSR_MODEL_CNN;
    img->lut_entries = has_lut ? lut_entries_for(img->kind, img->interval_bits) : 0;
    img->lut_values = has_lut ? lut_values_for(img->kind, img->scale) : 0;
    return 0;
}

/* One tensor descriptor on its own: name, dtype, shape, size, alignment,
 * bounds. i is the descriptor's index, for messages. */
static int read_tensor(const ErrSink *e, const uint8_t *d, unsigned i, uint64_t data_start,
                       uint64_t file_size, Tensor *t)
{
    const uint8_t *nul = memchr(d + TD_NAME, 0, TD_NAME_SIZE);
    if (!nul)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor %u: name is not NUL-terminated "
                    "within %d bytes", i, TD_NAME_SIZE);
    size_t name_len = (size_t)(nul - (d + TD_NAME));
    if (!name_len)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor %u: empty name", i);
    for (size_t k = 0; k < TD_NAME_SIZE; k++) {
        uint8_t c = d[TD_NAME + k];
        if (k < name_len ? (c < 0x20 || c > 0x7e) : c != 0)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor %u: name byte %zu is 0x%02x, expected %s",
                        i, k, c, k < name_len ? "printable ASCII" : "0 (NUL padding)");
    }
    memcpy(t->name, d + TD_NAME, TD_NAME_SIZE);

    t->dtype = rd32(d + TD_DTYPE);
    t->ndim = rd32(d + TD_NDIM);
    t->offset = rd64(d + TD_OFFSET);
    t->nbytes = rd64(d + TD_NBYTES);
    unsigned esize = dtype_size(t->dtype);
    if (!esize)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dtype is %u, expected 1..5 "
                    "(int8, uint8, int16, int32, float32)", t->name, t->dtype);
    if (t->ndim < 1 || t->ndim > MAX_DIMS)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': ndim is %u, expected 1..%d",
                    t->name, t->ndim, MAX_DIMS);

    /* Overflow-safe product: every factor and the running total stay at
     * most LUTSR_MODEL_MAX_FILE (< 2^32), so no multiplication overflows. */
    uint64_t count = esize;
    for (unsigned k = 0; k < MAX_DIMS; k++) {
        t->dims[k] = rd32(d + TD_DIMS + 4 * k);
        if (k >= t->ndim) {
            if (t->dims[k])
                return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dims[%u] is %u, expected 0 "
                            "(ndim is %u)", t->name, k, t->dims[k], t->ndim);
            continue;
        }
        if (!t->dims[k])
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dims[%u] is 0, expected >= 1",
                        t->name, k);
        count *= t->dims[k];
        if (count > file_size)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dims give more than the "
                        "file's %llu bytes", t->name, (unsigned long long)file_size);
    }
    if (t->nbytes != count)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': nbytes is %llu, expected %llu "
                    "(product of dims x %u-byte %s)", t->name, (unsigned long long)t->nbytes,
                    (unsigned long long)count, esize, dtype_name(t->dtype));
    if (t->offset % LUTSR_MODEL_DATA_ALIGN)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': offset %llu is not a multiple of %d",
                    t->name, (unsigned long long)t->offset, LUTSR_MODEL_DATA_ALIGN);
    if (t->offset < data_start)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': offset %llu is before the end of the "
                    "metadata (%llu)", t->name, (unsigned long long)t->offset,
                    (unsigned long long)data_start);
    if (t->offset > file_size || t->nbytes > file_size - t->offset)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': bytes [%llu, %llu) lie outside the "
                    "%llu-byte file", t->name, (unsigned long long)t->offset,
                    (unsigned long long)(t->offset + t->nbytes), (unsigned long long)file_size);
    return 0;
}

static int is_zero(const uint8_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* Tensors in file order must not overlap; the gaps between them are zero
 * padding and the last one ends the file (so every byte is accounted for). */
static int check_layout(const ErrSink *e, const uint8_t *p, const Tensor *t, unsigned n,
                        uint64_t data_start, uint64_t file_size)
{
    unsigned order[LUTSR_MODEL_MAX_TENSORS];
    for (unsigned i = 0; i < n; i++) {
        unsigned k = i;
        for (; k > 0 && t[order[k - 1]].offset > t[i].offset; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    uint64_t end = data_start;
    const char *prev = "metadata";
    for (unsigned k = 0; k < n; k++) {
        const Tensor *c = &t[order[k]];
        if (k > 0 && c->offset < end)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensors '%s' and '%s' overlap", prev, c->name);
        if (!is_zero(p + end, c->offset - end))
            return fail(e, LUTSR_ERR_MODEL_RANGE, "non-zero padding between %s and tensor '%s'",
                        k ? prev : "metadata", c->name);
        for (unsigned j = 0; j < k; j++)
            if (!strcmp(t[order[j]].name, c->name))
                return fail(e, LUTSR_ERR_MODEL_RANGE, "two tensors are named '%s'", c->name);
        end = c->offset + c->nbytes;
        prev = c->name;
    }
    if (end != file_size)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "%llu bytes after the last tensor '%s' "
                    "(the file must end with tensor data)", (unsigned long long)(file_size - end), prev);
    return 0;
}

/* SR-LUT and ECLUT files hold exactly one tensor, "lut", int8 [entries, values]. */
static int check_lut_tensor(const ErrSink *e, const ModelImage *img, const Tensor *t, unsigned n)
{
    const char *kname = img->kind == LUTSR_MODEL_SRLUT ? "srlut" : "eclut";
    if (n != 1)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "n_tensors is %u, expected 1 for kind %s", n, kname);
    if (strcmp(t->name, "lut"))
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor name is '%s', expected 'lut' for kind %s",
                    t->name, kname);
    if (t->dtype != LUTSR_DTYPE_INT8)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'lut': dtype is %u (%s), expected %d (int8)",
                    t->dtype, dtype_name(t->dtype), LUTSR_DTYPE_INT8);
    if (t->ndim != 2)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'lut': ndim is %u, expected 2", t->ndim);
    if (t->dims[0] != img->lut_entries) {
        if (img->kind == LUTSR_MODEL_SRLUT)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'lut': dims[0] is %u, expected %u "
                        "(%d^4 for interval_bits %d)", t->dims[0], img->lut_entries,
                        srlut_lut_side(img->interval_bits), img->interval_bits);
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'lut': dims[0] is %u, expected 65536 "
                    "(256 x 256 pixel pairs)", t->dims[0]);
    }
    if (t->dims[1] != img->lut_values)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'lut': dims[1] is %u, expected %u "
                    "(%sscale %d x %d)", t->dims[1], img->lut_values,
                    img->kind == LUTSR_MODEL_ECLUT ? "9 x " : "", img->scale, img->scale);
    return 0;
}

/* One MuLUT stage description (a "stages" row: scale, pattern_mask,
 * interval_bits, out_shift), stage t of n_stages. Shared by the parser and
 * lutsr_model_alloc_mulut(). */
static int check_stage(const ErrSink *e, int t, int n_stages, int model_scale, const int64_t row[4])
{
    const int last = t == n_stages - 1;
    const int64_t want_scale = last ? model_scale : 1;
    if (row[0] != want_scale)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "stage %d: scale is %lld, expected %lld (%s)", t,
                    (long long)row[0], (long long)want_scale,
                    last ? "the last stage upscales by the model's scale" : "only the last stage upscales");
    if (row[1] < 1 || row[1] > (1 << LUTSR_MULUT_PATTERNS) - 1)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "stage %d: pattern_mask is %lld, expected 1..7 "
                    "(bit 0 S, bit 1 D, bit 2 Y)", t, (long long)row[1]);
    if (row[2] < LUTSR_SRLUT_MIN_INTERVAL_BITS || row[2] > LUTSR_SRLUT_MAX_INTERVAL_BITS)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "stage %d: interval_bits is %lld, expected %d..%d", t,
                    (long long)row[2], LUTSR_SRLUT_MIN_INTERVAL_BITS, LUTSR_SRLUT_MAX_INTERVAL_BITS);
    if (row[3] < 0 || row[3] > LUTSR_MAX_OUT_SHIFT)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "stage %d: out_shift is %lld, expected 0..%d", t,
                    (long long)row[3], LUTSR_MAX_OUT_SHIFT);
    return 0;
}

/* "lut<t>_<P>" with one digit t and P one of S, D, Y: sets *t and *pattern. */
static int parse_mulut_lut_name(const char *name, int *t, int *pattern)
{
    const char *letter;
    if (strlen(name) != 6 || strncmp(name, "lut", 3) || name[3] < '0' || name[3] > '9' ||
        name[4] != '_' || !(letter = strchr(LUTSR_MULUT_PATTERN_LETTERS, name[5])))
        return 0;
    *t = name[3] - '0';
    *pattern = (int)(letter - LUTSR_MULUT_PATTERN_LETTERS);
    return 1;
}

/* MuLUT files: "stages" int32 [n_stages, 4] and, per stage t and pattern P
 * in its mask, "lut<t>_<P>" int8 [n_t^4, s_t^2]; nothing else. */
static int check_mulut_tensors(const ErrSink *e, const uint8_t *p, ModelImage *img,
                               const Tensor *t, unsigned n)
{
    const int ns = img->n_stages;
    const Tensor *st = NULL;
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(t[i].name, "stages"))
            st = &t[i];
    if (!st)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "no tensor 'stages' (kind mulut needs one)");
    if (st->dtype != LUTSR_DTYPE_INT32)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dtype is %u (%s), expected %d (int32)",
                    st->dtype, dtype_name(st->dtype), LUTSR_DTYPE_INT32);
    if (st->ndim != 2)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': ndim is %u, expected 2", st->ndim);
    if (st->dims[0] != (uint32_t)ns || st->dims[1] != 4)
        return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dims are [%u, %u], expected [%d, 4] "
                    "(params[0] stages x scale, pattern_mask, interval_bits, out_shift)",
                    st->dims[0], st->dims[1], ns);
    for (int s = 0; s < ns; s++) {
        int64_t row[4];
        for (int k = 0; k < 4; k++)
            row[k] = rdi32(p + st->offset + 16 * (size_t)s + 4 * (size_t)k);
        int r = check_stage(e, s, ns, img->scale, row);
        if (r < 0)
            return r;
        for (int k = 0; k < 4; k++)
            img->stage_rows[s][k] = (int)row[k];
    }

    unsigned found = 0;
    for (unsigned i = 0; i < n; i++) {
        const Tensor *c = &t[i];
        int s, pat;
        if (c == st)
            continue;
        if (!parse_mulut_lut_name(c->name, &s, &pat) || s >= ns)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s' does not belong in a %d-stage mulut "
                        "model (expected 'stages' and 'lut<stage>_<S|D|Y>')", c->name, ns);
        const int *row = img->stage_rows[s];
        if (!(row[1] & 1 << pat))
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': stage %d does not use pattern %c "
                        "(pattern_mask %d)", c->name, s, LUTSR_MULUT_PATTERN_LETTERS[pat], row[1]);
        const uint32_t side = (uint32_t)srlut_lut_side(row[2]);
        const uint32_t entries = side * side * side * side, values = (uint32_t)(row[0] * row[0]);
        if (c->dtype != LUTSR_DTYPE_INT8)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dtype is %u (%s), expected %d (int8)",
                        c->name, c->dtype, dtype_name(c->dtype), LUTSR_DTYPE_INT8);
        if (c->ndim != 2)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': ndim is %u, expected 2", c->name, c->ndim);
        if (c->dims[0] != entries)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dims[0] is %u, expected %u "
                        "(%u^4 for stage %d's interval_bits %d)", c->name, c->dims[0], entries,
                        side, s, row[2]);
        if (c->dims[1] != values)
            return fail(e, LUTSR_ERR_MODEL_RANGE, "tensor '%s': dims[1] is %u, expected %u "
                        "(stage %d's scale %d x %d)", c->name, c->dims[1], values, s, row[0], row[0]);
        img->mulut_lut_offset[s][pat] = c->offset;
        found |= 1u << (s * LUTSR_MULUT_PATTERNS + pat); /* names are unique: no repeats */
    }
    for (int s = 0; s < ns; s++)
        for (int pat = 0; pat < LUTSR_MULUT_PATTERNS; pat++)
            if ((img->stage_rows[s][1] & 1 << pat) && !(found & 1u << (s * LUTSR_MULUT_PATTERNS + pat)))
                return fail(e, LUTSR_ERR_MODEL_RANGE, "no tensor 'lut%d_%c' (stage %d uses pattern "
                            "%c)", s, LUTSR_MULUT_PATTERN_LETTERS[pat], s, LUTSR_MULUT_PATTERN_LETTERS[pat]);
    return 0;
}

/* CNN files: the graph and its weights (model_cnn.c). */
static int check_cnn(const ErrSink *e, const uint8_t *p, ModelImage *img, const Tensor *t, unsigned n)
{
    char msg[256];
    int r = lutsr_cnn_check_tensors(img->cnn_layers, img->cnn_offset, img->n_layers, img->scale,
                                    p, t, n, msg, sizeof(msg));
    return r < 0 ? fail(e, r, "%s", msg) : 0;
}

/* Validates the whole file in place; reads only [p, p + size). */
static int check_image(const ErrSink *e, const uint8_t *p, size_t size, ModelImage *img)
{
    int r;
    if ((r = check_prefix(e, p, size)) < 0 || (r = check_header(e, p, size, img)) < 0)
        return r;

    /* The payload CRC is the one pass over the data; the descriptors and
     * metadata it covers are trusted only after it. */
    uint32_t actual = lutsr_crc32(0, p + LUTSR_MODEL_HEADER_SIZE,
                                  (size_t)img->file_size - LUTSR_MODEL_HEADER_SIZE);
    if (actual != img->payload_crc)
        return fail(e, LUTSR_ERR_MODEL_CHECKSUM, "payload CRC32 mismatch (stored 0x%08x, "
                    "computed 0x%08x): the file is corrupted", img->payload_crc, actual);

    unsigned n = rd32(p + HDR_N_TENSORS);
    uint64_t data_start = (uint64_t)(img->meta - p) + img->meta_size;
    Tensor t[LUTSR_MODEL_MAX_TENSORS];
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *d = p + LUTSR_MODEL_HEADER_SIZE + (size_t)i * LUTSR_MODEL_TENSOR_SIZE;
        if ((r = read_tensor(e, d, i, data_start, img->file_size, &t[i])) < 0)
            return r;
    }
    if ((r = check_layout(e, p, t, n, data_start, img->file_size)) < 0 ||
        (r = check_metadata(e, img->meta, img->meta_size)) < 0 ||
        (r = img->kind == LUTSR_MODEL_MULUT ? check_mulut_tensors(e, p, img, t, n) :
             img->kind == LUTSR_MODEL_CNN   ? check_cnn(e, p, img, t, n)
                                            : check_lut_tensor(e, img, t, n)) < 0)
        return r;
    img->lut_offset = img->kind == LUTSR_MODEL_MULUT || img->kind == LUTSR_MODEL_CNN ? 0 : t[0].offset;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Building models                                                          */

/* Growing text for the description; with p == NULL it only counts. */
typedef struct Text { char *p; size_t len, cap; } Text;

static void LUTSR_PRINTF(2, 3) text_add(Text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n;
}

/* "SDY", "D", ...: the letters of a MuLUT pattern mask. */
static void pattern_letters(int mask, char out[LUTSR_MULUT_PATTERNS + 1])
{
    int n = 0;
    for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
        if (mask & 1 << p)
            out[n++] = LUTSR_MULUT_PATTERN_LETTERS[p];
    out[n] = '\0';
}

/* format_minor < 0: an in-memory model, not from a file. */
static void describe_into(Text *t, const struct LutsrModel *m, int format_minor)
{
    switch (m->kind) {
    case LUTSR_MODEL_BICUBIC:
        text_add(t, "kind: bicubic (built-in, a = -0.5)\nscale: %d\n", m->scale);
        return;
    case LUTSR_MODEL_CNN: {
        uint64_t n_weights = lutsr_cnn_weight_count(m->layers, m->n_layers);
        text_add(t, "kind: cnn (layer graph, %d layer%s, %llu float32 weights)\nscale: %d\n",
                 m->n_layers, m->n_layers > 1 ? "s" : "", (unsigned long long)n_weights, m->scale);
        for (int i = 0; i < m->n_layers; i++) {
            char line[192];
            lutsr_cnn_layer_text(&m->layers[i], i, line, sizeof(line));
            text_add(t, "%s\n", line);
        }
        break;
    }
    case LUTSR_MODEL_SRLUT:
        text_add(t, "kind: srlut (SR-LUT: 2x2 window, 4-D LUT, simplex interpolation)\n"
                 "scale: %d\n"
                 "lut: %d^4 = %u entries x %u int8 values (interval %d, interval_bits %d)\n",
                 m->scale, m->lut_side, m->lut_entries, m->lut_values,
                 1 << m->interval_bits, m->interval_bits);
        break;
    case LUTSR_MODEL_ECLUT:
        text_add(t, "kind: eclut (ECLUT: 2-pixel full LUT, 3x3 expanded-conv footprint)\n"
                 "scale: %d\n"
                 "lut: %u entries x %u int8 values (3x3 neighbours x %dx%d outputs)\n",
                 m->scale, m->lut_entries, m->lut_values, m->scale, m->scale);
        break;
    case LUTSR_MODEL_MULUT:
        text_add(t, "kind: mulut (MuLUT: %d stage%s of 4-D LUTs over S/D/Y sampling patterns, "
                 "simplex interpolation)\nscale: %d\n", m->n_stages, m->n_stages > 1 ? "s" : "",
                 m->scale);
        for (int i = 0; i < m->n_stages; i++) {
            const LutsrMulutStage *st = &m->stages[i];
            char letters[LUTSR_MULUT_PATTERNS + 1];
            pattern_letters(st->pattern_mask, letters);
            text_add(t, "stage %d: x%d, patterns %s, interval_bits %d, luts %d^4 = %u entries x "
                     "%u int8 value%s, out_shift %d\n", i, st->scale, letters, st->interval_bits,
                     st->lut_side, st->lut_entries, st->lut_values, st->lut_values > 1 ? "s" : "",
                     st->out_shift);
        }
        break;
    }
    if (m->kind != LUTSR_MODEL_MULUT && m->kind != LUTSR_MODEL_CNN)
        text_add(t, "out_shift: %d\n", m->out_shift);
    if (format_minor >= 0)
        text_add(t, "file: %zu bytes, format %d.%d, payload CRC32 0x%08x\n",
                 m->file_size, LUTSR_MODEL_VERSION_MAJOR, format_minor, m->crc32);
    else
        text_add(t, "file: none (in-memory model)\n");
    if (!m->metadata[0]) {
        text_add(t, "metadata: (none)\n");
        return;
    }
    text_add(t, "metadata:\n");
    for (const char *s = m->metadata; *s;) {
        size_t n = strcspn(s, "\n");
        text_add(t, "  %.*s\n", (int)n, s);
        s += n + (s[n] == '\n');
    }
}

static int build_description(struct LutsrModel *m, int format_minor)
{
    Text t = { NULL, 0, 0 };
    describe_into(&t, m, format_minor);
    t.cap = t.len + 1;
    t.len = 0;
    if (!(t.p = malloc(t.cap)))
        return LUTSR_ERR_NOMEM;
    describe_into(&t, m, format_minor);
    if (t.len && t.p[t.len - 1] == '\n')
        t.p[t.len - 1] = '\0';
    m->description = t.p;
    return 0;
}

/* The struct and a NUL-terminated copy of the metadata, in one allocation. */
static struct LutsrModel *model_new(const void *meta, size_t meta_size)
{
    struct LutsrModel *m = calloc(1, sizeof(*m) + meta_size + 1);
    if (!m)
        return NULL;
    char *text = (char *)(m + 1);
    if (meta_size)
        memcpy(text, meta, meta_size);
    text[meta_size] = '\0';
    m->metadata = text;
    return m;
}

/* model_new() for the in-memory allocators: metadata (NULL = none) must be
 * valid UTF-8 within the file format's size limit. */
static int model_new_checked(struct LutsrModel **out, const char *metadata)
{
    if (!metadata)
        metadata = "";
    size_t meta_size = strlen(metadata);
    if (meta_size > LUTSR_MODEL_MAX_META ||
        utf8_invalid_at((const uint8_t *)metadata, meta_size) != meta_size)
        return LUTSR_ERR_MODEL_RANGE;
    *out = model_new(metadata, meta_size);
    return *out ? 0 : LUTSR_ERR_NOMEM;
}

void lutsr_model_close(LutsrModel **pm)
{
    if (!pm || !*pm)
        return;
    LutsrModel *m = *pm;
    free(m->description);
    lutsr_free_aligned(m->buf);
    free(m);
    *pm = NULL;
}

/* A MuLUT stage from its "stages" row (already checked); no LUTs yet. */
static void mulut_stage_init(LutsrMulutStage *st, const int row[4])
{
    memset(st, 0, sizeof(*st));
    st->scale = row[0];
    st->pattern_mask = row[1];
    st->interval_bits = row[2];
    st->out_shift = row[3];
    st->lut_side = srlut_lut_side(st->interval_bits);
    st->lut_entries = lut_entries_for(LUTSR_MODEL_MULUT, st->interval_bits);
    st->lut_values = (uint32_t)(st->scale * st->scale);
}

/* Builds the model from a validated image; takes ownership of buf. */
static int model_from_image(const ErrSink *e, LutsrModel **out, const ModelImage *img, uint8_t *buf)
{
    struct LutsrModel *m = model_new(img->meta, img->meta_size);
    if (!m) {
        lutsr_free_aligned(buf);
        return fail(e, LUTSR_ERR_NOMEM, "out of memory");
    }
    m->kind = img->kind;
    m->scale = img->scale;
    m->interval_bits = img->interval_bits;
    m->lut_side = img->kind == LUTSR_MODEL_SRLUT ? srlut_lut_side(img->interval_bits) : 0;
    m->out_shift = img->out_shift;
    m->buf = buf;
    m->lut = img->kind == LUTSR_MODEL_MULUT || img->kind == LUTSR_MODEL_CNN ? NULL
             : (int8_t *)(buf + img->lut_offset);
    m->n_stages = img->n_stages;
    for (int t = 0; t < img->n_stages; t++) {
        LutsrMulutStage *st = &m->stages[t];
        mulut_stage_init(st, img->stage_rows[t]);
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
            if (st->pattern_mask & 1 << p)
                st->lut[p] = (int8_t *)(buf + img->mulut_lut_offset[t][p]);
    }
    /* CNN weights are used in place: float32 at 64-byte aligned offsets of
     * a 64-byte aligned buffer (little-endian hosts, as the LUT kinds). */
    m->n_layers = img->n_layers;
    for (int i = 0; i < img->n_layers; i++) {
        LutsrCnnLayer *l = &m->layers[i];
        *l = img->cnn_layers[i];
        l->w = l->n_w ? (const float *)(const void *)(buf + img->cnn_offset[i][0]) : NULL;
        l->b = l->n_b ? (const float *)(const void *)(buf + img->cnn_offset[i][1]) : NULL;
        l->a = l->n_a ? (const float *)(const void *)(buf + img->cnn_offset[i][2]) : NULL;
    }
    m->lut_entries = img->lut_entries;
    m->lut_values = img->lut_values;
    m->crc32 = img->payload_crc;
    m->file_size = (size_t)img->file_size;
    int r = build_description(m, (int)img->version_minor);
    if (r < 0) {
        lutsr_model_close(&m);
        return fail(e, r, "out of memory");
    }
    *out = m;
    return 0;
}

int lutsr_model_parse_owned(LutsrModel **out, void *buf, size_t size,
                            const char *prefix, char *err, size_t err_size)
{
    ErrSink e = { prefix, err, err_size };
    ModelImage img;
    if (err && err_size)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!out || (!buf && size)) {
        lutsr_free_aligned(buf);
        return fail(&e, LUTSR_ERR_INVALID_ARG, "no output pointer or no buffer given");
    }
    int r = check_image(&e, buf ? buf : "", size, &img);
    if (r < 0) {
        lutsr_free_aligned(buf);
        return r;
    }
    return model_from_image(&e, out, &img, buf);
}

int lutsr_model_parse(LutsrModel **out, const void *buf, size_t size, char *err, size_t err_size)
{
    ErrSink e = { "model", err, err_size };
    ModelImage img;
    if (err && err_size)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!out || (!buf && size))
        return fail(&e, LUTSR_ERR_INVALID_ARG, "no output pointer or no buffer given");
    /* Validate the caller's bytes first, so nothing is allocated for a bad
     * file, then copy them into storage aligned for the kernels. */
    int r = check_image(&e, buf ? buf : "", size, &img);
    if (r < 0)
        return r;
    uint8_t *copy = lutsr_alloc_aligned(size);
    if (!copy)
        return fail(&e, LUTSR_ERR_NOMEM, "cannot allocate %zu bytes", size);
    memcpy(copy, buf, size);
    return model_from_image(&e, out, &img, copy);
}

int lutsr_model_bicubic(LutsrModel **out, int scale)
{
    if (!out)
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    if (scale < 2 || scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    struct LutsrModel *m = model_new(NULL, 0);
    if (!m)
        return LUTSR_ERR_NOMEM;
    m->kind = LUTSR_MODEL_BICUBIC;
    m->scale = scale;
    int r = build_description(m, -1);
    if (r < 0) {
        lutsr_model_close(&m);
        return r;
    }
    *out = m;
    return 0;
}

int lutsr_model_alloc(struct LutsrModel **out, LutsrModelKind kind, int scale,
                      int interval_bits, int out_shift, const char *metadata)
{
    if (!out)
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    if (kind != LUTSR_MODEL_SRLUT && kind != LUTSR_MODEL_ECLUT)
        return LUTSR_ERR_MODEL_KIND;
    if (scale < 2 || scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    if (kind == LUTSR_MODEL_SRLUT && (interval_bits < LUTSR_SRLUT_MIN_INTERVAL_BITS ||
                                      interval_bits > LUTSR_SRLUT_MAX_INTERVAL_BITS))
        return LUTSR_ERR_MODEL_RANGE;
    if (out_shift < 0 || out_shift > LUTSR_MAX_OUT_SHIFT)
        return LUTSR_ERR_MODEL_RANGE;
    struct LutsrModel *m;
    int rn = model_new_checked(&m, metadata);
    if (rn < 0)
        return rn;
    m->kind = kind;
    m->scale = scale;
    m->interval_bits = kind == LUTSR_MODEL_SRLUT ? interval_bits : 0;
    m->lut_side = kind == LUTSR_MODEL_SRLUT ? srlut_lut_side(interval_bits) : 0;
    m->out_shift = out_shift;
    m->lut_entries = lut_entries_for(kind, m->interval_bits);
    m->lut_values = lut_values_for(kind, scale);
    size_t lut_size = (size_t)m->lut_entries * m->lut_values;
    int r = LUTSR_ERR_NOMEM;
    if ((m->buf = lutsr_alloc_aligned(lut_size))) {
        memset(m->buf, 0, lut_size);
        m->lut = m->buf;
        r = build_description(m, -1);
    }
    if (r < 0) {
        lutsr_model_close(&m);
        return r;
    }
    *out = m;
    return 0;
}

int lutsr_model_alloc_mulut(struct LutsrModel **out, int scale, int n_stages,
                            const LutsrMulutStage *stages, const char *metadata)
{
    if (!out)
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    if (scale < 2 || scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    if (n_stages < 1 || n_stages > LUTSR_MULUT_MAX_STAGES || !stages)
        return LUTSR_ERR_MODEL_RANGE;
    const ErrSink quiet = { "model", NULL, 0 };
    int rows[LUTSR_MULUT_MAX_STAGES][4];
    for (int t = 0; t < n_stages; t++) {
        const LutsrMulutStage *d = &stages[t];
        const int64_t row[4] = { d->scale, d->pattern_mask, d->interval_bits, d->out_shift };
        int r = check_stage(&quiet, t, n_stages, scale, row);
        if (r < 0)
            return r;
        for (int k = 0; k < 4; k++)
            rows[t][k] = (int)row[k];
    }
    struct LutsrModel *m;
    int rn = model_new_checked(&m, metadata);
    if (rn < 0)
        return rn;
    m->kind = LUTSR_MODEL_MULUT;
    m->scale = scale;
    m->n_stages = n_stages;
    /* One buffer, each LUT 64-byte aligned; no larger than a file could be. */
    uint64_t total = 0, offset[LUTSR_MULUT_MAX_STAGES][LUTSR_MULUT_PATTERNS];
    for (int t = 0; t < n_stages; t++) {
        LutsrMulutStage *st = &m->stages[t];
        mulut_stage_init(st, rows[t]);
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
            offset[t][p] = total;
            if (st->pattern_mask & 1 << p)
                total = align_up(total + (uint64_t)st->lut_entries * st->lut_values);
        }
    }
    int r = LUTSR_ERR_MODEL_RANGE;
    if (total <= LUTSR_MODEL_MAX_FILE) {
        r = LUTSR_ERR_NOMEM;
        if ((m->buf = lutsr_alloc_aligned((size_t)total))) {
            memset(m->buf, 0, (size_t)total);
            for (int t = 0; t < n_stages; t++)
                for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
                    if (m->stages[t].pattern_mask & 1 << p)
                        m->stages[t].lut[p] = (int8_t *)m->buf + offset[t][p];
            r = build_description(m, -1);
        }
    }
    if (r < 0) {
        lutsr_model_close(&m);
        return r;
    }
    *out = m;
    return 0;
}

int lutsr_model_alloc_cnn(struct LutsrModel **out, int scale, int n_layers,
                          const int32_t (*graph)[8], const char *metadata)
{
    if (!out)
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    if (scale < 2 || scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    if (n_layers < 1 || n_layers > LUTSR_CNN_MAX_LAYERS || !graph)
        return LUTSR_ERR_MODEL_RANGE;
    LutsrCnnLayer layers[LUTSR_CNN_MAX_LAYERS];
    int r = lutsr_cnn_check_graph(layers, n_layers, scale, graph, NULL, 0);
    if (r < 0)
        return r;
    /* what a file could hold: slopes counted as [C] */
    if (lutsr_cnn_tensor_count(layers, n_layers) > LUTSR_MODEL_MAX_TENSORS ||
        lutsr_cnn_weight_count(layers, n_layers) > LUTSR_CNN_MAX_WEIGHTS)
        return LUTSR_ERR_MODEL_RANGE;
    struct LutsrModel *m;
    int rn = model_new_checked(&m, metadata);
    if (rn < 0)
        return rn;
    m->kind = LUTSR_MODEL_CNN;
    m->scale = scale;
    m->n_layers = n_layers;
    /* One zeroed buffer, every array 64-byte aligned as in a file; at most
     * 16M floats plus padding. */
    uint64_t total = 0, offset[LUTSR_CNN_MAX_LAYERS][3];
    for (int i = 0; i < n_layers; i++) {
        const uint32_t cnt[3] = { layers[i].n_w, layers[i].n_b, layers[i].n_a };
        for (int k = 0; k < 3; k++) {
            offset[i][k] = total;
            total = align_up(total + 4 * (uint64_t)cnt[k]);
        }
    }
    r = LUTSR_ERR_NOMEM;
    if ((m->buf = lutsr_alloc_aligned(total ? (size_t)total : LUTSR_MODEL_DATA_ALIGN))) {
        memset(m->buf, 0, (size_t)total);
        for (int i = 0; i < n_layers; i++) {
            LutsrCnnLayer *l = &m->layers[i];
            *l = layers[i];
            float *base = m->buf;
            l->w = l->n_w ? base + offset[i][0] / 4 : NULL;
            l->b = l->n_b ? base + offset[i][1] / 4 : NULL;
            l->a = l->n_a ? base + offset[i][2] / 4 : NULL;
        }
        r = build_description(m, -1);
    }
    if (r < 0) {
        lutsr_model_close(&m);
        return r;
    }
    *out = m;
    return 0;
}

/* A tensor to write: name, int8, int32 or float32 data, shape. */
typedef struct OutTensor {
    char name[TD_NAME_SIZE];
    uint32_t dtype, ndim, dims[MAX_DIMS];
    const void *data;
    uint64_t nbytes, offset;
} OutTensor;

/* The tensors of m in canonical order: "lut", or "stages" then each
 * stage's LUTs in S, D, Y order. stage_bytes backs the int32 "stages". */
static unsigned model_tensors(const struct LutsrModel *m, OutTensor *t,
                              uint8_t stage_bytes[LUTSR_MULUT_MAX_STAGES * 16])
{
    memset(t, 0, sizeof(*t) * (1 + LUTSR_MULUT_MAX_STAGES * LUTSR_MULUT_PATTERNS));
    if (m->kind != LUTSR_MODEL_MULUT) {
        t[0] = (OutTensor){ "lut", LUTSR_DTYPE_INT8, 2, { m->lut_entries, m->lut_values }, m->lut,
                            (uint64_t)m->lut_entries * m->lut_values, 0 };
        return 1;
    }
    t[0] = (OutTensor){ "stages", LUTSR_DTYPE_INT32, 2, { (uint32_t)m->n_stages, 4 }, stage_bytes,
                        16 * (uint64_t)m->n_stages, 0 };
    unsigned n = 1;
    for (int i = 0; i < m->n_stages; i++) {
        const LutsrMulutStage *st = &m->stages[i];
        const int row[4] = { st->scale, st->pattern_mask, st->interval_bits, st->out_shift };
        for (int k = 0; k < 4; k++)
            wr32(stage_bytes + 16 * i + 4 * k, (uint32_t)row[k]);
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
            if (!(st->pattern_mask & 1 << p))
                continue;
            OutTensor *c = &t[n++];
            snprintf(c->name, sizeof(c->name), "lut%d_%c", i, LUTSR_MULUT_PATTERN_LETTERS[p]);
            c->dtype = LUTSR_DTYPE_INT8;
            c->ndim = 2;
            c->dims[0] = st->lut_entries;
            c->dims[1] = st->lut_values;
            c->data = st->lut[p];
            c->nbytes = (uint64_t)st->lut_entries * st->lut_values;
        }
    }
    return n;
}

/* The fields lutsr_model_alloc*() would have checked: a hand-edited model
 * must not make serialize write an invalid file or read a NULL LUT. */
static int mulut_serializable(const struct LutsrModel *m)
{
    if (m->n_stages < 1 || m->n_stages > LUTSR_MULUT_MAX_STAGES)
        return 0;
    const ErrSink quiet = { "model", NULL, 0 };
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *st = &m->stages[t];
        const int64_t row[4] = { st->scale, st->pattern_mask, st->interval_bits, st->out_shift };
        if (check_stage(&quiet, t, m->n_stages, m->scale, row) < 0 ||
            st->lut_entries != lut_entries_for(LUTSR_MODEL_MULUT, st->interval_bits) ||
            st->lut_values != (uint32_t)(st->scale * st->scale))
            return 0;
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
            if ((st->pattern_mask & 1 << p) && !st->lut[p])
                return 0;
    }
    return 1;
}

int lutsr_model_serialize(const struct LutsrModel *m, uint8_t **out, size_t *out_size)
{
    if (!out || !out_size || !m)
        return LUTSR_ERR_INVALID_ARG;
    if (m->kind == LUTSR_MODEL_MULUT ? !mulut_serializable(m) :
        m->kind != LUTSR_MODEL_CNN &&
        (!m->lut || (m->kind != LUTSR_MODEL_SRLUT && m->kind != LUTSR_MODEL_ECLUT)))
        return LUTSR_ERR_INVALID_ARG;
    *out = NULL;
    *out_size = 0;
    const char *meta = m->metadata ? m->metadata : "";
    size_t meta_size = strlen(meta);
    if (meta_size > LUTSR_MODEL_MAX_META ||
        utf8_invalid_at((const uint8_t *)meta, meta_size) != meta_size)
        return LUTSR_ERR_MODEL_RANGE;

    /* Canonical layout: the tensors in order, each at the next 64-byte
     * boundary after the metadata; the last one ends the file. At most 512
     * tensors of at most 286 MB each: the 64-bit sums cannot wrap, and the
     * total is checked against the file limit. */
    OutTensor t[LUTSR_MODEL_MAX_TENSORS];
    uint8_t stage_bytes[LUTSR_MULUT_MAX_STAGES * 16];
    uint8_t graph_bytes[LUTSR_CNN_MAX_LAYERS * 32];
    unsigned n;
    if (m->kind == LUTSR_MODEL_CNN) {
        Tensor d[LUTSR_MODEL_MAX_TENSORS];
        const void *data[LUTSR_MODEL_MAX_TENSORS];
        int r = lutsr_cnn_tensors(m, d, data, graph_bytes, &n);
        if (r < 0)
            return r;
        for (unsigned i = 0; i < n; i++) {
            t[i] = (OutTensor){ "", d[i].dtype, d[i].ndim, { 0 }, data[i], d[i].nbytes, 0 };
            memcpy(t[i].name, d[i].name, sizeof(t[i].name));
            memcpy(t[i].dims, d[i].dims, sizeof(t[i].dims));
        }
    } else {
        n = model_tensors(m, t, stage_bytes);
    }
    uint64_t total = LUTSR_MODEL_HEADER_SIZE + (uint64_t)n * LUTSR_MODEL_TENSOR_SIZE + meta_size;
    for (unsigned i = 0; i < n; i++) {
        t[i].offset = align_up(total);
        total = t[i].offset + t[i].nbytes;
    }
    if (total > LUTSR_MODEL_MAX_FILE || total > SIZE_MAX)
        return LUTSR_ERR_MODEL_RANGE;
    uint8_t *p = calloc(1, (size_t)total); /* zero padding */
    if (!p)
        return LUTSR_ERR_NOMEM;

    memcpy(p + HDR_MAGIC, LUTSR_MODEL_MAGIC, 8);
    wr16(p + HDR_VERSION_MAJOR, LUTSR_MODEL_VERSION_MAJOR);
    wr16(p + HDR_VERSION_MINOR, LUTSR_MODEL_VERSION_MINOR);
    wr32(p + HDR_HEADER_SIZE, LUTSR_MODEL_HEADER_SIZE);
    wr32(p + HDR_KIND, (uint32_t)m->kind);
    wr32(p + HDR_SCALE, (uint32_t)m->scale);
    wr32(p + HDR_N_TENSORS, n);
    wr32(p + HDR_META_SIZE, (uint32_t)meta_size);
    wr64(p + HDR_FILE_SIZE, total);
    if (m->kind == LUTSR_MODEL_SRLUT) {
        wr32(p + HDR_PARAMS, (uint32_t)m->interval_bits);
        wr32(p + HDR_PARAMS + 4, (uint32_t)m->out_shift);
    } else if (m->kind == LUTSR_MODEL_ECLUT) {
        wr32(p + HDR_PARAMS, (uint32_t)m->out_shift);
    } else if (m->kind == LUTSR_MODEL_CNN) {
        wr32(p + HDR_PARAMS, (uint32_t)m->n_layers);
    } else {
        wr32(p + HDR_PARAMS, (uint32_t)m->n_stages);
    }

    for (unsigned i = 0; i < n; i++) {
        uint8_t *d = p + LUTSR_MODEL_HEADER_SIZE + (size_t)i * LUTSR_MODEL_TENSOR_SIZE;
        memcpy(d + TD_NAME, t[i].name, strlen(t[i].name));
        wr32(d + TD_DTYPE, t[i].dtype);
        wr32(d + TD_NDIM, t[i].ndim);
        for (unsigned k = 0; k < MAX_DIMS; k++)
            wr32(d + TD_DIMS + 4 * k, t[i].dims[k]);
        wr64(d + TD_OFFSET, t[i].offset);
        wr64(d + TD_NBYTES, t[i].nbytes);
        memcpy(p + t[i].offset, t[i].data, (size_t)t[i].nbytes);
    }
    memcpy(p + LUTSR_MODEL_HEADER_SIZE + (size_t)n * LUTSR_MODEL_TENSOR_SIZE, meta, meta_size);

    wr32(p + HDR_PAYLOAD_CRC, lutsr_crc32(0, p + LUTSR_MODEL_HEADER_SIZE,
                                         (size_t)total - LUTSR_MODEL_HEADER_SIZE));
    wr32(p + HDR_HEADER_CRC, lutsr_crc32(0, p, HDR_HEADER_CRC));
    *out = p;
    *out_size = (size_t)total;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Accessors (NULL-safe)                                                    */

LutsrModelKind lutsr_model_kind(const LutsrModel *m)
{
    return m ? m->kind : LUTSR_MODEL_BICUBIC;
}

int lutsr_model_scale(const LutsrModel *m)
{
    return m ? m->scale : 0;
}

const char *lutsr_model_kind_name(const LutsrModel *m)
{
    if (!m)
        return "none";
    switch (m->kind) {
    case LUTSR_MODEL_BICUBIC: return "bicubic";
    case LUTSR_MODEL_SRLUT:   return "srlut";
    case LUTSR_MODEL_ECLUT:   return "eclut";
    case LUTSR_MODEL_MULUT:   return "mulut";
    case LUTSR_MODEL_CNN:     return "cnn";
    }
    return "unknown";
}

const char *lutsr_model_metadata(const LutsrModel *m)
{
    return m && m->metadata ? m->metadata : "";
}

const char *lutsr_model_describe(const LutsrModel *m)
{
    return m && m->description ? m->description : "";
}
