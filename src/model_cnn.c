/*
 * CNN models (kind 16): validation of the layer graph and its weight
 * tensors, exactly the rules of docs/cnn.md, plus the canonical tensor
 * list for serialisation and the per-layer description.
 *
 * The graph is checked row by row with the channel count and space of
 * every buffer tracked, so the executor can trust each LutsrCnnLayer: its
 * inputs exist and are earlier, the channel counts and spaces fit the op,
 * and the weights have exactly the shapes it indexes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "model.h"

static const char *const op_names[LUTSR_CNN_OP_COUNT] = {
    [LUTSR_CNN_CONV] = "conv", [LUTSR_CNN_DECONV] = "deconv", [LUTSR_CNN_RELU] = "relu",
    [LUTSR_CNN_PRELU] = "prelu", [LUTSR_CNN_PIXEL_SHUFFLE] = "pixel_shuffle",
    [LUTSR_CNN_ADD] = "add", [LUTSR_CNN_MUL] = "mul", [LUTSR_CNN_CONCAT] = "concat",
    [LUTSR_CNN_SLICE] = "slice", [LUTSR_CNN_SIGMOID] = "sigmoid", [LUTSR_CNN_SOFTMAX] = "softmax",
    [LUTSR_CNN_GROUP_SUM] = "group_sum", [LUTSR_CNN_GROUP_MAX] = "group_max",
    [LUTSR_CNN_MEAN_STD] = "mean_std", [LUTSR_CNN_REPEAT] = "repeat",
};

/* How many of p0..p3 each op uses (the rest must be 0). */
static const int op_n_params[LUTSR_CNN_OP_COUNT] = {
    [LUTSR_CNN_CONV] = 1, [LUTSR_CNN_DECONV] = 4, [LUTSR_CNN_PIXEL_SHUFFLE] = 1,
    [LUTSR_CNN_SLICE] = 1, [LUTSR_CNN_SOFTMAX] = 1, [LUTSR_CNN_GROUP_SUM] = 1,
    [LUTSR_CNN_GROUP_MAX] = 1, [LUTSR_CNN_REPEAT] = 1,
};

static const char *const space_names[] = { "LR", "HR", "G" };

/* The tensors a layer may own, in canonical order, and their name letters. */
enum { T_W, T_B, T_A, T_KINDS };
static const char tensor_letters[T_KINDS] = { 'w', 'b', 'a' };
static const char *const tensor_what[T_KINDS] = { "weights", "bias", "PReLU slopes" };

const char *lutsr_cnn_op_name(int op)
{
    return op >= 1 && op < LUTSR_CNN_OP_COUNT ? op_names[op] : "?";
}

static int two_inputs(int op)
{
    return op == LUTSR_CNN_ADD || op == LUTSR_CNN_MUL || op == LUTSR_CNN_CONCAT;
}

static int LUTSR_PRINTF(3, 4) bad(char *msg, size_t size, const char *fmt, ...)
{
    if (msg && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
    }
    return LUTSR_ERR_MODEL_RANGE;
}

/* Messages about layer i start "layer i (op): ". */
#define LBAD(...) bad(msg, msg_size, __VA_ARGS__)

/* An input reference of layer i: a buffer 0..i. */
static int check_ref(int i, const char *op, const char *field, int64_t v, char *msg, size_t msg_size)
{
    if (v >= 0 && v <= i)
        return 0;
    if (v == i + 1)
        return LBAD("layer %d (%s): %s = %lld is the layer's own output (layers may only read "
                    "buffers 0..%d)", i, op, field, (long long)v, i);
    if (v > i)
        return LBAD("layer %d (%s): %s = %lld refers to a later buffer (layers may only read "
                    "buffers 0..%d)", i, op, field, (long long)v, i);
    return LBAD("layer %d (%s): %s is %lld, expected a buffer 0..%d", i, op, field, (long long)v, i);
}

