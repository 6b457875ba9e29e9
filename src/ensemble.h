/*
 * Geometric self-ensemble (LutsrOptions.ensemble = 8): the plane is
 * upscaled in each of its 8 flips/transpositions, each result is mapped
 * back, and the output is the rounded mean of the 8.
 */
#ifndef LUTSR_ENSEMBLE_H
#define LUTSR_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>

#include "lutsr/lutsr.h"

/* Buffers grown on the first plane of a larger size, freed with the context. */
typedef struct LutsrEnsembleBufs {
    uint8_t *src, *hr;    /* one transformed source plane, its upscale */
    uint16_t *sum;        /* running sum in the output's orientation */
    size_t src_size, hr_size, sum_size; /* bytes */
} LutsrEnsembleBufs;

/* Upscales one (possibly transformed) plane: the normal whole-plane path. */
typedef int (*LutsrPlaneFn)(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst);

/* dst = mean over the 8 transforms t of t^-1(upscale(t(src))), rounded half
 * up, into c->ensemble_bufs; the mapping back runs on c's pool. src and dst
 * are already validated (dst = src * scale). */
int lutsr_ensemble_upscale(LutsrContext *c, const LutsrPlane *src, const LutsrPlane *dst,
                           LutsrPlaneFn upscale);

void lutsr_ensemble_free(LutsrEnsembleBufs *b);

#endif
