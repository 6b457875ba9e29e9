/*
 * CNN model files (kind 16, docs/cnn.md): valid graphs (one per op, and
 * FSRCNN-, ECBSR-, eSR-TM- and IMDN-CCA-like ones) built with
 * lutsr_model_alloc_cnn() round-trip through serialise/parse unchanged and
 * byte-identical to an independent test-side writer (and to
 * training/lsr_format.py when python3 is there); every malformed file is
 * rejected with its exact error code and a message naming the layer and
 * the problem.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lutsr/lutsr.h"
#include "model.h"
#include "test_util.h"

enum { CONV = LUTSR_CNN_CONV, DECONV = LUTSR_CNN_DECONV, RELU = LUTSR_CNN_RELU,
       PRELU = LUTSR_CNN_PRELU, PS = LUTSR_CNN_PIXEL_SHUFFLE, ADD = LUTSR_CNN_ADD,
       MUL = LUTSR_CNN_MUL, CONCAT = LUTSR_CNN_CONCAT, SLICE = LUTSR_CNN_SLICE,
       SIGMOID = LUTSR_CNN_SIGMOID, SOFTMAX = LUTSR_CNN_SOFTMAX, GSUM = LUTSR_CNN_GROUP_SUM,
       GMAX = LUTSR_CNN_GROUP_MAX, MSTD = LUTSR_CNN_MEAN_STD, REPEAT = LUTSR_CNN_REPEAT };
enum { LR = LUTSR_CNN_LR, HR = LUTSR_CNN_HR, G = LUTSR_CNN_G };

typedef int32_t Row[8];

/* ------------------------------------------------------------------------ */
/* Test-side writer (independent of lutsr_model_serialize)                  */

typedef struct TT {
    char name[24];
    uint32_t dtype, ndim, dims[4];
    const void *data; /* NULL: zeros */
    uint64_t nbytes;
} TT;

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }
static uint64_t align64(uint64_t v) { return (v + 63) & ~(uint64_t)63; }

/* Canonical layout: tensors in order, each at the next 64-byte boundary. */
static uint8_t *tw_build(int scale, const int32_t params[4], const TT *t, unsigned n,
                         const char *meta, size_t *size)
{
    size_t ms = strlen(meta);
    uint64_t off = align64(64 + 64 * (uint64_t)n + ms), end = off, offs[512];
    REQUIRE(n <= 512);
    for (unsigned i = 0; i < n; i++) {
        offs[i] = off;
        end = off + t[i].nbytes;
        off = align64(end);
    }
    uint8_t *p = calloc(1, end);
    REQUIRE(p);
    memcpy(p, "LUTSRMDL", 8);
    p[8] = 1;
    put32(p + 12, 64);
    put32(p + 16, LUTSR_MODEL_CNN);
    put32(p + 20, (uint32_t)scale);
    put32(p + 24, n);
    put32(p + 28, (uint32_t)ms);
    put64(p + 32, end);
    for (int k = 0; k < 4; k++)
        put32(p + 40 + 4 * k, (uint32_t)params[k]);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *d = p + 64 + 64 * i;
        memcpy(d, t[i].name, strlen(t[i].name));
        put32(d + 24, t[i].dtype);
        put32(d + 28, t[i].ndim);
        for (int k = 0; k < 4; k++)
            put32(d + 32 + 4 * k, t[i].dims[k]);
        put64(d + 48, offs[i]);
        put64(d + 56, t[i].nbytes);
        if (t[i].data)
            memcpy(p + offs[i], t[i].data, t[i].nbytes);
    }
    memcpy(p + 64 + 64 * n, meta, ms);
    put32(p + 56, lutsr_crc32(0, p + 64, end - 64));
    put32(p + 60, lutsr_crc32(0, p, 60));
    *size = end;
    return p;
}

/* The tensors of an in-memory model as the test reads docs/cnn.md: graph,
 * then per layer w [c_out, C, k, k] (deconv [C, c_out, k, k]), b [c_out],
 * a [n_a]. graph_le backs the graph rows (little-endian). */
static unsigned tw_tensors(const LutsrModel *m, TT *t, uint8_t *graph_le)
{
    unsigned n = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const int32_t row[8] = { l->op, l->in0, l->in1, l->c_out, l->p[0], l->p[1], l->p[2], l->p[3] };
        for (int k = 0; k < 8; k++)
            put32(graph_le + 32 * i + 4 * k, (uint32_t)row[k]);
    }
    t[n++] = (TT){ "graph", LUTSR_DTYPE_INT32, 2, { (uint32_t)m->n_layers, 8 }, graph_le,
                   32 * (uint64_t)m->n_layers };
    for (int i = 0; i < m->n_layers; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const uint32_t k = (uint32_t)l->p[0], co = (uint32_t)l->c_out, ci = (uint32_t)l->c_in;
        if (l->op == CONV || l->op == DECONV) {
            TT w = { "", LUTSR_DTYPE_FLOAT32, 4, { l->op == CONV ? co : ci, l->op == CONV ? ci : co, k, k },
                     l->w, 4 * (uint64_t)co * ci * k * k };
            snprintf(w.name, sizeof(w.name), "w%d", i);
            TT b = { "", LUTSR_DTYPE_FLOAT32, 1, { co }, l->b, 4 * (uint64_t)co };
            snprintf(b.name, sizeof(b.name), "b%d", i);
            t[n++] = w;
            t[n++] = b;
        }
        if (l->op == PRELU) {
            TT a = { "", LUTSR_DTYPE_FLOAT32, 1, { l->n_a }, l->a, 4 * (uint64_t)l->n_a };
            snprintf(a.name, sizeof(a.name), "a%d", i);
            t[n++] = a;
        }
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Valid models                                                             */

static LutsrModel *make(int scale, int n, const Row *g, uint64_t seed)
{
    LutsrModel *m;
    REQUIRE_OK(lutsr_model_alloc_cnn(&m, scale, n, g, "arch: test\n"));
    TestRng r;
    test_rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        LutsrCnnLayer *l = &m->layers[i];
        REQUIRE(!memcmp(&l->op, g[i], sizeof(Row))); /* op, in0, in1, c_out, p[4] in row order */
        float *arr[3] = { (float *)l->w, (float *)l->b, (float *)l->a };
        const uint32_t cnt[3] = { l->n_w, l->n_b, l->n_a };
        for (int k = 0; k < 3; k++) {
            REQUIRE((arr[k] != NULL) == (cnt[k] > 0));
            REQUIRE(((uintptr_t)arr[k] & 63) == 0);
            for (uint32_t e = 0; e < cnt[k]; e++) {
                REQUIRE(arr[k][e] == 0.0f); /* zeroed */
                arr[k][e] = ((float)test_rng_below(&r, 2001) - 1000.0f) / 512.0f;
            }
        }
    }
    return m;
}