/* One graph row, layer i of n; ch[]/sp[] are the channels and spaces of
 * buffers 0..i. Fills l (n_a = C for PReLU). */
static int check_layer(int i, int n, int scale, const int32_t row[8], const int *ch, const int *sp,
                       LutsrCnnLayer *l, char *msg, size_t msg_size)
{
    const int64_t op = row[0], in0 = row[1], in1 = row[2], c_out = row[3];
    const int64_t *p = (const int64_t[4]){ row[4], row[5], row[6], row[7] };
    int r;

    if (op < 1 || op >= LUTSR_CNN_OP_COUNT)
        return LBAD("layer %d: unknown op %lld (expected 1..%d)", i, (long long)op, LUTSR_CNN_OP_COUNT - 1);
    const char *name = op_names[op];
    if ((r = check_ref(i, name, "in0", in0, msg, msg_size)) < 0)
        return r;
    if (two_inputs((int)op)) {
        if ((r = check_ref(i, name, "in1", in1, msg, msg_size)) < 0)
            return r;
    } else if (in1 != -1) {
        return LBAD("layer %d (%s): in1 is %lld, expected -1 (%s takes one input)", i, name,
                    (long long)in1, name);
    }
    for (int k = op_n_params[op]; k < 4; k++)
        if (p[k])
            return LBAD("layer %d (%s): p%d is %lld, expected 0 (unused by %s)", i, name, k,
                        (long long)p[k], name);

    const int C = ch[in0], s0 = sp[in0];
    const int C1 = two_inputs((int)op) ? ch[in1] : 0, s1 = two_inputs((int)op) ? sp[in1] : 0;
    int64_t want = -1;      /* the c_out the op implies, -1 if chosen freely */
    const char *why = "";   /* ... and how, for the message */
    int space = s0;
    memset(l, 0, sizeof(*l));

    switch ((int)op) {
    case LUTSR_CNN_CONV: {
        const int64_t k = p[0];
        if (k < 1 || k > LUTSR_CNN_MAX_KERNEL || !(k & 1))
            return LBAD("layer %d (conv): kernel size p0 is %lld, expected 1, 3, 5, 7 or 9", i, (long long)k);
        if (s0 == LUTSR_CNN_G && k != 1)
            return LBAD("layer %d (conv): kernel size %lld on a G (1x1) buffer, expected 1", i, (long long)k);
        break;
    }
    case LUTSR_CNN_DECONV: {
        const int64_t k = p[0], stride = p[1], pad = p[2], out_pad = p[3];
        if (s0 != LUTSR_CNN_LR)
            return LBAD("layer %d (deconv): in0 (buffer %lld) is in %s space, expected LR", i,
                        (long long)in0, space_names[s0]);
        if (k < 1 || k > LUTSR_CNN_MAX_KERNEL)
            return LBAD("layer %d (deconv): kernel size p0 is %lld, expected 1..%d", i, (long long)k,
                        LUTSR_CNN_MAX_KERNEL);
        if (stride != scale)
            return LBAD("layer %d (deconv): stride p1 is %lld, expected the model's scale %d", i,
                        (long long)stride, scale);
        if (pad < 0 || pad >= k)
            return LBAD("layer %d (deconv): pad p2 is %lld, expected 0..%lld", i, (long long)pad,
                        (long long)k - 1);
        if (out_pad < 0 || out_pad >= stride)
            return LBAD("layer %d (deconv): out_pad p3 is %lld, expected 0..%lld", i,
                        (long long)out_pad, (long long)stride - 1);
        if (k - 2 * pad + out_pad != stride)
            return LBAD("layer %d (deconv): k - 2 pad + out_pad = %lld - %lld + %lld = %lld, "
                        "expected the stride %lld", i, (long long)k, 2 * (long long)pad,
                        (long long)out_pad, (long long)(k - 2 * pad + out_pad), (long long)stride);
        space = LUTSR_CNN_HR;
        break;
    }
    case LUTSR_CNN_RELU: case LUTSR_CNN_PRELU: case LUTSR_CNN_SIGMOID:
        want = C;
        why = " (= in0's channels)";
        break;
    case LUTSR_CNN_PIXEL_SHUFFLE:
        if (s0 != LUTSR_CNN_LR)
            return LBAD("layer %d (pixel_shuffle): in0 (buffer %lld) is in %s space, expected LR", i,
                        (long long)in0, space_names[s0]);
        if (p[0] != scale)
            return LBAD("layer %d (pixel_shuffle): r (p0) is %lld, expected the model's scale %d", i,
                        (long long)p[0], scale);
        if (c_out < 1 || c_out > LUTSR_CNN_MAX_CHANNELS || c_out * scale * scale != C)
            return LBAD("layer %d (pixel_shuffle): c_out is %lld, expected in0's %d channels / r^2 "
                        "= %d / %d (and in0's channels a multiple of r^2)", i, (long long)c_out, C, C,
                        scale * scale);
        space = LUTSR_CNN_HR;
        break;
    case LUTSR_CNN_ADD:
        if (C1 != C || s1 != s0)
            return LBAD("layer %d (add): in0 (buffer %lld) has %d channels in %s space, in1 "
                        "(buffer %lld) %d in %s; expected the same", i, (long long)in0, C,
                        space_names[s0], (long long)in1, C1, space_names[s1]);
        want = C;
        why = " (= in0's channels)";
        break;
    case LUTSR_CNN_MUL:
        if (s0 == LUTSR_CNN_G)
            return LBAD("layer %d (mul): in0 (buffer %lld) is in G space, expected LR or HR", i,
                        (long long)in0);
        if (!((s1 == s0 && (C1 == C || C1 == 1)) || (s1 == LUTSR_CNN_G && C1 == C)))
            return LBAD("layer %d (mul): in1 (buffer %lld) has %d channels in %s space; with in0's "
                        "%d in %s, expected %d or 1 channel in %s, or %d in G", i, (long long)in1,
                        C1, space_names[s1], C, space_names[s0], C, space_names[s0], C);
        want = C;
        why = " (= in0's channels)";
        break;
    case LUTSR_CNN_CONCAT:
        if (s1 != s0)
            return LBAD("layer %d (concat): in0 (buffer %lld) is in %s space, in1 (buffer %lld) in "
                        "%s; expected the same", i, (long long)in0, space_names[s0], (long long)in1,
                        space_names[s1]);
        want = (int64_t)C + C1;
        why = " (in0's + in1's channels)";
        break;
    case LUTSR_CNN_SLICE:
        if (p[0] < 0 || p[0] >= C)
            return LBAD("layer %d (slice): start p0 is %lld, expected 0..%d (in0 has %d channels)",
                        i, (long long)p[0], C - 1, C);
        if (c_out < 1 || p[0] + c_out > C)
            return LBAD("layer %d (slice): c_out is %lld, expected 1..%lld (start %lld of %d channels)",
                        i, (long long)c_out, (long long)(C - p[0]), (long long)p[0], C);
        break;
    case LUTSR_CNN_SOFTMAX: case LUTSR_CNN_GROUP_SUM: case LUTSR_CNN_GROUP_MAX:
        if (p[0] < 1 || C % p[0])
            return LBAD("layer %d (%s): group size p0 is %lld, expected a divisor of in0's %d "
                        "channels", i, name, (long long)p[0], C);
        want = op == LUTSR_CNN_SOFTMAX ? C : C / p[0];
        why = op == LUTSR_CNN_SOFTMAX ? " (= in0's channels)" : " (in0's channels / group size)";
        break;
    case LUTSR_CNN_MEAN_STD:
        if (s0 == LUTSR_CNN_G)
            return LBAD("layer %d (mean_std): in0 (buffer %lld) is in G space, expected LR or HR", i,
                        (long long)in0);
        want = C;
        why = " (= in0's channels)";
        space = LUTSR_CNN_G;
        break;
    case LUTSR_CNN_REPEAT:
        if (p[0] < 1 || p[0] > LUTSR_CNN_MAX_CHANNELS)
            return LBAD("layer %d (repeat): n (p0) is %lld, expected 1..%d", i, (long long)p[0],
                        LUTSR_CNN_MAX_CHANNELS);
        want = C * p[0];
        why = " (in0's channels x n)";
        break;
    }
    if (want > LUTSR_CNN_MAX_CHANNELS)
        return LBAD("layer %d (%s): the output would have %lld channels%s, more than %d", i, name,
                    (long long)want, why, LUTSR_CNN_MAX_CHANNELS);
    if (want >= 0 && c_out != want)
        return LBAD("layer %d (%s): c_out is %lld, expected %lld%s", i, name, (long long)c_out,
                    (long long)want, why);
    if (c_out < 1 || c_out > LUTSR_CNN_MAX_CHANNELS)
        return LBAD("layer %d (%s): c_out is %lld, expected 1..%d", i, name, (long long)c_out,
                    LUTSR_CNN_MAX_CHANNELS);
    if (i == n - 1 && (c_out != 1 || space != LUTSR_CNN_HR))
        return LBAD("layer %d (%s, the last): output has %lld channel%s in %s space, expected 1 "
                    "channel in HR space (the model's output)", i, name, (long long)c_out,
                    c_out == 1 ? "" : "s", space_names[space]);

    l->op = (int)op;
    l->in0 = (int)in0;
    l->in1 = (int)in1;
    l->c_out = (int)c_out;
    for (int k = 0; k < 4; k++)
        l->p[k] = (int)p[k];
    l->c_in = C;
    l->c_in1 = C1;
    l->space = space;
    if (op == LUTSR_CNN_CONV || op == LUTSR_CNN_DECONV) {
        l->n_w = (uint32_t)(c_out * C * p[0] * p[0]); /* <= 256 * 256 * 81 */
        l->n_b = (uint32_t)c_out;
    } else if (op == LUTSR_CNN_PRELU) {
        l->n_a = (uint32_t)C;
    }
    return 0;
}

