/*
 * Model files: CRC-32, serialise/parse round trips, one test per kind of
 * corruption (each asserting its exact error code and the check's message),
 * lutsr_model_open() paths and short-name search, and the load time of a
 * 9.4 MB ECLUT x4 file.
 *
 * Files are built here by an independent writer (tf_*), not only by
 * lutsr_model_serialize(), and every parse gets an exact-size heap copy so
 * ASan catches any read outside [buf, buf + size).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lutsr/lutsr.h"
#include "model.h"
#include "test_util.h"

/* ------------------------------------------------------------------------ */
/* Independent bitwise CRC-32 and a test-side file writer                   */

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffff;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320 & (0u - (c & 1)));
    }
    return ~c;
}

typedef struct TFile { uint8_t *p; size_t size; } TFile;

typedef struct TTensor {
    const char *name;
    uint32_t dtype, ndim, dims[4];
    const uint8_t *data; /* NULL: zeros */
    uint64_t nbytes;
} TTensor;

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static uint64_t align64(uint64_t v) { return (v + 63) & ~(uint64_t)63; }

/* Header field / descriptor offsets, as in docs/model-format.md. */
enum { H_MAJOR = 8, H_MINOR = 10, H_HSIZE = 12, H_KIND = 16, H_SCALE = 20, H_NT = 24, H_META = 28,
       H_FSIZE = 32, H_PARAMS = 40, H_PCRC = 56, H_HCRC = 60 };
#define DESC(i) (64 + 64 * (i))
enum { D_DTYPE = 24, D_NDIM = 28, D_DIMS = 32, D_OFFSET = 48, D_NBYTES = 56 };

static void tf_fix_crc(TFile *f)
{
    if (f->size >= 64) {
        put32(f->p + H_PCRC, lutsr_crc32(0, f->p + 64, f->size - 64));
        put32(f->p + H_HCRC, lutsr_crc32(0, f->p, 60));
    }
}

/* Canonical layout: tensors in order, each at the next 64-byte boundary. */
static TFile tf_build(uint32_t kind, uint32_t scale, const int32_t params[4],
                      const TTensor *t, unsigned n, const char *meta, size_t meta_size)
{
    uint64_t off = align64(64 + 64 * (uint64_t)n + meta_size), end = off;
    for (unsigned i = 0; i < n; i++) {
        end = off + t[i].nbytes;
        off = align64(end);
    }
    TFile f = { calloc(1, end), end };
    REQUIRE(f.p);
    memcpy(f.p, "LUTSRMDL", 8);
    f.p[H_MAJOR] = 1;
    put32(f.p + H_HSIZE, 64);
    put32(f.p + H_KIND, kind);
    put32(f.p + H_SCALE, scale);
    put32(f.p + H_NT, n);
    put32(f.p + H_META, (uint32_t)meta_size);
    put64(f.p + H_FSIZE, end);
    for (int i = 0; i < 4; i++)
        put32(f.p + H_PARAMS + 4 * i, (uint32_t)params[i]);
    memcpy(f.p + 64 + 64 * n, meta, meta_size);
    off = align64(64 + 64 * (uint64_t)n + meta_size);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *d = f.p + DESC(i);
        memcpy(d, t[i].name, strlen(t[i].name));
        put32(d + D_DTYPE, t[i].dtype);
        put32(d + D_NDIM, t[i].ndim);
        for (int k = 0; k < 4; k++)
            put32(d + D_DIMS + 4 * k, t[i].dims[k]);
        put64(d + D_OFFSET, off);
        put64(d + D_NBYTES, t[i].nbytes);
        if (t[i].data)
            memcpy(f.p + off, t[i].data, t[i].nbytes);
        off = align64(off + t[i].nbytes);
    }
    tf_fix_crc(&f);
    return f;
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
    TestRng r;
    test_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)test_rng_u32(&r);
}

/* An SR-LUT or ECLUT file with random LUT bytes (seeded). */
static TFile tf_lut(uint32_t kind, int scale, int ib, int out_shift, const char *meta, uint64_t seed)
{
    uint32_t side = (1u << (8 - ib)) + 1;
    uint32_t entries = kind == LUTSR_MODEL_SRLUT ? side * side * side * side : 65536;
    uint32_t values = (kind == LUTSR_MODEL_ECLUT ? 9u : 1u) * (uint32_t)(scale * scale);
    TTensor t = { "lut", LUTSR_DTYPE_INT8, 2, { entries, values, 0, 0 }, NULL, (uint64_t)entries * values };
    uint8_t *data = malloc(t.nbytes);
    REQUIRE(data);
    fill_random(data, t.nbytes, seed);
    t.data = data;
    int32_t params[4] = { 0 };
    if (kind == LUTSR_MODEL_SRLUT) {
        params[0] = ib;
        params[1] = out_shift;
    } else {
        params[0] = out_shift;
    }
    TFile f = tf_build(kind, (uint32_t)scale, params, &t, 1, meta, strlen(meta));
    free(data);
    return f;
}

static const char small_meta[] = "arch: test\n";

/* The small SR-LUT most corruption tests start from: 5^4 x 4 bytes. */
static TFile tf_small(void)
{
    return tf_lut(LUTSR_MODEL_SRLUT, 2, 6, 8, small_meta, 1);
}

static TFile tf_copy(const TFile *f)
{
    TFile c = { malloc(f->size ? f->size : 1), f->size };
    REQUIRE(c.p);
    memcpy(c.p, f->p, f->size);
    return c;
}

/* ------------------------------------------------------------------------ */
/* Parsing helpers                                                          */

/* Parses an exact-size copy of [p, p + size). */
static int parse_exact(LutsrModel **m, const uint8_t *p, size_t size, char *err, size_t err_size)
{
    uint8_t *copy = malloc(size ? size : 1);
    REQUIRE(copy);
    if (size)
        memcpy(copy, p, size);
    int r = lutsr_model_parse(m, copy, size, err, err_size);
    free(copy);
    return r;
}

static void expect_err_at(int line, const uint8_t *p, size_t size, int code, const char *needle)
{
    LutsrModel *m = (LutsrModel *)&m; /* must be reset to NULL */
    char err[512];
    int r = parse_exact(&m, p, size, err, sizeof(err));
    if (r != code || m || !strstr(err, needle) || strncmp(err, "model: ", 7)) {
        fprintf(stderr, "line %d: expected %d (%s) with \"%s\", got %d (%s): \"%s\"\n", line, code,
                lutsr_strerror(code), needle, r, lutsr_strerror(r), err);
        exit(1);
    }
}
#define EXPECT_ERR(f, code, needle) expect_err_at(__LINE__, (f).p, (f).size, code, needle)

/* Corrupts a copy of base with `edit`, fixes the CRCs so the parse reaches
 * the check under test, and expects code + needle. */
#define CORRUPT(base, code, needle, ...) do { TFile c_ = tf_copy(&(base)); uint8_t *p = c_.p; \
    (void)p; __VA_ARGS__; tf_fix_crc(&c_); EXPECT_ERR(c_, code, needle); free(c_.p); } while (0)

static LutsrModel *expect_ok(const TFile *f)
{
    LutsrModel *m = NULL;
    char err[512];
    int r = parse_exact(&m, f->p, f->size, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "unexpected failure %d: %s\n", r, err);
        exit(1);
    }
    REQUIRE(m);
    return m;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                    */