static void same_model(const LutsrModel *a, const LutsrModel *b)
{
    REQUIRE_CMP(lutsr_model_kind(b), ==, LUTSR_MODEL_CNN);
    REQUIRE_CMP(a->scale, ==, b->scale);
    REQUIRE_CMP(a->n_layers, ==, b->n_layers);
    REQUIRE(!strcmp(lutsr_model_metadata(a), lutsr_model_metadata(b)));
    REQUIRE(a->lut == NULL && b->lut == NULL);
    for (int i = 0; i < a->n_layers; i++) {
        const LutsrCnnLayer *x = &a->layers[i], *y = &b->layers[i];
        REQUIRE_CMP(x->op, ==, y->op);
        REQUIRE_CMP(x->in0, ==, y->in0);
        REQUIRE_CMP(x->in1, ==, y->in1);
        REQUIRE_CMP(x->c_out, ==, y->c_out);
        for (int k = 0; k < 4; k++)
            REQUIRE_CMP(x->p[k], ==, y->p[k]);
        REQUIRE_CMP(x->c_in, ==, y->c_in);
        REQUIRE_CMP(x->c_in1, ==, y->c_in1);
        REQUIRE_CMP(x->space, ==, y->space);
        REQUIRE_CMP(x->n_w, ==, y->n_w);
        REQUIRE_CMP(x->n_b, ==, y->n_b);
        REQUIRE_CMP(x->n_a, ==, y->n_a);
        REQUIRE((y->w != NULL) == (y->n_w > 0) && (y->b != NULL) == (y->n_b > 0) &&
                (y->a != NULL) == (y->n_a > 0));
        REQUIRE(!x->n_w || !memcmp(x->w, y->w, 4 * (size_t)x->n_w));
        REQUIRE(!x->n_b || !memcmp(x->b, y->b, 4 * (size_t)x->n_b));
        REQUIRE(!x->n_a || !memcmp(x->a, y->a, 4 * (size_t)x->n_a));
    }
}

/* Serialise, compare with the test writer, parse (from an exact-size heap
 * copy, so ASan sees any overread), compare, re-serialise. */
static void round_trip(const LutsrModel *m)
{
    uint8_t *bytes, *again, graph_le[128 * 32];
    size_t size, size2, tw_size;
    REQUIRE_OK(lutsr_model_serialize(m, &bytes, &size));
    TT t[512];
    unsigned n = tw_tensors(m, t, graph_le);
    const int32_t params[4] = { m->n_layers, 0, 0, 0 };
    uint8_t *tw = tw_build(m->scale, params, t, n, "arch: test\n", &tw_size);
    REQUIRE_CMP(tw_size, ==, size);
    REQUIRE(!memcmp(tw, bytes, size));
    free(tw);

    LutsrModel *p;
    char err[256];
    uint8_t *copy = malloc(size);
    REQUIRE(copy);
    memcpy(copy, bytes, size);
    int r = lutsr_model_parse(&p, copy, size, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "parse: %s\n", err);
    REQUIRE_OK(r);
    free(copy);
    same_model(m, p);
    REQUIRE(!strcmp(lutsr_model_kind_name(p), "cnn"));
    REQUIRE_OK(lutsr_model_serialize(p, &again, &size2));
    REQUIRE_CMP(size2, ==, size);
    REQUIRE(!memcmp(again, bytes, size));
    free(again);
    free(bytes);
    lutsr_model_close(&p);
}

/* Builds, checks the derived fields of the last layer's input, round-trips;
 * returns the model (the caller checks more and closes it). */
static LutsrModel *valid(int scale, int n, const Row *g)
{
    static uint64_t seed = 1;
    LutsrModel *m = make(scale, n, g, seed++);
    REQUIRE_CMP(m->layers[n - 1].c_out, ==, 1);
    REQUIRE_CMP(m->layers[n - 1].space, ==, HR);
    round_trip(m);
    return m;
}

static void describe_has(const LutsrModel *m, const char *line)
{
    const char *d = lutsr_model_describe(m);
    if (!strstr(d, line)) {
        fprintf(stderr, "description lacks '%s':\n%s\n", line, d);
        exit(1);
    }
}

#define VALID(scale, ...) do { const Row g_[] = { __VA_ARGS__ }; \
    LutsrModel *m_ = valid(scale, (int)(sizeof(g_) / sizeof(g_[0])), g_); lutsr_model_close(&m_); } while (0)

