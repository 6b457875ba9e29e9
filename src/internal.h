/*
 * Private types shared by the library's files. Nothing here is public API.
 */
#ifndef LUTSR_INTERNAL_H
#define LUTSR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lutsr/lutsr.h"

#define LUTSR_ALIGN 64

#if defined(__GNUC__)
#  define LUTSR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#  define LUTSR_PRINTF(a, b)
#endif

/* Kernel implementation interface. Each upscaler (srlut.c, eclut.c,
 * mulut.c, bicubic.c) exports one LutsrKernelOps. The library (lib.c) owns
 * the slice grid: it calls row() once per *source* row y (or rows() once
 * per run of them), and row() writes the `scale` destination rows
 * y*scale .. y*scale+scale-1. Each source row's output is a function of the
 * source alone, computed the same whichever rows a call covers, which is
 * what makes the bytes independent of thread count and slicing. */
typedef struct LutsrKernelOps {
    const char *name;

    /* Build the kernel's private state (LUT re-layout, function pointers
     * chosen for cpu_flags, a mask of LUTSR_CPU_FLAG_*). model is the
     * parsed model (kind already checked); for bicubic, model->scale is all
     * that is used. Returns 0 or a negative LutsrError. */
    int (*init)(void **priv, const struct LutsrModel *model, unsigned cpu_flags);

    /* Free what init() built and set *priv to NULL. NULL-safe. */
    void (*uninit)(void **priv);

    /* Bytes of per-thread scratch row() and rows() need for a source of
     * width src_w (may be 0). lib.c allocates it 64-byte aligned, once per
     * size. */
    size_t (*scratch_size)(const void *priv, int src_w);

    /* Upscale source row y (0 <= y < src->height) of src into the `scale`
     * rows starting at dst (dst_stride apart, each src->width * scale
     * pixels). Reads any rows of src it needs (borders handled inside).
     * Must not write outside those rows/columns. */
    void (*row)(const void *priv, const LutsrPlane *src, int y,
                uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch);

    /* Optional (NULL if absent): the same as row() for each source row in
     * [y0, y1), y0 < y1, into the (y1 - y0) * scale rows starting at dst
     * (which is destination row y0 * scale). For kernels whose rows share
     * work (MuLUT's earlier stages); lib.c uses it for every run of whole
     * source rows. The bytes must equal row()'s. */
    void (*rows)(const void *priv, const LutsrPlane *src, int y0, int y1,
                 uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch);

    /* Which implementation init() picked ("c", "avx2", ...). */
    const char *(*impl_name)(const void *priv);
} LutsrKernelOps;

extern const LutsrKernelOps lutsr_bicubic_ops;
extern const LutsrKernelOps lutsr_srlut_ops;
extern const LutsrKernelOps lutsr_eclut_ops;
extern const LutsrKernelOps lutsr_mulut_ops;
extern const LutsrKernelOps lutsr_cnn_ops;

/* Helpers shared by kernels. */
static inline int lutsr_clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static inline uint8_t lutsr_clip_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Arithmetic right shift with round-half-up: floor((v + 2^(s-1)) / 2^s).
 * Written with a division-free floor so it is well-defined for negative v
 * (right-shifting a negative int is implementation-defined in C11). */
static inline int lutsr_round_shift(int v, int s)
{
    if (s == 0)
        return v;
    int t = v + (1 << (s - 1));
    return t >= 0 ? t >> s : -((-t + (1 << s) - 1) >> s);
}

#endif /* LUTSR_INTERNAL_H */
