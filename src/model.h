/*
 * Parsed model (see docs/model-format.md for the byte layout).
 */
#ifndef LUTSR_MODEL_H
#define LUTSR_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lutsr/lutsr.h"

/* File-format constants shared by the parser, the writer and the tests. */
#define LUTSR_MODEL_MAGIC        "LUTSRMDL"
#define LUTSR_MODEL_VERSION_MAJOR 1
#define LUTSR_MODEL_VERSION_MINOR 0
#define LUTSR_MODEL_HEADER_SIZE  64
#define LUTSR_MODEL_TENSOR_SIZE  64
#define LUTSR_MODEL_MAX_TENSORS  512  /* a 128-layer CNN needs up to 385 */
#define LUTSR_MODEL_MAX_META     (1u << 20)
/* Room for the largest valid model, SR-LUT interval_bits 2 x4 (65^4 x 16
 * bytes = 285.6 MB); checked before anything is allocated. */
#define LUTSR_MODEL_MAX_FILE     ((uint64_t)512 << 20)
#define LUTSR_MODEL_DATA_ALIGN   64

enum {
    LUTSR_DTYPE_INT8 = 1, LUTSR_DTYPE_UINT8 = 2, LUTSR_DTYPE_INT16 = 3,
    LUTSR_DTYPE_INT32 = 4, LUTSR_DTYPE_FLOAT32 = 5,
};

/* Kind-specific limits */
#define LUTSR_SRLUT_MIN_INTERVAL_BITS 2
#define LUTSR_SRLUT_MAX_INTERVAL_BITS 6
#define LUTSR_MAX_OUT_SHIFT 24
#define LUTSR_MULUT_MAX_STAGES 4

/* MuLUT sampling patterns (docs/kernels.md, "MuLUT core"): the bit of each
 * in a stage's pattern_mask and its letter in tensor names ("lut1_D"). */
enum { LUTSR_MULUT_S = 0, LUTSR_MULUT_D = 1, LUTSR_MULUT_Y = 2, LUTSR_MULUT_PATTERNS = 3 };
#define LUTSR_MULUT_PATTERN_LETTERS "SDY"

/* One MuLUT stage. The first four fields are a row of the file's "stages"
 * tensor (and all that lutsr_model_alloc_mulut() reads); the rest is
 * derived. */
typedef struct LutsrMulutStage {
    int scale;          /* 1, or the model's scale for the last stage */
    int pattern_mask;   /* 1..7: bit p set = pattern p (LUTSR_MULUT_S/D/Y) used */
    int interval_bits;  /* 2..6, as SR-LUT's */
    int out_shift;      /* 0..LUTSR_MAX_OUT_SHIFT */
    int lut_side;       /* n = 2^(8 - interval_bits) + 1 */
    uint32_t lut_entries, lut_values; /* n^4, scale^2 */
    /* lut[p][e * lut_values + v] for each pattern in pattern_mask, else NULL */
    int8_t *lut[LUTSR_MULUT_PATTERNS];
} LutsrMulutStage;

/* CNN layer graph (docs/cnn.md). */
#define LUTSR_CNN_MAX_LAYERS   128
#define LUTSR_CNN_MAX_CHANNELS 256
#define LUTSR_CNN_MAX_KERNEL   9
#define LUTSR_CNN_MAX_WEIGHTS  (16u << 20)
enum LutsrCnnOp {
    LUTSR_CNN_CONV = 1, LUTSR_CNN_DECONV = 2, LUTSR_CNN_RELU = 3, LUTSR_CNN_PRELU = 4,
    LUTSR_CNN_PIXEL_SHUFFLE = 5, LUTSR_CNN_ADD = 6, LUTSR_CNN_MUL = 7, LUTSR_CNN_CONCAT = 8,
    LUTSR_CNN_SLICE = 9, LUTSR_CNN_SIGMOID = 10, LUTSR_CNN_SOFTMAX = 11, LUTSR_CNN_GROUP_SUM = 12,
    LUTSR_CNN_GROUP_MAX = 13, LUTSR_CNN_MEAN_STD = 14, LUTSR_CNN_REPEAT = 15,
    LUTSR_CNN_OP_COUNT
};
/* Buffer spaces: LR plane size, HR (scale x), G (1x1 global). */
enum LutsrCnnSpace { LUTSR_CNN_LR = 0, LUTSR_CNN_HR = 1, LUTSR_CNN_G = 2 };