static void test_valid_ops(void)
{
    /* one graph per op (and per input/space variant) */
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    VALID(3, { CONV, 0, -1, 9, 1, 0, 0, 0 }, { PS, 1, -1, 1, 3, 0, 0, 0 });
    VALID(2, { DECONV, 0, -1, 1, 4, 2, 1, 0 });                     /* 4 - 2 + 0 = 2 */
    VALID(3, { DECONV, 0, -1, 1, 3, 3, 0, 0 });
    VALID(4, { CONV, 0, -1, 3, 5, 0, 0, 0 }, { DECONV, 1, -1, 1, 9, 4, 3, 1 }); /* 9 - 6 + 1 */
    VALID(2, { DECONV, 0, -1, 2, 2, 2, 0, 0 }, { CONV, 1, -1, 1, 7, 0, 0, 0 }); /* conv on HR */
    VALID(2, { REPEAT, 0, -1, 4, 4, 0, 0, 0 }, { RELU, 1, -1, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PRELU, 1, -1, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { REPEAT, 0, -1, 4, 4, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { CONV, 0, -1, 4, 1, 0, 0, 0 }, { ADD, 1, 2, 4, 0, 0, 0, 0 },
          { PS, 3, -1, 1, 2, 0, 0, 0 });
    VALID(2, { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { ADD, 1, 1, 1, 0, 0, 0, 0 });   /* in0 == in1 */
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MUL, 1, 1, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MUL, 1, 0, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { MUL, 1, 2, 4, 0, 0, 0, 0 },
          { PS, 3, -1, 1, 2, 0, 0, 0 });
    VALID(2, { MSTD, 0, -1, 1, 0, 0, 0, 0 }, { MUL, 0, 1, 1, 0, 0, 0, 0 },   /* 1 channel x G */
          { DECONV, 2, -1, 1, 2, 2, 0, 0 });
    VALID(2, { CONV, 0, -1, 1, 3, 0, 0, 0 }, { CONV, 0, -1, 3, 3, 0, 0, 0 }, { CONCAT, 1, 2, 4, 0, 0, 0, 0 },
          { PS, 3, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 8, 3, 0, 0, 0 }, { SLICE, 1, -1, 4, 4, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SIGMOID, 1, -1, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SOFTMAX, 1, -1, 4, 2, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 8, 3, 0, 0, 0 }, { GSUM, 1, -1, 4, 2, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { CONV, 0, -1, 8, 3, 0, 0, 0 }, { GMAX, 1, -1, 1, 8, 0, 0, 0 }, { DECONV, 2, -1, 1, 2, 2, 0, 0 });
    /* ops on G buffers: conv k1, relu, sigmoid, add, concat, slice, repeat, softmax */
    VALID(2, { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { CONV, 2, -1, 2, 1, 0, 0, 0 },
          { RELU, 3, -1, 2, 0, 0, 0, 0 }, { CONCAT, 4, 3, 4, 0, 0, 0, 0 }, { ADD, 5, 2, 4, 0, 0, 0, 0 },
          { SLICE, 6, -1, 2, 1, 0, 0, 0 }, { REPEAT, 7, -1, 4, 2, 0, 0, 0 }, { SOFTMAX, 8, -1, 4, 4, 0, 0, 0 },
          { SIGMOID, 9, -1, 4, 0, 0, 0, 0 }, { MUL, 1, 10, 4, 0, 0, 0, 0 }, { PS, 11, -1, 1, 2, 0, 0, 0 });
    /* unused buffers are allowed */
    VALID(2, { CONV, 0, -1, 16, 3, 0, 0, 0 }, { DECONV, 0, -1, 1, 4, 2, 1, 0 });
    /* limits: 256 channels, k 9, 64 layers */
    VALID(2, { CONV, 0, -1, 256, 9, 0, 0, 0 }, { CONV, 1, -1, 4, 1, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    VALID(2, { REPEAT, 0, -1, 256, 256, 0, 0, 0 }, { GSUM, 1, -1, 4, 64, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    {
        Row g[64];
        for (int i = 0; i < 62; i++)
            memcpy(g[i], (Row){ RELU, i, -1, 1, 0, 0, 0, 0 }, sizeof(Row));
        memcpy(g[62], (Row){ REPEAT, 62, -1, 4, 4, 0, 0, 0 }, sizeof(Row));
        memcpy(g[63], (Row){ PS, 63, -1, 1, 2, 0, 0, 0 }, sizeof(Row));
        LutsrModel *m = valid(2, 64, g);
        describe_has(m, "layer 63: pixel_shuffle 4->1 r2 (HR)");
        lutsr_model_close(&m);
    }
}

/* PReLU with a single slope ([1], LeakyReLU's export): the caller sets
 * n_a = 1 before serialising; the file has a [1] and parses back so. */
static void test_prelu_one_slope(void)
{
    const Row g[] = { { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PRELU, 1, -1, 4, 0, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 } };
    LutsrModel *m = make(2, 3, g, 77);
    REQUIRE_CMP(m->layers[1].n_a, ==, 4);
    m->layers[1].n_a = 1;
    ((float *)m->layers[1].a)[0] = 0.125f;
    round_trip(m);
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(m, &bytes, &size));
    LutsrModel *p;
    REQUIRE_OK(lutsr_model_parse(&p, bytes, size, NULL, 0));
    REQUIRE_CMP(p->layers[1].n_a, ==, 1);
    REQUIRE(p->layers[1].a[0] == 0.125f);
    describe_has(p, "layer 1: prelu 4 (1 slope) (LR)");
    free(bytes);
    lutsr_model_close(&p);
    /* any other count is rejected by serialize */
    m->layers[1].n_a = 2;
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_model_close(&m);
}

static void test_realistic(void)
{
    { /* FSRCNN(d=56, s=12, m=4) x3: feature, shrink, 4 maps, expand, deconv */
        const Row g[] = {
            { CONV, 0, -1, 56, 5, 0, 0, 0 }, { PRELU, 1, -1, 56, 0, 0, 0, 0 },
            { CONV, 2, -1, 12, 1, 0, 0, 0 }, { PRELU, 3, -1, 12, 0, 0, 0, 0 },
            { CONV, 4, -1, 12, 3, 0, 0, 0 }, { PRELU, 5, -1, 12, 0, 0, 0, 0 },
            { CONV, 6, -1, 12, 3, 0, 0, 0 }, { PRELU, 7, -1, 12, 0, 0, 0, 0 },
            { CONV, 8, -1, 12, 3, 0, 0, 0 }, { PRELU, 9, -1, 12, 0, 0, 0, 0 },
            { CONV, 10, -1, 12, 3, 0, 0, 0 }, { PRELU, 11, -1, 12, 0, 0, 0, 0 },
            { CONV, 12, -1, 56, 1, 0, 0, 0 }, { PRELU, 13, -1, 56, 0, 0, 0, 0 },
            { DECONV, 14, -1, 1, 9, 3, 3, 0 },                       /* 9 - 6 + 0 = 3 */
        };
        LutsrModel *m = valid(3, 15, g);
        describe_has(m, "kind: cnn (layer graph, 15 layers, 12809 float32 weights)");
        describe_has(m, "layer 0: conv 1->56 k5 (LR)");
        describe_has(m, "layer 1: prelu 56 (56 slopes) (LR)");
        describe_has(m, "layer 14: deconv 56->1 k9 stride 3 pad 3 out_pad 0 (HR)");
        REQUIRE(!strstr(lutsr_model_describe(m), "out_shift"));
        lutsr_model_close(&m);
    }
    { /* ECBSR-M4C16 x4 (re-parameterised): convs + PReLU, a repeated
       * input as the residual, pixel shuffle */
        const Row g[] = {
            { CONV, 0, -1, 16, 3, 0, 0, 0 }, { PRELU, 1, -1, 16, 0, 0, 0, 0 },
            { CONV, 2, -1, 16, 3, 0, 0, 0 }, { PRELU, 3, -1, 16, 0, 0, 0, 0 },
            { CONV, 4, -1, 16, 3, 0, 0, 0 }, { PRELU, 5, -1, 16, 0, 0, 0, 0 },
            { CONV, 6, -1, 16, 3, 0, 0, 0 }, { PRELU, 7, -1, 16, 0, 0, 0, 0 },
            { CONV, 8, -1, 16, 3, 0, 0, 0 }, { PRELU, 9, -1, 16, 0, 0, 0, 0 },
            { CONV, 10, -1, 16, 3, 0, 0, 0 }, { REPEAT, 0, -1, 16, 16, 0, 0, 0 },
            { ADD, 11, 12, 16, 0, 0, 0, 0 }, { PS, 13, -1, 1, 4, 0, 0, 0 },
        };
        LutsrModel *m = valid(4, 14, g);
        describe_has(m, "layer 11: repeat 1->16 x16 <- 0 (LR)");
        describe_has(m, "layer 12: add 16 <- 11, 12 (LR)");
        describe_has(m, "layer 13: pixel_shuffle 16->1 r4 (HR)");
        lutsr_model_close(&m);
    }
    { /* eSR-TM-like x2: one conv makes 4 candidate values and 4 keys per
       * output sub-pixel; softmax over the keys, weight, sum, shuffle */
        const Row g[] = {
            { CONV, 0, -1, 32, 5, 0, 0, 0 },
            { SLICE, 1, -1, 16, 0, 0, 0, 0 }, { SLICE, 1, -1, 16, 16, 0, 0, 0 },
            { SOFTMAX, 3, -1, 16, 4, 0, 0, 0 }, { MUL, 2, 4, 16, 0, 0, 0, 0 },
            { GSUM, 5, -1, 4, 4, 0, 0, 0 }, { PS, 6, -1, 1, 2, 0, 0, 0 },
        };
        LutsrModel *m = valid(2, 7, g);
        describe_has(m, "layer 2: slice 32->16 from 16 <- 1 (LR)");
        describe_has(m, "layer 3: softmax 16 in groups of 4 (LR)");
        describe_has(m, "layer 4: mul 16 x 16 <- 2, 4 (LR)");
        describe_has(m, "layer 5: group_sum 16->4 groups of 4 (LR)");
        lutsr_model_close(&m);
    }
    { /* IMDN-like block with contrast-aware channel attention, x2 */
        const Row g[] = {
            { CONV, 0, -1, 16, 3, 0, 0, 0 }, { MSTD, 1, -1, 16, 0, 0, 0, 0 },
            { CONV, 2, -1, 4, 1, 0, 0, 0 }, { RELU, 3, -1, 4, 0, 0, 0, 0 },
            { CONV, 4, -1, 16, 1, 0, 0, 0 }, { SIGMOID, 5, -1, 16, 0, 0, 0, 0 },
            { MUL, 1, 6, 16, 0, 0, 0, 0 }, { ADD, 7, 1, 16, 0, 0, 0, 0 },
            { CONV, 8, -1, 4, 3, 0, 0, 0 }, { PS, 9, -1, 1, 2, 0, 0, 0 },
        };
        LutsrModel *m = valid(2, 10, g);
        describe_has(m, "layer 1: mean_std 16 (G)");
        describe_has(m, "layer 2: conv 16->4 k1 (G)");
        describe_has(m, "layer 6: mul 16 x 16 <- 1, 6 (LR)");
        lutsr_model_close(&m);
    }
}

/* ------------------------------------------------------------------------ */
/* Malformed files                                                          */

static void expect_err(const uint8_t *file, size_t size, int code, const char *what, int line)
{
    uint8_t *copy = malloc(size);
    REQUIRE(copy);
    memcpy(copy, file, size);
    LutsrModel *m = (LutsrModel *)(uintptr_t)1;
    char err[512];
    int r = lutsr_model_parse(&m, copy, size, err, sizeof(err));
    free(copy);
    if (r != code || m || strncmp(err, "model: ", 7) || !strstr(err, what)) {
        fprintf(stderr, "test_model_cnn.c:%d: expected %d with '%s', got %d: %s\n", line, code,
                what, r, err);
        exit(1);
    }
}

/* A graph file with only the "graph" tensor: enough for every graph-level
 * error (checked before the weights). */
static void graph_err(int scale, int n, const Row *g, const char *what, int per_row, int line)
{
    uint8_t le[64 * 32];
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 8; k++)
            put32(le + 32 * i + 4 * k, (uint32_t)g[i][k]);
    TT t = { "graph", LUTSR_DTYPE_INT32, 2, { (uint32_t)n, 8 }, le, 32 * (uint64_t)n };
    const int32_t params[4] = { n, 0, 0, 0 };
    size_t size;
    uint8_t *f = tw_build(scale, params, &t, 1, "", &size);
    expect_err(f, size, LUTSR_ERR_MODEL_RANGE, what, line);
    free(f);
    /* lutsr_model_alloc_cnn() validates as the parser does */
    LutsrModel *m = (LutsrModel *)(uintptr_t)1;
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, scale, n, g, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE(m == NULL);
    /* and so does the shared row check, with the same message */
    if (!per_row)
        return;
    LutsrCnnLayer layers[64];
    char msg[256];
    REQUIRE_CMP(lutsr_cnn_check_graph(layers, n, scale, g, msg, sizeof(msg)), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE(strstr(msg, what));
}

#define GRAPH_ERR(scale, what, ...) do { const Row g_[] = { __VA_ARGS__ }; \
    graph_err(scale, (int)(sizeof(g_) / sizeof(g_[0])), g_, what, 1, __LINE__); } while (0)

static void test_graph_errors(void)
{
    /* ops */
    GRAPH_ERR(2, "layer 1: unknown op 99 (expected 1..15)", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { 99, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0: unknown op 0", { 0, 0, -1, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0: unknown op 16", { 16, 0, -1, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0: unknown op -1", { -1, 0, -1, 1, 0, 0, 0, 0 });
    /* references: only earlier buffers, -1 for an unused in1 */
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): in0 = 3 refers to a later buffer (layers may only read buffers 0..1)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 3, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): in0 = 2 is the layer's own output",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 2, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): in0 = 1 is the layer's own output (layers may only read buffers 0..0)",
              { CONV, 1, -1, 4, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): in0 is -1, expected a buffer 0..0", { DECONV, -1, -1, 1, 4, 2, 1, 0 });
    GRAPH_ERR(2, "layer 1 (add): in1 = 5 refers to a later buffer (layers may only read buffers 0..1)",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { ADD, 1, 5, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (add): in1 = 2 is the layer's own output",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { ADD, 1, 2, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (add): in1 is -1, expected a buffer 0..1",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { ADD, 1, -1, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): in1 is 0, expected -1 (deconv takes one input)", { DECONV, 0, 0, 1, 4, 2, 1, 0 });
    /* unused params */
    GRAPH_ERR(2, "layer 1 (relu): p0 is 1, expected 0 (unused by relu)",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { RELU, 1, -1, 1, 1, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): p3 is -7, expected 0 (unused by conv)",
              { CONV, 0, -1, 4, 3, 0, 0, -7 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): p1 is 2, expected 0", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 2, 0, 0 });
    /* conv */
    GRAPH_ERR(2, "layer 0 (conv): kernel size p0 is 2, expected 1, 3, 5, 7 or 9", { CONV, 0, -1, 4, 2, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): kernel size p0 is 11", { CONV, 0, -1, 4, 11, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): kernel size p0 is 0", { CONV, 0, -1, 4, 0, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): c_out is 0, expected 1..256", { CONV, 0, -1, 0, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): c_out is 257, expected 1..256", { CONV, 0, -1, 257, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (conv): kernel size 3 on a G (1x1) buffer, expected 1",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { CONV, 2, -1, 4, 3, 0, 0, 0 });
    /* deconv */
    GRAPH_ERR(2, "layer 1 (deconv): in0 (buffer 1) is in HR space, expected LR",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { DECONV, 1, -1, 1, 4, 2, 1, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): kernel size p0 is 10, expected 1..9", { DECONV, 0, -1, 1, 10, 2, 4, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): kernel size p0 is 0", { DECONV, 0, -1, 1, 0, 2, 0, 0 });
    GRAPH_ERR(3, "layer 0 (deconv): stride p1 is 2, expected the model's scale 3", { DECONV, 0, -1, 1, 4, 2, 1, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): pad p2 is 4, expected 0..3", { DECONV, 0, -1, 1, 4, 2, 4, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): pad p2 is -1", { DECONV, 0, -1, 1, 4, 2, -1, 0 });
    GRAPH_ERR(2, "layer 0 (deconv): out_pad p3 is 2, expected 0..1", { DECONV, 0, -1, 1, 4, 2, 2, 2 });
    GRAPH_ERR(2, "layer 0 (deconv): k - 2 pad + out_pad = 5 - 2 + 0 = 3, expected the stride 2",
              { DECONV, 0, -1, 1, 5, 2, 1, 0 });
    /* relu, prelu, sigmoid: c_out = C */
    GRAPH_ERR(2, "layer 1 (relu): c_out is 8, expected 4 (= in0's channels)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { RELU, 1, -1, 8, 0, 0, 0, 0 }, { PS, 2, -1, 2, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (prelu): c_out is 1, expected 4", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PRELU, 1, -1, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (sigmoid): c_out is 3, expected 4", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SIGMOID, 1, -1, 3, 0, 0, 0, 0 });
    /* pixel shuffle */
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): in0 (buffer 1) is in HR space, expected LR",
              { DECONV, 0, -1, 4, 4, 2, 1, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(3, "layer 1 (pixel_shuffle): r (p0) is 2, expected the model's scale 3",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 1, -1, 1, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): c_out is 2, expected in0's 6 channels / r^2",
              { CONV, 0, -1, 6, 3, 0, 0, 0 }, { PS, 1, -1, 2, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (pixel_shuffle): c_out is 0", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PS, 1, -1, 0, 2, 0, 0, 0 });
    /* add: same C and space */
    GRAPH_ERR(2, "layer 2 (add): in0 (buffer 1) has 4 channels in LR space, in1 (buffer 2) 4 in HR; expected the same",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { DECONV, 0, -1, 4, 4, 2, 1, 0 }, { ADD, 1, 2, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (add): in0 (buffer 1) has 4 channels in LR space, in1 (buffer 2) 8 in LR",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { CONV, 0, -1, 8, 3, 0, 0, 0 }, { ADD, 1, 2, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (add): c_out is 2, expected 1", { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { ADD, 1, 1, 2, 0, 0, 0, 0 });
    /* mul */
    GRAPH_ERR(2, "layer 2 (mul): in0 (buffer 2) is in G space, expected LR or HR",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { MUL, 2, 1, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (mul): in1 (buffer 2) has 2 channels in LR space; with in0's 4 in LR, expected 4 or 1 channel in LR, or 4 in G",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { CONV, 0, -1, 2, 3, 0, 0, 0 }, { MUL, 1, 2, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (mul): in1 (buffer 2) has 1 channels in HR space",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { MUL, 1, 2, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 3 (mul): in1 (buffer 3) has 1 channels in G space",  /* G in1 needs the same C */
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 0, -1, 1, 0, 0, 0, 0 }, { RELU, 2, -1, 1, 0, 0, 0, 0 },
              { MUL, 1, 3, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (mul): c_out is 1, expected 4", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { CONV, 0, -1, 1, 3, 0, 0, 0 },
              { MUL, 1, 2, 1, 0, 0, 0, 0 });
    /* concat */
    GRAPH_ERR(2, "layer 2 (concat): in0 (buffer 1) is in LR space, in1 (buffer 2) in G; expected the same",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { CONCAT, 1, 2, 8, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (concat): c_out is 4, expected 6 (in0's + in1's channels)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { CONV, 0, -1, 2, 3, 0, 0, 0 }, { CONCAT, 1, 2, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 2 (concat): the output would have 300 channels (in0's + in1's channels), more than 256",
              { CONV, 0, -1, 200, 1, 0, 0, 0 }, { CONV, 0, -1, 100, 1, 0, 0, 0 }, { CONCAT, 1, 2, 300, 0, 0, 0, 0 });
    /* slice */
    GRAPH_ERR(2, "layer 1 (slice): start p0 is 4, expected 0..3 (in0 has 4 channels)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SLICE, 1, -1, 1, 4, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (slice): start p0 is -1", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SLICE, 1, -1, 1, -1, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (slice): c_out is 3, expected 1..2 (start 2 of 4 channels)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SLICE, 1, -1, 3, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (slice): c_out is 0", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SLICE, 1, -1, 0, 0, 0, 0, 0 });
    /* softmax, group sum / max */
    GRAPH_ERR(2, "layer 1 (softmax): group size p0 is 3, expected a divisor of in0's 4 channels",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SOFTMAX, 1, -1, 4, 3, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (softmax): group size p0 is 0", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { SOFTMAX, 1, -1, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (group_sum): group size p0 is -2", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { GSUM, 1, -1, 2, -2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (group_max): group size p0 is 8, expected a divisor of in0's 4 channels",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { GMAX, 1, -1, 1, 8, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (group_sum): c_out is 4, expected 2 (in0's channels / group size)",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { GSUM, 1, -1, 4, 2, 0, 0, 0 });
    /* mean_std */
    GRAPH_ERR(2, "layer 2 (mean_std): in0 (buffer 2) is in G space, expected LR or HR",
              { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 4, 0, 0, 0, 0 }, { MSTD, 2, -1, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (mean_std): c_out is 1, expected 4", { CONV, 0, -1, 4, 3, 0, 0, 0 }, { MSTD, 1, -1, 1, 0, 0, 0, 0 });
    /* repeat */
    GRAPH_ERR(2, "layer 0 (repeat): n (p0) is 0, expected 1..256", { REPEAT, 0, -1, 4, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (repeat): n (p0) is 257", { REPEAT, 0, -1, 257, 257, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (repeat): the output would have 272 channels (in0's channels x n), more than 256",
              { CONV, 0, -1, 16, 3, 0, 0, 0 }, { REPEAT, 1, -1, 272, 17, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (repeat): c_out is 3, expected 4 (in0's channels x n)", { REPEAT, 0, -1, 3, 4, 0, 0, 0 });
    /* the output: 1 channel, HR */
    GRAPH_ERR(2, "layer 0 (conv, the last): output has 1 channel in LR space, expected 1 channel in HR space",
              { CONV, 0, -1, 1, 3, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (deconv, the last): output has 2 channels in HR space, expected 1 channel",
              { DECONV, 0, -1, 2, 4, 2, 1, 0 });
    GRAPH_ERR(2, "layer 2 (mean_std, the last): output has 1 channel in G space",
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { RELU, 1, -1, 1, 0, 0, 0, 0 }, { MSTD, 2, -1, 1, 0, 0, 0, 0 });
    GRAPH_ERR(2, "layer 1 (relu, the last): output has 1 channel in LR space",   /* HR, but not the last */
              { DECONV, 0, -1, 1, 4, 2, 1, 0 }, { RELU, 0, -1, 1, 0, 0, 0, 0 });
    /* extreme int32 values are reported, not overflowed */
    GRAPH_ERR(2, "layer 0 (repeat): n (p0) is 2147483647", { REPEAT, 0, -1, 4, INT32_MAX, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (pixel_shuffle): c_out is -2147483648", { PS, 0, -1, INT32_MIN, 2, 0, 0, 0 });
    GRAPH_ERR(2, "layer 0 (conv): in0 = 2147483647 refers to a later buffer", { CONV, INT32_MAX, -1, 4, 3, 0, 0, 0 });
}

/* Tensor-level errors: start from a valid model's tensors (test writer),
 * change one thing. The model: conv 1->4 k3, prelu [4], conv 4->4 k3, ps. */
static const Row base_g[] = { { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PRELU, 1, -1, 4, 0, 0, 0, 0 },
                              { CONV, 2, -1, 4, 3, 0, 0, 0 }, { PS, 3, -1, 1, 2, 0, 0, 0 } };

typedef struct Base { LutsrModel *m; TT t[512]; unsigned n; uint8_t graph_le[128 * 32]; } Base;

static void tensor_err(const Base *b, const TT *t, unsigned n, const int32_t params[4], int code,
                       const char *what, int line)
{
    const int32_t dflt[4] = { 4, 0, 0, 0 };
    size_t size;
    uint8_t *f = tw_build(2, params ? params : dflt, t, n, "", &size);
    expect_err(f, size, code, what, line);
    free(f);
}

#define TENSOR_ERR(code, what, ...) do { TT t_[512]; memcpy(t_, b.t, sizeof(t_)); unsigned n_ = b.n; \
    const int32_t *params_ = NULL; __VA_ARGS__; tensor_err(&b, t_, n_, params_, code, what, __LINE__); } while (0)

static void test_tensor_errors(void)
{
    Base b;
    b.m = make(2, 4, base_g, 5);
    b.n = tw_tensors(b.m, b.t, b.graph_le);
    REQUIRE_CMP(b.n, ==, 6); /* graph w0 b0 a1 w2 b2 */
    round_trip(b.m);
    const float nan_w[36] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NAN };
    const float inf_b[4] = { 0, 0, INFINITY, 0 };
    const float minf_a[4] = { -INFINITY, 0, 0, 0 };
    float big_w[144];
    for (int i = 0; i < 144; i++)
        big_w[i] = i == 143 ? -3.4028235e38f : 1e30f; /* finite extremes are fine */

    /* control: the unchanged set parses */
    {
        size_t size;
        const int32_t params[4] = { 4, 0, 0, 0 };
        uint8_t *f = tw_build(2, params, b.t, b.n, "arch: test\n", &size);
        LutsrModel *m;
        REQUIRE_OK(lutsr_model_parse(&m, f, size, NULL, 0));
        same_model(b.m, m);
        lutsr_model_close(&m);
        free(f);
    }
    /* header: L out of range, params[1..3] non-zero */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "number of layers (params[0]) is 0, expected 1..128",
               params_ = (const int32_t[4]){ 0, 0, 0, 0 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "number of layers (params[0]) is 129, expected 1..128",
               params_ = (const int32_t[4]){ 129, 0, 0, 0 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "number of layers (params[0]) is -1",
               params_ = (const int32_t[4]){ -1, 0, 0, 0 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "params[2] is 5, expected 0 (unused by kind 16)",
               params_ = (const int32_t[4]){ 4, 0, 5, 0 });
    /* graph tensor */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "no tensor 'graph' (kind cnn needs one)", memcpy(t_[0].name, "graf", 5));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'graph': dtype is 5, expected 4 (int32)", t_[0].dtype = LUTSR_DTYPE_FLOAT32);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'graph' has shape [4,8], expected [3,8]",
               params_ = (const int32_t[4]){ 3, 0, 0, 0 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'graph' has shape [8,4], expected [4,8]",
               t_[0].dims[0] = 8; t_[0].dims[1] = 4);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'graph' has shape [32], expected [4,8]",
               t_[0].ndim = 1; t_[0].dims[0] = 32; t_[0].dims[1] = 0);
    /* weight shapes */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 2 (conv): w2 has shape [4,4,9,1], expected [4,4,3,3]",
               t_[4].dims[2] = 9; t_[4].dims[3] = 1);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): w0 has shape [1,4,3,3], expected [4,1,3,3]",
               t_[1].dims[0] = 1; t_[1].dims[1] = 4);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): w0 has shape [36], expected [4,1,3,3]",
               t_[1].ndim = 1; t_[1].dims[0] = 36; t_[1].dims[1] = t_[1].dims[2] = t_[1].dims[3] = 0);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 2 (conv): w2 has shape [4,8,3,3], expected [4,4,3,3]",
               t_[4].dims[1] = 8; t_[4].nbytes *= 2; t_[4].data = NULL);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): b0 has shape [2,2], expected [4]",
               t_[2].ndim = 2; t_[2].dims[0] = 2; t_[2].dims[1] = 2);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): b0 has shape [5], expected [4]",
               t_[2].dims[0] = 5; t_[2].nbytes = 20; t_[2].data = NULL);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): a1 has shape [2], expected [4] or [1]",
               t_[3].dims[0] = 2; t_[3].nbytes = 8);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): a1 has shape [1,4], expected [4] or [1]",
               t_[3].ndim = 2; t_[3].dims[0] = 1; t_[3].dims[1] = 4);
    /* dtype */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): w0 has dtype 4, expected 5 (float32)", t_[1].dtype = LUTSR_DTYPE_INT32);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): a1 has dtype 3, expected 5 (float32)",
               t_[3].dtype = LUTSR_DTYPE_INT16; t_[3].nbytes = 8);
    /* missing, extra, misnamed */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): no tensor 'b0' (its bias, [4])",
               memmove(&t_[2], &t_[3], 3 * sizeof(TT)); n_--);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 2 (conv): no tensor 'w2' (its weights, [4,4,3,3])", n_ -= 2);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): no tensor 'a1' (its PReLU slopes, [4] or [1])",
               memmove(&t_[3], &t_[4], 2 * sizeof(TT)); n_--);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'extra' does not belong in a cnn model",
               t_[n_++] = (TT){ "extra", LUTSR_DTYPE_FLOAT32, 1, { 1 }, NULL, 4 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'w00' does not belong in a cnn model", memcpy(t_[1].name, "w00", 4));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'W0' does not belong in a cnn model", memcpy(t_[1].name, "W0", 3));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'w' does not belong in a cnn model", memcpy(t_[1].name, "w\0", 3));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'w-0' does not belong in a cnn model", memcpy(t_[1].name, "w-0", 4));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'b0x' does not belong in a cnn model", memcpy(t_[2].name, "b0x", 4));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'w99999999999' does not belong in a cnn model",
               memcpy(t_[1].name, "w99999999999", 13));
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "tensor 'w4' names layer 4, but the model has 4 layers",
               t_[n_++] = (TT){ "w4", LUTSR_DTYPE_FLOAT32, 1, { 1 }, NULL, 4 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): has no PReLU slopes, but the file has tensor 'a0'",
               t_[n_++] = (TT){ "a0", LUTSR_DTYPE_FLOAT32, 1, { 4 }, NULL, 16 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 3 (pixel_shuffle): has no weights, but the file has tensor 'w3'",
               t_[n_++] = (TT){ "w3", LUTSR_DTYPE_FLOAT32, 1, { 1 }, NULL, 4 });
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): has no bias, but the file has tensor 'b1'",
               t_[n_++] = (TT){ "b1", LUTSR_DTYPE_FLOAT32, 1, { 4 }, NULL, 16 });
    /* duplicates are caught by the container check */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "two tensors are named 'b0'", t_[n_++] = t_[2]);
    /* non-finite weights, at their index */
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 0 (conv): w0[17] is NaN (weights must be finite)", t_[1].data = nan_w);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 2 (conv): b2[2] is inf (weights must be finite)", t_[5].data = inf_b);
    TENSOR_ERR(LUTSR_ERR_MODEL_RANGE, "layer 1 (prelu): a1[0] is -inf", t_[3].data = minf_a);
    {   /* huge but finite values are fine */
        TT t[512];
        memcpy(t, b.t, sizeof(t));
        t[4].data = big_w;
        size_t size;
        const int32_t params[4] = { 4, 0, 0, 0 };
        uint8_t *f = tw_build(2, params, t, b.n, "", &size);
        LutsrModel *m;
        REQUIRE_OK(lutsr_model_parse(&m, f, size, NULL, 0));
        REQUIRE(m->layers[2].w[143] == -3.4028235e38f);
        lutsr_model_close(&m);
        free(f);
    }
    /* a graph error is reported before any weight problem */
    {
        TT t[512];
        memcpy(t, b.t, sizeof(t));
        uint8_t le[4 * 32];
        memcpy(le, b.graph_le, sizeof(le));
        put32(le + 32 * 3 + 4 * 1, 7);            /* ps in0 = 7 */
        t[0].data = le;
        t[1].data = nan_w;
        tensor_err(&b, t, b.n, NULL, LUTSR_ERR_MODEL_RANGE,
                   "layer 3 (pixel_shuffle): in0 = 7 refers to a later buffer (layers may only read buffers 0..3)",
                   __LINE__);
    }
    /* non-finite weights in a model make serialize fail */
    {
        float keep = b.m->layers[0].w[3];
        ((float *)b.m->layers[0].w)[3] = NAN;
        uint8_t *bytes;
        size_t size;
        REQUIRE_CMP(lutsr_model_serialize(b.m, &bytes, &size), ==, LUTSR_ERR_MODEL_RANGE);
        ((float *)b.m->layers[0].w)[3] = keep;
    }
    lutsr_model_close(&b.m);
}

/* The totals: at most 16M weights, at most 64 tensors in a file. */
static void test_limits(void)
{
    /* 4 x conv 256->256 k9 = 21.2M weights: the parser (with every tensor
     * present, zeros) and the allocator refuse */
    const Row g[] = { { REPEAT, 0, -1, 256, 256, 0, 0, 0 }, { CONV, 1, -1, 256, 9, 0, 0, 0 },
                      { CONV, 2, -1, 256, 9, 0, 0, 0 }, { CONV, 3, -1, 256, 9, 0, 0, 0 },
                      { CONV, 4, -1, 256, 9, 0, 0, 0 }, { CONV, 5, -1, 4, 1, 0, 0, 0 },
                      { PS, 6, -1, 1, 2, 0, 0, 0 } };
    LutsrModel *m;
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 2, 7, g, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    {
        uint8_t le[7 * 32];
        for (int i = 0; i < 7; i++)
            for (int k = 0; k < 8; k++)
                put32(le + 32 * i + 4 * k, (uint32_t)g[i][k]);
        TT t[16];
        unsigned n = 0;
        t[n++] = (TT){ "graph", LUTSR_DTYPE_INT32, 2, { 7, 8 }, le, 7 * 32 };
        for (int i = 1; i <= 5; i++) {
            uint32_t co = i == 5 ? 4 : 256, k = i == 5 ? 1 : 9;
            t[n] = (TT){ "", LUTSR_DTYPE_FLOAT32, 4, { co, 256, k, k }, NULL, 4 * (uint64_t)co * 256 * k * k };
            snprintf(t[n++].name, 24, "w%d", i);
            t[n] = (TT){ "", LUTSR_DTYPE_FLOAT32, 1, { co }, NULL, 4 * (uint64_t)co };
            snprintf(t[n++].name, 24, "b%d", i);
        }
        const int32_t params[4] = { 7, 0, 0, 0 };
        size_t size;
        uint8_t *f = tw_build(2, params, t, n, "", &size);
        expect_err(f, size, LUTSR_ERR_MODEL_RANGE, "the layers have 21235716 weights in all, more than 16777216",
                   __LINE__);
        free(f);
    }
    /* 3 x conv 256->256 k9 (15.9M) is fine */
    {
        const Row ok[] = { { REPEAT, 0, -1, 256, 256, 0, 0, 0 }, { CONV, 1, -1, 256, 9, 0, 0, 0 },
                           { CONV, 2, -1, 256, 9, 0, 0, 0 }, { CONV, 3, -1, 256, 9, 0, 0, 0 },
                           { CONV, 4, -1, 4, 1, 0, 0, 0 }, { PS, 5, -1, 1, 2, 0, 0, 0 } };
        REQUIRE_OK(lutsr_model_alloc_cnn(&m, 2, 6, ok, NULL));
        REQUIRE_CMP(lutsr_cnn_weight_count(m->layers, 6), ==, 3 * (256 * 256 * 81 + 256) + 4 * 256 + 4);
        lutsr_model_close(&m);
    }
    /* 62 conv layers with bias + repeat + shuffle: 64 layers, 125 tensors */
    {
        Row t64[64];
        for (int i = 0; i < 62; i++)
            memcpy(t64[i], (Row){ CONV, i, -1, 1, 1, 0, 0, 0 }, sizeof(Row));
        memcpy(t64[62], (Row){ REPEAT, 62, -1, 4, 4, 0, 0, 0 }, sizeof(Row));
        memcpy(t64[63], (Row){ PS, 63, -1, 1, 2, 0, 0, 0 }, sizeof(Row));
        LutsrModel *ok = valid(2, 64, t64);
        lutsr_model_close(&ok);
    }
    /* allocator arguments */
    const Row one[] = { { DECONV, 0, -1, 1, 4, 2, 1, 0 } };
    REQUIRE_CMP(lutsr_model_alloc_cnn(NULL, 2, 1, one, NULL), ==, LUTSR_ERR_INVALID_ARG);
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 5, 1, one, NULL), ==, LUTSR_ERR_UNSUPPORTED_SCALE);
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 2, 0, one, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 2, 129, one, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 2, 1, NULL, NULL), ==, LUTSR_ERR_MODEL_RANGE);
    REQUIRE_CMP(lutsr_model_alloc_cnn(&m, 2, 1, one, "bad \xff utf-8"), ==, LUTSR_ERR_MODEL_RANGE);
    /* a hand-edited model is refused by serialize rather than written */
    REQUIRE_OK(lutsr_model_alloc_cnn(&m, 2, 1, one, NULL));
    uint8_t *bytes;
    size_t size;
    m->layers[0].p[2] = 0;                      /* breaks k - 2 pad + out_pad = stride */
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    m->layers[0].p[2] = 1;
    m->layers[0].b = NULL;
    REQUIRE_CMP(lutsr_model_serialize(m, &bytes, &size), ==, LUTSR_ERR_INVALID_ARG);
    lutsr_model_close(&m);
}

