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

void checkasm_check_srlut(void);
void checkasm_check_eclut(void);
void checkasm_check_bicubic(void);
void checkasm_check_mulut(void);
void checkasm_check_cnn(void);

#endif