static void test_crc32(void)
{
    REQUIRE_CMP(lutsr_crc32(0, "123456789", 9), ==, 0xCBF43926u);
    REQUIRE_CMP(lutsr_crc32(0, "", 0), ==, 0);
    enum { N = 4096 + 40 };
    uint8_t *buf = malloc(N);
    REQUIRE(buf);
    fill_random(buf, N, 7);
    /* Every start alignment and short length, plus long runs. */
    for (size_t off = 0; off < 17; off++)
        for (size_t len = 0; len + off <= N; len += len < 70 ? 1 : 997)
            REQUIRE_CMP(lutsr_crc32(0, buf + off, len), ==, crc32_bitwise(buf + off, len));
    /* Incremental use equals one call. */
    uint32_t c = lutsr_crc32(0, buf, 1000);
    c = lutsr_crc32(c, buf + 1000, N - 1000);
    REQUIRE_CMP(c, ==, crc32_bitwise(buf, N));
    free(buf);
}

static void test_strerror(void)
{
    static const int codes[] = {
        LUTSR_OK, LUTSR_ERR_INVALID_ARG, LUTSR_ERR_NOMEM, LUTSR_ERR_IO, LUTSR_ERR_MODEL_MAGIC,
        LUTSR_ERR_MODEL_VERSION, LUTSR_ERR_MODEL_TRUNCATED, LUTSR_ERR_MODEL_CHECKSUM,
        LUTSR_ERR_MODEL_RANGE, LUTSR_ERR_MODEL_KIND, LUTSR_ERR_MODEL_NOT_FOUND,
        LUTSR_ERR_UNSUPPORTED_SCALE, LUTSR_ERR_UNSUPPORTED_SIZE, LUTSR_ERR_THREAD,
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++) {
        const char *s = lutsr_strerror(codes[i]);
        REQUIRE(s && *s && strcmp(s, "unknown error"));
        for (size_t j = 0; j < i; j++)
            REQUIRE(strcmp(s, lutsr_strerror(codes[j])));
    }
    REQUIRE(!strcmp(lutsr_strerror(-999), "unknown error"));
    REQUIRE(!strcmp(lutsr_strerror(5), "unknown error"));
}

/* lutsr_model_alloc -> fill -> serialize: the bytes equal the independent
 * writer's, and parsing gives back every field and the LUT. */
static void round_trip(LutsrModelKind kind, int scale, int ib, int out_shift, const char *meta, uint64_t seed)
{
    LutsrModel *a;
    REQUIRE_OK(lutsr_model_alloc(&a, kind, scale, ib, out_shift, meta));
    size_t lut_size = (size_t)a->lut_entries * a->lut_values;
    fill_random((uint8_t *)a->lut, lut_size, seed);
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(a, &bytes, &size));

    TFile ref = tf_lut((uint32_t)kind, scale, ib, out_shift, meta, seed);
    REQUIRE_CMP(size, ==, ref.size);
    REQUIRE(!memcmp(bytes, ref.p, size));
    REQUIRE_CMP(get32(bytes + H_HCRC), ==, crc32_bitwise(bytes, 60));

    TFile f = { bytes, size };
    LutsrModel *m = expect_ok(&f);
    REQUIRE_CMP(lutsr_model_kind(m), ==, kind);
    REQUIRE_CMP(lutsr_model_scale(m), ==, scale);
    REQUIRE(!strcmp(lutsr_model_kind_name(m), kind == LUTSR_MODEL_SRLUT ? "srlut" : "eclut"));
    REQUIRE(!strcmp(lutsr_model_metadata(m), meta));
    REQUIRE_CMP(m->interval_bits, ==, kind == LUTSR_MODEL_SRLUT ? ib : 0);
    REQUIRE_CMP(m->lut_side, ==, kind == LUTSR_MODEL_SRLUT ? (1 << (8 - ib)) + 1 : 0);
    REQUIRE_CMP(m->out_shift, ==, out_shift);
    REQUIRE_CMP(m->lut_entries, ==, a->lut_entries);
    REQUIRE_CMP(m->lut_values, ==, (kind == LUTSR_MODEL_ECLUT ? 9 : 1) * scale * scale);
    REQUIRE_CMP(m->file_size, ==, size);
    REQUIRE_CMP(m->crc32, ==, get32(bytes + H_PCRC));
    REQUIRE_CMP((uintptr_t)m->lut % 64, ==, 0);
    REQUIRE(!memcmp(m->lut, a->lut, lut_size));

    char crc_text[64];
    snprintf(crc_text, sizeof(crc_text), "payload CRC32 0x%08x", m->crc32);
    const char *d = lutsr_model_describe(m);
    REQUIRE(strstr(d, crc_text));
    REQUIRE(strstr(d, kind == LUTSR_MODEL_SRLUT ? "kind: srlut" : "kind: eclut"));
    lutsr_model_close(&m);
    REQUIRE(!m);
    lutsr_model_close(&a);
    lutsr_model_close(&m); /* NULL-safe */
    lutsr_model_close(NULL);
    free(bytes);
    free(ref.p);
}

static void test_round_trips(void)
{
    round_trip(LUTSR_MODEL_SRLUT, 2, 4, 6, "arch: srlut\nepochs: 3\n", 11);
    round_trip(LUTSR_MODEL_SRLUT, 3, 6, 8, "", 12);
    round_trip(LUTSR_MODEL_SRLUT, 4, 5, 7, "x", 13);
    round_trip(LUTSR_MODEL_SRLUT, 2, 3, 0, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\n", 14);
    round_trip(LUTSR_MODEL_ECLUT, 2, 0, 24, "arch: eclut", 15);
    round_trip(LUTSR_MODEL_ECLUT, 3, 0, 5, "", 16);
}

/* The full describe() text of one model. */
static void test_describe(void)
{
    TFile f = tf_lut(LUTSR_MODEL_SRLUT, 2, 4, 6, "arch: sr\ndata: div2k", 3);
    LutsrModel *m = expect_ok(&f);
    char want[512];
    snprintf(want, sizeof(want),
             "kind: srlut (SR-LUT: 2x2 window, 4-D LUT, simplex interpolation)\n"
             "scale: 2\n"
             "lut: 17^4 = 83521 entries x 4 int8 values (interval 16, interval_bits 4)\n"
             "out_shift: 6\n"
             "file: %zu bytes, format 1.0, payload CRC32 0x%08x\n"
             "metadata:\n"
             "  arch: sr\n"
             "  data: div2k", f.size, get32(f.p + H_PCRC));
    if (strcmp(lutsr_model_describe(m), want)) {
        fprintf(stderr, "describe:\n%s\nexpected:\n%s\n", lutsr_model_describe(m), want);
        exit(1);
    }
    lutsr_model_close(&m);
    free(f.p);

    f = tf_lut(LUTSR_MODEL_ECLUT, 4, 0, 9, "", 3);
    m = expect_ok(&f);
    REQUIRE(strstr(lutsr_model_describe(m), "lut: 65536 entries x 144 int8 values"));
    REQUIRE(strstr(lutsr_model_describe(m), "metadata: (none)"));
    lutsr_model_close(&m);
    free(f.p);

    REQUIRE_OK(lutsr_model_bicubic(&m, 3));
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_BICUBIC);
    REQUIRE_CMP(lutsr_model_scale(m), ==, 3);
    REQUIRE(!strcmp(lutsr_model_kind_name(m), "bicubic"));
    REQUIRE(!strcmp(lutsr_model_metadata(m), ""));
    REQUIRE(!strcmp(lutsr_model_describe(m), "kind: bicubic (built-in, a = -0.5)\nscale: 3"));
    lutsr_model_close(&m);
    REQUIRE_CMP(lutsr_model_bicubic(&m, 1), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE_CMP(lutsr_model_bicubic(&m, 5), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE(!m);
    REQUIRE_CMP(lutsr_model_bicubic(NULL, 2), ==, LUTSR_ERR_INVALID_ARG);
}

static void test_alloc_serialize_args(void)
{
    LutsrModel *m;
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_BICUBIC, 2, 4, 6, NULL), ==, LUTSR_ERR_MODEL_KIND);
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, 5, 4, 6, NULL), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, 2, 7, 6, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, 2, 4, 25, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_ECLUT, 2, 0, -1, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, 2, 4, 6, "\xff"), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE(!m);
    REQUIRE_OK(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, 2, 6, 8, NULL));
    REQUIRE(!strcmp(lutsr_model_metadata(m), ""));
    REQUIRE(strstr(lutsr_model_describe(m), "in-memory model"));
    uint8_t *bytes;
    size_t size;
    REQUIRE_CMP(lutsr_model_serialize(m, NULL, &size), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_model_close(&m);
    REQUIRE_OK(lutsr_model_bicubic(&m, 2));
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_model_close(&m);

    char err[64];
    REQUIRE_CMP(lutsr_model_parse(NULL, "x", 1, err, sizeof(err)), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_model_parse(&m, NULL, 5, err, sizeof(err)), ==, LUTSR_ERR_INVALID_ARG);
    /* A tiny err buffer is truncated, never overrun; NULL err is allowed. */
    TFile f = tf_small();
    f.p[0] = 'X';
    REQUIRE_CMP(lutsr_model_parse(&m, f.p, f.size, err, 4), ==, LUTSR_ERR_MODEL_MAGIC);
    REQUIRE(!strcmp(err, "mod"));
    REQUIRE_CMP(lutsr_model_parse(&m, f.p, f.size, NULL, 0), ==, LUTSR_ERR_MODEL_MAGIC);
    free(f.p);
}

