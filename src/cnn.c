/*
 * CNN kernel (kind 16): the C reference executor of the layer graph in
 * docs/cnn.md (normative), and its LutsrKernelOps glue.
 *
 * Tiling. rows() works through the requested source rows in tiles of
 * c->tile_rows LR rows by c->tile_cols LR columns. For a tile, the rows of
 * every buffer it needs are found backwards from the output (plan_needs):
 * a k x k CONV needs k/2 more rows of its input on each side, DECONV and
 * PIXEL_SHUFFLE map HR rows to the LR rows that feed them; ranges are
 * clipped to the plane only. The kernels are square, so the columns follow
 * the same rules (HR column ranges widened to whole LR columns, which the
 * DECONV and PIXEL_SHUFFLE kernels produce). Then the layers run forwards
 * over those rows and columns, each reading its input through a view
 * whose column 0 is its output's first column. Every computed value is
 * therefore exactly the whole-frame value (zero padding happens only at
 * the true image edges; a tile's inner edges read the computed halo), so
 * the bytes do not depend on tiles, bands or threads, and scratch is
 * bounded by the tile size x channels, whatever the frame size. Buffers
 * share scratch where their lifetimes (producing layer .. last reader) do
 * not overlap.
 *
 * Plane edges. The graph runs on the source plane extended by c->edge
 * LR pixels on every side, each extra pixel a copy of the nearest edge
 * pixel (docs/cnn.md, "Plane edges"), and the output is that plane's
 * centre: Dims are the extended plane's, forward() reads the source
 * clamped, rows() writes only the centre's tiles. The extension is
 * virtual (no copy); its cost is the ring's values the edge tiles need
 * (and the ring's share of the statistics passes).
 *
 * Fused head. A graph ending in eSR-MAX's CONV -> PIXEL_SHUFFLE ->
 * GROUP_MAX (find_max_head()) skips those three layers in forward(): rows()
 * hands the CONV's input rows of the tile to dsp.max_head, which writes the
 * output pixels directly (see "Fused head" below). Its buffers take no
 * scratch.
 *
 * Global statistics. MEAN_STD pools over the whole plane, which no tile
 * sees. Once per frame, before any output, the part of the graph that
 * feeds the MEAN_STD layers runs over the whole frame, tile by tile (sums
 * in double, per row, each row's running sum carried across the column
 * tiles in order, so it is the full row's sum; then rows in order), and
 * then every G-space layer.
 * MEAN_STD layers whose input depends on another's result (stacked IMDN
 * blocks) take one more such pass each, so these passes are most of an
 * IMDN frame's work. The jobs of the frame (lib.c runs them in parallel)
 * share them: each takes tiles of the current pass until none is left,
 * and keeps its rows' sums per row, which the pass's last job adds up in
 * row order, so the values do not depend on which job ran which tile.
 * The G values are cached in the context, keyed by the CRC-32 of the
 * source plane's bytes plus its size, under a mutex; later jobs only copy
 * them. Two different planes with the same size and CRC would share
 * statistics (a 2^-32 chance per frame change).
 *
 * Arithmetic: float32, each sum in the order docs/cnn.md states (input
 * channel, then kernel row, then column; the bias added last), products
 * and sums rounded separately (no fused multiply-add).
 *
 * SIMD: init() picks c->dsp (cnn.h) from the context's capped CPU flags:
 * CONV / DECONV on LR and HR planes (G-space ones stay here), PRELU and
 * the output conversion. The CONV / DECONV versions may reorder and fuse
 * (docs/cnn.md, "Precision"); the element-wise ones are bit-exact.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cnn.h"
#include "mem.h"

/* GCC already keeps a*b+c unfused in ISO C mode (-std=c11); this keeps it
 * so under -std=gnu11 or -march flags with FMA. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* Height and width of each space for one plane. */
typedef struct Dims { int h[3], w[3]; } Dims;

static Dims dims_of(int scale, int h, int w)
{
    Dims d = { { h, h * scale, 1 }, { w, w * scale, 1 } };
    return d;
}

/* The dims of an h x w source plane extended by the context's edge. */
static Dims plane_dims(const CnnContext *c, int h, int w)
{
    return dims_of(c->scale, h + 2 * c->edge, w + 2 * c->edge);
}

static size_t round16(size_t n)
{
    return (n + 15) / 16 * 16;
}

/* Floats per stored channel row of a width-w space (see CNN_PAD), a
 * multiple of 16 (64 bytes). */
static size_t pitch_of(int w)
{
    return CNN_PAD + round16((size_t)w) + CNN_PAD_R;
}

/* Columns the inner loops compute for a row of width w: whole blocks of
 * 16 in the padded LR/HR rows (the extra ones land in the padding, which
 * is cleared after), exactly 1 in G buffers, which have no padding. */
static int cols_of(int w, ptrdiff_t pitch)
{
    return pitch > 1 ? (int)round16((size_t)w) : w;
}

typedef CnnView View;

static inline float *vrow(const View *v, int y, int ch)
{
    return cnn_vrow(v, y, ch);
}

