/*
 * ECLUT kernel internals shared by the C reference (eclut.c) and its SIMD
 * version (x86/eclut_avx2.c). Semantics: docs/kernels.md, "ECLUT core" and
 * "The rotation ensemble".
 *
 * The four rotations are done by remapping coordinates, never by rotating
 * the image. Rotation r runs the core on rot^r(I) and rotates its output
 * back by rot^-r. With rot(X)[i][j] = X[j][Wx-1-i], one step (di, dj) in
 * the rotated frame is, in the original frame:
 *
 *   r = 0: (dy, dx) = ( di,  dj)     r = 1: (dy, dx) = ( dj, -di)
 *   r = 2: (dy, dx) = (-di, -dj)     r = 3: (dy, dx) = (-dj,  di)
 *
 * so, in the original frame:
 *  - a pixel's pair partner (rotated step (1, 0)) is the pixel below, left,
 *    above, right of it for r = 0..3, clamped to the plane;
 *  - output block (Y, X) takes, for each (dy, dx) in {-1, 0, 1}^2, group
 *    eclut_group(r, dy, dx) of the entry of pixel (refl_h(Y + dy),
 *    refl_w(X + dx)) (the core reads group (m, n) at rotated offset
 *    (1 - m, 1 - n); reflection commutes with the flips, so the original
 *    frame's refl is the rotated frame's);
 *  - inside a block, output position (ys, xs) receives value (u, v) of that
 *    group, (u, v) as in eclut_sub_uv().
 */
#ifndef LUTSR_ECLUT_H
#define LUTSR_ECLUT_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Entry offsets (e * 9*s*s: the byte offset of LUT entry e) of one source
 * row for one rotation are stored for columns -1 .. w (reflected, at index
 * column + 1), then zeros (a valid offset) up to eclut_entry_stride(w), so
 * vector code may read up to ECLUT_ENTRY_OVERREAD entries past column w. */
#define ECLUT_ENTRY_OVERREAD 16

static inline size_t eclut_entry_stride(int w)
{
    return ((size_t)w + 2 + ECLUT_ENTRY_OVERREAD + 15) & ~(size_t)15;
}

/* e[k][r]: entry offsets for rotation r of source row refl_h(y + k - 1).
 * Rows that reflect onto the same source row share one array. eclut.c
 * places e[k][r] at e[k][0] + r * eclut_entry_stride(w) elements, which
 * x86/eclut_avx2.c (x2) uses when it holds (it checks). */
typedef struct EclutEntries {
    const uint32_t *e[3][4];
} EclutEntries;

typedef struct EclutContext EclutContext;

/* Fills e[r] (r = 0..3) for source row i. */
typedef void (*EclutEntriesFn)(const EclutContext *c, const LutsrPlane *src,
                               int i, uint32_t *const e[4]);

/* Writes output blocks x0 .. x1-1 of one source row (anchor points at that
 * row): the `scale` destination rows at dst, dst_stride apart. */
typedef void (*EclutBlocksFn)(const EclutContext *c, const EclutEntries *e,
                              const uint8_t *anchor, int x0, int x1,
                              uint8_t *dst, ptrdiff_t dst_stride);

struct EclutContext {
    int scale;         /* s */
    int values;        /* 9 * s * s: bytes per LUT entry */
    int out_shift;
    const int8_t *lut; /* the model's LUT (the model outlives us) */

    /* group[r][dy + 1][dx + 1]: byte offset, inside an entry, of the group
     * eclut_group(r, dy, dx). */
    int group[4][3][3];
    /* sub[r][ys * s + xs]: index u * s + v (eclut_sub_uv) inside a group. */
    uint8_t sub[4][16];
    /* sub[] as byte shuffles of 16 int16 lanes, for SIMD: shuf[r][0] picks
     * from the same 128-bit half, shuf[r][1] from the other (0x80: zero). */
    uint8_t shuf[4][2][32];
    /* LUT copy re-ordered for SIMD (x86/eclut_avx2.c: x2), owned by the
     * context and freed with it; NULL if the SIMD code uses none. */
    int8_t *simd_lut;

    EclutEntriesFn entries;
    EclutBlocksFn blocks;
    const char *impl;
};

/* Index m*3 + n of the group rotation r takes from the pixel at (dy, dx).
 * Inline so SIMD code with constant arguments folds it. */
static inline int eclut_group(int r, int dy, int dx)
{
    switch (r) {
    case 0:  return (1 - dy) * 3 + (1 - dx);
    case 1:  return (1 + dx) * 3 + (1 - dy);
    case 2:  return (1 + dy) * 3 + (1 + dx);
    default: return (1 - dx) * 3 + (1 + dy);
    }
}

/* Group value (u, v) that rotation r adds at (ys, xs) of an output block. */
static inline void eclut_sub_uv(int r, int s, int ys, int xs, int *u, int *v)
{
    switch (r) {
    case 0:  *u = ys;         *v = xs;         break;
    case 1:  *u = s - 1 - xs; *v = ys;         break;
    case 2:  *u = s - 1 - ys; *v = s - 1 - xs; break;
    default: *u = xs;         *v = s - 1 - ys; break;
    }
}

/* Reflect a coordinate in -1 .. n into 0 .. n-1 (docs/kernels.md). */
static inline int eclut_refl(int i, int n)
{
    if (n == 1)
        return 0;
    return i < 0 ? 1 : i >= n ? n - 2 : i;
}

/* Entry offsets of column x (-1 .. w) of source row `row` (below/above:
 * the clamped rows next to it) for the four rotations. */
static inline void eclut_entries_col(const uint8_t *row, const uint8_t *below,
                                     const uint8_t *above, int w, int x,
                                     uint32_t vals, uint32_t *const e[4])
{
    const int j = eclut_refl(x, w);
    const uint32_t a = (uint32_t)row[j] << 8;
    e[0][x + 1] = (a | below[j]) * vals;
    e[1][x + 1] = (a | row[j > 0 ? j - 1 : 0]) * vals;
    e[2][x + 1] = (a | above[j]) * vals;
    e[3][x + 1] = (a | row[j + 1 < w ? j + 1 : j]) * vals;
}

void lutsr_eclut_entries_c(const EclutContext *c, const LutsrPlane *src,
                           int i, uint32_t *const e[4]);
void lutsr_eclut_blocks_c(const EclutContext *c, const EclutEntries *e,
                          const uint8_t *anchor, int x0, int x1,
                          uint8_t *dst, ptrdiff_t dst_stride);

#if HAVE_X86_SIMD
/* Installs SIMD entries/blocks functions if cpu_flags allow one for
 * c->scale (and sets c->impl); leaves c alone otherwise. */
void lutsr_eclut_init_x86(EclutContext *c, unsigned cpu_flags);
#endif

#endif /* LUTSR_ECLUT_H */
