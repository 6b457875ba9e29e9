/*
 * CNN executor internals (docs/cnn.md): the per-model plan built by init()
 * and the per-frame cache of global (MEAN_STD) statistics. Shared by the C
 * reference (cnn.c) and any SIMD version of its layer functions.
 */
#ifndef LUTSR_CNN_H
#define LUTSR_CNN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "model.h"

/* LR rows per tile: at least CNN_TILE_MIN, up to CNN_TILE_MAX where the
 * graph's halo is tall (4 x the halo, so recomputing it costs at most about
 * 25%). Every intermediate row is computed exactly whatever the tile, so
 * this only trades halo recomputation against scratch size. */
#define CNN_TILE_MIN 16
#define CNN_TILE_MAX 32

/* LR columns per tile: 8 x the graph's halo (both sides; recomputing it
 * costs at most about 12%), at least CNN_TILE_COLS_MIN and at most
 * CNN_TILE_COLS_MAX, so scratch does not grow with the frame width.
 * Narrower tiles cost speed (per-row overheads): 256 made ECBSR-M4C16
 * 13% slower at 960x540, 512 6%; 1024 measured as fast as whole rows. */
#define CNN_TILE_COLS_MIN 1024
#define CNN_TILE_COLS_MAX 4096

/* Floats of padding before column 0 of every buffer row (one 64-byte line,
 * so column 0 stays aligned), and after the last column up to
 * round16(w) + CNN_PAD_R. All of it reads as zero: a k <= 9 convolution
 * reads 4 columns beyond each edge, and the inner loops run over whole
 * blocks of 16 columns, reading up to 20 past the last one. */
#define CNN_PAD   16
#define CNN_PAD_R 32

/* Columns a convolution reads beyond each edge (all zero). */
#define CNN_HALO_X (LUTSR_CNN_MAX_KERNEL / 2)

#define CNN_MAX_BUFFERS (LUTSR_CNN_MAX_LAYERS + 1)

/* Rows [r0, ...) of a buffer, channel rows interleaved per image row;
 * column 0 of a row is 64-byte aligned in the executor's scratch. */
typedef struct CnnView {
    float *p;
    int r0, c;
    ptrdiff_t pitch;
} CnnView;

static inline float *cnn_vrow(const CnnView *v, int y, int ch)
{
    return v->p + ((ptrdiff_t)(y - v->r0) * v->c + ch) * v->pitch;
}

/* Layer functions on LR/HR rows [y0, y1) of `out` (never G buffers, whose
 * rows have no padding). CONV: h = height of in's space, w = width of
 * out's; it computes every column up to round16(w). DECONV: h, w = the LR
 * input's size; it writes only the w * stride real columns. The padding
 * of `in` reads as zero: CNN_HALO_X floats on the left, up to
 * round16(w) + CNN_PAD_R on the right. tmp: scratch of the executor's
 * tmp_floats() (the C versions' accumulator rows). */
typedef void (*CnnLayerFn)(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                           int h, int w, int y0, int y1, float *tmp);

/* The C reference versions (cnn.c), also the checkasm reference. */
void lutsr_cnn_conv_c(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                      int h, int w, int y0, int y1, float *tmp);
void lutsr_cnn_deconv_c(const LutsrCnnLayer *l, const CnnView *in, const CnnView *out,
                        int h, int w, int y0, int y1, float *tmp);

/* PRELU on one row of n values (dst != a). */
typedef void (*CnnPreluFn)(float *dst, const float *a, float slope, int n);
/* The output pixels of n values: clip(floor(255 v + 0.5), 0, 255), NaN 0. */
typedef void (*CnnToPixelsFn)(uint8_t *dst, const float *v, int n);

/* The eSR-MAX head, fused (see "Fused head" in cnn.c): the last three
 * layers CONV (LR, conv->c_out = s*s*groups channels) -> PIXEL_SHUFFLE
 * (r = s) -> GROUP_MAX (n = groups, 1 channel) and the output conversion:
 * HR pixel (s*y + i, s*x + j) = to_pixel(max over g < groups of CONV
 * channel g*s*s + p at (y, x)), phase p = i*s + j, the max taken as
 * GROUP_MAX does (`v > m ? v : m`, g increasing).
 *
 * w, b: the CONV's weights and biases repacked for SIMD versions (the C
 * version reads conv's own), per phase p and block of 4 groups gb:
 * w[((((p * n_blk + gb) * c_in + c) * k + u) * k + v) * 4 + i] and
 * b[p * 4 * n_blk + 4 * gb + i] are those of CONV channel (4 gb + i)*s*s + p,
 * zero where 4 gb + i >= groups. */
typedef struct CnnHead {
    const LutsrCnnLayer *conv;
    int groups, s, n_blk;
    float *w, *b;
} CnnHead;

/* Fills hd for conv (allocates w, b); 0 or LUTSR_ERR_NOMEM. */
int lutsr_cnn_head_init(CnnHead *hd, const LutsrCnnLayer *conv, int groups, int s);
void lutsr_cnn_head_free(CnnHead *hd);