/* One layer. The first eight fields are a row of the file's "graph" tensor;
 * the rest is derived by the loader (validated: the executor trusts it). */
typedef struct LutsrCnnLayer {
    int op, in0, in1, c_out, p[4];
    int c_in, c_in1;        /* channels of in0 and in1 (0 if no in1) */
    int space;              /* LutsrCnnSpace of the output buffer */
    const float *w, *b, *a; /* NULL where the op has none; point into buf */
    uint32_t n_w, n_b, n_a; /* element counts */
} LutsrCnnLayer;

struct LutsrModel {
    LutsrModelKind kind;
    int scale;

    /* SR-LUT: LUT sampled every 2^interval_bits levels, so each of the four
     * input dimensions has lut_side = 2^(8 - interval_bits) + 1 samples.
     * ECLUT: 0 (full 256-level LUT, no interpolation). */
    int interval_bits;
    int lut_side;

    /* The kernels sum int8 LUT values (weighted, over rotations and, for
     * ECLUT, over the 3x3 expanded footprint) into an integer T and output
     * clip(anchor + round_shift(T, out_shift)); anchor is the nearest LR pixel. */
    int out_shift;

    /* lut[e * lut_values + v]: entry e, value v.
     * SR-LUT: lut_entries = lut_side^4, lut_values = scale^2.
     * ECLUT:  lut_entries = 65536,     lut_values = 9 * scale^2. */
    int8_t *lut;
    uint32_t lut_entries;
    uint32_t lut_values;

    /* MuLUT (lut is NULL, interval_bits, lut_side and out_shift are 0; each
     * stage has its own): stages[0..n_stages), the last one upscales. */
    int n_stages;
    LutsrMulutStage stages[LUTSR_MULUT_MAX_STAGES];

    /* CNN (lut is NULL): layers[0..n_layers), buffer i+1 is layer i's output,
     * buffer 0 the input, buffer n_layers the output (docs/cnn.md). */
    int n_layers;
    LutsrCnnLayer layers[LUTSR_CNN_MAX_LAYERS];

    const char *metadata;   /* NUL-terminated copy of the file's text */
    uint32_t crc32;         /* payload CRC from the file (0 for bicubic) */
    size_t file_size;
    char *description;      /* built when the model is created, so that
                             * describe() is safe on a shared model */

    void *buf;              /* owned storage backing the LUTs (64-byte aligned;
                             * freed with lutsr_free_aligned()) */
};

/* CRC-32 (IEEE 802.3, as zlib/Python's zlib.crc32), incremental: start with crc = 0. */
uint32_t lutsr_crc32(uint32_t crc, const void *data, size_t len);

/* Serialise a model in memory (the inverse of lutsr_model_parse); used by
 * tests and tools to write generated LUTs. *out is malloc()ed. */
int lutsr_model_serialize(const struct LutsrModel *m, uint8_t **out, size_t *out_size);

/* Like lutsr_model_parse(), but takes ownership of buf (from
 * lutsr_alloc_aligned(); freed on failure too) instead of copying it, and
 * starts every error message with prefix (the file name) instead of "model".
 * Used by lutsr_model_open() so a loaded file is read once and never copied. */
int lutsr_model_parse_owned(struct LutsrModel **out, void *buf, size_t size,
                            const char *prefix, char *err, size_t err_size);

/* Build an in-memory model with a zeroed LUT that the caller fills (tests,
 * tools). kind SRLUT or ECLUT. */