static int floor_div(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int mini(int a, int b) { return a < b ? a : b; }
static int maxi(int a, int b) { return a > b ? a : b; }

/* ------------------------------------------------------------------------ */
/* Planning                                                                 */

/* Adds rows [a, b) of buffer j (in its space) to what is needed. G buffers
 * are always whole and come from the statistics pass. */
static void need(const CnnContext *c, const Dims *d, int j, int a, int b, int lo[], int hi[])
{
    if (c->space[j] == LUTSR_CNN_G)
        return;
    a = maxi(a, 0);
    b = mini(b, d->h[c->space[j]]);
    if (a >= b)
        return;
    if (lo[j] >= hi[j]) {
        lo[j] = a;
        hi[j] = b;
    } else {
        lo[j] = mini(lo[j], a);
        hi[j] = maxi(hi[j], b);
    }
}

/* From the needed rows of some buffers (set by the caller), those of all
 * the buffers they are computed from. Consumers of buffer j are layers
 * >= j, so going backwards each buffer's range is complete when its
 * producer is reached. */
static void plan_needs(const CnnContext *c, const Dims *d, int align, int lo[], int hi[])
{
    for (int i = c->n_layers - 1; i >= 0; i--) {
        const LutsrCnnLayer *l = &c->layers[i];
        const int j = i + 1;
        if (c->space[j] == LUTSR_CNN_G || lo[j] >= hi[j])
            continue;
        if (align && (l->op == LUTSR_CNN_DECONV || l->op == LUTSR_CNN_PIXEL_SHUFFLE)) {
            /* whole LR columns (the plane's width is a multiple of s) */
            const int s = l->p[l->op == LUTSR_CNN_DECONV ? 1 : 0];
            lo[j] = floor_div(lo[j], s) * s;
            hi[j] = floor_div(hi[j] + s - 1, s) * s;
        }
        int a = lo[j], b = hi[j];
        if (l->op == LUTSR_CNN_CONV) {
            a -= l->p[0] / 2;
            b += l->p[0] / 2;
        } else if (l->op == LUTSR_CNN_DECONV) {
            /* Y = y*s - pad + u, 0 <= u < k: y from ceil((Y+pad-k+1)/s) to floor((Y+pad)/s). */
            const int k = l->p[0], s = l->p[1], pad = l->p[2];
            a = floor_div(a + pad - k + s, s);
            b = floor_div(b - 1 + pad, s) + 1;
        } else if (l->op == LUTSR_CNN_PIXEL_SHUFFLE) {
            a = floor_div(a, l->p[0]);
            b = floor_div(b - 1, l->p[0]) + 1;
        }
        need(c, d, l->in0, a, b, lo, hi);
        if (l->in1 >= 0)
            need(c, d, l->in1, a, b, lo, hi);
    }
}

/* Rows (or columns) [t0, t1) of the LR plane in buffer j's space. */
static void tile_range(const CnnContext *c, int j, int t0, int t1, int *a, int *b)
{
    const int s = c->space[j] == LUTSR_CNN_HR ? c->scale : 1;
    *a = t0 * s;
    *b = t1 * s;
}

/* Seeds of a pass for LR rows [t0, t1): the output (stats_mask NULL) or the
 * inputs of the MEAN_STD layers set in stats_mask. Columns: d transposed
 * (across()) and align set. */
static void seed(const CnnContext *c, const Dims *d, const uint8_t *stats_mask, int align,
                 int t0, int t1, int lo[], int hi[])
{
    memset(lo, 0, CNN_MAX_BUFFERS * sizeof(*lo));
    memset(hi, 0, CNN_MAX_BUFFERS * sizeof(*hi));
    int a, b;
    if (!stats_mask) {
        tile_range(c, c->n_layers, t0, t1, &a, &b);
        need(c, d, c->n_layers, a, b, lo, hi);
    } else {
        for (int i = 0; i < c->n_layers; i++) {
            if (!stats_mask[i])
                continue;
            tile_range(c, c->layers[i].in0, t0, t1, &a, &b);
            need(c, d, c->layers[i].in0, a, b, lo, hi);
        }
    }
    plan_needs(c, d, align, lo, hi);
}

/* The plane's columns as rows, for planning a tile's columns. */
static Dims across(const Dims *d)
{
    Dims t = { { d->w[0], d->w[1], d->w[2] }, { d->h[0], d->h[1], d->h[2] } };
    return t;
}

/* Most rows (or columns, align set) of each buffer a tile of n LR rows
 * needs: the ranges are translation invariant (tiles start on LR rows, HR
 * ranges move by scale), and clipping or a shorter tile only shrinks them,
 * so one tile far from the edges of a tall plane gives the bound. */
static void max_extent(const CnnContext *c, const uint8_t *stats_mask, int align, int n, int ext[])
{
    const int t0 = 1 << 20;
    const Dims d = dims_of(c->scale, 1 << 22, 1);
    int lo[CNN_MAX_BUFFERS], hi[CNN_MAX_BUFFERS];
    seed(c, &d, stats_mask, align, t0, t0 + n, lo, hi);
    for (int j = 0; j <= c->n_layers; j++)
        ext[j] = hi[j] - lo[j];
}

/* Offsets (floats) of each buffer in scratch: first fit among the buffers
 * alive at the same time. Buffer j is written by layer j-1 and read up to
 * layer death[j]. pitch: floats per stored channel row (the most columns
 * a tile stores, capped by the plane's width). */
typedef struct Layout { size_t off[CNN_MAX_BUFFERS], pitch[CNN_MAX_BUFFERS], total; } Layout;

static int tile_width(const CnnContext *c, const int cols[], const Dims *d, int j)
{
    return mini(cols[j], d->w[c->space[j]]);
}

static void layout(const CnnContext *c, const int rows[], const int cols[], const Dims *d, Layout *lay)
{
    size_t size[CNN_MAX_BUFFERS];
    lay->total = 0;
    for (int j = 0; j <= c->n_layers; j++) {
        lay->pitch[j] = c->space[j] == LUTSR_CNN_G ? 1 : pitch_of(tile_width(c, cols, d, j));
        size[j] = c->space[j] == LUTSR_CNN_G ? 0 :
                  (size_t)rows[j] * (size_t)c->ch[j] * lay->pitch[j];
        size_t off = 0;
        for (int moved = 1; moved; ) {
            moved = 0;
            for (int k = 0; k < j; k++)
                if (size[k] && size[j] && j - 1 <= c->death[k] &&
                    off < lay->off[k] + size[k] && lay->off[k] < off + size[j]) {
                    off = lay->off[k] + size[k];
                    moved = 1;
                }
        }
        lay->off[j] = off;
        if (off + size[j] > lay->total)
            lay->total = off + size[j];
    }
}

/* ------------------------------------------------------------------------ */
/* Layers                                                                   */

/* acc[x] += wt * src[x] for x < n. Blocks of 16 with a fixed count let
 * the compiler vectorise at -O2 without changing any per-pixel order. */
static inline void mac_row(float *restrict acc, const float *restrict src, float wt, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            acc[x + i] += wt * src[x + i];
    for (; x < n; x++)
        acc[x] += wt * src[x];
}

static inline void bias_row(float *restrict dst, const float *restrict acc, float b, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = b + acc[x + i];
    for (; x < n; x++)
        dst[x] = b + acc[x];
}

/* Output channel o of row y, n columns, without the bias: the sum in
 * the order c, u, v. Shared by the layer and the fused head, so both
 * compute every value by the same operations. */
static void conv_sum_row(const LutsrCnnLayer *l, const View *in, int h, int y, int o,
                         float *restrict acc, int n)
{
    const int k = l->p[0], r = k / 2, nc = l->c_in;
    memset(acc, 0, (size_t)n * sizeof(*acc));
    for (int ch = 0; ch < nc; ch++)
        for (int u = 0; u < k; u++) {
            const int yy = y + u - r;
            if (yy < 0 || yy >= h)
                continue; /* zero padding: its terms add nothing */
            const float *src = vrow(in, yy, ch) - r;
            const float *wt = l->w + (((size_t)o * nc + ch) * k + u) * k;
            for (int v = 0; v < k; v++)
                mac_row(acc, src + v, wt[v], n);
        }
}

void lutsr_cnn_conv_c(const LutsrCnnLayer *l, const View *in, const View *out, int h, int w,
                      int y0, int y1, float *restrict acc)
{
    const int n = cols_of(w, out->pitch);
    for (int y = y0; y < y1; y++)
        for (int o = 0; o < l->c_out; o++) {
            conv_sum_row(l, in, h, y, o, acc, n);
            bias_row(vrow(out, y, o), acc, l->b[o], n);
        }
}

/* Output pixel X = q*s + p of an HR row gets, per input channel and
 * kernel row u, at most one term per kernel column v: the one from
 * x = (X + pad - v) / s where that divides, i.e. for the v of phase
 * p = (v - pad) mod s, from x = q - off_v. Accumulating each phase p in
 * its own contiguous row acc[p] (q = 0 .. w_in-1) keeps the per-pixel
 * order c, u, v and makes the inner loop a plain mac_row(); the phases are
 * interleaved into the output row at the end. x outside the row reads the
 * padding (zero at the image's edges, the halo at a tile's inner edges;
 * |off| <= 4). */
void lutsr_cnn_deconv_c(const LutsrCnnLayer *l, const View *in, const View *out, int h_in, int w_in,
                        int y0, int y1, float *restrict acc)
{
    const int k = l->p[0], s = l->p[1], pad = l->p[2], nc = l->c_in, no = l->c_out;
    const size_t stride = round16((size_t)w_in) + 16; /* per phase: room for a last block of 16 */
    for (int y = y0; y < y1; y++)
        for (int o = 0; o < no; o++) {
            memset(acc, 0, (size_t)s * stride * sizeof(*acc));
            for (int ch = 0; ch < nc; ch++)
                for (int u = 0; u < k; u++) {
                    const int t = y + pad - u;
                    if (t < 0 || t % s || t / s >= h_in)
                        continue;
                    const float *src = vrow(in, t / s, ch);
                    const float *wt = l->w + (((size_t)ch * no + o) * k + u) * k;
                    for (int v = 0; v < k; v++) {
                        const int p = ((v - pad) % s + s) % s, off = (v - pad - p) / s;
                        mac_row(acc + (size_t)p * stride, src - off, wt[v], (int)round16((size_t)w_in));
                    }
                }
            float *dst = vrow(out, y, o);
            const float b = l->b[o];
            for (int p = 0; p < s; p++)
                for (int q = 0; q < w_in; q++)
                    dst[q * s + p] = b + acc[(size_t)p * stride + q];
        }
}

/* Element-wise rows, restrict and in blocks of 16 like mac_row() so the
 * compiler vectorises them at -O2 (the ops are exact: any width gives the
 * same bits). The executor never runs a layer in place. */
static void relu_row(float *restrict dst, const float *restrict a, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = a[x + i] > 0.0f ? a[x + i] : 0.0f;
    for (; x < n; x++)
        dst[x] = a[x] > 0.0f ? a[x] : 0.0f;
}

/* (GCC does not vectorise this select; the SIMD versions have their own.) */
static void prelu_row(float *restrict dst, const float *restrict a, float slope, int n)
{
    for (int x = 0; x < n; x++)
        dst[x] = a[x] >= 0.0f ? a[x] : slope * a[x];
}

static void add_row(float *restrict dst, const float *restrict a, const float *restrict b, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = a[x + i] + b[x + i];
    for (; x < n; x++)
        dst[x] = a[x] + b[x];
}

static void mul_row(float *restrict dst, const float *restrict a, const float *restrict b, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = a[x + i] * b[x + i];
    for (; x < n; x++)
        dst[x] = a[x] * b[x];
}

static void scale_row(float *restrict dst, const float *restrict a, float g, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = a[x + i] * g;
    for (; x < n; x++)
        dst[x] = a[x] * g;
}

/* dst = max(dst, a) as `a > dst ? a : dst`, or dst += a. */
static void max_row(float *restrict dst, const float *restrict a, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] = a[x + i] > dst[x + i] ? a[x + i] : dst[x + i];
    for (; x < n; x++)
        dst[x] = a[x] > dst[x] ? a[x] : dst[x];
}