/* The fused head on LR rows [y0, y1) of the CONV's input `in` (h x w,
 * padded like every buffer): writes the w*s bytes of HR rows
 * s*y0 .. s*y1-1, row s*y0 at dst, and nothing else. Each CONV value is
 * computed by the same operations as the CONV layer function of the same
 * level (C: lutsr_cnn_conv_c), so the bytes equal the unfused graph's.
 * tmp: lutsr_cnn_max_head_tmp() floats. */
typedef void (*CnnMaxHeadFn)(const CnnHead *hd, const CnnView *in, int h, int w, int y0, int y1,
                             uint8_t *dst, ptrdiff_t dst_stride, float *tmp);

void lutsr_cnn_max_head_c(const CnnHead *hd, const CnnView *in, int h, int w, int y0, int y1,
                          uint8_t *dst, ptrdiff_t dst_stride, float *tmp);

/* Floats of tmp the fused head needs for a w-wide LR plane. */
size_t lutsr_cnn_max_head_tmp(int s, int w);

/* The versions a context runs, chosen at init from its capped CPU flags.
 * Besides the convolutions, the two element-wise steps that showed in
 * profiles (the others are vectorised by the compiler in cnn.c), and the
 * fused eSR-MAX head. */
typedef struct CnnDsp {
    CnnLayerFn conv, deconv;
    CnnPreluFn prelu;
    CnnToPixelsFn to_pixels;
    CnnMaxHeadFn max_head;
    const char *impl;       /* "c", "avx2" */
} CnnDsp;

/* All C versions. */
void lutsr_cnn_dsp_init_c(CnnDsp *dsp);

/* Points dsp at the best versions cpu_flags allow (leaves the C ones
 * where there is none). */
void lutsr_cnn_dsp_init_x86(CnnDsp *dsp, unsigned cpu_flags);

typedef struct CnnContext {
    const LutsrCnnLayer *layers;    /* the model's (the model outlives us) */
    int n_layers, scale;
    int tile_rows;                  /* LR rows per tile */
    int edge;                       /* LR pixels of edge replication around the plane */
    int tile_cols;                  /* LR columns per tile */
    float from_pixel[256];          /* pixel / 255 (a division per pixel showed in profiles) */
    int max_head;                   /* the graph ends in the eSR-MAX head: run fused */
    CnnHead head;                   /* (then) its packed CONV */
    CnnDsp dsp;

    /* Per buffer j (0 = input, j = output of layer j-1). */
    int ch[CNN_MAX_BUFFERS];
    int space[CNN_MAX_BUFFERS];     /* LutsrCnnSpace */
    int death[CNN_MAX_BUFFERS];     /* last layer reading it (n_layers: the output) */
    int goff[CNN_MAX_BUFFERS];      /* G buffers: offset of its values in gvals */
    int g_total;                    /* floats of all G buffers */

    /* Most rows and columns of each buffer a tile needs, over all tile
     * positions: for the output pass and for the statistics pass. Size the
     * scratch. */
    int rows_tile[CNN_MAX_BUFFERS], cols_tile[CNN_MAX_BUFFERS];
    int rows_stat[CNN_MAX_BUFFERS], cols_stat[CNN_MAX_BUFFERS];
    size_t racc_doubles;            /* the statistics' running row sums (cnn.c) */
    size_t racc_off[LUTSR_CNN_MAX_LAYERS]; /* MEAN_STD layer i's, in them */

    /* MEAN_STD: the statistics passes, once per frame, shared by the jobs
     * that need them (see cnn.c). Everything below is only touched with
     * `lock` held, except what running tiles read (layers' st_active, gvals)
     * and write (their own rows of rowsums), which does not change while a
     * tile runs. */
    int has_stats;
    uint8_t stats_mask[LUTSR_CNN_MAX_LAYERS]; /* layers that are MEAN_STD */
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* broadcast when a statistics pass ends */
    int cache_valid, cache_w, cache_h;
    uint32_t cache_crc;
    float *gvals;                   /* g_total floats */
    double *sums;                   /* 2 * 256 doubles per layer: sum, sum of squares */

    /* The computation in progress, for the plane (st_crc, st_w, st_h). */
    int st_running;
    uint32_t st_crc;
    int st_w, st_h;
    int st_tiles, st_next, st_done; /* this pass: tiles, next to hand out, finished */
    int st_per_row;                 /* row sums kept per row (any tile order), else added in order */
    uint8_t st_active[LUTSR_CNN_MAX_LAYERS];   /* MEAN_STD layers this pass accumulates */
    uint8_t st_finished[LUTSR_CNN_MAX_LAYERS]; /* MEAN_STD layers with their G values */
    uint8_t st_ready[CNN_MAX_BUFFERS];         /* G buffers computed */
    size_t st_off[LUTSR_CNN_MAX_LAYERS];       /* active layer: its rows' sums in rowsums */
    double *rowsums;                /* per input row and channel: (sum, sum of squares) */
    size_t rowsums_cap;             /* doubles */
} CnnContext;

/* Sets the tile width (LR columns, >= 1) and the extents that size the
 * scratch (init() calls it; tests call it again for narrow tiles). The
 * bytes of the output do not depend on it. */
void lutsr_cnn_set_tile_cols(CnnContext *c, int tile_cols);

#endif /* LUTSR_CNN_H */