/* ------------------------------------------------------------------------ */
/* Python writer (training/lsr_format.py): same bytes as C                  */

static int find_script(char *script, size_t size)
{
    snprintf(script, size, "training/lsr_format.py");
    if (!access(script, R_OK))
        return 0;
    const char *models = LUTSR_MODEL_DIR;
    const char *slash = strrchr(models, '/');
    if (!slash)
        return -1;
    snprintf(script, size, "%.*s/training/lsr_format.py", (int)(slash - models), models);
    return access(script, R_OK);
}

static void test_python(void)
{
    char script[1024], dir[64] = "/tmp/lutsr-cnn-XXXXXX";
    /* numpy may be only in the system's python */
    const char *py = !system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") ? "/usr/bin/python3" :
                     !system("python3 -c 'import numpy' >/dev/null 2>&1") ? "python3" : NULL;
    if (!py || find_script(script, sizeof(script))) {
        printf("python3 with numpy or lsr_format.py not found: Python round trip skipped\n");
        return;
    }
    REQUIRE(mkdtemp(dir));
    /* ECBSR-like x2 (conv, prelu [C] and [1], repeat, add, ps); weight e of
     * tensor j (canonical order, j = 1 for w0) is ((e * 7 + j) % 23 - 11) / 8 */
    const Row g[] = { { CONV, 0, -1, 4, 3, 0, 0, 0 }, { PRELU, 1, -1, 4, 0, 0, 0, 0 },
                      { CONV, 2, -1, 4, 3, 0, 0, 0 }, { PRELU, 3, -1, 4, 0, 0, 0, 0 },
                      { REPEAT, 0, -1, 4, 4, 0, 0, 0 }, { ADD, 4, 5, 4, 0, 0, 0, 0 },
                      { PS, 6, -1, 1, 2, 0, 0, 0 } };
    const char *meta = "arch: ecbsr\nwriter: lsr_format.py\n";
    LutsrModel *m;
    REQUIRE_OK(lutsr_model_alloc_cnn(&m, 2, 7, g, meta));
    m->layers[3].n_a = 1;
    int j = 1;
    for (int i = 0; i < 7; i++) {
        LutsrCnnLayer *l = &m->layers[i];
        float *arr[3] = { (float *)l->w, (float *)l->b, (float *)l->a };
        const uint32_t cnt[3] = { l->n_w, l->n_b, l->n_a };
        for (int k = 0; k < 3; k++) {
            if (!cnt[k])
                continue;
            for (uint32_t e = 0; e < cnt[k]; e++)
                arr[k][e] = (float)((int)((e * 7 + (uint32_t)j) % 23) - 11) / 8.0f;
            j++;
        }
    }
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "%s - <<'EOF'\n"
             "import sys, numpy as np\n"
             "sys.path.insert(0, '%.*s')\n"
             "import lsr_format as f\n"
             "g = [[1,0,-1,4,3,0,0,0],[4,1,-1,4,0,0,0,0],[1,2,-1,4,3,0,0,0],[4,3,-1,4,0,0,0,0],\n"
             "     [15,0,-1,4,4,0,0,0],[6,4,5,4,0,0,0,0],[5,6,-1,1,2,0,0,0]]\n"
             "shapes = [('w0',(4,1,3,3)),('b0',(4,)),('a1',(4,)),('w2',(4,4,3,3)),('b2',(4,)),('a3',(1,))]\n"
             "w = {}\n"
             "for j, (name, shape) in enumerate(shapes, 1):\n"
             "    e = np.arange(int(np.prod(shape)))\n"
             "    w[name] = (((e * 7 + j) %% 23 - 11) / 8).reshape(shape)\n"
             "f.write_cnn('%s/py-cnn.lsr', 2, g, w, %s)\n"
             "m = f.read('%s/py-cnn.lsr')\n"
             "assert m['kind'] == 'cnn' and m['params'] == (7, 0, 0, 0)\n"
             "EOF",
             py, (int)(strrchr(script, '/') - script), script, dir, "'arch: ecbsr\\nwriter: lsr_format.py\\n'", dir);
    REQUIRE_CMP(system(cmd), ==, 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/py-cnn.lsr", dir);
    FILE *fp = fopen(path, "rb");
    REQUIRE(fp);
    static uint8_t py_file[1 << 16];
    size_t py_size = fread(py_file, 1, sizeof(py_file), fp);
    fclose(fp);
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(m, &bytes, &size));
    REQUIRE_CMP(py_size, ==, size);
    REQUIRE(!memcmp(py_file, bytes, size));
    LutsrModel *p;
    char err[256];
    REQUIRE_OK(lutsr_model_open(&p, path, err, sizeof(err)));
    same_model(m, p);
    REQUIRE(!strcmp(lutsr_model_metadata(p), meta));
    lutsr_model_close(&p);
    free(bytes);
    remove(path);
    rmdir(dir);
    lutsr_model_close(&m);
    printf("python: lsr_format.write_cnn output is byte-identical (%zu bytes)\n", py_size);
}

int main(void)
{
    REQUIRE(*(const uint8_t *)&(const uint32_t){ 1 } == 1); /* weights are little-endian float32 */
    test_valid_ops();
    test_prelu_one_slope();
    test_realistic();
    test_graph_errors();
    test_tensor_errors();
    test_limits();
    test_python();
    printf("test_model_cnn: ok\n");
    return 0;
}