static void acc_row(float *restrict dst, const float *restrict a, int n)
{
    int x = 0;
    for (; x + 16 <= n; x += 16)
        for (int i = 0; i < 16; i++)
            dst[x + i] += a[x + i];
    for (; x < n; x++)
        dst[x] += a[x];
}

static float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Per-pixel ops (and PIXEL_SHUFFLE, a pure move) on rows [y0, y1) of the
 * output, w pixels wide. */
static void pointwise(const CnnContext *c, const LutsrCnnLayer *l, const View *in, const View *in1,
                      const View *out, int w, int y0, int y1, float *tmp)
{
    const int nc = l->c_in, no = l->c_out;
    for (int y = y0; y < y1; y++) {
        switch (l->op) {
        case LUTSR_CNN_RELU:
            for (int ch = 0; ch < no; ch++) {
                relu_row(vrow(out, y, ch), vrow(in, y, ch), w);
            }
            break;
        case LUTSR_CNN_PRELU:
            for (int ch = 0; ch < no; ch++)
                c->dsp.prelu(vrow(out, y, ch), vrow(in, y, ch), l->a[l->n_a == 1 ? 0 : ch], w);
            break;
        case LUTSR_CNN_PIXEL_SHUFFLE: {
            const int r = l->p[0], i = y % r, wl = w / r;
            for (int ch = 0; ch < no; ch++) {
                float *dst = vrow(out, y, ch);
                for (int j = 0; j < r; j++) {
                    const float *a = vrow(in, y / r, ch * r * r + i * r + j);
                    for (int x = 0; x < wl; x++)
                        dst[x * r + j] = a[x];
                }
            }
            break;
        }
        case LUTSR_CNN_ADD:
            for (int ch = 0; ch < no; ch++)
                add_row(vrow(out, y, ch), vrow(in, y, ch), vrow(in1, y, ch), w);
            break;
        case LUTSR_CNN_MUL: {
            const int global = c->space[l->in1] == LUTSR_CNN_G;
            for (int ch = 0; ch < no; ch++) {
                if (global)
                    scale_row(vrow(out, y, ch), vrow(in, y, ch), vrow(in1, 0, ch)[0], w);
                else
                    mul_row(vrow(out, y, ch), vrow(in, y, ch),
                            vrow(in1, y, l->c_in1 == 1 ? 0 : ch), w);
            }
            break;
        }
        case LUTSR_CNN_CONCAT:
            for (int ch = 0; ch < no; ch++)
                memcpy(vrow(out, y, ch), ch < nc ? vrow(in, y, ch) : vrow(in1, y, ch - nc),
                       (size_t)w * sizeof(float));
            break;
        case LUTSR_CNN_SLICE:
            for (int ch = 0; ch < no; ch++)
                memcpy(vrow(out, y, ch), vrow(in, y, l->p[0] + ch), (size_t)w * sizeof(float));
            break;
        case LUTSR_CNN_SIGMOID:
            for (int ch = 0; ch < no; ch++) {
                const float *a = vrow(in, y, ch);
                float *dst = vrow(out, y, ch);
                for (int x = 0; x < w; x++)
                    dst[x] = sigmoidf(a[x]);
            }
            break;
        case LUTSR_CNN_SOFTMAX: {
            /* tmp: the group's max, then the sum of its exponentials. */
            const int n = l->p[0];
            float *m = tmp, *sum = tmp + ((size_t)w + 15) / 16 * 16;
            for (int g = 0; g < nc; g += n) {
                memcpy(m, vrow(in, y, g), (size_t)w * sizeof(float));
                for (int j = 1; j < n; j++) {
                    const float *a = vrow(in, y, g + j);
                    for (int x = 0; x < w; x++)
                        m[x] = a[x] > m[x] ? a[x] : m[x];
                }
                for (int j = 0; j < n; j++) {
                    const float *a = vrow(in, y, g + j);
                    float *dst = vrow(out, y, g + j);
                    for (int x = 0; x < w; x++) {
                        dst[x] = expf(a[x] - m[x]);
                        sum[x] = j ? sum[x] + dst[x] : dst[x];
                    }
                }
                for (int j = 0; j < n; j++) {
                    float *dst = vrow(out, y, g + j);
                    for (int x = 0; x < w; x++)
                        dst[x] /= sum[x];
                }
            }
            break;
        }
        case LUTSR_CNN_GROUP_SUM:
        case LUTSR_CNN_GROUP_MAX: {
            const int n = l->p[0], is_max = l->op == LUTSR_CNN_GROUP_MAX;
            for (int g = 0; g < no; g++) {
                float *dst = vrow(out, y, g);
                memcpy(dst, vrow(in, y, g * n), (size_t)w * sizeof(float));
                for (int j = 1; j < n; j++)
                    (is_max ? max_row : acc_row)(dst, vrow(in, y, g * n + j), w);
            }
            break;
        }
        case LUTSR_CNN_REPEAT:
            for (int ch = 0; ch < no; ch++)
                memcpy(vrow(out, y, ch), vrow(in, y, ch % nc), (size_t)w * sizeof(float));
            break;
        default:
            break;
        }
    }
}