static void test_corrupt_header(void)
{
    TFile base = tf_small();
    LutsrModel *m = expect_ok(&base);
    lutsr_model_close(&m);

    /* Empty input and short headers; every proper prefix is truncated. */
    TFile empty = { NULL, 0 };
    EXPECT_ERR(empty, LUTSR_ERR_MODEL_TRUNCATED, "shorter than the 64-byte header");
    REQUIRE_CMP(lutsr_model_parse(&m, NULL, 0, NULL, 0), ==, LUTSR_ERR_MODEL_TRUNCATED);
    for (size_t n = 0; n < base.size; n++)
        expect_err_at(__LINE__, base.p, n, LUTSR_ERR_MODEL_TRUNCATED, n < 64 ? "header" : "truncated");
    TFile shorty = { (uint8_t *)"LUTSX", 5 };
    EXPECT_ERR(shorty, LUTSR_ERR_MODEL_MAGIC, "not a lutsr model");

    CORRUPT(base, LUTSR_ERR_MODEL_MAGIC, "not a lutsr model", p[0] = 'l');
    CORRUPT(base, LUTSR_ERR_MODEL_MAGIC, "not a lutsr model", p[7] = 'm');
    TFile png = { (uint8_t *)"\x89PNG\r\n\x1a\n", 8 };
    EXPECT_ERR(png, LUTSR_ERR_MODEL_MAGIC, "magic");

    /* Versions: a newer or older major is refused; any minor is accepted. */
    CORRUPT(base, LUTSR_ERR_MODEL_VERSION, "model format 2.0 is newer than this library (1.x)", p[H_MAJOR] = 2);
    CORRUPT(base, LUTSR_ERR_MODEL_VERSION, "model format 300.7 is newer", p[H_MAJOR] = 300 & 255;
            p[H_MAJOR + 1] = 1; p[H_MINOR] = 7);
    CORRUPT(base, LUTSR_ERR_MODEL_VERSION, "model format 0.0 is older", p[H_MAJOR] = 0);
    TFile v = tf_copy(&base);
    v.p[H_MINOR] = 9;
    tf_fix_crc(&v);
    m = expect_ok(&v);
    REQUIRE(strstr(lutsr_model_describe(m), "format 1.9"));
    lutsr_model_close(&m);
    free(v.p);

    /* Header CRC: any header byte changed without fixing the CRC. */
    for (int i = 12; i < 64; i++) {
        TFile c = tf_copy(&base);
        c.p[i] ^= 0x10;
        EXPECT_ERR(c, LUTSR_ERR_MODEL_CHECKSUM, "header CRC32 mismatch");
        free(c.p);
    }

    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "header_size is 128, expected 64", put32(p + H_HSIZE, 128));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "n_tensors is 0, expected 1..512", put32(p + H_NT, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "n_tensors is 513, expected 1..512", put32(p + H_NT, 513));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "meta_size is 1048577, expected at most 1048576",
            put32(p + H_META, (1u << 20) + 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "meta_size", put32(p + H_META, 0xffffffff));

    /* file_size must be the exact length. */
    CORRUPT(base, LUTSR_ERR_MODEL_TRUNCATED, "truncated", put64(p + H_FSIZE, base.size + 64));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "bytes of trailing data", put64(p + H_FSIZE, base.size - 64));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "smaller than header, tensor table and metadata",
            put64(p + H_FSIZE, 100));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "limit", put64(p + H_FSIZE, (uint64_t)1 << 40));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "limit", put64(p + H_FSIZE, UINT64_MAX));
    {
        TFile g = tf_copy(&base); /* trailing garbage, header untouched */
        g.p = realloc(g.p, base.size + 1);
        REQUIRE(g.p);
        g.p[g.size++] = 0;
        EXPECT_ERR(g, LUTSR_ERR_MODEL_RANGE, "1 bytes of trailing data");
        free(g.p);
    }

    /* Kind, scale, params. */
    CORRUPT(base, LUTSR_ERR_MODEL_KIND, "unknown model kind 0", put32(p + H_KIND, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_KIND, "kind 4 (reserved for multi-stage", put32(p + H_KIND, 4));
    CORRUPT(base, LUTSR_ERR_MODEL_KIND, "kind 15 (reserved for multi-stage", put32(p + H_KIND, 15));
    CORRUPT(base, LUTSR_ERR_MODEL_KIND, "kind 17 (reserved for CNN", put32(p + H_KIND, 17));
    CORRUPT(base, LUTSR_ERR_MODEL_KIND, "kind 4294967295", put32(p + H_KIND, 0xffffffff));
    CORRUPT(base, LUTSR_ERR_UNSUPPORTED_SCALE, "scale is 1, expected 2, 3 or 4", put32(p + H_SCALE, 1));
    CORRUPT(base, LUTSR_ERR_UNSUPPORTED_SCALE, "scale is 5", put32(p + H_SCALE, 5));
    CORRUPT(base, LUTSR_ERR_UNSUPPORTED_SCALE, "scale is 0", put32(p + H_SCALE, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "interval_bits (params[0]) is 1, expected 2..6",
            put32(p + H_PARAMS, 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "interval_bits (params[0]) is 7", put32(p + H_PARAMS, 7));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "interval_bits (params[0]) is -1", put32(p + H_PARAMS, 0xffffffff));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "out_shift (params[1]) is 25, expected 0..24",
            put32(p + H_PARAMS + 4, 25));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "out_shift (params[1]) is -3", put32(p + H_PARAMS + 4, (uint32_t)-3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "params[2] is 1, expected 0", put32(p + H_PARAMS + 8, 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "params[3] is -2147483648", put32(p + H_PARAMS + 12, 0x80000000));
    free(base.p);
}

static void test_corrupt_payload(void)
{
    TFile base = tf_small();
    uint64_t lut_off = get64(base.p + DESC(0) + D_OFFSET);
    uint64_t meta_end = 128 + strlen(small_meta);
    REQUIRE_CMP(lut_off, ==, 192);

    /* Payload CRC: one flipped bit anywhere after the header. */
    for (size_t i = 64; i < base.size; i += 37) {
        TFile c = tf_copy(&base);
        c.p[i] ^= 1;
        EXPECT_ERR(c, LUTSR_ERR_MODEL_CHECKSUM, "payload CRC32 mismatch");
        free(c.p);
    }
    {
        TFile c = tf_copy(&base);
        c.p[base.size - 1] ^= 0x80; /* last LUT byte */
        EXPECT_ERR(c, LUTSR_ERR_MODEL_CHECKSUM, "payload CRC32");
        free(c.p);
    }

    /* Tensor name. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor name is 'lux', expected 'lut'", p[DESC(0) + 2] = 'x');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 0: empty name", memset(p + DESC(0), 0, 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "name byte 0 is 0x01, expected printable", p[DESC(0)] = 1);
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "name byte 5 is 0x41, expected 0 (NUL padding)", p[DESC(0) + 5] = 'A');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "name is not NUL-terminated", memset(p + DESC(0), 'a', 24));

    /* dtype, ndim, dims, nbytes. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dtype is 0, expected 1..5", put32(p + DESC(0) + D_DTYPE, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dtype is 6", put32(p + DESC(0) + D_DTYPE, 6));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dtype is 2 (uint8), expected 1 (int8)", put32(p + DESC(0) + D_DTYPE, 2));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "nbytes is 2500, expected 2496 (product of dims x 2-byte int16)",
            put32(p + DESC(0) + D_DTYPE, 3); put32(p + DESC(0) + D_DIMS, 312));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "ndim is 0, expected 1..4", put32(p + DESC(0) + D_NDIM, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "ndim is 5", put32(p + DESC(0) + D_NDIM, 5));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "ndim is 3, expected 2",
            put32(p + DESC(0) + D_NDIM, 3); put32(p + DESC(0) + D_DIMS + 8, 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[2] is 1, expected 0 (ndim is 2)", put32(p + DESC(0) + D_DIMS + 8, 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[1] is 0, expected >= 1", put32(p + DESC(0) + D_DIMS + 4, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "nbytes is 2501, expected 2500", put64(p + DESC(0) + D_NBYTES, 2501));
    /* Huge dims: the product overflows 64 bits unless checked as it grows. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims give more than the file's",
            put32(p + DESC(0) + D_DTYPE, LUTSR_DTYPE_INT32); put32(p + DESC(0) + D_NDIM, 4);
            for (int k = 0; k < 4; k++) put32(p + DESC(0) + D_DIMS + 4 * k, 0xffffffff);
            put64(p + DESC(0) + D_NBYTES, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims give more",
            put32(p + DESC(0) + D_DIMS, 0x10000); put32(p + DESC(0) + D_DIMS + 4, 0x10000);
            put64(p + DESC(0) + D_NBYTES, (uint64_t)1 << 32));
    /* Same byte count, wrong shape for the kind. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[0] is 1250, expected 625 (5^4 for interval_bits 6)",
            put32(p + DESC(0) + D_DIMS, 1250); put32(p + DESC(0) + D_DIMS + 4, 2));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[0] is 625, expected 83521",
            put32(p + H_PARAMS, 4));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[1] is 4, expected 9 (scale 3 x 3)", put32(p + H_SCALE, 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[0] is 625, expected 65536",
            put32(p + H_KIND, LUTSR_MODEL_ECLUT); put32(p + H_PARAMS, 8); put32(p + H_PARAMS + 4, 0));

    /* Placement. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "offset 193 is not a multiple of 64", put64(p + DESC(0) + D_OFFSET, 193));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "offset 128 is before the end of the metadata (139)",
            put64(p + DESC(0) + D_OFFSET, 128));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "lie outside the", put64(p + DESC(0) + D_OFFSET, 256));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "lie outside the", put64(p + DESC(0) + D_OFFSET, (uint64_t)-64));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "non-zero padding between metadata and tensor 'lut'",
            p[meta_end + 10] = 1);
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "non-zero padding", p[lut_off - 1] = 0x80);

    /* Bytes after the last tensor, even with file_size and CRC updated. */
    {
        TFile c = tf_copy(&base);
        c.p = realloc(c.p, base.size + 64);
        REQUIRE(c.p);
        memset(c.p + c.size, 0, 64);
        c.size += 64;
        put64(c.p + H_FSIZE, c.size);
        tf_fix_crc(&c);
        EXPECT_ERR(c, LUTSR_ERR_MODEL_RANGE, "64 bytes after the last tensor 'lut'");
        free(c.p);
    }

    /* Metadata. */
    TFile nul = tf_lut(LUTSR_MODEL_SRLUT, 2, 6, 8, small_meta, 1);
    nul.p[128 + 4] = 0;
    tf_fix_crc(&nul);
    EXPECT_ERR(nul, LUTSR_ERR_MODEL_RANGE, "metadata contains a NUL byte at offset 4");
    free(nul.p);
    static const char *const bad_utf8[] = {
        "\xff", "a\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok \xe2\x82",
    };
    for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
        TFile c = tf_lut(LUTSR_MODEL_SRLUT, 2, 6, 8, bad_utf8[i], 1);
        EXPECT_ERR(c, LUTSR_ERR_MODEL_RANGE, "metadata is not valid UTF-8");
        free(c.p);
    }
    free(base.p);
}

