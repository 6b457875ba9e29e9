/*
 * CNN executor (src/cnn.c) vs an independent reference written straight
 * from docs/cnn.md: whole-frame buffers in double, every op literally as
 * the page states it (CONV summing over the window with zero outside,
 * DECONV scattering every input pixel through the kernel, MEAN_STD with
 * a two-pass mean and population std). The engine computes in float32, so
 * the 8-bit outputs may differ by 1 where a value lands next to a rounding
 * boundary: every pixel must be within 1, and at most 1% of them (summed
 * over a case) may differ at all.
 *
 * Cases: each op on its own (behind a fixed "head" that turns its output
 * into the 1-channel HR result), every scale, odd sizes down to 1x1;
 * FSRCNN-, ECBSR-, eSR- and IMDN-like graphs; and the bytes must not
 * depend on threads (1, 2, 3), on how lutsr_upscale_luma_rows() splits
 * the frame or on the tile width (C and SIMD), the scratch must not grow
 * with the frame width, and the MEAN_STD cache must follow a change of
 * frame; the
 * statistics passes give the same bytes shared by the jobs (tiles in any
 * order, sums kept per row) as run in order without the row-sum buffer.
 *
 * The fused eSR-MAX head (cnn.c): a graph ending in CONV -> PIXEL_SHUFFLE
 * -> GROUP_MAX must take it (checked on the executor's context), and give
 * exactly the bytes of the same graph with an all-channel SLICE before the
 * GROUP_MAX, which the executor runs layer by layer, with the C versions
 * and with the best SIMD ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnn.h"
#include "cpu.h"
#include "internal.h"
#include "model.h"
#include "test_util.h"

enum { CONV = 1, DECONV, RELU, PRELU, PS, ADD, MUL, CONCAT, SLICE, SIGMOID, SOFTMAX,
       GSUM, GMAX, MSTD, REPEAT };

/* ------------------------------------------------------------ graphs */

typedef struct Graph {
    int scale, n;
    int32_t rows[LUTSR_CNN_MAX_LAYERS][8];
    int ch[LUTSR_CNN_MAX_LAYERS + 1], hr[LUTSR_CNN_MAX_LAYERS + 1]; /* 2 = G */
} Graph;

static void graph_init(Graph *g, int scale)
{
    memset(g, 0, sizeof(*g));
    g->scale = scale;
    g->ch[0] = 1;
}

/* Appends a layer; returns its output buffer. Tracks channels and space
 * only to build heads and to pick c_out in tests. */
static int add(Graph *g, int op, int in0, int in1, int c_out, int p0, int p1, int p2, int p3)
{
    REQUIRE(g->n < LUTSR_CNN_MAX_LAYERS);
    int32_t *r = g->rows[g->n];
    r[0] = op; r[1] = in0; r[2] = in1; r[3] = c_out;
    r[4] = p0; r[5] = p1; r[6] = p2; r[7] = p3;
    const int j = ++g->n;
    g->ch[j] = c_out;
    g->hr[j] = op == DECONV || op == PS ? 1 : op == MSTD ? 2 : g->hr[in0];
    return j;
}

static int conv(Graph *g, int in, int c_out, int k)
{
    return add(g, CONV, in, -1, c_out, k, 0, 0, 0);
}

/* Turns buffer b into the 1-channel HR output: a 1x1 CONV to scale^2
 * channels and PIXEL_SHUFFLE from LR, a 1x1 CONV from HR. */
static int head(Graph *g, int b)
{
    const int s = g->scale;
    if (g->hr[b])
        return conv(g, b, 1, 1);
    return add(g, PS, conv(g, b, s * s, 1), -1, 1, s, 0, 0, 0);
}

static float frand(TestRng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)(test_rng_u32(r) >> 8) / (float)(1 << 24);
}

/* Random weights of a sane size (fan-in scaled) so activations stay near
 * the unit range; biases near 0.5 in 1-channel layers keep the output
 * inside 0..255 rather than clipped. */
static LutsrModel *graph_model(const Graph *g, TestRng *r, float wscale)
{
    LutsrModel *m = NULL;
    REQUIRE_OK(lutsr_model_alloc_cnn(&m, g->scale, g->n, (const int32_t (*)[8])g->rows, "test: cnn"));
    for (int i = 0; i < g->n; i++) {
        LutsrCnnLayer *l = &m->layers[i];
        const int k = l->p[0] ? l->p[0] : 1;
        /* The last two layers (the head) milder: the output should not clip everywhere. */
        const float a = (i >= g->n - 2 && wscale > 0.7f ? 0.7f : wscale) / sqrtf((float)(l->c_in * k * k));
        for (uint32_t t = 0; t < l->n_w; t++)
            ((float *)l->w)[t] = frand(r, -a, a);
        for (uint32_t t = 0; t < l->n_b; t++)
            ((float *)l->b)[t] = l->c_out == 1 || i == g->n - 2 ? frand(r, 0.3f, 0.7f) : frand(r, -0.2f, 0.2f);
        for (uint32_t t = 0; t < l->n_a; t++)
            ((float *)l->a)[t] = frand(r, -0.3f, 0.6f);
    }
    return m;
}