int lutsr_cnn_check_graph(LutsrCnnLayer *layers, int n_layers, int scale,
                          const int32_t (*graph)[8], char *msg, size_t msg_size)
{
    if (msg && msg_size)
        msg[0] = '\0';
    if (n_layers < 1 || n_layers > LUTSR_CNN_MAX_LAYERS)
        return LBAD("number of layers is %d, expected 1..%d", n_layers, LUTSR_CNN_MAX_LAYERS);
    if (scale < 2 || scale > 4) {
        bad(msg, msg_size, "scale is %d, expected 2, 3 or 4", scale);
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    }
    int ch[LUTSR_CNN_MAX_LAYERS + 1], sp[LUTSR_CNN_MAX_LAYERS + 1];
    ch[0] = 1;
    sp[0] = LUTSR_CNN_LR;
    for (int i = 0; i < n_layers; i++) {
        int r = check_layer(i, n_layers, scale, graph[i], ch, sp, &layers[i], msg, msg_size);
        if (r < 0)
            return r;
        ch[i + 1] = layers[i].c_out;
        sp[i + 1] = layers[i].space;
    }
    return 0;
}

unsigned lutsr_cnn_tensor_count(const LutsrCnnLayer *layers, int n_layers)
{
    unsigned n = 1;
    for (int i = 0; i < n_layers; i++)
        n += (layers[i].n_w > 0) + (layers[i].n_b > 0) + (layers[i].n_a > 0);
    return n;
}