/* Files with more than one tensor: generic layout checks come before the
 * "exactly one 'lut'" rule, so each is reached on its own. */
static void test_multi_tensor(void)
{
    int32_t params[4] = { 6, 8, 0, 0 };
    uint8_t lut[2500];
    fill_random(lut, sizeof(lut), 5);
    TTensor t[2] = {
        { "lut", LUTSR_DTYPE_INT8, 2, { 625, 4, 0, 0 }, lut, 2500 },
        { "aux", LUTSR_DTYPE_FLOAT32, 1, { 16, 0, 0, 0 }, NULL, 64 },
    };
    TFile base = tf_build(LUTSR_MODEL_SRLUT, 2, params, t, 2, "", 0);
    EXPECT_ERR(base, LUTSR_ERR_MODEL_RANGE, "n_tensors is 2, expected 1 for kind srlut");

    uint64_t off0 = get64(base.p + DESC(0) + D_OFFSET), off1 = get64(base.p + DESC(1) + D_OFFSET);
    REQUIRE_CMP(off0, ==, 192);
    REQUIRE_CMP(off1, ==, 192 + 2560);
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensors 'lut' and 'aux' overlap",
            put64(p + DESC(1) + D_OFFSET, off1 - 64));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensors 'lut' and 'aux' overlap",
            put64(p + DESC(1) + D_OFFSET, off0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "two tensors are named 'lut'", memcpy(p + DESC(1), "lut", 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "non-zero padding between lut and tensor 'aux'",
            p[off0 + 2500] = 7);
    /* Descriptors listed out of file order are fine (then the kind check). */
    {
        TTensor rev[2] = { t[1], t[0] };
        TFile c = tf_build(LUTSR_MODEL_SRLUT, 2, params, rev, 2, "", 0);
        uint8_t d0[64];
        memcpy(d0, c.p + DESC(0), 64);
        memcpy(c.p + DESC(0), c.p + DESC(1), 64);
        memcpy(c.p + DESC(1), d0, 64);
        tf_fix_crc(&c);
        EXPECT_ERR(c, LUTSR_ERR_MODEL_RANGE, "n_tensors is 2");
        free(c.p);
    }
    free(base.p);

    /* A valid multi-tensor file of 64 tiny tensors passes the layout checks. */
    TTensor many[64];
    char names[64][16];
    for (int i = 0; i < 64; i++) {
        snprintf(names[i], sizeof(names[i]), "t%d", i);
        many[i] = (TTensor){ names[i], LUTSR_DTYPE_INT16, 1, { (uint32_t)i + 1, 0, 0, 0 }, NULL, 2u * (i + 1) };
    }
    TFile f = tf_build(LUTSR_MODEL_SRLUT, 2, params, many, 64, "", 0);
    EXPECT_ERR(f, LUTSR_ERR_MODEL_RANGE, "n_tensors is 64, expected 1 for kind srlut");
    free(f.p);
}

