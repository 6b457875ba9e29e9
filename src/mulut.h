/*
 * MuLUT kernel internals shared by the C reference (mulut.c) and its SIMD
 * versions (x86/mulut_*.c). Semantics: docs/kernels.md, "MuLUT core".
 */
#ifndef LUTSR_MULUT_H
#define LUTSR_MULUT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "model.h"

/* Stage inputs are kept as padded rows: MULUT_PAD_LEFT bytes before
 * column 0 and MULUT_PAD_RIGHT after column w-1, filled with the edge
 * pixel, so a row function may read any column in [-MULUT_PAD_LEFT,
 * w + MULUT_PAD_RIGHT) (windows reach 2 columns out, vector loads a few
 * more) and edge replication comes for free. A scale-1 row function may
 * also write into its output row's right padding (it is refilled after). */
#define MULUT_PAD_LEFT  16
#define MULUT_PAD_RIGHT 32

/* Rows of every stage input kept per level while streaming (a stage reads
 * 5 rows, y-2 .. y+2; a power of two so the slot is y & (MULUT_RING - 1)). */
#define MULUT_RING 8

/* Pattern p under rotation r takes b, c, d of its window from the source
 * pixels at these (dy, dx) offsets from a, the pixel itself. Row r = 0 is
 * the pattern as defined (docs/kernels.md); each rotation maps an offset
 * (dy, dx) of the rotated frame to (dx, -dy) in the frame before it (see
 * srlut.c for the derivation; pattern S is srlut_rot_offsets). */
static const int8_t mulut_offsets[LUTSR_MULUT_PATTERNS][4][3][2] = {
    { /* S: (0,1) (1,0) (1,1) */
        { {  0, +1 }, { +1,  0 }, { +1, +1 } },
        { { +1,  0 }, {  0, -1 }, { +1, -1 } },
        { {  0, -1 }, { -1,  0 }, { -1, -1 } },
        { { -1,  0 }, {  0, +1 }, { -1, +1 } },
    },
    { /* D: (0,2) (2,0) (2,2) */
        { {  0, +2 }, { +2,  0 }, { +2, +2 } },
        { { +2,  0 }, {  0, -2 }, { +2, -2 } },
        { {  0, -2 }, { -2,  0 }, { -2, -2 } },
        { { -2,  0 }, {  0, +2 }, { -2, +2 } },
    },
    { /* Y: (1,1) (1,2) (2,1) */
        { { +1, +1 }, { +1, +2 }, { +2, +1 } },
        { { +1, -1 }, { +2, -1 }, { +1, -2 } },
        { { -1, -1 }, { -1, -2 }, { -2, -1 } },
        { { -1, +1 }, { -2, +1 }, { -1, +2 } },
    },
};

typedef struct MulutStageCtx MulutStageCtx;

/* Runs one stage on one row of its input. rows[0..4] point at column 0 of
 * the padded input rows y-2 .. y+2 (clamped to the plane). Writes the
 * stage's `scale` output rows of w * scale pixels at dst (dst_stride
 * apart); nothing else, except the scale-1 slack described above. */
typedef void (*MulutRowFn)(const MulutStageCtx *st, const uint8_t *const rows[5], int w,
                           uint8_t *dst, ptrdiff_t dst_stride);

struct MulutStageCtx {
    int scale;          /* s_t: 1, or the model's scale for the last stage */
    int interval_bits;  /* k */
    int lut_side;       /* n = 2^(8-k) + 1 */
    int out_shift;
    int lut_values;     /* s_t * s_t */
    int n_patterns;     /* used patterns, in S, D, Y order: */
    int pattern[LUTSR_MULUT_PATTERNS];       /* LUTSR_MULUT_S/D/Y */
    const int8_t *lut[LUTSR_MULUT_PATTERNS]; /* the model's LUT of each (the model outlives us) */

    /* LUTs as the SIMD code reads them (x86/mulut_avx2.c): the model's or
     * a re-laid-out copy in simd_lut_buf (lutsr_alloc_aligned, freed by
     * mulut.c). */
    const int8_t *simd_lut[LUTSR_MULUT_PATTERNS];
    int8_t *simd_lut_buf[LUTSR_MULUT_PATTERNS];

    MulutRowFn row;     /* the C reference or a SIMD version */
};

typedef struct MulutContext {
    int n_stages;
    int scale;
    MulutStageCtx stage[LUTSR_MULUT_MAX_STAGES];
    const char *impl;
} MulutContext;

#if HAVE_X86_SIMD
/* Picks a SIMD row function for stage st if cpu_flags allow one that fits
 * its scale and interval_bits, and builds the LUT layout it reads (sets
 * st->row, st->simd_lut, st->simd_lut_buf). Leaves st alone when nothing
 * fits. Returns 1 if it picked one, 0 if not, or LUTSR_ERR_NOMEM. */
int lutsr_mulut_init_stage_x86(MulutStageCtx *st, unsigned cpu_flags);
#endif

#endif /* LUTSR_MULUT_H */