uint64_t lutsr_cnn_weight_count(const LutsrCnnLayer *layers, int n_layers)
{
    uint64_t n = 0;
    for (int i = 0; i < n_layers; i++)
        n += (uint64_t)layers[i].n_w + layers[i].n_b + layers[i].n_a;
    return n;
}

/* Shape of tensor kind tk of layer l (ndim, 0 if the layer has none);
 * PReLU slopes: [C] here, [1] also accepted. */
static unsigned tensor_shape(const LutsrCnnLayer *l, int tk, uint32_t dims[4])
{
    memset(dims, 0, 4 * sizeof(*dims));
    const uint32_t k = (uint32_t)l->p[0];
    switch (tk) {
    case T_W:
        if (l->op != LUTSR_CNN_CONV && l->op != LUTSR_CNN_DECONV)
            return 0;
        dims[0] = (uint32_t)(l->op == LUTSR_CNN_CONV ? l->c_out : l->c_in);
        dims[1] = (uint32_t)(l->op == LUTSR_CNN_CONV ? l->c_in : l->c_out);
        dims[2] = dims[3] = k;
        return 4;
    case T_B:
        if (l->op != LUTSR_CNN_CONV && l->op != LUTSR_CNN_DECONV)
            return 0;
        dims[0] = (uint32_t)l->c_out;
        return 1;
    default:
        if (l->op != LUTSR_CNN_PRELU)
            return 0;
        dims[0] = (uint32_t)l->c_in;
        return 1;
    }
}

