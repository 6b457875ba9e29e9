/*
 * The private LUT copies the AVX2 4-D simplex kernels (SR-LUT, MuLUT)
 * read: which layout a scale gets, and building it. Layouts:
 *  - stride == values per entry: the model's own LUT, no copy;
 *  - x2 pair table (stride 8): entry e's 4 values, then entry
 *    e + n^3 + n^2 + n + 1's (the simplex's far corner), so one 64-bit
 *    load fetches both ends of the main diagonal;
 *  - x3 / x4 (stride 16): each entry padded to 16 bytes, one load each;
 *  - x1 cube table (MuLUT refinement stages, 1 value per entry, stride
 *    16): per (n-1)^4 cell, its 16 corner values in one 16-byte load.
 */
#ifndef LUTSR_X86_LUT4D_TABLE_H
#define LUTSR_X86_LUT4D_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Largest private table built per LUT. Only k = 2 (n = 65) goes past it:
 * there x2 reads the model's LUT directly (the pair table would be
 * 143 MB), and x1 / x3 stay on C (~270 MB for models nobody ships). */
#define LUT4D_MAX_TABLE ((size_t)64 << 20)

/* The table stride for a scale-`scale` LUT with n samples per axis, or 0
 * when AVX2 is not used for it (the C kernel runs). */
int lutsr_lut4d_stride(int scale, size_t n);

/* A new aligned copy of `lut` (nv values per entry) laid out with
 * `stride` bytes per entry (per cell for x1); NULL when out of memory.
 * Free with lutsr_free_aligned. Only for stride != nv. */
int8_t *lutsr_lut4d_build_table(const int8_t *lut, size_t n, size_t nv, int stride);

#endif
