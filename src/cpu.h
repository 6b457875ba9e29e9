/*
 * CPU feature flags. Detected once (read-only afterwards); each context
 * applies its own cap (LutsrOptions.cpu), so there is no global switch.
 */
#ifndef LUTSR_CPU_H
#define LUTSR_CPU_H

#include "lutsr/lutsr.h"

enum {
    LUTSR_CPU_FLAG_SSE41       = 1 << 0,
    LUTSR_CPU_FLAG_AVX2        = 1 << 1, /* AVX2 + FMA + BMI2, OS saves YMM */
    LUTSR_CPU_FLAG_AVX512      = 1 << 2, /* F/BW/DQ/VL, OS saves ZMM */
    LUTSR_CPU_FLAG_SLOW_GATHER = 1 << 3, /* quirk: gathers slower than scalar loads */
};

/* Flags of this CPU that the build can use (0 on non-x86 builds). */
unsigned lutsr_cpu_flags(void);

/* Flags allowed by a LutsrCpu cap. */
unsigned lutsr_cpu_flags_for(LutsrCpu cap);

/* "c", "sse4.1", "avx2" or "avx512" for the best level in flags. */
const char *lutsr_cpu_flags_name(unsigned flags);

/* Number of online CPUs (>= 1). */
int lutsr_cpu_count(void);

#endif /* LUTSR_CPU_H */