/* ECLUT-specific fields. */
static void test_eclut_fields(void)
{
    TFile base = tf_lut(LUTSR_MODEL_ECLUT, 2, 0, 7, "", 21);
    LutsrModel *m = expect_ok(&base);
    lutsr_model_close(&m);
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "out_shift (params[0]) is 25, expected 0..24", put32(p + H_PARAMS, 25));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "params[1] is 4, expected 0", put32(p + H_PARAMS + 4, 4));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[1] is 36, expected 81 (9 x scale 3 x 3)", put32(p + H_SCALE, 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "dims[0] is 65536, expected 625",
            put32(p + H_KIND, LUTSR_MODEL_SRLUT); put32(p + H_PARAMS, 6));
    free(base.p);
}

/* ------------------------------------------------------------------------ */
/* lutsr_model_open                                                         */

static char tmp_dir[256];

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE_CMP(fwrite(p, 1, n, f), ==, n);
    REQUIRE(!fclose(f));
}

static char *tmp_path(const char *name)
{
    static char buf[16][512];
    static int i;
    char *b = buf[i++ & 15];
    snprintf(b, sizeof(buf[0]), "%s/%s", tmp_dir, name);
    return b;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st; (void)type; (void)ftw;
    return remove(path);
}

/* atexit: also after a failed REQUIRE, so failures leave no files behind. */
static void remove_tmp_dir(void)
{
    if (tmp_dir[0])
        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void expect_open_err_at(int line, const char *name, int code, const char *prefix, const char *needle)
{
    LutsrModel *m = (LutsrModel *)&m;
    char err[1024];
    int r = lutsr_model_open(&m, name, err, sizeof(err));
    if (r != code || m || strncmp(err, prefix, strlen(prefix)) || !strstr(err, needle)) {
        fprintf(stderr, "line %d: open(%s): expected %d with \"%s...%s\", got %d: \"%s\"\n",
                line, name, code, prefix, needle, r, err);
        exit(1);
    }
}
#define EXPECT_OPEN_ERR(name, code, prefix, needle) expect_open_err_at(__LINE__, name, code, prefix, needle)

static LutsrModel *expect_open(const char *name)
{
    LutsrModel *m = NULL;
    char err[1024];
    int r = lutsr_model_open(&m, name, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "open(%s) failed %d: %s\n", name, r, err);
        exit(1);
    }
    return m;
}

static void test_open(void)
{
    LutsrModel *m;
    char err[1024];

    /* Built-ins. */
    m = expect_open("bicubic-x3");
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_BICUBIC);
    REQUIRE_CMP(lutsr_model_scale(m), ==, 3);
    lutsr_model_close(&m);
    m = expect_open("bicubic");
    REQUIRE_CMP(lutsr_model_scale(m), ==, 2);
    lutsr_model_close(&m);
    EXPECT_OPEN_ERR("bicubic-x5", LUTSR_ERR_UNSUPPORTED_SCALE, "bicubic-x5: ", "scale 5");
    EXPECT_OPEN_ERR("", LUTSR_ERR_INVALID_ARG, "model: ", "no model name");
    REQUIRE_CMP(lutsr_model_open(&m, NULL, err, sizeof(err)), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_model_open(NULL, "bicubic", err, sizeof(err)), ==, LUTSR_ERR_INVALID_ARG);

    /* Paths: missing, a directory, a bad file (message prefixed by the path). */
    char *missing = tmp_path("missing.lsr");
    EXPECT_OPEN_ERR(missing, LUTSR_ERR_IO, missing, "No such file or directory");
    EXPECT_OPEN_ERR(tmp_dir, LUTSR_ERR_IO, tmp_dir, "not a regular file: Is a directory");
    char *dir_lsr = tmp_path("dir.lsr");
    REQUIRE(!mkdir(dir_lsr, 0755));
    EXPECT_OPEN_ERR(dir_lsr, LUTSR_ERR_IO, dir_lsr, "Is a directory");
    char *bad = tmp_path("bad.lsr");
    write_file(bad, "LUTSRMDL\x02\x00", 10);
    EXPECT_OPEN_ERR(bad, LUTSR_ERR_MODEL_VERSION, bad, "model format 2.0 is newer");
    char *empty = tmp_path("empty.lsr");
    write_file(empty, "", 0);
    EXPECT_OPEN_ERR(empty, LUTSR_ERR_MODEL_TRUNCATED, empty, "shorter than");
    /* Too big: refused from its size alone (a sparse file, nothing read). */
    char *huge = tmp_path("huge.lsr");
    write_file(huge, "", 0);
    REQUIRE(!truncate(huge, (off_t)LUTSR_MODEL_MAX_FILE + 1));
    EXPECT_OPEN_ERR(huge, LUTSR_ERR_MODEL_RANGE, huge, "limit");

    /* A good file by path, and the same through the search path. */
    TFile f = tf_lut(LUTSR_MODEL_SRLUT, 3, 6, 8, small_meta, 31);
    char *sub_a = tmp_path("a"), *sub_b = tmp_path("b");
    REQUIRE(!mkdir(sub_a, 0755));
    REQUIRE(!mkdir(sub_b, 0755));
    char *mine = tmp_path("b/mymodel.lsr");
    write_file(mine, f.p, f.size);
    m = expect_open(mine);
    REQUIRE_CMP(lutsr_model_scale(m), ==, 3);
    REQUIRE(!memcmp(m->lut, f.p + get64(f.p + DESC(0) + D_OFFSET), 625 * 9));
    REQUIRE_CMP((uintptr_t)m->lut % 64, ==, 0);
    lutsr_model_close(&m);

    char env[1200];
    snprintf(env, sizeof(env), "%s::%s", sub_a, sub_b); /* empty entry ignored */
    REQUIRE(!setenv("LUTSR_MODEL_PATH", env, 1));
    m = expect_open("mymodel");
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_SRLUT);
    REQUIRE_CMP(m->crc32, ==, get32(f.p + H_PCRC));
    REQUIRE(!strcmp(lutsr_model_metadata(m), small_meta));
    lutsr_model_close(&m);
    /* A name ending in .lsr is a path (relative to the working directory). */
    EXPECT_OPEN_ERR("mymodel.lsr", LUTSR_ERR_IO, "mymodel.lsr: ", "No such file");

    /* Not found: the message lists what was looked for and where. */
    EXPECT_OPEN_ERR("zz-no-such-model", LUTSR_ERR_MODEL_NOT_FOUND, "zz-no-such-model: ", "zz-no-such-model.lsr");
    EXPECT_OPEN_ERR("zz-no-such-model", LUTSR_ERR_MODEL_NOT_FOUND, "zz-no-such-model: ", env);
    EXPECT_OPEN_ERR("zz-no-such-model", LUTSR_ERR_MODEL_NOT_FOUND, "zz-no-such-model: ", LUTSR_MODEL_DIR);
    EXPECT_OPEN_ERR("zz-no-such-model", LUTSR_ERR_MODEL_NOT_FOUND, "zz-no-such-model: ", "/share/lutsr/models");
    REQUIRE(!unsetenv("LUTSR_MODEL_PATH"));
    EXPECT_OPEN_ERR("zz-no-such-model", LUTSR_ERR_MODEL_NOT_FOUND, "zz-no-such-model: ",
                    "$LUTSR_MODEL_PATH (unset)");

    /* A bad file found by the search is reported, not skipped. */
    write_file(tmp_path("a/broken.lsr"), "LUTSRMDL", 8);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", env, 1));
    EXPECT_OPEN_ERR("broken", LUTSR_ERR_MODEL_TRUNCATED, sub_a, "/broken.lsr: ");
    free(f.p);
}

/* "x3": eclut-x3, then srlut-x3, then mulut-x3 in each directory; kinds
 * this library cannot run are skipped; directory order wins. */
