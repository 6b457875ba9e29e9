/*
 * The private context struct (lib.c creates it; log.c reads its options).
 */
#ifndef LUTSR_CONTEXT_H
#define LUTSR_CONTEXT_H

#include "ensemble.h"
#include "internal.h"
#include "model.h"
#include "thread_pool.h"

/* Per-thread (per job slot) buffers, grown on the first frame of a larger
 * size, never per frame. */
typedef struct LutsrSlot {
    uint8_t *luma_scratch, *bicubic_scratch, *rows;
    size_t luma_scratch_size, bicubic_scratch_size, rows_size;
} LutsrSlot;

/* One upscaler bound to its private state. */
typedef struct LutsrKernel {
    const LutsrKernelOps *ops;
    void *priv;
} LutsrKernel;

struct LutsrContext {
    const LutsrModel *model;
    LutsrModel *bicubic_model;  /* built-in model backing the chroma kernel */
    LutsrOptions opts;
    unsigned cpu_flags;
    int scale;
    int threads;
    LutsrKernel luma, bicubic;
    LutsrPool *pool;
    LutsrSlot *slots;           /* threads of them */
    LutsrEnsembleBufs ensemble_bufs; /* ensemble 8 only */
    char err[512];
};

#endif