/* The padding must read as zero (see CNN_PAD); the scratch under it may
 * hold an earlier buffer's values, or what a 16-column block wrote past w. */
static void zero_pads(const View *v, int w, int y0, int y1)
{
    const size_t right = round16((size_t)w) + CNN_PAD_R - (size_t)w;
    for (int y = y0; y < y1; y++)
        for (int ch = 0; ch < v->c; ch++) {
            float *row = vrow(v, y, ch);
            memset(row - CNN_HALO_X, 0, CNN_HALO_X * sizeof(float));
            memset(row + w, 0, right * sizeof(float));
        }
}

/* The buffers of one tile: view, and the plane column of the view's
 * column 0 and the columns stored (G buffers: 0 and 1). */
typedef struct Tile {
    View v[CNN_MAX_BUFFERS];
    int x0[CNN_MAX_BUFFERS], w[CNN_MAX_BUFFERS];
} Tile;

/* Buffer j's view with column 0 at plane column x of space sp (>= the
 * stored first column), for a reader whose own column 0 is there. */
static View view_at(const CnnContext *c, const Tile *t, int j, int x, int sp)
{
    View v = t->v[j];
    if (c->space[j] != LUTSR_CNN_G) {
        if (sp == LUTSR_CNN_HR && c->space[j] == LUTSR_CNN_LR)
            x /= c->scale; /* DECONV, PIXEL_SHUFFLE: their HR columns start on LR ones */
        v.p += x - t->x0[j];
    }
    return v;
}

/* Rows [y0, y1) of layer i's output (not MEAN_STD), the tile's columns. */
static void run_layer(const CnnContext *c, int i, const Tile *t, const Dims *d,
                      int y0, int y1, float *tmp)
{
    const LutsrCnnLayer *l = &c->layers[i];
    const int j = i + 1, sp = c->space[j], sp_in = c->space[l->in0], w = t->w[j];
    const View in = view_at(c, t, l->in0, t->x0[j], sp);
    const View in1 = l->in1 >= 0 ? view_at(c, t, l->in1, t->x0[j], sp) : in;
    const View *out = &t->v[j];
    if (l->op == LUTSR_CNN_CONV)
        (sp == LUTSR_CNN_G ? lutsr_cnn_conv_c : c->dsp.conv)(l, &in, out, d->h[sp_in], w, y0, y1, tmp);
    else if (l->op == LUTSR_CNN_DECONV)
        c->dsp.deconv(l, &in, out, d->h[sp_in], w / l->p[1], y0, y1, tmp);
    else
        pointwise(c, l, &in, &in1, out, w, y0, y1, tmp);
    if (sp != LUTSR_CNN_G)
        zero_pads(out, w, y0, y1);
}

/* ------------------------------------------------------------------------ */
/* Passes                                                                   */

/* Where one rows() call keeps things in its scratch. */
typedef struct Scratch {
    float *bufs;    /* the buffers, at a Layout's offsets */
    float *tmp;     /* accumulator rows (tmp_floats()) */
    float *g;       /* this call's copy of the G values */
    double *racc;   /* statistics: a row tile's running row sums (c->racc_off) */
} Scratch;

/* The fused head: 3 LR rows and one HR row (see lutsr_cnn_max_head_c()). */
static size_t head_tmp_floats(size_t w_lr, size_t w_hr)
{
    return 3 * round16(w_lr) + round16(w_hr) + 16;
}

size_t lutsr_cnn_max_head_tmp(int s, int w)
{
    return head_tmp_floats((size_t)w, (size_t)w * s);
}

/* conv: one row; softmax: 2 rows; deconv: scale phase rows (see deconv());
 * the fused head. For the widest rows a tile stores in each space. */
static size_t tmp_floats(const CnnContext *c, const Dims *d)
{
    int w[2] = { 1, 1 };
    for (int j = 0; j <= c->n_layers; j++)
        if (c->space[j] != LUTSR_CNN_G) {
            w[c->space[j]] = maxi(w[c->space[j]], tile_width(c, c->cols_tile, d, j));
            if (c->has_stats)
                w[c->space[j]] = maxi(w[c->space[j]], tile_width(c, c->cols_stat, d, j));
        }
    const size_t wl = (size_t)w[LUTSR_CNN_LR], wh = (size_t)maxi(w[LUTSR_CNN_HR], w[LUTSR_CNN_LR] * c->scale);
    const size_t a = 2 * round16(wh) + 16;
    const size_t b = 4 /* largest scale */ * (round16(wl) + 16);
    const size_t h = head_tmp_floats(wl, wh);
    return a > b ? (a > h ? a : h) : (b > h ? b : h);
}

static size_t bufs_floats(const CnnContext *c, const Dims *d)
{
    Layout lay;
    layout(c, c->rows_tile, c->cols_tile, d, &lay);
    size_t n = lay.total;
    if (c->has_stats) {
        layout(c, c->rows_stat, c->cols_stat, d, &lay);
        if (lay.total > n)
            n = lay.total;
    }
    return n;
}

static Scratch scratch_carve(const CnnContext *c, const Dims *d, uint8_t *scratch)
{
    Scratch sc;
    sc.bufs = (float *)(void *)scratch;
    sc.tmp = sc.bufs + bufs_floats(c, d);
    sc.g = sc.tmp + tmp_floats(c, d);
    sc.racc = (double *)(void *)(sc.g + round16((size_t)c->g_total));
    return sc;
}

static size_t cnn_scratch_size(const void *priv, int src_w)
{
    const CnnContext *c = priv;
    const Dims d = plane_dims(c, 1, src_w > 0 ? src_w : 1);
    return (bufs_floats(c, &d) + tmp_floats(c, &d) + round16((size_t)c->g_total)) * sizeof(float) +
           c->racc_doubles * sizeof(double);
}