static void shape_text(char *buf, size_t size, unsigned ndim, const uint32_t *dims)
{
    int n = snprintf(buf, size, "[");
    for (unsigned k = 0; k < ndim && n > 0 && (size_t)n < size; k++)
        n += snprintf(buf + n, size - (size_t)n, "%s%u", k ? "," : "", dims[k]);
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "]");
}

/* "w12" -> T_W, 12: a letter, then a decimal layer number without leading
 * zeros. */
static int parse_tensor_name(const char *name, int *tk, int *layer)
{
    const char *letter = memchr(tensor_letters, name[0], T_KINDS);
    const char *d = name + 1;
    if (!name[0] || !letter || *d < '0' || *d > '9' || (*d == '0' && d[1]))
        return 0;
    long v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || v > 100000)
            return 0;
        v = v * 10 + (*d - '0');
    }
    *tk = (int)(letter - tensor_letters);
    *layer = (int)v;
    return 1;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Index of the first NaN or infinity among n little-endian float32, or n. */
static uint32_t first_non_finite(const uint8_t *p, uint32_t n, uint32_t *bits)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = rd32(p + 4 * (size_t)i);
        if ((v & 0x7f800000) == 0x7f800000) {
            *bits = v;
            return i;
        }
    }
    return n;
}

static const char *non_finite_name(uint32_t bits)
{
    return bits & 0x007fffff ? "NaN" : bits >> 31 ? "-inf" : "inf";
}

static int check_total(const LutsrCnnLayer *layers, int n_layers, char *msg, size_t msg_size)
{
    uint64_t total = lutsr_cnn_weight_count(layers, n_layers);
    if (total > LUTSR_CNN_MAX_WEIGHTS)
        return LBAD("the layers have %llu weights in all, more than %u", (unsigned long long)total,
                    LUTSR_CNN_MAX_WEIGHTS);
    return 0;
}

_Static_assert(1 + 3 * LUTSR_CNN_MAX_LAYERS <= LUTSR_MODEL_MAX_TENSORS,
               "the tensors of any valid graph fit a file");

static int check_count(const LutsrCnnLayer *layers, int n_layers, char *msg, size_t msg_size)
{
    unsigned n = lutsr_cnn_tensor_count(layers, n_layers);
    if (n > LUTSR_MODEL_MAX_TENSORS)
        return LBAD("the layers need %u tensors (graph, weights, biases, slopes), more than the "
                    "%d a file can hold", n, LUTSR_MODEL_MAX_TENSORS);
    return 0;
}

