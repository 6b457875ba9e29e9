/*
 * checkasm-style SIMD-vs-C checks. Each kernel file provides one
 * checkasm_check_<kernel>() that, for every CPU level above C that the
 * machine has, builds the kernel at that level, asserts the chosen
 * implementation is not the C one (so a fallback cannot pass as C-vs-C),
 * and compares its output byte for byte with the C reference on random
 * and extreme inputs. Failures are reported with checkasm_fail().
 */
#ifndef LUTSR_CHECKASM_H
#define LUTSR_CHECKASM_H

#include <stdint.h>

#include "internal.h"
#include "test_util.h"

/* CPU levels to test, cumulative; the driver fills this from the machine. */
typedef struct CheckasmLevel { const char *name; unsigned flags; } CheckasmLevel;

/* Levels above plain C available here (ends with {NULL, 0}). */
const CheckasmLevel *checkasm_levels(void);
TestRng *checkasm_rng(void);
/* Iterations multiplier (1 normally; larger with --long). */
int checkasm_iterations(void);
/* Records a failure with a printf message; the run continues. */
void checkasm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Records that one comparison ran (for the summary). */
void checkasm_checked(const char *what);

/* Runs ops->row() for every source row of src into out + stride: the
 * output sits between one guard row above and one below, and the whole
 * buffer ((src->height * s + 2) rows of stride bytes) is first filled with
 * guard, so writes outside the rows show up in checkasm_compare(). */
void checkasm_run_rows(const LutsrKernelOps *ops, const void *priv, int s, const LutsrPlane *src,
                       uint8_t *out, ptrdiff_t stride, uint8_t *scratch, uint8_t guard);

/* Compares two checkasm_run_rows() buffers (C in a, SIMD in b) of an
 * ow x oh output; reports the first difference, naming kernel and ctx, as
 * a mismatch or as a write outside the rows. Returns 0 when equal. */
int checkasm_compare(const char *kernel, const uint8_t *a, const uint8_t *b, ptrdiff_t stride,
                     int ow, int oh, const char *ctx);

/* Byte the output buffers are filled with before a run (writes outside
 * the rows show up against it). */
#define CHECKASM_GUARD 0xA5

/* LUT contents for the LUT kernels' checks. */
enum { CHECKASM_LUT_RANDOM, CHECKASM_LUT_EXTREMES, CHECKASM_LUT_MIN, CHECKASM_LUT_MAX,
       CHECKASM_LUT_MODES };
extern const char *const checkasm_lut_mode_names[CHECKASM_LUT_MODES];
void checkasm_fill_lut(int8_t *lut, size_t size, int mode, TestRng *r);

/* The shared random image mix, or (1 in 4) only 0 and 255. */
void checkasm_fill_image(TestPlane *p, TestRng *r);

/* One kernel's C instance (ref) against a SIMD one on random planes:
 * widths 1..narrow, or (narrow = 0) 1..70 then 127, 255 and 1921; 1..max_h
 * rows (1..max_h_wide past width 70); random output strides; each
 * instance's scratch filled with a random byte (output must not depend on
 * it). ref runs through row(); simd through row() or, when use_rows (the
 * kernel has rows()), one rows() call half the time. Stops at the first
 * difference, reported with kernel, ops->impl_name(simd), desc and the
 * size. Returns nonzero on a difference. */
int checkasm_sweep(const char *kernel, const LutsrKernelOps *ops, const void *ref, const void *simd,
                   int s, int narrow, int max_h, int max_h_wide, int use_rows, const char *desc);

void checkasm_check_srlut(void);
void checkasm_check_eclut(void);
void checkasm_check_bicubic(void);
void checkasm_check_mulut(void);
void checkasm_check_cnn(void);

#endif