/* Sums of MEAN_STD layer i's input over rows [a, b) of its space, each
 * row's per channel: carried across a row tile's column tiles in
 * sc->racc (in column order, so each is the sum along the whole row),
 * then stored in the row's slot of rowsums (st_per_row, tiles in any
 * order; end_pass() adds them up in row order) or added to the layer's
 * sums at once (tiles in order). The same additions either way. */
static double *row_slot(const CnnContext *c, int i, int y, int ch)
{
    return c->rowsums + c->st_off[i] + ((size_t)y * c->layers[i].c_in + ch) * 2;
}

/* MEAN_STD layer i's per-channel sums; its sums of squares follow them,
 * LUTSR_CNN_MAX_CHANNELS further on. */
static double *layer_sums(const CnnContext *c, int i)
{
    return c->sums + (size_t)i * 2 * LUTSR_CNN_MAX_CHANNELS;
}

/* Columns [0, w) of in (a column tile; first: the row's first one). */
static void accumulate(const CnnContext *c, int i, const View *in, int w, int a, int b,
                       int first, double *racc)
{
    const int nc = c->layers[i].c_in;
    double *r = racc + c->racc_off[i];
    for (int y = a; y < b; y++)
        for (int ch = 0; ch < nc; ch++, r += 2) {
            const float *row = vrow(in, y, ch);
            double rs = first ? 0 : r[0], rq = first ? 0 : r[1];
            for (int x = 0; x < w; x++) {
                const double v = row[x];
                rs += v;
                rq += v * v;
            }
            r[0] = rs;
            r[1] = rq;
        }
}

/* The row tile's sums (its rows [a, b) in each active layer's space) into
 * rowsums or the layers' sums. */
static void flush_sums(CnnContext *c, const uint8_t *stats, int t0, int t1, const double *racc)
{
    for (int i = 0; i < c->n_layers; i++) {
        if (!stats[i])
            continue;
        const int nc = c->layers[i].c_in, s = c->space[c->layers[i].in0] == LUTSR_CNN_HR ? c->scale : 1;
        double *sum = layer_sums(c, i), *sq = sum + LUTSR_CNN_MAX_CHANNELS;
        const double *r = racc + c->racc_off[i];
        for (int y = t0 * s; y < t1 * s; y++)
            for (int ch = 0; ch < nc; ch++, r += 2) {
                if (c->st_per_row) {
                    double *slot = row_slot(c, i, y, ch);
                    slot[0] = r[0];
                    slot[1] = r[1];
                } else {
                    sum[ch] += r[0];
                    sq[ch] += r[1];
                }
            }
    }
}

/* One tile, LR rows [t0, t1) x columns [x0, x1): fills the needed input
 * rows and columns, runs the layers that have some to compute. stats (the
 * statistics pass) accumulates the MEAN_STD layers it marks, over the
 * tile, when the forward order reaches them (before scratch under their
 * inputs is reused). */
/* Points the tile's G-space entries (one value per channel) at g. */
static void set_g_views(const CnnContext *c, const float *g, Tile *t)
{
    for (int b = 0; b <= c->n_layers; b++)
        if (c->space[b] == LUTSR_CNN_G) {
            t->v[b] = (View){ (float *)g + c->goff[b], 0, c->ch[b], 1 };
            t->x0[b] = 0;
            t->w[b] = 1;
        }
}

static void forward(const CnnContext *c, const LutsrPlane *src, const Dims *d, const Layout *lay,
                    const Scratch *sc, const float *g, const uint8_t *stats,
                    int t0, int t1, int x0, int x1, Tile *t)
{
    int lo[CNN_MAX_BUFFERS], hi[CNN_MAX_BUFFERS], xlo[CNN_MAX_BUFFERS], xhi[CNN_MAX_BUFFERS];
    const Dims dx = across(d);
    seed(c, d, stats, 0, t0, t1, lo, hi);
    seed(c, &dx, stats, 1, x0, x1, xlo, xhi);
    set_g_views(c, g, t);
    for (int j = 0; j <= c->n_layers; j++) {
        if (c->space[j] == LUTSR_CNN_G)
            continue;
        t->v[j] = (View){ sc->bufs + lay->off[j] + CNN_PAD, lo[j], c->ch[j], (ptrdiff_t)lay->pitch[j] };
        t->x0[j] = xlo[j];
        t->w[j] = xhi[j] - xlo[j];
    }
    /* The extended plane's pixel (x, y) is the source's nearest one. */
    const int e = c->edge, sw = src->width, sh = src->height;
    for (int y = lo[0]; y < hi[0]; y++) {
        const uint8_t *restrict s = src->data + (ptrdiff_t)mini(maxi(y - e, 0), sh - 1) * src->stride;
        float *restrict row = vrow(&t->v[0], y, 0);
        for (int x = 0; x < t->w[0]; x++)
            row[x] = c->from_pixel[s[mini(maxi(xlo[0] + x - e, 0), sw - 1)]];
    }
    zero_pads(&t->v[0], t->w[0], lo[0], hi[0]);
    /* A fused head is run by the caller, straight from its input. */
    const int n_run = c->n_layers - (c->max_head ? 3 : 0);
    for (int i = 0; i < n_run; i++) {
        const int j = i + 1;
        if (c->layers[i].op == LUTSR_CNN_MEAN_STD) {
            if (stats && stats[i]) {
                const int in = c->layers[i].in0, sp = c->space[in];
                int a, b, xa, xb;
                tile_range(c, in, t0, t1, &a, &b);
                tile_range(c, in, x0, x1, &xa, &xb);
                const View v = view_at(c, t, in, xa, sp);
                accumulate(c, i, &v, xb - xa, a, b, x0 == 0, sc->racc);
            }
            continue;
        }
        if (c->space[j] != LUTSR_CNN_G && lo[j] < hi[j] && xlo[j] < xhi[j])
            run_layer(c, i, t, d, lo[j], hi[j], sc->tmp);
    }
}

/* Sets up the next statistics pass (lock held): the MEAN_STD layers whose
 * input needs no G value still missing. Returns 0 when there is none left. */