static void test_open_alias(void)
{
    char *dc = tmp_path("c"), *dd = tmp_path("d");
    REQUIRE(!mkdir(dc, 0755));
    REQUIRE(!mkdir(dd, 0755));
    TFile sr = tf_lut(LUTSR_MODEL_SRLUT, 3, 6, 8, "which: srlut", 41);
    TFile ec = tf_lut(LUTSR_MODEL_ECLUT, 3, 0, 7, "which: eclut", 42);
    TFile mu = tf_lut(LUTSR_MODEL_SRLUT, 3, 6, 8, "which: mulut", 43);
    put32(mu.p + H_KIND, 4); /* a reserved multi-stage kind: not runnable here */
    tf_fix_crc(&mu);
    write_file(tmp_path("c/srlut-x3.lsr"), sr.p, sr.size);
    write_file(tmp_path("c/eclut-x3.lsr"), ec.p, ec.size);
    write_file(tmp_path("c/mulut-x3.lsr"), mu.p, mu.size);
    write_file(tmp_path("d/srlut-x3.lsr"), sr.p, sr.size);

    char env[1200];
    snprintf(env, sizeof(env), "%s", dc);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", env, 1));
    LutsrModel *m = expect_open("x3");
    REQUIRE(!strcmp(lutsr_model_metadata(m), "which: eclut"));
    lutsr_model_close(&m);

    snprintf(env, sizeof(env), "%s:%s", dd, dc);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", env, 1));
    m = expect_open("x3");
    REQUIRE(!strcmp(lutsr_model_metadata(m), "which: srlut"));
    lutsr_model_close(&m);

    /* Only an unsupported kind present (unless the build or install tree
     * ships an x3 model, which would then rightly be found). */
    char *de = tmp_path("e");
    REQUIRE(!mkdir(de, 0755));
    write_file(tmp_path("e/mulut-x3.lsr"), mu.p, mu.size);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", de, 1));
    char err[1024];
    int r = lutsr_model_open(&m, "x3", err, sizeof(err));
    if (r == LUTSR_ERR_MODEL_NOT_FOUND)
        REQUIRE(strstr(err, "x3: no usable model found: looked for eclut-x3.lsr, srlut-x3.lsr or mulut-x3.lsr"));
    else
        REQUIRE(r == 0 && strcmp(lutsr_model_metadata(m), "which: mulut"));
    lutsr_model_close(&m);
    REQUIRE(!unsetenv("LUTSR_MODEL_PATH"));
    free(sr.p);
    free(ec.p);
    free(mu.p);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The largest shipped kind: ECLUT x4, 65536 x 144 bytes = 9.4 MB. */
static void test_load_time(void)
{
    TFile f = tf_lut(LUTSR_MODEL_ECLUT, 4, 0, 6, "arch: eclut\nscale: 4\n", 51);
    char *path = tmp_path("eclut-x4.lsr");
    write_file(path, f.p, f.size);
    double best_open = 1e9, best_parse = 1e9, best_crc = 1e9;
    for (int i = 0; i < 5; i++) {
        LutsrModel *m;
        double t0 = now_ms();
        m = expect_open(path);
        double t1 = now_ms();
        REQUIRE(!memcmp(m->lut, f.p + get64(f.p + DESC(0) + D_OFFSET), 65536 * 144));
        lutsr_model_close(&m);
        double t2 = now_ms();
        m = expect_ok(&f);
        double t3 = now_ms();
        lutsr_model_close(&m);
        double t4 = now_ms();
        volatile uint32_t c = lutsr_crc32(0, f.p, f.size);
        (void)c;
        double t5 = now_ms();
        best_open = t1 - t0 < best_open ? t1 - t0 : best_open;
        best_parse = t3 - t2 < best_parse ? t3 - t2 : best_parse;
        best_crc = t5 - t4 < best_crc ? t5 - t4 : best_crc;
    }
    printf("ECLUT x4 (%zu bytes): lutsr_model_open %.2f ms, lutsr_model_parse (incl. copy) %.2f ms, "
           "CRC32 alone %.2f ms (%.2f GB/s)\n", f.size, best_open, best_parse, best_crc,
           f.size / best_crc / 1e6);
    free(f.p);
}

/* ------------------------------------------------------------------------ */
/* MuLUT (kind 3): "stages" int32 [S, 4] plus one int8 LUT per stage and    */
/* pattern, "lut<t>_<S|D|Y>"                                                */

/* A MuLUT file from the independent writer: stages[t] = { scale,
 * pattern_mask, interval_bits, out_shift }, random LUT bytes (seeded),
 * tensors in canonical order ("stages", then each stage's S, D, Y). */
static TFile tf_mulut(int scale, int n_stages, const int stages[][4], const char *meta, uint64_t seed)
{
    TTensor t[13];
    char names[13][24];
    uint8_t rows[4 * 16];
    uint8_t *data[13] = { NULL };
    unsigned n = 1;
    for (int i = 0; i < n_stages; i++)
        for (int k = 0; k < 4; k++)
            put32(rows + 16 * i + 4 * k, (uint32_t)stages[i][k]);
    t[0] = (TTensor){ "stages", LUTSR_DTYPE_INT32, 2, { (uint32_t)n_stages, 4, 0, 0 }, rows,
                      16 * (uint64_t)n_stages };
    for (int i = 0; i < n_stages; i++) {
        const uint32_t side = (1u << (8 - stages[i][2])) + 1;
        const uint32_t entries = side * side * side * side, values = (uint32_t)(stages[i][0] * stages[i][0]);
        for (int p = 0; p < 3; p++) {
            if (!(stages[i][1] & 1 << p))
                continue;
            snprintf(names[n], sizeof(names[n]), "lut%d_%c", i, "SDY"[p]);
            data[n] = malloc((size_t)entries * values);
            REQUIRE(data[n]);
            fill_random(data[n], (size_t)entries * values, seed + n);
            t[n] = (TTensor){ names[n], LUTSR_DTYPE_INT8, 2, { entries, values, 0, 0 }, data[n],
                              (uint64_t)entries * values };
            n++;
        }
    }
    const int32_t params[4] = { n_stages, 0, 0, 0 };
    TFile f = tf_build(LUTSR_MODEL_MULUT, (uint32_t)scale, params, t, n, meta, strlen(meta));
    for (unsigned i = 0; i < n; i++)
        free(data[i]);
    return f;
}

/* Offset of the descriptor of the tensor named name (REQUIREd). */
static size_t desc_of(const TFile *f, const char *name)
{
    for (uint32_t i = 0; i < get32(f->p + H_NT); i++)
        if (!strcmp((const char *)f->p + DESC(i), name))
            return DESC(i);
    fprintf(stderr, "no tensor '%s'\n", name);
    exit(1);
}

/* Byte offset of field k of stage row t in the "stages" data. */
static size_t stage_field(const TFile *f, int t, int k)
{
    return (size_t)get64(f->p + desc_of(f, "stages") + D_OFFSET) + 16 * (size_t)t + 4 * (size_t)k;
}

static const int mu_stages[2][4] = { { 1, 5, 6, 8 }, { 2, 7, 6, 9 } }; /* S+Y x1, SDY x2; 5^4 entries */

static void mulut_round_trip(int scale, int n_stages, const int stages[][4], const char *meta, uint64_t seed)
{
    LutsrMulutStage d[4];
    memset(d, 0, sizeof(d));
    for (int t = 0; t < n_stages; t++)
        d[t] = (LutsrMulutStage){ .scale = stages[t][0], .pattern_mask = stages[t][1],
                                  .interval_bits = stages[t][2], .out_shift = stages[t][3] };
    LutsrModel *a;
    REQUIRE_OK(lutsr_model_alloc_mulut(&a, scale, n_stages, d, meta));
    REQUIRE_CMP(a->n_stages, ==, n_stages);
    /* the same LUT bytes the test writer puts in: tensor i gets seed + i */
    unsigned idx = 1;
    for (int t = 0; t < n_stages; t++)
        for (int p = 0; p < 3; p++) {
            const LutsrMulutStage *st = &a->stages[t];
            REQUIRE((st->lut[p] != NULL) == !!(stages[t][1] & 1 << p));
            if (st->lut[p]) {
                REQUIRE_CMP((uintptr_t)st->lut[p] % 64, ==, 0);
                fill_random((uint8_t *)st->lut[p], (size_t)st->lut_entries * st->lut_values, seed + idx++);
            }
        }
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(a, &bytes, &size));
    TFile ref = tf_mulut(scale, n_stages, stages, meta, seed);
    REQUIRE_CMP(size, ==, ref.size);
    REQUIRE(!memcmp(bytes, ref.p, size));

    TFile f = { bytes, size };
    LutsrModel *m = expect_ok(&f);
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_MULUT);
    REQUIRE(!strcmp(lutsr_model_kind_name(m), "mulut"));
    REQUIRE_CMP(lutsr_model_scale(m), ==, scale);
    REQUIRE(!strcmp(lutsr_model_metadata(m), meta));
    REQUIRE(!m->lut);
    REQUIRE_CMP(m->n_stages, ==, n_stages);
    for (int t = 0; t < n_stages; t++) {
        const LutsrMulutStage *x = &m->stages[t], *y = &a->stages[t];
        const uint32_t side = (1u << (8 - stages[t][2])) + 1;
        REQUIRE_CMP(x->scale, ==, stages[t][0]);
        REQUIRE_CMP(x->pattern_mask, ==, stages[t][1]);
        REQUIRE_CMP(x->interval_bits, ==, stages[t][2]);
        REQUIRE_CMP(x->out_shift, ==, stages[t][3]);
        REQUIRE_CMP(x->lut_side, ==, side);
        REQUIRE_CMP(x->lut_entries, ==, side * side * side * side);
        REQUIRE_CMP(x->lut_values, ==, stages[t][0] * stages[t][0]);
        for (int p = 0; p < 3; p++) {
            REQUIRE((x->lut[p] != NULL) == (y->lut[p] != NULL));
            if (x->lut[p]) {
                REQUIRE_CMP((uintptr_t)x->lut[p] % 64, ==, 0);
                REQUIRE(!memcmp(x->lut[p], y->lut[p], (size_t)x->lut_entries * x->lut_values));
            }
        }
    }
    lutsr_model_close(&m);
    lutsr_model_close(&a);
    free(bytes);
    free(ref.p);
}