int lutsr_cnn_check_tensors(LutsrCnnLayer *layers, uint64_t (*offsets)[3], int n_layers,
                            int scale, const uint8_t *file, const LutsrTensorDesc *t,
                            unsigned n, char *msg, size_t msg_size)
{
    const LutsrTensorDesc *g = NULL;
    int r;
    if (msg && msg_size)
        msg[0] = '\0';
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(t[i].name, "graph"))
            g = &t[i];
    if (!g)
        return LBAD("no tensor 'graph' (kind cnn needs one)");
    if (g->dtype != LUTSR_DTYPE_INT32)
        return LBAD("tensor 'graph': dtype is %u, expected %d (int32)", g->dtype, LUTSR_DTYPE_INT32);
    if (g->ndim != 2 || g->dims[0] != (uint32_t)n_layers || g->dims[1] != 8) {
        char have[64];
        shape_text(have, sizeof(have), g->ndim, g->dims);
        return LBAD("tensor 'graph' has shape %s, expected [%d,8] (params[0] layers x op, in0, "
                    "in1, c_out, p0..p3)", have, n_layers);
    }
    int32_t rows[LUTSR_CNN_MAX_LAYERS][8];
    for (int i = 0; i < n_layers; i++)
        for (int k = 0; k < 8; k++) {
            uint32_t v = rd32(file + g->offset + 32 * (size_t)i + 4 * (size_t)k);
            /* two's complement without the implementation-defined cast */
            rows[i][k] = v <= INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) - INT32_MAX - 1;
        }
    if ((r = lutsr_cnn_check_graph(layers, n_layers, scale, (const int32_t (*)[8])rows, msg, msg_size)) < 0 ||
        (r = check_count(layers, n_layers, msg, msg_size)) < 0)
        return r;

    /* Names, dtypes, shapes; found[i] marks the tensors seen (names are
     * unique, checked by the caller). */
    const LutsrTensorDesc *found[LUTSR_CNN_MAX_LAYERS][T_KINDS];
    memset(found, 0, sizeof(found));
    for (unsigned j = 0; j < n; j++) {
        const LutsrTensorDesc *c = &t[j];
        int tk, i;
        if (c == g)
            continue;
        if (!parse_tensor_name(c->name, &tk, &i))
            return LBAD("tensor '%s' does not belong in a cnn model (expected 'graph', 'w<layer>', "
                        "'b<layer>' or 'a<layer>')", c->name);
        if (i >= n_layers)
            return LBAD("tensor '%s' names layer %d, but the model has %d layer%s", c->name, i,
                        n_layers, n_layers > 1 ? "s" : "");
        LutsrCnnLayer *l = &layers[i];
        const char *op = op_names[l->op];
        uint32_t want[4];
        unsigned ndim = tensor_shape(l, tk, want);
        if (!ndim)
            return LBAD("layer %d (%s): has no %s, but the file has tensor '%s'", i, op,
                        tensor_what[tk], c->name);
        if (c->dtype != LUTSR_DTYPE_FLOAT32)
            return LBAD("layer %d (%s): %s has dtype %u, expected %d (float32)", i, op, c->name,
                        c->dtype, LUTSR_DTYPE_FLOAT32);
        const int slopes1 = tk == T_A && c->ndim == 1 && c->dims[0] == 1;
        if (!slopes1 && (c->ndim != ndim || memcmp(c->dims, want, sizeof(want)))) {
            char have[64], exp[64];
            shape_text(have, sizeof(have), c->ndim, c->dims);
            shape_text(exp, sizeof(exp), ndim, want);
            return LBAD("layer %d (%s): %s has shape %s, expected %s%s", i, op, c->name, have, exp,
                        tk == T_A ? " or [1]" : "");
        }
        if (slopes1)
            l->n_a = 1;
        found[i][tk] = c;
        offsets[i][tk] = c->offset;
    }
    for (int i = 0; i < n_layers; i++)
        for (int tk = 0; tk < T_KINDS; tk++) {
            uint32_t want[4];
            unsigned ndim = tensor_shape(&layers[i], tk, want);
            if (ndim && !found[i][tk]) {
                char exp[64];
                shape_text(exp, sizeof(exp), ndim, want);
                return LBAD("layer %d (%s): no tensor '%c%d' (its %s, %s%s)", i, op_names[layers[i].op],
                            tensor_letters[tk], i, tensor_what[tk], exp, tk == T_A ? " or [1]" : "");
            }
        }
    if ((r = check_total(layers, n_layers, msg, msg_size)) < 0)
        return r;
    for (int i = 0; i < n_layers; i++)
        for (int tk = 0; tk < T_KINDS; tk++) {
            const LutsrTensorDesc *c = found[i][tk];
            if (!c)
                continue;
            uint32_t bits = 0, count = (uint32_t)(c->nbytes / 4);
            uint32_t at = first_non_finite(file + c->offset, count, &bits);
            if (at < count)
                return LBAD("layer %d (%s): %s[%u] is %s (weights must be finite)", i,
                            op_names[layers[i].op], c->name, at, non_finite_name(bits));
        }
    return 0;
}