int lutsr_model_alloc(struct LutsrModel **out, LutsrModelKind kind, int scale,
                      int interval_bits, int out_shift, const char *metadata);

/* The same for a MuLUT model: n_stages stages whose scale, pattern_mask,
 * interval_bits and out_shift are taken from stages[] (validated as the
 * parser does); the LUTs are zeroed, for the caller to fill. */
int lutsr_model_alloc_mulut(struct LutsrModel **out, int scale, int n_stages,
                            const LutsrMulutStage *stages, const char *metadata);

/* The same for a CNN: graph rows as in the file's "graph" tensor
 * (validated as the parser does); weights, biases and slopes are zeroed,
 * for the caller to fill through layers[i].w/b/a (cast away const: the
 * model owns them). A PReLU gets C slopes; set its n_a to 1 for a single
 * shared slope (a [1] tensor, LeakyReLU's export). */
int lutsr_model_alloc_cnn(struct LutsrModel **out, int scale, int n_layers,
                          const int32_t (*graph)[8], const char *metadata);

/* ------------------------------------------------------------------------ */
/* CNN graph checks shared by model.c and model_cnn.c. Each returns 0 or a
 * negative LutsrError, with a message (no "model: " prefix) in msg.        */

/* A tensor descriptor as the parser read it (already checked on its own:
 * name, dtype, ndim, dims, nbytes, placement). */
typedef struct LutsrTensorDesc {
    char name[24];
    uint32_t dtype, ndim, dims[4];
    uint64_t offset, nbytes;
} LutsrTensorDesc;

/* "conv", "deconv", ...; "?" for an unknown op. */
const char *lutsr_cnn_op_name(int op);

/* Checks n_layers graph rows for a model of this scale (every docs/cnn.md
 * rule but the weight total, which depends on the slopes' shapes) and
 * fills layers[0..n_layers): the row, c_in, c_in1, space, n_w, n_b and
 * n_a (C for PReLU; w/b/a NULL). */
int lutsr_cnn_check_graph(LutsrCnnLayer *layers, int n_layers, int scale,
                          const int32_t (*graph)[8], char *msg, size_t msg_size);

/* The tensor set of a kind 16 file: "graph", then every weight tensor
 * (name, dtype, shape, finite values), the weight total and missing
 * tensors. file: the file's bytes (any alignment). Fills layers as above
 * (n_a 1 for [1] slopes) and offsets[i] = file offsets of w<i>, b<i>, a<i>. */
int lutsr_cnn_check_tensors(LutsrCnnLayer *layers, uint64_t (*offsets)[3], int n_layers,
                            int scale, const uint8_t *file, const LutsrTensorDesc *t,
                            unsigned n, char *msg, size_t msg_size);

/* Number of tensors (graph, w, b, a) the layers call for, and the sum of
 * their n_w + n_b + n_a. */
unsigned lutsr_cnn_tensor_count(const LutsrCnnLayer *layers, int n_layers);
uint64_t lutsr_cnn_weight_count(const LutsrCnnLayer *layers, int n_layers);

/* A CNN model's tensors in canonical order (graph, then per layer w, b, a):
 * descriptors with offset 0 and their data; graph_bytes (32 per layer)
 * backs the "graph" rows. Returns 0 and the count, or a negative
 * LutsrError if the model could not have come from
 * lutsr_model_alloc_cnn() / the parser (LUTSR_ERR_MODEL_RANGE for a
 * non-finite weight, LUTSR_ERR_INVALID_ARG otherwise). */
int lutsr_cnn_tensors(const struct LutsrModel *m, LutsrTensorDesc *t, const void **data,
                      uint8_t graph_bytes[LUTSR_CNN_MAX_LAYERS * 32], unsigned *count);

/* One line (no newline) describing layer i, e.g. "layer 0: conv 1->16 k3 (LR)". */
void lutsr_cnn_layer_text(const LutsrCnnLayer *l, int i, char *buf, size_t size);

#endif /* LUTSR_MODEL_H */