static void test_mulut_round_trips(void)
{
    mulut_round_trip(2, 2, mu_stages, "arch: mulut\n", 61);
    static const int one[1][4] = { { 4, 2, 5, 0 } };
    mulut_round_trip(4, 1, one, "", 62);
    static const int four[4][4] = { { 1, 1, 6, 24 }, { 1, 6, 5, 3 }, { 1, 7, 4, 8 }, { 3, 4, 6, 9 } };
    mulut_round_trip(3, 4, four, "x", 63);
}

static void test_mulut_describe(void)
{
    TFile f = tf_mulut(2, 2, mu_stages, "arch: mulut", 5);
    LutsrModel *m = expect_ok(&f);
    char want[640];
    snprintf(want, sizeof(want),
             "kind: mulut (MuLUT: 2 stages of 4-D LUTs over S/D/Y sampling patterns, simplex interpolation)\n"
             "scale: 2\n"
             "stage 0: x1, patterns SY, interval_bits 6, luts 5^4 = 625 entries x 1 int8 value, out_shift 8\n"
             "stage 1: x2, patterns SDY, interval_bits 6, luts 5^4 = 625 entries x 4 int8 values, out_shift 9\n"
             "file: %zu bytes, format 1.0, payload CRC32 0x%08x\n"
             "metadata:\n"
             "  arch: mulut", f.size, get32(f.p + H_PCRC));
    if (strcmp(lutsr_model_describe(m), want)) {
        fprintf(stderr, "describe:\n%s\nexpected:\n%s\n", lutsr_model_describe(m), want);
        exit(1);
    }
    lutsr_model_close(&m);
    free(f.p);
}

static void test_mulut_corrupt(void)
{
    TFile base = tf_mulut(2, 2, mu_stages, small_meta, 7);
    LutsrModel *m = expect_ok(&base);
    lutsr_model_close(&m);
    const size_t st = desc_of(&base, "stages"), l0s = desc_of(&base, "lut0_S");
    const size_t l1d = desc_of(&base, "lut1_D");

    /* Header. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "number of stages (params[0]) is 0, expected 1..4", put32(p + H_PARAMS, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "number of stages (params[0]) is 5, expected 1..4", put32(p + H_PARAMS, 5));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "number of stages (params[0]) is -1", put32(p + H_PARAMS, 0xffffffff));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "params[1] is 6, expected 0 (unused by kind 3)", put32(p + H_PARAMS + 4, 6));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "params[3] is 1, expected 0", put32(p + H_PARAMS + 12, 1));
    CORRUPT(base, LUTSR_ERR_UNSUPPORTED_SCALE, "scale is 1, expected 2, 3 or 4", put32(p + H_SCALE, 1));

    /* The "stages" tensor. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "no tensor 'stages' (kind mulut needs one)", p[st + 5] = 'z');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dtype is 5 (float32), expected 4 (int32)",
            put32(p + st + D_DTYPE, LUTSR_DTYPE_FLOAT32));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': ndim is 1, expected 2",
            put32(p + st + D_NDIM, 1); put32(p + st + D_DIMS, 8); put32(p + st + D_DIMS + 4, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dims are [4, 2], expected [2, 4]",
            put32(p + st + D_DIMS, 4); put32(p + st + D_DIMS + 4, 2));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dims are [2, 4], expected [3, 4]", put32(p + H_PARAMS, 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'stages': dims are [2, 4], expected [1, 4]", put32(p + H_PARAMS, 1));

    /* Stage rows: scale, pattern_mask, interval_bits, out_shift. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 0: scale is 2, expected 1 (only the last stage upscales)",
            put32(p + stage_field(&base, 0, 0), 2));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 0: scale is 0, expected 1", put32(p + stage_field(&base, 0, 0), 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: scale is 3, expected 2 (the last stage upscales by the model's scale)",
            put32(p + stage_field(&base, 1, 0), 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: scale is 2, expected 3", put32(p + H_SCALE, 3));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: scale is 1, expected 2", put32(p + stage_field(&base, 1, 0), 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 0: pattern_mask is 0, expected 1..7 (bit 0 S, bit 1 D, bit 2 Y)",
            put32(p + stage_field(&base, 0, 1), 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: pattern_mask is 8, expected 1..7", put32(p + stage_field(&base, 1, 1), 8));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: pattern_mask is -1", put32(p + stage_field(&base, 1, 1), 0xffffffff));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 0: interval_bits is 1, expected 2..6", put32(p + stage_field(&base, 0, 2), 1));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: interval_bits is 7, expected 2..6", put32(p + stage_field(&base, 1, 2), 7));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 0: out_shift is 25, expected 0..24", put32(p + stage_field(&base, 0, 3), 25));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "stage 1: out_shift is -1, expected 0..24",
            put32(p + stage_field(&base, 1, 3), 0xffffffff));

    /* LUT tensors: names, patterns, dtype, shape, completeness. */
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_Q' does not belong in a 2-stage mulut model "
            "(expected 'stages' and 'lut<stage>_<S|D|Y>')", p[l0s + 5] = 'Q');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut2_S' does not belong in a 2-stage mulut model", p[l0s + 3] = '2');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_SS' does not belong", p[l0s + 6] = 'S');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0-S' does not belong", p[l0s + 4] = '-');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lux0_S' does not belong", p[l0s + 2] = 'x');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_D': stage 0 does not use pattern D (pattern_mask 5)",
            p[l0s + 5] = 'D');
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_S': dtype is 2 (uint8), expected 1 (int8)",
            put32(p + l0s + D_DTYPE, LUTSR_DTYPE_UINT8));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut1_D': ndim is 1, expected 2",
            put32(p + l1d + D_NDIM, 1); put32(p + l1d + D_DIMS, 2500); put32(p + l1d + D_DIMS + 4, 0));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_S': dims[0] is 625, expected 6561 "
            "(9^4 for stage 0's interval_bits 5)", put32(p + stage_field(&base, 0, 2), 5));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "no tensor 'lut0_D' (stage 0 uses pattern D)",
            put32(p + stage_field(&base, 0, 1), 7));
    CORRUPT(base, LUTSR_ERR_MODEL_RANGE, "two tensors are named 'lut0_S'", memcpy(p + DESC(2), "lut0_S", 6));
    free(base.p);

    /* A tensor too few or too many, and other kinds' files relabelled. */
    static const int one[1][4] = { { 2, 1, 6, 8 } };
    TFile f1 = tf_mulut(2, 1, one, "", 8);
    m = expect_ok(&f1);
    lutsr_model_close(&m);
    {
        uint8_t lut[2500] = { 0 };
        const uint8_t rows[16] = { 2, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 8, 0, 0, 0 };
        const TTensor extra[3] = {
            { "stages", LUTSR_DTYPE_INT32, 2, { 1, 4, 0, 0 }, rows, 16 },
            { "lut0_S", LUTSR_DTYPE_INT8, 2, { 625, 4, 0, 0 }, lut, 2500 },
            { "aux", LUTSR_DTYPE_INT8, 1, { 7, 0, 0, 0 }, NULL, 7 },
        };
        const int32_t params[4] = { 1, 0, 0, 0 };
        TFile g = tf_build(LUTSR_MODEL_MULUT, 2, params, extra, 3, "", 0);
        EXPECT_ERR(g, LUTSR_ERR_MODEL_RANGE, "tensor 'aux' does not belong in a 1-stage mulut model");
        free(g.p);
        g = tf_build(LUTSR_MODEL_MULUT, 2, params, extra, 1, "", 0);
        EXPECT_ERR(g, LUTSR_ERR_MODEL_RANGE, "no tensor 'lut0_S' (stage 0 uses pattern S)");
        free(g.p);
        const TTensor x3[2] = { extra[0], { "lut0_S", LUTSR_DTYPE_INT8, 2, { 625, 9, 0, 0 }, NULL, 5625 } };
        g = tf_build(LUTSR_MODEL_MULUT, 2, params, x3, 2, "", 0);
        EXPECT_ERR(g, LUTSR_ERR_MODEL_RANGE, "tensor 'lut0_S': dims[1] is 9, expected 4 (stage 0's scale 2 x 2)");
        free(g.p);
    }
    free(f1.p);
    TFile sr = tf_small();
    CORRUPT(sr, LUTSR_ERR_MODEL_RANGE, "number of stages (params[0]) is 6", put32(p + H_KIND, 3));
    CORRUPT(sr, LUTSR_ERR_MODEL_RANGE, "no tensor 'stages'", put32(p + H_KIND, 3); put32(p + H_PARAMS, 1);
            put32(p + H_PARAMS + 4, 0));
    free(sr.p);
}