/* --------------------------------------------------------- reference */

typedef struct RBuf { int c, h, w; double *v; } RBuf;

static double *at(const RBuf *b, int c, int y, int x)
{
    return &b->v[((size_t)c * b->h + y) * b->w + x];
}

static RBuf rbuf(int c, int h, int w)
{
    RBuf b = { c, h, w, calloc((size_t)c * h * w, sizeof(double)) };
    REQUIRE(b.v);
    return b;
}

/* The graph run on a whole w x h plane, zero outside it; out gets the
 * 8-bit HR result. */
static void run_plane(const LutsrModel *m, const uint8_t *src, ptrdiff_t stride, int w, int h,
                      uint8_t *out)
{
    const int L = m->n_layers;
    RBuf b[LUTSR_CNN_MAX_LAYERS + 1];
    /* Which buffers are pooled (G): MEAN_STD's, and what derives from them
     * without a DECONV/PIXEL_SHUFFLE. */
    int global[LUTSR_CNN_MAX_LAYERS + 1] = { 0 };
    for (int i = 0; i < L; i++) {
        const int op = m->layers[i].op;
        global[i + 1] = op == MSTD || (op != DECONV && op != PS && op != MUL && global[m->layers[i].in0]);
    }
    b[0] = rbuf(1, h, w);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            *at(&b[0], 0, y, x) = src[y * stride + x] / 255.0;
    for (int i = 0; i < L; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const RBuf *in = &b[l->in0], *in1 = l->in1 >= 0 ? &b[l->in1] : NULL;
        const int C = in->c, H = in->h, W = in->w, co = l->c_out;
        RBuf *o = &b[i + 1];
        switch (l->op) {
        case CONV: {
            const int k = l->p[0];
            *o = rbuf(co, H, W);
            for (int oc = 0; oc < co; oc++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++) {
                        double sum = 0;
                        for (int c = 0; c < C; c++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++) {
                                    const int yy = y + u - k / 2, xx = x + v - k / 2;
                                    if (yy >= 0 && yy < H && xx >= 0 && xx < W)
                                        sum += l->w[((oc * C + c) * k + u) * k + v] * *at(in, c, yy, xx);
                                }
                        *at(o, oc, y, x) = l->b[oc] + sum;
                    }
            break;
        }
        case DECONV: {
            const int k = l->p[0], s = l->p[1], pad = l->p[2];
            *o = rbuf(co, H * s, W * s);
            for (int c = 0; c < C; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        for (int oc = 0; oc < co; oc++)
                            for (int u = 0; u < k; u++)
                                for (int v = 0; v < k; v++) {
                                    const int Y = y * s - pad + u, X = x * s - pad + v;
                                    if (Y >= 0 && Y < o->h && X >= 0 && X < o->w)
                                        *at(o, oc, Y, X) += *at(in, c, y, x) * l->w[((c * co + oc) * k + u) * k + v];
                                }
            for (int oc = 0; oc < co; oc++)
                for (int t = 0; t < o->h * o->w; t++)
                    o->v[(size_t)oc * o->h * o->w + t] += l->b[oc];
            break;
        }
        case PS: {
            const int r = l->p[0];
            *o = rbuf(co, H * r, W * r);
            for (int c = 0; c < co; c++)
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        for (int i2 = 0; i2 < r; i2++)
                            for (int j = 0; j < r; j++)
                                *at(o, c, y * r + i2, x * r + j) = *at(in, c * r * r + i2 * r + j, y, x);
            break;
        }
        case MSTD:
            *o = rbuf(co, 1, 1);
            for (int c = 0; c < C; c++) {
                double mean = 0, var = 0;
                for (int t = 0; t < H * W; t++)
                    mean += in->v[(size_t)c * H * W + t];
                mean /= (double)H * W;
                for (int t = 0; t < H * W; t++) {
                    const double d = in->v[(size_t)c * H * W + t] - mean;
                    var += d * d;
                }
                *at(o, c, 0, 0) = mean + sqrt(var / ((double)H * W));
            }
            break;
        default:
            /* Per-pixel ops: the output has in0's size. */
            *o = rbuf(co, H, W);
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    for (int c = 0; c < co; c++) {
                        const double a = *at(in, l->op == SLICE ? c + l->p[0] : l->op == REPEAT ? c % C :
                                                 l->op == CONCAT && c >= C ? 0 :
                                                 l->op == GSUM || l->op == GMAX ? 0 : c, y, x);
                        double r = 0;
                        switch (l->op) {
                        case RELU:    r = a > 0 ? a : 0; break;
                        case PRELU:   r = a >= 0 ? a : l->a[l->n_a == 1 ? 0 : c] * a; break;
                        case ADD:     r = a + *at(in1, c, y, x); break;
                        case MUL:
                            r = a * (global[l->in1] ? *at(in1, c, 0, 0) : *at(in1, in1->c == 1 ? 0 : c, y, x));
                            break;
                        case CONCAT:  r = c < C ? a : *at(in1, c - C, y, x); break;
                        case SLICE:
                        case REPEAT:  r = a; break;
                        case SIGMOID: r = 1 / (1 + exp(-a)); break;
                        case SOFTMAX: {
                            const int n = l->p[0], g0 = c / n * n;
                            double mx = -INFINITY, sum = 0;
                            for (int j = 0; j < n; j++)
                                mx = fmax(mx, *at(in, g0 + j, y, x));
                            for (int j = 0; j < n; j++)
                                sum += exp(*at(in, g0 + j, y, x) - mx);
                            r = exp(a - mx) / sum;
                            break;
                        }
                        case GSUM:
                        case GMAX: {
                            const int n = l->p[0];
                            r = l->op == GSUM ? 0 : -INFINITY;
                            for (int j = 0; j < n; j++) {
                                const double t = *at(in, c * n + j, y, x);
                                r = l->op == GSUM ? r + t : fmax(r, t);
                            }
                            break;
                        }
                        default: REQUIRE(!"op");
                        }
                        *at(o, c, y, x) = r;
                    }
            break;
        }
    }
    const RBuf *f = &b[L];
    REQUIRE(f->c == 1 && f->h == h * m->scale && f->w == w * m->scale);
    for (int t = 0; t < f->h * f->w; t++) {
        const double v = floor(255 * f->v[t] + 0.5);
        out[t] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    for (int i = 0; i <= L; i++)
        free(b[i].v);
}

/* docs/cnn.md's reach: how many LR pixels of edge replication surround the
 * plane the graph sees. */
static int reach(const LutsrModel *m)
{
    int r[LUTSR_CNN_MAX_LAYERS + 1] = { 0 }, hr[LUTSR_CNN_MAX_LAYERS + 1] = { 0 };
    for (int i = 0; i < m->n_layers; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        const int a = r[l->in0], b = l->in1 >= 0 ? r[l->in1] : 0;
        hr[i + 1] = l->op == DECONV || l->op == PS || hr[l->in0];
        r[i + 1] = a > b ? a : b;
        if (l->op == CONV) /* k/2 pixels of its own space, in LR pixels rounded up */
            r[i + 1] += (int)ceil((double)(l->p[0] / 2) / (hr[i + 1] ? m->scale : 1));
        else if (l->op == DECONV)
            r[i + 1] += (int)ceil(l->p[0] / (2.0 * l->p[1]));
    }
    return r[m->n_layers];
}

/* The model on a w x h plane: the graph on the plane extended by reach()
 * copies of its edge pixels on every side, the centre of the result. */
static void reference(const LutsrModel *m, const uint8_t *src, ptrdiff_t stride, int w, int h,
                      uint8_t *out)
{
    const int e = reach(m), s = m->scale, W = w + 2 * e, H = h + 2 * e;
    uint8_t *big = malloc((size_t)W * H), *bout = malloc((size_t)W * H * s * s);
    REQUIRE(big && bout);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const int sy = y - e < 0 ? 0 : y - e >= h ? h - 1 : y - e;
            const int sx = x - e < 0 ? 0 : x - e >= w ? w - 1 : x - e;
            big[(size_t)y * W + x] = src[sy * stride + sx];
        }
    run_plane(m, big, W, W, H, bout);
    for (int y = 0; y < h * s; y++)
        memcpy(out + (size_t)y * w * s, bout + (size_t)(y + e * s) * W * s + (size_t)e * s, (size_t)w * s);
    free(big);
    free(bout);
}

/* ------------------------------------------------------------- checks */

typedef struct Tally { long pixels, off_by_one; } Tally;

static uint8_t *engine_cpu(const LutsrModel *m, const TestPlane *src, int threads, LutsrCpu cpu)
{
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = threads;
    o.cpu = cpu;
    LutsrContext *c = NULL;
    REQUIRE_OK(lutsr_open(&c, m, &o));
    const int s = m->scale, W = src->p.width * s, H = src->p.height * s;
    uint8_t *out = malloc((size_t)W * H);
    REQUIRE(out);
    LutsrPlane dst = { out, W, W, H };
    REQUIRE_OK(lutsr_upscale_luma(c, &src->p, &dst));
    lutsr_close(&c);
    return out;
}

static uint8_t *engine(const LutsrModel *m, const TestPlane *src, int threads)
{
    return engine_cpu(m, src, threads, LUTSR_CPU_AUTO);
}

/* Returns whether the output varies (1x1: always), so a random draw whose
 * output clips to one value can be replaced. */
static int check_model(const char *what, const LutsrModel *m, int w, int h, TestRng *r, Tally *t)
{
    TestPlane src;
    test_plane_alloc(&src, w, h, 5);
    REQUIRE(src.p.data);
    test_plane_fill(&src, r);
    const int s = m->scale, W = w * s, H = h * s;
    uint8_t *want = malloc((size_t)W * H);
    REQUIRE(want);
    reference(m, src.p.data, src.p.stride, w, h, want);
    uint8_t *got = engine(m, &src, 1);
    int distinct = 0;
    for (int i = 0; i < W * H; i++) {
        const int d = abs(got[i] - want[i]);
        if (d > 1) {
            fprintf(stderr, "%s x%d %dx%d: pixel (%d,%d) is %d, reference %d\n",
                    what, s, w, h, i % W, i / W, got[i], want[i]);
            exit(1);
        }
        t->off_by_one += d;
        distinct |= i && want[i] != want[0];
    }
    t->pixels += (long)W * H;
    free(want);
    free(got);
    test_plane_free(&src);
    return w * h == 1 || distinct;
}

static void check_tally(const char *what, const Tally *t)
{
    printf("%-28s %7ld pixels, %ld off by one\n", what, t->pixels, t->off_by_one);
    if (t->off_by_one * 100 > t->pixels) {
        fprintf(stderr, "%s: %ld of %ld pixels off by one (> 1%%)\n", what, t->off_by_one, t->pixels);
        exit(1);
    }
}

static const int sizes[][2] = { { 1, 1 }, { 7, 5 }, { 19, 13 }, { 2, 9 }, { 9, 41 } };

static void check_graph(const char *what, const Graph *g, TestRng *r, float wscale)
{
    Tally t = { 0, 0 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        /* Not a degenerate case: random weights whose output is one value
         * (all clipped) test nothing, so draw again, a few times. */
        int varied = 0;
        for (int tries = 0; !varied && tries < 8; tries++) {
            LutsrModel *m = graph_model(g, r, wscale);
            varied = check_model(what, m, sizes[i][0], sizes[i][1], r, &t);
            lutsr_model_close(&m);
        }
        if (!varied) {
            fprintf(stderr, "%s x%d %dx%d: constant output in 8 random draws\n", what, g->scale,
                    sizes[i][0], sizes[i][1]);
            exit(1);
        }
    }
    char name[64];
    snprintf(name, sizeof(name), "%s x%d", what, g->scale);
    check_tally(name, &t);
}

/* --------------------------------------------------------- op cases */

static void ops_for_scale(int s, TestRng *r)
{
    Graph g;
    /* CONV, every kernel size, in LR (1 and several input channels). */
    for (int k = 1; k <= 9; k += 2) {
        char name[32];
        snprintf(name, sizeof(name), "conv k%d", k);
        graph_init(&g, s);
        head(&g, conv(&g, conv(&g, 0, 3, k), 2, k));
        check_graph(name, &g, r, 1.5f);
    }
    /* DECONV with every (k, pad, out_pad) shape this stride allows, up to
     * k 9, then CONV in HR. */
    for (int k = 1; k <= 9; k++)
        for (int pad = 0; pad < k; pad++) {
            const int op = s - k + 2 * pad;
            if (op < 0 || op >= s)
                continue;
            char name[48];
            snprintf(name, sizeof(name), "deconv k%d pad%d out_pad%d", k, pad, op);
            graph_init(&g, s);
            const int d = add(&g, DECONV, conv(&g, 0, 3, 3), -1, 2, k, s, pad, op);
            conv(&g, d, 1, 3);
            check_graph(name, &g, r, 1.5f);
        }
    /* Per-pixel ops on a 4-channel LR buffer. */
    graph_init(&g, s);
    int x = conv(&g, 0, 4, 3);
    head(&g, add(&g, RELU, x, -1, 4, 0, 0, 0, 0));
    check_graph("relu", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 4, 3);
    head(&g, add(&g, PRELU, x, -1, 4, 0, 0, 0, 0));
    check_graph("prelu", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 4, 3);
    head(&g, add(&g, SIGMOID, x, -1, 4, 0, 0, 0, 0));
    check_graph("sigmoid", &g, r, 4.0f);
    for (int n = 1; n <= 4; n *= 2) {
        graph_init(&g, s);
        x = conv(&g, 0, 4, 3);
        head(&g, add(&g, SOFTMAX, x, -1, 4, n, 0, 0, 0));
        check_graph(n == 1 ? "softmax n1" : n == 2 ? "softmax n2" : "softmax n4", &g, r, 4.0f);
        graph_init(&g, s);
        x = conv(&g, 0, 4, 3);
        head(&g, add(&g, GSUM, x, -1, 4 / n, n, 0, 0, 0));
        check_graph("group_sum", &g, r, 2.0f);
        graph_init(&g, s);
        x = conv(&g, 0, 4, 3);
        head(&g, add(&g, GMAX, x, -1, 4 / n, n, 0, 0, 0));
        check_graph("group_max", &g, r, 2.0f);
    }
    graph_init(&g, s);
    x = conv(&g, 0, 3, 3);
    head(&g, add(&g, REPEAT, x, -1, 6, 2, 0, 0, 0));
    check_graph("repeat", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 5, 3);
    head(&g, add(&g, SLICE, x, -1, 2, 3, 0, 0, 0));
    check_graph("slice", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 2, 3);
    head(&g, add(&g, CONCAT, x, conv(&g, x, 3, 5), 5, 0, 0, 0, 0));
    check_graph("concat", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 3, 3);
    head(&g, add(&g, ADD, conv(&g, x, 3, 3), x, 3, 0, 0, 0, 0));
    check_graph("add", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 3, 3);
    head(&g, add(&g, MUL, x, conv(&g, x, 3, 1), 3, 0, 0, 0, 0));
    check_graph("mul", &g, r, 2.0f);
    graph_init(&g, s);
    x = conv(&g, 0, 3, 3);
    head(&g, add(&g, MUL, x, conv(&g, x, 1, 3), 3, 0, 0, 0, 0));
    check_graph("mul by 1 channel", &g, r, 2.0f);
    /* MEAN_STD in LR and HR, G-space layers, MUL by G. */
    graph_init(&g, s);
    x = conv(&g, 0, 3, 3);
    int gv = add(&g, MSTD, x, -1, 3, 0, 0, 0, 0);
    gv = add(&g, SIGMOID, add(&g, PRELU, conv(&g, gv, 3, 1), -1, 3, 0, 0, 0, 0), -1, 3, 0, 0, 0, 0);
    head(&g, add(&g, MUL, x, gv, 3, 0, 0, 0, 0));
    check_graph("mean_std lr", &g, r, 2.0f);
    graph_init(&g, s);
    x = add(&g, DECONV, conv(&g, 0, 2, 3), -1, 2, s + 2, s, 1, 0);
    gv = add(&g, MSTD, x, -1, 2, 0, 0, 0, 0);
    int g2 = add(&g, ADD, gv, add(&g, RELU, conv(&g, gv, 2, 1), -1, 2, 0, 0, 0, 0), 2, 0, 0, 0, 0);
    g2 = add(&g, SLICE, add(&g, CONCAT, g2, gv, 4, 0, 0, 0, 0), -1, 2, 1, 0, 0, 0);
    head(&g, add(&g, MUL, x, g2, 2, 0, 0, 0, 0));
    check_graph("mean_std hr", &g, r, 2.0f);
}

/* -------------------------------------------------------- real graphs */

static void fsrcnn(Graph *g, int s, int d, int sh, int m)
{
    graph_init(g, s);
    int x = add(g, PRELU, conv(g, 0, d, 5), -1, d, 0, 0, 0, 0);
    x = add(g, PRELU, conv(g, x, sh, 1), -1, sh, 0, 0, 0, 0);
    for (int i = 0; i < m; i++)
        x = add(g, PRELU, conv(g, x, sh, 3), -1, sh, 0, 0, 0, 0);
    x = add(g, PRELU, conv(g, x, d, 1), -1, d, 0, 0, 0, 0);
    /* PyTorch FSRCNN: ConvTranspose2d(d, 1, 9, s, padding=4, output_padding=s-1) */
    add(g, DECONV, x, -1, 1, 9, s, 4, s - 1);
}

static void ecbsr(Graph *g, int s, int c, int m)
{
    graph_init(g, s);
    int x = add(g, PRELU, conv(g, 0, c, 3), -1, c, 0, 0, 0, 0);
    for (int i = 0; i < m; i++)
        x = add(g, PRELU, conv(g, x, c, 3), -1, c, 0, 0, 0, 0);
    x = conv(g, x, s * s, 3);
    x = add(g, ADD, x, add(g, REPEAT, 0, -1, s * s, s * s, 0, 0, 0), s * s, 0, 0, 0, 0);
    add(g, PS, x, -1, 1, s, 0, 0, 0);
}

/* eSR: a k x k CONV to s^2 * (1, 2 or 3) * C channels, PIXEL_SHUFFLE, then
 * MAX: the max over C; TM: softmax(first C) . second C; TR: softmax(q * k) . v. */
static void esr(Graph *g, int s, int kind, int c, int k)
{
    graph_init(g, s);
    const int parts = kind + 1;
    const int x = add(g, PS, conv(g, 0, s * s * parts * c, k), -1, parts * c, s, 0, 0, 0);
    if (kind == 0) {
        add(g, GMAX, x, -1, 1, c, 0, 0, 0);
        return;
    }
    const int a = add(g, SLICE, x, -1, c, 0, 0, 0, 0), b = add(g, SLICE, x, -1, c, c, 0, 0, 0);
    int w;
    if (kind == 1) {
        w = add(g, SOFTMAX, a, -1, c, c, 0, 0, 0);
        add(g, GSUM, add(g, MUL, w, b, c, 0, 0, 0, 0), -1, 1, c, 0, 0, 0);
    } else {
        const int v = add(g, SLICE, x, -1, c, 2 * c, 0, 0, 0);
        w = add(g, SOFTMAX, add(g, MUL, a, b, c, 0, 0, 0, 0), -1, c, c, 0, 0, 0);
        add(g, GSUM, add(g, MUL, w, v, c, 0, 0, 0, 0), -1, 1, c, 0, 0, 0);
    }
}

/* IMDN: blocks of progressive distillation (SLICE / CONCAT), each with
 * contrast-aware channel attention (MEAN_STD -> 1x1 -> ReLU -> 1x1 ->
 * sigmoid -> MUL); the second block's statistics depend on the first's. */
static void imdn(Graph *g, int s, int c, int blocks)
{
    graph_init(g, s);
    const int d = c / 4;
    const int fea = conv(g, 0, c, 3);
    int x = fea;
    for (int bl = 0; bl < blocks; bl++) {
        const int in = x;
        int t = add(g, PRELU, conv(g, in, c, 3), -1, c, 0, 0, 0, 0);
        const int d1 = add(g, SLICE, t, -1, d, 0, 0, 0, 0);
        int rest = add(g, SLICE, t, -1, c - d, d, 0, 0, 0);
        t = add(g, PRELU, conv(g, rest, c, 3), -1, c, 0, 0, 0, 0);
        const int d2 = add(g, SLICE, t, -1, d, 0, 0, 0, 0);
        rest = add(g, SLICE, t, -1, c - d, d, 0, 0, 0);
        const int d3 = conv(g, rest, d, 3);
        int cat = add(g, CONCAT, add(g, CONCAT, d1, d2, 2 * d, 0, 0, 0, 0), d3, 3 * d, 0, 0, 0, 0);
        int st = add(g, MSTD, cat, -1, 3 * d, 0, 0, 0, 0);
        st = add(g, RELU, conv(g, st, d, 1), -1, d, 0, 0, 0, 0);
        st = add(g, SIGMOID, conv(g, st, 3 * d, 1), -1, 3 * d, 0, 0, 0, 0);
        cat = add(g, MUL, cat, st, 3 * d, 0, 0, 0, 0);
        x = add(g, ADD, conv(g, cat, c, 1), in, c, 0, 0, 0, 0);
    }
    x = add(g, ADD, conv(g, x, c, 3), fea, c, 0, 0, 0, 0);
    add(g, PS, conv(g, x, s * s, 3), -1, 1, s, 0, 0, 0);
}

static void graphs_for_scale(int s, TestRng *r)
{
    Graph g;
    fsrcnn(&g, s, 8, 4, 1);
    check_graph("fsrcnn d8 s4 m1", &g, r, 1.5f);
    ecbsr(&g, s, 6, 2);
    check_graph("ecbsr c6 m2", &g, r, 1.5f);
    esr(&g, s, 0, 3, 5);
    check_graph("esr-max c3 k5", &g, r, 1.5f);
    esr(&g, s, 0, 4, 5);
    check_graph("esr-max c4 k5", &g, r, 1.5f);
    esr(&g, s, 1, 4, 3);
    check_graph("esr-tm c4 k3", &g, r, 1.5f);
    esr(&g, s, 2, 2, 5);
    check_graph("esr-tr c2 k5", &g, r, 1.5f);
    imdn(&g, s, 8, 2);
    check_graph("imdn c8 2 blocks", &g, r, 1.5f);
}

/* ---------------------------------------------------------- invariance */

/* The whole frame through the executor with tiles tile_cols LR columns
 * wide (c: the C versions, else the best SIMD ones). */
static uint8_t *engine_tiles(const LutsrModel *m, const TestPlane *src, int tile_cols, int c)
{
    void *priv = NULL;
    REQUIRE_OK(lutsr_cnn_ops.init(&priv, m, c ? 0 : lutsr_cpu_flags()));
    lutsr_cnn_set_tile_cols(priv, tile_cols);
    const int s = m->scale, w = src->p.width, h = src->p.height, W = w * s;
    const size_t ss = lutsr_cnn_ops.scratch_size(priv, w);
    uint8_t *scratch = aligned_alloc(LUTSR_ALIGN, (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1));
    uint8_t *out = malloc((size_t)W * h * s);
    REQUIRE(scratch && out);
    lutsr_cnn_ops.rows(priv, &src->p, 0, h, out, W, scratch);
    lutsr_cnn_ops.uninit(&priv);
    free(scratch);
    return out;
}

/* Tiles 1, 7 and 16 columns wide give the bytes of the default tiles
 * (wider than these frames), with the C and the SIMD versions; and with
 * the default tiles, the scratch is the same for a 4,096 and a 65,536
 * pixel wide frame. */
static void check_tile_widths(const char *what, const LutsrModel *m, const TestPlane *a,
                              const uint8_t *ref)
{
    const int s = m->scale, W = a->p.width * s, H = a->p.height * s;
    uint8_t *ref_c = engine_cpu(m, a, 1, LUTSR_CPU_NONE);
    static const int widths[] = { 1, 7, 16 };
    for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
        for (int c = 0; c <= 1; c++) {
            uint8_t *got = engine_tiles(m, a, widths[i], c);
            REQUIRE_PLANE_EQ(got, W, c ? ref_c : ref, W, W, H, "%s: tiles %d columns wide (%s)", what,
                             widths[i], c ? "c" : "simd");
            free(got);
        }
    free(ref_c);
    void *priv = NULL;
    REQUIRE_OK(lutsr_cnn_ops.init(&priv, m, lutsr_cpu_flags()));
    const size_t narrow = lutsr_cnn_ops.scratch_size(priv, 4096), wide = lutsr_cnn_ops.scratch_size(priv, 65536);
    REQUIRE_CMP(narrow, ==, wide); /* scratch at 4096 wide vs 65536 */
    lutsr_cnn_ops.uninit(&priv);
}

/* Threads 1, 2, 3 and row splits (odd, some cutting source rows so lib.c
 * goes through row()) give the same bytes; a second frame between two
 * runs of the first does not leak its MEAN_STD statistics. */
static void check_invariance(const char *what, const Graph *g, int w, int h, TestRng *r)
{
    LutsrModel *m = graph_model(g, r, 1.5f);
    const int s = m->scale, W = w * s, H = h * s;
    TestPlane a, b;
    test_plane_alloc(&a, w, h, 3);
    test_plane_alloc(&b, w, h, 3);
    REQUIRE(a.p.data && b.p.data);
    test_plane_fill(&a, r);
    test_plane_fill(&b, r);
    uint8_t *ref = engine(m, &a, 1), *ref_b = engine(m, &b, 1);
    REQUIRE(memcmp(ref, ref_b, (size_t)W * H));
    check_tile_widths(what, m, &a, ref);
    for (int threads = 2; threads <= 3; threads++) {
        uint8_t *got = engine(m, &a, threads);
        REQUIRE_PLANE_EQ(got, W, ref, W, W, H, "%s: threads %d vs 1", what, threads);
        free(got);
    }
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = 2;
    LutsrContext *c = NULL;
    REQUIRE_OK(lutsr_open(&c, m, &o));
    uint8_t *got = malloc((size_t)W * H);
    REQUIRE(got);
    LutsrPlane dst = { got, W, W, H };
    for (int round = 0; round < 3; round++) {
        const TestPlane *src = round == 1 ? &b : &a;
        memset(got, 0x5a, (size_t)W * H);
        int y = 0, job = 0;
        while (y < H) {
            const int n = 1 + (int)test_rng_below(r, (uint32_t)(2 * s * 7 + 1));
            const int y1 = y + n < H ? y + n : H;
            REQUIRE_OK(lutsr_upscale_luma_rows(c, &src->p, &dst, y, y1, job));
            job ^= 1;
            y = y1;
        }
        REQUIRE_PLANE_EQ(got, W, round == 1 ? ref_b : ref, W, W, H, "%s: row splits, frame %d", what, round);
    }
    lutsr_close(&c);
    free(got);
    free(ref);
    free(ref_b);
    test_plane_free(&a);
    test_plane_free(&b);
    lutsr_model_close(&m);
    printf("%-28s threads 1/2/3, row splits, tile widths identical\n", what);
}

/* The statistics passes without their row-sum buffer (what the executor
 * falls back to when it cannot allocate one: tiles one at a time, in
 * order, sums added at once) give the bytes of the shared passes. */
static void check_stats_in_order(const Graph *g, int w, int h, TestRng *r)
{
    LutsrModel *m = graph_model(g, r, 1.5f);
    const int s = m->scale, W = w * s, H = h * s;
    TestPlane a;
    test_plane_alloc(&a, w, h, 0);
    REQUIRE(a.p.data);
    test_plane_fill(&a, r);
    uint8_t *want = engine(m, &a, 2);
    void *priv = NULL;
    REQUIRE_OK(lutsr_cnn_ops.init(&priv, m, lutsr_cpu_flags()));
    CnnContext *c = priv;
    c->rowsums_cap = SIZE_MAX; /* never allocates: the in-order path */
    const size_t ss = lutsr_cnn_ops.scratch_size(priv, w);
    uint8_t *scratch = aligned_alloc(LUTSR_ALIGN, (ss + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1));
    uint8_t *got = malloc((size_t)W * H);
    REQUIRE(scratch && got);
    lutsr_cnn_ops.rows(priv, &a.p, 0, h, got, W, scratch);
    REQUIRE(c->cache_valid && !c->st_per_row && !c->rowsums);
    REQUIRE_PLANE_EQ(got, W, want, W, W, H, "imdn: statistics in order vs shared");
    lutsr_cnn_ops.uninit(&priv);
    free(scratch);
    free(got);
    free(want);
    test_plane_free(&a);
    lutsr_model_close(&m);
    printf("%-28s statistics in order == shared passes\n", "imdn x2");
}

/* ------------------------------------------------------------ fused head */

/* Whether the executor runs model m's head fused. */
static int runs_fused(const LutsrModel *m)
{
    void *priv = NULL;
    REQUIRE_OK(lutsr_cnn_ops.init(&priv, m, 0));
    const int fused = ((const CnnContext *)priv)->max_head;
    lutsr_cnn_ops.uninit(&priv);
    return fused;
}

/* An eSR-MAX graph (optionally after a 3x3 CONV + PRELU of `pre`
 * channels, so the head's input is not the input plane, and for pre < 0
 * a 3x3 CONV to -pre channels times their MEAN_STD, so the statistics
 * pass runs beside the fused head) and the same
 * graph with a SLICE of all channels between PIXEL_SHUFFLE and GROUP_MAX,
 * which no fast path recognises, with the same weights. */
static void esr_pair(int s, int groups, int k, int pre, TestRng *r, LutsrModel **fused,
                     LutsrModel **plain)
{
    Graph a, b;
    for (int v = 0; v < 2; v++) {
        Graph *g = v ? &b : &a;
        graph_init(g, s);
        int x = 0;
        if (pre > 0)
            x = add(g, PRELU, conv(g, 0, pre, 3), -1, pre, 0, 0, 0, 0);
        if (pre < 0) {
            x = conv(g, 0, -pre, 3);
            x = add(g, MUL, x, add(g, MSTD, x, -1, -pre, 0, 0, 0, 0), -pre, 0, 0, 0, 0);
        }
        x = add(g, PS, conv(g, x, s * s * groups, k), -1, groups, s, 0, 0, 0);
        if (v)
            x = add(g, SLICE, x, -1, groups, 0, 0, 0, 0);
        add(g, GMAX, x, -1, 1, groups, 0, 0, 0);
    }
    *fused = graph_model(&a, r, 1.5f);
    *plain = graph_model(&b, r, 1.5f);
    /* Same weights: the layers up to the PIXEL_SHUFFLE match one to one. */
    for (int i = 0; i < a.n - 1; i++) {
        const LutsrCnnLayer *la = &(*fused)->layers[i];
        LutsrCnnLayer *lb = &(*plain)->layers[i];
        REQUIRE(la->n_w == lb->n_w && la->n_b == lb->n_b && la->n_a == lb->n_a);
        if (la->n_w)
            memcpy((float *)lb->w, la->w, la->n_w * sizeof(float));
        if (la->n_b)
            memcpy((float *)lb->b, la->b, la->n_b * sizeof(float));
        if (la->n_a)
            memcpy((float *)lb->a, la->a, la->n_a * sizeof(float));
    }
    REQUIRE(runs_fused(*fused));
    REQUIRE(!runs_fused(*plain));
}

/* c_too: with the C versions as well as the best SIMD ones. */
static void check_fused_case(int s, int groups, int k, int pre, int w, int h, int threads,
                             int c_too, TestRng *r)
{
    LutsrModel *fused, *plain;
    esr_pair(s, groups, k, pre, r, &fused, &plain);
    TestPlane src;
    test_plane_alloc(&src, w, h, (int)test_rng_below(r, 5));
    REQUIRE(src.p.data);
    test_plane_fill(&src, r);
    const int W = w * s, H = h * s;
    static const LutsrCpu cpus[] = { LUTSR_CPU_NONE, LUTSR_CPU_AUTO };
    for (int i = !c_too; i < 2; i++) {
        uint8_t *want = engine_cpu(plain, &src, 1, cpus[i]);
        uint8_t *got = engine_cpu(fused, &src, threads, cpus[i]);
        REQUIRE_PLANE_EQ(got, W, want, W, W, H, "esr-max x%d groups %d k%d pre %d %dx%d, %s, %d threads: "
                         "fused vs layer by layer", s, groups, k, pre, w, h, i ? "auto" : "c", threads);
        free(want);
        free(got);
    }
    test_plane_free(&src);
    lutsr_model_close(&fused);
    lutsr_model_close(&plain);
}

static void check_fused(TestRng *r)
{
    static const int sz[][2] = { { 1, 1 }, { 7, 5 }, { 17, 3 }, { 33, 19 }, { 50, 2 } };
    int n = 0;
    for (int s = 2; s <= 4; s++)
        for (int k = 1; k <= 9; k += 2)
            for (size_t i = 0; i < sizeof(sz) / sizeof(sz[0]); i++, n++)
                check_fused_case(s, 1 + (int)test_rng_below(r, 6), k, n % 4 == 3 ? 2 : n % 4 == 1 ? -2 : 0,
                                 sz[i][0], sz[i][1], 1 + n % 3, 1, r);
    /* The shipped shape, one big odd frame (many tiles and jobs; SIMD
     * only, the C versions are slow under sanitizers). */
    check_fused_case(2, 4, 5, 0, 1921, 1081, 2, 0, r);
    printf("%-28s %d cases identical to layer by layer (c and simd)\n", "esr-max fused head", n + 1);
}

int main(void)
{
    TestRng r;
    test_rng_seed(&r, test_seed(0xc4411));
    for (int s = 2; s <= 4; s++)
        ops_for_scale(s, &r);
    for (int s = 2; s <= 4; s++)
        graphs_for_scale(s, &r);

    Graph g;
    fsrcnn(&g, 3, 8, 4, 2);
    check_invariance("fsrcnn x3", &g, 45, 71, &r);
    ecbsr(&g, 2, 4, 3);
    check_invariance("ecbsr x2", &g, 33, 67, &r);
    imdn(&g, 4, 8, 2);
    check_invariance("imdn x4", &g, 29, 53, &r);
    imdn(&g, 2, 8, 3); /* many tiles for the jobs to share */
    check_invariance("imdn x2, 3 blocks", &g, 23, 157, &r);
    check_stats_in_order(&g, 23, 157, &r);
    esr(&g, 2, 2, 2, 7);
    check_invariance("esr-tr x2", &g, 17, 40, &r);
    esr(&g, 2, 0, 4, 5);
    check_invariance("esr-max x2 (fused)", &g, 37, 29, &r);
    esr(&g, 3, 0, 5, 3);
    check_invariance("esr-max x3 (fused)", &g, 19, 23, &r);
    check_fused(&r);
    return 0;
}
