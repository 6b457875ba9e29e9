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

void checkasm_check_srlut(void);
void checkasm_check_eclut(void);
void checkasm_check_bicubic(void);

#endif
