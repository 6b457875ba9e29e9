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

/* Floats of padding before column 0 of every buffer row (one 64-byte line,
 * so column 0 stays aligned), and after the last column up to
 * round16(w) + CNN_PAD_R. All of it reads as zero: a k <= 9 convolution
 * reads 4 columns beyond each edge, and the inner loops run over whole
 * blocks of 16 columns, reading up to 20 past the last one. */
#define CNN_PAD   16
#define CNN_PAD_R 32

#define CNN_MAX_BUFFERS (LUTSR_CNN_MAX_LAYERS + 1)

typedef struct CnnContext {
    const LutsrCnnLayer *layers;    /* the model's (the model outlives us) */
    int n_layers, scale;
    int tile_rows;                  /* LR rows per tile */

    /* Per buffer j (0 = input, j = output of layer j-1). */
    int ch[CNN_MAX_BUFFERS];
    int space[CNN_MAX_BUFFERS];     /* LutsrCnnSpace */
    int death[CNN_MAX_BUFFERS];     /* last layer reading it (n_layers: the output) */
    int goff[CNN_MAX_BUFFERS];      /* G buffers: offset of its values in gvals */
    int g_total;                    /* floats of all G buffers */

    /* Most rows of each buffer a tile needs, over all tile positions: for
     * the output pass and for the statistics pass. Sizes the scratch. */
    int rows_tile[CNN_MAX_BUFFERS];
    int rows_stat[CNN_MAX_BUFFERS];

    /* MEAN_STD: the statistics pass, once per frame (see cnn.c). Everything
     * below is only touched with `lock` held. */
    int has_stats;
    pthread_mutex_t lock;
    int cache_valid, cache_w, cache_h;
    uint32_t cache_crc;
    float *gvals;                   /* g_total floats */
    double *sums;                   /* 2 * 256 doubles per layer: sum, sum of squares */
} CnnContext;

#endif /* LUTSR_CNN_H */