static int start_pass(CnnContext *c, const Dims *d)
{
    uint8_t blocked[CNN_MAX_BUFFERS] = { 0 };
    for (int i = 0; i < c->n_layers; i++) {
        const LutsrCnnLayer *l = &c->layers[i];
        const int j = i + 1;
        blocked[j] = c->space[j] == LUTSR_CNN_G ? !c->st_ready[j] :
                     blocked[l->in0] || (l->in1 >= 0 && blocked[l->in1]);
    }
    int any = 0;
    size_t need = 0;
    for (int i = 0; i < c->n_layers; i++) {
        const LutsrCnnLayer *l = &c->layers[i];
        c->st_active[i] = l->op == LUTSR_CNN_MEAN_STD && !c->st_finished[i] && !blocked[l->in0];
        if (!c->st_active[i])
            continue;
        any = 1;
        memset(layer_sums(c, i), 0, 2 * LUTSR_CNN_MAX_CHANNELS * sizeof(double));
        c->st_off[i] = need;
        need += (size_t)d->h[c->space[l->in0]] * l->c_in * 2;
    }
    if (!any)
        return 0;
    /* Without room for the row sums (a few MB at most), the tiles run one
     * at a time, in order: slower, the same bytes. */
    if (need > c->rowsums_cap) {
        free(c->rowsums);
        c->rowsums = malloc(need * sizeof(*c->rowsums));
        c->rowsums_cap = c->rowsums ? need : 0;
    }
    c->st_per_row = c->rowsums != NULL;
    c->st_tiles = (d->h[LUTSR_CNN_LR] + c->tile_rows - 1) / c->tile_rows;
    c->st_next = c->st_done = 0;
    return 1;
}

/* Ends a statistics pass (lock held, every tile done): the sums in row
 * order, mean + population std (var = E[x^2] - mean^2), then the G-space
 * layers whose inputs are now known, in order. */
static void end_pass(CnnContext *c, const Dims *d, const Scratch *sc)
{
    for (int i = 0; i < c->n_layers; i++) {
        if (!c->st_active[i])
            continue;
        const LutsrCnnLayer *l = &c->layers[i];
        const int sp = c->space[l->in0], nc = l->c_in;
        double *sum = layer_sums(c, i), *sq = sum + LUTSR_CNN_MAX_CHANNELS;
        if (c->st_per_row)
            for (int y = 0; y < d->h[sp]; y++)
                for (int ch = 0; ch < nc; ch++) {
                    const double *slot = row_slot(c, i, y, ch);
                    sum[ch] += slot[0];
                    sq[ch] += slot[1];
                }
        const double n = (double)d->h[sp] * d->w[sp];
        for (int ch = 0; ch < nc; ch++) {
            const double mean = sum[ch] / n, var = sq[ch] / n - mean * mean;
            c->gvals[c->goff[i + 1] + ch] = (float)(mean + sqrt(var > 0 ? var : 0));
        }
        c->st_finished[i] = 1;
        c->st_ready[i + 1] = 1;
    }
    Tile t;
    set_g_views(c, c->gvals, &t);
    for (int i = 0; i < c->n_layers; i++) {
        const LutsrCnnLayer *l = &c->layers[i];
        const int j = i + 1;
        if (c->space[j] != LUTSR_CNN_G || c->st_ready[j] || l->op == LUTSR_CNN_MEAN_STD ||
            !c->st_ready[l->in0] || (l->in1 >= 0 && !c->st_ready[l->in1]))
            continue;
        run_layer(c, i, &t, d, 0, 1, sc->tmp);
        c->st_ready[j] = 1;
    }
}

/* Copies the G values of this plane into sc->g, computing them first if
 * the cache holds another plane's. The computation is a series of passes
 * over the frame's tiles; every job of the frame that gets here takes
 * tiles of the current pass until none is left, waits for the pass to end
 * (the job finishing its last tile ends it and sets up the next), and so
 * on, so the passes run on all the threads instead of one. */
static void get_stats(const CnnContext *cc, const LutsrPlane *src, const Dims *d, const Scratch *sc)
{
    /* The cache and the computation are the mutable part of the context,
     * only touched with the lock held (see cnn.h). */
    CnnContext *c = (CnnContext *)cc;
    uint32_t crc = 0;
    for (int y = 0; y < src->height; y++)
        crc = lutsr_crc32(crc, src->data + (ptrdiff_t)y * src->stride, (size_t)src->width);
    const int h = d->h[LUTSR_CNN_LR], w = d->w[LUTSR_CNN_LR];
    Layout lay;
    int have_layout = 0;
    Tile t;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        if (c->cache_valid && c->cache_crc == crc && c->cache_w == src->width && c->cache_h == src->height)
            break;
        if (!c->st_running) {
            c->cache_valid = 0;
            c->st_running = 1;
            c->st_crc = crc;
            c->st_w = src->width;
            c->st_h = src->height;
            memset(c->st_finished, 0, sizeof(c->st_finished));
            memset(c->st_ready, 0, sizeof(c->st_ready));
            start_pass(c, d); /* the first always has work: the graph has a MEAN_STD */
            continue;
        }
        if (c->st_crc != crc || c->st_w != src->width || c->st_h != src->height) {
            pthread_cond_wait(&c->cond, &c->lock); /* another plane's: wait for it */
            continue;
        }
        if (c->st_next < c->st_tiles && (c->st_per_row || c->st_done == c->st_next)) {
            const int t0 = c->st_next++ * c->tile_rows;
            pthread_mutex_unlock(&c->lock);
            const int t1 = mini(h, t0 + c->tile_rows);
            if (!have_layout) {
                layout(c, c->rows_stat, c->cols_stat, d, &lay);
                have_layout = 1;
            }
            for (int x0 = 0; x0 < w; x0 += c->tile_cols)
                forward(c, src, d, &lay, sc, c->gvals, c->st_active, t0, t1, x0,
                        mini(w, x0 + c->tile_cols), &t);
            if (c->st_per_row) /* its own rows' slots */
                flush_sums(c, c->st_active, t0, t1, sc->racc);
            pthread_mutex_lock(&c->lock);
            if (!c->st_per_row) /* in tile order, which the lock's hand-out keeps */
                flush_sums(c, c->st_active, t0, t1, sc->racc);
            if (++c->st_done == c->st_tiles) {
                end_pass(c, d, sc);
                if (!start_pass(c, d)) {
                    c->st_running = 0;
                    c->cache_crc = crc;
                    c->cache_w = src->width;
                    c->cache_h = src->height;
                    c->cache_valid = 1;
                }
                pthread_cond_broadcast(&c->cond);
            }
            continue;
        }
        pthread_cond_wait(&c->cond, &c->lock);
    }
    memcpy(sc->g, c->gvals, (size_t)c->g_total * sizeof(float));
    pthread_mutex_unlock(&c->lock);
}

/* clip(floor(255 v + 0.5), 0, 255): the conversion truncates, which is
 * floor on (0, 255), without a libm call per pixel. */
static void to_pixels(uint8_t *restrict dst, const float *restrict v, int n)
{
    for (int x = 0; x < n; x++) {
        const float t = 255.0f * v[x] + 0.5f;
        dst[x] = t >= 255.0f ? 255 : t > 0.0f ? (uint8_t)t : 0; /* NaN: 0 */
    }
}

/* ------------------------------------------------------------------------ */
/* Fused head                                                               */

/* eSR-MAX's CONV -> PIXEL_SHUFFLE -> GROUP_MAX -> pixels (cnn.h): unfused,
 * the CONV writes s*s*groups full-width channel rows per LR row that the
 * shuffle and the max read back, several times the frame's bytes through
 * memory. Here one CONV channel row at a time goes into the running max of
 * its output phase (i, j), each HR row is assembled from its s phases and
 * converted at once. Per value: conv_sum_row() + bias as in the layer,
 * the max as in GROUP_MAX, the conversion as to_pixels(): the same bytes. */