int lutsr_cnn_tensors(const struct LutsrModel *m, LutsrTensorDesc *t, const void **data,
                      uint8_t graph_bytes[LUTSR_CNN_MAX_LAYERS * 32], unsigned *count)
{
    const int nl = m->n_layers;
    *count = 0;
    if (nl < 1 || nl > LUTSR_CNN_MAX_LAYERS)
        return LUTSR_ERR_INVALID_ARG;
    /* Re-derive everything from the rows: a hand-edited model must not
     * make serialize write a file the parser rejects, or read past a
     * weight array. */
    int32_t rows[LUTSR_CNN_MAX_LAYERS][8];
    for (int i = 0; i < nl; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const int32_t row[8] = { l->op, l->in0, l->in1, l->c_out, l->p[0], l->p[1], l->p[2], l->p[3] };
        memcpy(rows[i], row, sizeof(row));
    }
    LutsrCnnLayer chk[LUTSR_CNN_MAX_LAYERS];
    if (lutsr_cnn_check_graph(chk, nl, m->scale, (const int32_t (*)[8])rows, NULL, 0) < 0)
        return LUTSR_ERR_INVALID_ARG;
    for (int i = 0; i < nl; i++) {
        const LutsrCnnLayer *l = &m->layers[i], *c = &chk[i];
        if (l->c_in != c->c_in || l->c_in1 != c->c_in1 || l->space != c->space ||
            l->n_w != c->n_w || l->n_b != c->n_b || !(l->n_a == c->n_a || (c->n_a && l->n_a == 1)) ||
            (l->n_w && !l->w) || (l->n_b && !l->b) || (l->n_a && !l->a))
            return LUTSR_ERR_INVALID_ARG;
    }
    if (lutsr_cnn_tensor_count(m->layers, nl) > LUTSR_MODEL_MAX_TENSORS ||
        lutsr_cnn_weight_count(m->layers, nl) > LUTSR_CNN_MAX_WEIGHTS)
        return LUTSR_ERR_INVALID_ARG;

    for (int i = 0; i < nl; i++)
        for (int k = 0; k < 8; k++) {
            uint32_t v = (uint32_t)rows[i][k];
            uint8_t *o = graph_bytes + 32 * i + 4 * k;
            o[0] = (uint8_t)v; o[1] = (uint8_t)(v >> 8); o[2] = (uint8_t)(v >> 16); o[3] = (uint8_t)(v >> 24);
        }
    unsigned n = 0;
    memset(&t[n], 0, sizeof(t[n]));
    memcpy(t[n].name, "graph", 6);
    t[n].dtype = LUTSR_DTYPE_INT32;
    t[n].ndim = 2;
    t[n].dims[0] = (uint32_t)nl;
    t[n].dims[1] = 8;
    t[n].nbytes = 32 * (uint64_t)nl;
    data[n++] = graph_bytes;
    for (int i = 0; i < nl; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const float *src[T_KINDS] = { l->w, l->b, l->a };
        const uint32_t cnt[T_KINDS] = { l->n_w, l->n_b, l->n_a };
        for (int tk = 0; tk < T_KINDS; tk++) {
            if (!cnt[tk])
                continue;
            LutsrTensorDesc *d = &t[n];
            memset(d, 0, sizeof(*d));
            snprintf(d->name, sizeof(d->name), "%c%d", tensor_letters[tk], i);
            d->dtype = LUTSR_DTYPE_FLOAT32;
            d->ndim = tensor_shape(l, tk, d->dims);
            if (tk == T_A)
                d->dims[0] = l->n_a;
            d->nbytes = 4 * (uint64_t)cnt[tk];
            data[n++] = src[tk];
            /* the bit pattern, as the parser reads it (little-endian host) */
            for (uint32_t e = 0; e < cnt[tk]; e++) {
                uint32_t bits;
                memcpy(&bits, &src[tk][e], 4);
                if ((bits & 0x7f800000) == 0x7f800000)
                    return LUTSR_ERR_MODEL_RANGE;
            }
        }
    }
    *count = n;
    return 0;
}