static void test_mulut_alloc_args(void)
{
    LutsrModel *m = (LutsrModel *)&m;
    LutsrMulutStage d[4] = {
        { .scale = 1, .pattern_mask = 7, .interval_bits = 4, .out_shift = 8 },
        { .scale = 2, .pattern_mask = 1, .interval_bits = 6, .out_shift = 8 },
    };
    REQUIRE_CMP(lutsr_model_alloc_mulut(NULL, 2, 2, d, NULL), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 5, 2, d, NULL), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE(!m);
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 0, d, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 5, d, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 2, NULL, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 3, 2, d, NULL), ==, LUTSR_ERR_MODEL_RANGE); /* last stage x2 */
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 1, d, NULL), ==, LUTSR_ERR_MODEL_RANGE); /* only stage x1 */
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 2, d, "\xc0\xaf"), ==, LUTSR_ERR_MODEL_RANGE);
    d[0].pattern_mask = 8;
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 2, d, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    d[0].pattern_mask = 7;
    d[1].interval_bits = 1;
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 2, d, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    d[1].interval_bits = 6;
    d[1].out_shift = 25;
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 2, 2, d, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    d[1].out_shift = 8;
    REQUIRE(!m);
    /* Larger than any file may be: four stages of 65^4-entry LUTs, x4. */
    LutsrMulutStage big[4];
    for (int t = 0; t < 4; t++)
        big[t] = (LutsrMulutStage){ .scale = t == 3 ? 4 : 1, .pattern_mask = 7, .interval_bits = 2 };
    REQUIRE_CMP(lutsr_model_alloc_mulut(&m, 4, 4, big, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE(!m);

    /* Serialising a hand-broken model is refused, not written. */
    REQUIRE_OK(lutsr_model_alloc_mulut(&m, 2, 2, d, NULL));
    REQUIRE(strstr(lutsr_model_describe(m), "in-memory model"));
    uint8_t *bytes = NULL;
    size_t size;
    m->stages[1].lut[0] = NULL;
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    m->stages[1].lut[0] = m->stages[1].lut[1]; /* NULL as well (pattern D unused) */
    m->stages[0].scale = 2;
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    m->n_stages = 0;
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE(!bytes);
    lutsr_model_close(&m);
}

/* "x3" takes eclut-x3 over a runnable mulut-x3 in the same directory, and
 * the mulut-x3 where it is the only kind there. */
static void test_mulut_alias(void)
{
    char *df = tmp_path("f"), *dg = tmp_path("g");
    REQUIRE(!mkdir(df, 0755));
    REQUIRE(!mkdir(dg, 0755));
    static const int x3[2][4] = { { 1, 2, 6, 8 }, { 3, 1, 6, 8 } };
    TFile mu = tf_mulut(3, 2, x3, "which: mulut", 71);
    TFile ec = tf_lut(LUTSR_MODEL_ECLUT, 3, 0, 7, "which: eclut", 72);
    write_file(tmp_path("f/mulut-x3.lsr"), mu.p, mu.size);
    write_file(tmp_path("f/eclut-x3.lsr"), ec.p, ec.size);
    write_file(tmp_path("g/mulut-x3.lsr"), mu.p, mu.size);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", df, 1));
    LutsrModel *m = expect_open("x3");
    REQUIRE(!strcmp(lutsr_model_metadata(m), "which: eclut"));
    lutsr_model_close(&m);
    /* g first: its mulut-x3 is the first file found */
    char env[1200];
    snprintf(env, sizeof(env), "%s:%s", dg, df);
    REQUIRE(!setenv("LUTSR_MODEL_PATH", env, 1));
    m = expect_open("x3");
    REQUIRE(!strcmp(lutsr_model_metadata(m), "which: mulut"));
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_MULUT);
    lutsr_model_close(&m);
    REQUIRE(!unsetenv("LUTSR_MODEL_PATH"));
    free(mu.p);
    free(ec.p);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/lutsr-model-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    REQUIRE(mkdtemp(tmp_dir));
    atexit(remove_tmp_dir);

    test_crc32();
    test_strerror();
    test_round_trips();
    test_describe();
    test_alloc_serialize_args();
    test_corrupt_header();
    test_corrupt_payload();
    test_multi_tensor();
    test_eclut_fields();
    test_open();
    test_open_alias();
    test_mulut_round_trips();
    test_mulut_describe();
    test_mulut_corrupt();
    test_mulut_alloc_args();
    test_mulut_alias();
    test_load_time();

    printf("test_model_load: all passed\n");
    return 0;
}
