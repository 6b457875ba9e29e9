/*
 * Bicubic kernel internals shared by the C reference (bicubic.c) and its
 * SIMD versions (x86/bicubic_*.c). The arithmetic is defined in
 * docs/kernels.md, "Bicubic".
 */
#ifndef LUTSR_BICUBIC_H
#define LUTSR_BICUBIC_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define BICUBIC_MAX_SCALE 4

/* One output phase (column x = j*s + v, or row i*s + u): its four taps are
 * source positions j + off + t (t = 0..3, clamped to the plane) with
 * weights w[t], which sum to 256. off is -2 or -1. */
typedef struct BicubicPhase {
    int off;
    int16_t w[4];
} BicubicPhase;

/* AVX2 row layout (x86/bicubic_avx2.c), also sized by
 * lutsr_bicubic_scratch_bytes(): edge copies around each padded source
 * row (taps reach 2 pixels out, a whole super-block further on the
 * right), and strips of BICUBIC_SIMD_STRIP outputs (a multiple of 96:
 * super-blocks of 48 and 64, vertical steps of 32) whose int16 rows, with
 * BICUBIC_SIMD_SLACK of overrun, stay in L1. */
#define BICUBIC_SIMD_PAD_LEFT  32
#define BICUBIC_SIMD_PAD_RIGHT 64
#define BICUBIC_SIMD_STRIP     768
#define BICUBIC_SIMD_SLACK     96

/* A super-block of the AVX2 horizontal pass: 16 * nb_blocks outputs that
 * start at a multiple of the phase period, so the shuffle and weight
 * patterns repeat (1 block for scales 2 and 4, 3 for scale 3). Each block
 * is two 256-bit groups (a, b); each 128-bit lane of a group makes four
 * outputs from a 16-byte window of the edge-padded source row. */
#define BICUBIC_SIMD_MAX_BLOCKS 3
typedef struct BicubicSimdTables {
    int nb_blocks;
    int src_step;   /* source pixels per super-block: 16 * nb_blocks / s */
    /* Window start of each lane, relative to the super-block's first
     * source pixel: [block][group][lane]. */
    int win[BICUBIC_SIMD_MAX_BLOCKS][2][2];
    /* pshufb masks that zero-extend the tap pairs (t0, t1) and (t2, t3),
     * and the matching pmaddwd weight pairs. */
    _Alignas(32) int8_t shuf01[BICUBIC_SIMD_MAX_BLOCKS][2][32];
    _Alignas(32) int8_t shuf23[BICUBIC_SIMD_MAX_BLOCKS][2][32];
    _Alignas(32) int16_t w01[BICUBIC_SIMD_MAX_BLOCKS][2][16];
    _Alignas(32) int16_t w23[BICUBIC_SIMD_MAX_BLOCKS][2][16];

    /* Byte path, used when every weight is even (scale 2): pmaddubsw with
     * halved weights on pixel pairs, 16-bit sums throughout. Its rows hold
     * H + hbias (hbias keeps them non-negative); the vertical pass takes
     * 256 * hbias back off through its rounding constant. */
    int byte_path;
    int hbias;
    _Alignas(32) int8_t bshuf01[2][32];
    _Alignas(32) int8_t bshuf23[2][32];
    _Alignas(32) int8_t bw01[32];
    _Alignas(32) int8_t bw23[32];
} BicubicSimdTables;

typedef struct BicubicContext BicubicContext;
typedef void (*BicubicRowFn)(const BicubicContext *k, const LutsrPlane *src, int y,
                             uint8_t *dst, ptrdiff_t dst_stride, uint8_t *scratch);

struct BicubicContext {
    int scale;
    BicubicPhase phase[BICUBIC_MAX_SCALE];
    BicubicRowFn row;
    const char *impl;
    BicubicSimdTables simd;
};

/* Fills phase[0..scale-1] (the tables of docs/kernels.md). scale 2..4. */
void lutsr_bicubic_phases(int scale, BicubicPhase *phase);

/* Scratch bytes any implementation needs for a source of width w. */
size_t lutsr_bicubic_scratch_bytes(int scale, int w);

#if HAVE_X86_SIMD
/* Selects the AVX2 row function and builds its tables; needs phase[]. */
void lutsr_bicubic_init_avx2(BicubicContext *k);
#endif

#endif /* LUTSR_BICUBIC_H */