void lutsr_cnn_layer_text(const LutsrCnnLayer *l, int i, char *buf, size_t size)
{
    const char *op = lutsr_cnn_op_name(l->op);
    char what[96];
    switch (l->op) {
    case LUTSR_CNN_CONV:
        snprintf(what, sizeof(what), "%d->%d k%d", l->c_in, l->c_out, l->p[0]);
        break;
    case LUTSR_CNN_DECONV:
        snprintf(what, sizeof(what), "%d->%d k%d stride %d pad %d out_pad %d", l->c_in, l->c_out,
                 l->p[0], l->p[1], l->p[2], l->p[3]);
        break;
    case LUTSR_CNN_PRELU:
        snprintf(what, sizeof(what), "%d (%u slope%s)", l->c_out, l->n_a, l->n_a > 1 ? "s" : "");
        break;
    case LUTSR_CNN_PIXEL_SHUFFLE:
        snprintf(what, sizeof(what), "%d->%d r%d", l->c_in, l->c_out, l->p[0]);
        break;
    case LUTSR_CNN_MUL:
        snprintf(what, sizeof(what), "%d x %d", l->c_in, l->c_in1);
        break;
    case LUTSR_CNN_CONCAT:
        snprintf(what, sizeof(what), "%d+%d->%d", l->c_in, l->c_in1, l->c_out);
        break;
    case LUTSR_CNN_SLICE:
        snprintf(what, sizeof(what), "%d->%d from %d", l->c_in, l->c_out, l->p[0]);
        break;
    case LUTSR_CNN_SOFTMAX:
        snprintf(what, sizeof(what), "%d in groups of %d", l->c_in, l->p[0]);
        break;
    case LUTSR_CNN_GROUP_SUM: case LUTSR_CNN_GROUP_MAX:
        snprintf(what, sizeof(what), "%d->%d groups of %d", l->c_in, l->c_out, l->p[0]);
        break;
    case LUTSR_CNN_REPEAT:
        snprintf(what, sizeof(what), "%d->%d x%d", l->c_in, l->c_out, l->p[0]);
        break;
    default:
        snprintf(what, sizeof(what), "%d", l->c_out);
        break;
    }
    char from[48] = "";
    if (two_inputs(l->op))
        snprintf(from, sizeof(from), " <- %d, %d", l->in0, l->in1);
    else if (l->in0 != i)
        snprintf(from, sizeof(from), " <- %d", l->in0);
    snprintf(buf, size, "layer %d: %s %s%s (%s)", i, op, what, from,
             l->space >= 0 && l->space <= 2 ? space_names[l->space] : "?");
}