void lutsr_cnn_max_head_c(const CnnHead *hd, const View *in, int h, int w, int y0, int y1,
                          uint8_t *dst, ptrdiff_t dst_stride, float *tmp)
{
    const LutsrCnnLayer *conv = hd->conv;
    const int groups = hd->groups, s = hd->s, n = (int)round16((size_t)w);
    float *acc = tmp, *v = acc + n, *m = v + n, *hr = m + n;
    for (int y = y0; y < y1; y++)
        for (int i = 0; i < s; i++) {
            for (int j = 0; j < s; j++) {
                for (int g = 0; g < groups; g++) {
                    const int o = (g * s + i) * s + j;
                    conv_sum_row(conv, in, h, y, o, acc, n);
                    bias_row(g ? v : m, acc, conv->b[o], n);
                    if (g)
                        max_row(m, v, n);
                }
                for (int x = 0; x < w; x++)
                    hr[x * s + j] = m[x];
            }
            to_pixels(dst + (ptrdiff_t)((y - y0) * s + i) * dst_stride, hr, w * s);
        }
}

int lutsr_cnn_head_init(CnnHead *hd, const LutsrCnnLayer *conv, int groups, int s)
{
    const int k = conv->p[0], nc = conv->c_in, nb = (groups + 3) / 4;
    const size_t taps = (size_t)nc * k * k;
    *hd = (CnnHead){ conv, groups, s, nb, NULL, NULL };
    hd->w = calloc((size_t)s * s * nb * taps * 4, sizeof(float));
    hd->b = calloc((size_t)s * s * nb * 4, sizeof(float));
    if (!hd->w || !hd->b) {
        lutsr_cnn_head_free(hd);
        return LUTSR_ERR_NOMEM;
    }
    for (int p = 0; p < s * s; p++)
        for (int g = 0; g < groups; g++) {
            const int o = g * s * s + p, gb = g / 4, i = g % 4;
            float *w = hd->w + ((size_t)p * nb + gb) * taps * 4 + i;
            for (size_t t = 0; t < taps; t++)
                w[t * 4] = conv->w[(size_t)o * taps + t];
            hd->b[(size_t)p * nb * 4 + g] = conv->b[o];
        }
    return 0;
}

void lutsr_cnn_head_free(CnnHead *hd)
{
    free(hd->w);
    free(hd->b);
    hd->w = hd->b = NULL;
}

static void cnn_rows(const void *priv, const LutsrPlane *src, int y0, int y1,
                     uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    const CnnContext *c = priv;
    const int s = c->scale, L = c->n_layers;
    const Dims d = plane_dims(c, src->height, src->width);
    const Scratch sc = scratch_carve(c, &d, scratch);
    if (c->has_stats)
        get_stats(c, src, &d, &sc);
    Layout lay;
    layout(c, c->rows_tile, c->cols_tile, &d, &lay);
    Tile t;
    /* Source rows [y0, y1) and all its columns: the extended plane's centre. */
    const int e = c->edge, w = src->width + e;
    for (int t0 = y0 + e; t0 < y1 + e; t0 += c->tile_rows) {
        const int t1 = mini(y1 + e, t0 + c->tile_rows);
        for (int x0 = e; x0 < w; x0 += c->tile_cols) {
            const int x1 = mini(w, x0 + c->tile_cols);
            uint8_t *out = dst + (ptrdiff_t)(t0 - y0 - e) * s * dst_stride + (ptrdiff_t)(x0 - e) * s;
            forward(c, src, &d, &lay, &sc, sc.g, NULL, t0, t1, x0, x1, &t);
            if (c->max_head) {
                const int in = c->head.conv->in0;
                const View v = view_at(c, &t, in, x0, c->space[in]);
                c->dsp.max_head(&c->head, &v, d.h[LUTSR_CNN_LR], x1 - x0, t0, t1, out, dst_stride, sc.tmp);
                continue;
            }
            for (int y = t0 * s; y < t1 * s; y++)
                c->dsp.to_pixels(out + (ptrdiff_t)(y - t0 * s) * dst_stride, vrow(&t.v[L], y, 0),
                                 (x1 - x0) * s);
        }
    }
}

static void cnn_row(const void *priv, const LutsrPlane *src, int y,
                    uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch)
{
    cnn_rows(priv, src, y, y + 1, dst, dst_stride, scratch);
}

/* ------------------------------------------------------------------------ */
/* Set-up                                                                   */

void lutsr_cnn_dsp_init_c(CnnDsp *dsp)
{
    *dsp = (CnnDsp){ lutsr_cnn_conv_c, lutsr_cnn_deconv_c, prelu_row, to_pixels,
                     lutsr_cnn_max_head_c, "c" };
}

static void cnn_uninit(void **priv)
{
    CnnContext *c = *priv;
    if (c) {
        if (c->has_stats) {
            pthread_mutex_destroy(&c->lock);
            pthread_cond_destroy(&c->cond);
        }
        free(c->rowsums);
        lutsr_cnn_head_free(&c->head);
        free(c->gvals);
        free(c->sums);
        free(c);
    }
    *priv = NULL;
}

/* The loader validates the graph fully; this only refuses what would make
 * the executor read out of bounds (hand-built models in tests and tools). */
static int check_model(const struct LutsrModel *m)
{
    if (!m || m->kind != LUTSR_MODEL_CNN)
        return LUTSR_ERR_INVALID_ARG;
    if (m->scale < 2 || m->scale > 4)
        return LUTSR_ERR_UNSUPPORTED_SCALE;
    if (m->n_layers < 1 || m->n_layers > LUTSR_CNN_MAX_LAYERS)
        return LUTSR_ERR_MODEL_RANGE;
    for (int i = 0; i < m->n_layers; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        if (l->op < 1 || l->op >= LUTSR_CNN_OP_COUNT || l->in0 < 0 || l->in0 > i || l->in1 > i ||
            l->c_out < 1 || l->c_out > LUTSR_CNN_MAX_CHANNELS || l->space < 0 || l->space > LUTSR_CNN_G)
            return LUTSR_ERR_MODEL_RANGE;
        if ((l->op == LUTSR_CNN_CONV || l->op == LUTSR_CNN_DECONV) && (!l->w || !l->b))
            return LUTSR_ERR_INVALID_ARG;
        if (l->op == LUTSR_CNN_PRELU && !l->a)
            return LUTSR_ERR_INVALID_ARG;
    }
    const LutsrCnnLayer *last = &m->layers[m->n_layers - 1];
    if (last->c_out != 1 || last->space != LUTSR_CNN_HR)
        return LUTSR_ERR_MODEL_RANGE;
    return 0;
}

/* Whether the graph ends in the eSR-MAX head: CONV (odd k, on an LR
 * buffer) -> PIXEL_SHUFFLE of its output -> GROUP_MAX of that over all its
 * channels. Its two intermediate buffers then only have these readers. */
static int find_max_head(const CnnContext *c, int *groups)
{
    const int L = c->n_layers;
    if (L < 3)
        return 0;
    const LutsrCnnLayer *cv = &c->layers[L - 3], *ps = &c->layers[L - 2], *gm = &c->layers[L - 1];
    const int s = c->scale, k = cv->p[0];
    if (cv->op != LUTSR_CNN_CONV || c->space[cv->in0] != LUTSR_CNN_LR || cv->space != LUTSR_CNN_LR ||
        k < 1 || k > LUTSR_CNN_MAX_KERNEL || !(k & 1))
        return 0;
    if (ps->op != LUTSR_CNN_PIXEL_SHUFFLE || ps->in0 != L - 2 || ps->in1 >= 0 || ps->p[0] != s ||
        cv->c_out != s * s * ps->c_out)
        return 0;
    if (gm->op != LUTSR_CNN_GROUP_MAX || gm->in0 != L - 1 || gm->in1 >= 0 ||
        gm->p[0] != ps->c_out || gm->c_out != 1)
        return 0;
    *groups = ps->c_out;
    return 1;
}

/* docs/cnn.md's reach R of the graph, in LR pixels: per buffer the most of
 * its inputs' reaches, plus k/2 for a CONV (rounded up to LR pixels on HR
 * buffers) and ceil(k / (2 s)) for a DECONV. training/cnn_export.py's
 * lr_radius() is the same rule. */
static int graph_reach(const CnnContext *c)
{
    int r[CNN_MAX_BUFFERS] = { 0 };
    for (int i = 0; i < c->n_layers; i++) {
        const LutsrCnnLayer *l = &c->layers[i];
        int v = maxi(r[l->in0], l->in1 >= 0 ? r[l->in1] : 0);
        if (l->op == LUTSR_CNN_CONV)
            v += c->space[i + 1] == LUTSR_CNN_HR ? (l->p[0] / 2 + c->scale - 1) / c->scale : l->p[0] / 2;
        else if (l->op == LUTSR_CNN_DECONV && l->p[1] > 0) /* the loader checks the stride */
            v += (l->p[0] + 2 * l->p[1] - 1) / (2 * l->p[1]);
        r[i + 1] = v;
    }
    return r[c->n_layers];
}

static int cnn_init(void **priv, const struct LutsrModel *m, unsigned cpu_flags)
{
    *priv = NULL;
    int ret = check_model(m);
    if (ret < 0)
        return ret;
    CnnContext *c = calloc(1, sizeof(*c));
    if (!c)
        return LUTSR_ERR_NOMEM;
    const int L = m->n_layers;
    c->layers = m->layers;
    c->n_layers = L;
    c->scale = m->scale;
    lutsr_cnn_dsp_init_c(&c->dsp);
#if HAVE_X86_SIMD
    lutsr_cnn_dsp_init_x86(&c->dsp, cpu_flags);
#else
    (void)cpu_flags;
#endif
    for (int i = 0; i < 256; i++)
        c->from_pixel[i] = (float)i / 255.0f;
    c->ch[0] = 1;
    c->space[0] = LUTSR_CNN_LR;
    for (int i = 0; i < L; i++) {
        const LutsrCnnLayer *l = &m->layers[i];
        c->ch[i + 1] = l->c_out;
        c->space[i + 1] = l->space;
        c->stats_mask[i] = l->op == LUTSR_CNN_MEAN_STD;
        c->has_stats |= c->stats_mask[i];
    }
    for (int j = 0; j <= L; j++)
        c->death[j] = j == L ? L : j - 1;
    for (int i = 0; i < L; i++) {
        c->death[m->layers[i].in0] = i;
        if (m->layers[i].in1 >= 0)
            c->death[m->layers[i].in1] = i;
    }
    for (int j = 0; j <= L; j++)
        if (c->space[j] == LUTSR_CNN_G) {
            c->goff[j] = c->g_total;
            c->g_total += c->ch[j];
        }
    c->edge = graph_reach(c);
    /* The halo: input rows a 1-row tile needs beyond its own. */
    max_extent(c, NULL, 0, 1, c->rows_tile);
    const int halo = c->rows_tile[0] - 1;
    c->tile_rows = mini(CNN_TILE_MAX, maxi(CNN_TILE_MIN, 4 * halo));
    max_extent(c, NULL, 0, c->tile_rows, c->rows_tile);
    if (c->has_stats) {
        max_extent(c, c->stats_mask, 0, c->tile_rows, c->rows_stat);
        for (int i = 0; i < L; i++)
            if (c->stats_mask[i]) {
                const int in = m->layers[i].in0, s = c->space[in] == LUTSR_CNN_HR ? c->scale : 1;
                c->racc_off[i] = c->racc_doubles;
                c->racc_doubles += (size_t)c->tile_rows * s * m->layers[i].c_in * 2;
            }
        c->gvals = calloc((size_t)c->g_total, sizeof(*c->gvals));
        c->sums = calloc((size_t)L * 2 * LUTSR_CNN_MAX_CHANNELS, sizeof(*c->sums));
        if (!c->gvals || !c->sums || pthread_mutex_init(&c->lock, NULL)) {
            c->has_stats = 0; /* no mutex to destroy */
            cnn_uninit((void **)&c);
            return LUTSR_ERR_NOMEM;
        }
        if (pthread_cond_init(&c->cond, NULL)) {
            pthread_mutex_destroy(&c->lock);
            c->has_stats = 0;
            cnn_uninit((void **)&c);
            return LUTSR_ERR_NOMEM;
        }
    }
    int groups;
    if (find_max_head(c, &groups)) {
        if (lutsr_cnn_head_init(&c->head, &c->layers[L - 3], groups, c->scale) < 0) {
            cnn_uninit((void **)&c);
            return LUTSR_ERR_NOMEM;
        }
        c->max_head = 1;
    }
    lutsr_cnn_set_tile_cols(c, mini(CNN_TILE_COLS_MAX, maxi(CNN_TILE_COLS_MIN, (int)round16((size_t)(8 * halo)))));
    *priv = c;
    return 0;
}

void lutsr_cnn_set_tile_cols(CnnContext *c, int tile_cols)
{
    c->tile_cols = tile_cols;
    max_extent(c, NULL, 1, tile_cols, c->cols_tile);
    if (c->has_stats)
        max_extent(c, c->stats_mask, 1, tile_cols, c->cols_stat);
    if (c->max_head)
        for (int j = c->n_layers - 2; j <= c->n_layers; j++) /* never stored */
            c->rows_tile[j] = c->cols_tile[j] = 0;
}

static const char *cnn_impl_name(const void *priv)
{
    const CnnContext *c = priv;
    return c ? c->dsp.impl : "none";
}

const LutsrKernelOps lutsr_cnn_ops = {
    .name         = "cnn",
    .init         = cnn_init,
    .uninit       = cnn_uninit,
    .scratch_size = cnn_scratch_size,
    .row          = cnn_row,
    .rows         = cnn_rows,
    .impl_name    = cnn_impl_name,
};
