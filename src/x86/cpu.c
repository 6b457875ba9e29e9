#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"
#include "x86/cpu_x86.h"

static uint64_t xgetbv0(void)
{
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

unsigned lutsr_x86_cpu_flags(void)
{
    unsigned a, b, c, d, flags = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    if (c & bit_SSE4_1)
        flags |= LUTSR_CPU_FLAG_SSE41;
    const int osxsave = !!(c & bit_OSXSAVE), fma = !!(c & bit_FMA);
    if (!osxsave || __get_cpuid_max(0, NULL) < 7)
        return flags;
    uint64_t xcr0 = xgetbv0();
    __cpuid_count(7, 0, a, b, c, d);
    /* YMM state (bits 1, 2) must be enabled by the OS for AVX2. */
    if ((xcr0 & 0x6) == 0x6 && (b & bit_AVX2) && (b & bit_BMI2) && fma)
        flags |= LUTSR_CPU_FLAG_AVX2;
    /* ZMM state: opmask, ZMM_Hi256, Hi16_ZMM (bits 5, 6, 7). */
    if ((flags & LUTSR_CPU_FLAG_AVX2) && (xcr0 & 0xe6) == 0xe6 &&
        (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512DQ) && (b & bit_AVX512VL))
        flags |= LUTSR_CPU_FLAG_AVX512;

    /* Gathers are microcoded and slow on AMD before Zen 5 (family 0x1A). */
    unsigned vendor[3];
    __cpuid(0, a, vendor[0], vendor[2], vendor[1]);
    if (vendor[0] == 0x68747541 /* "Auth" enticAMD */) {
        __cpuid(1, a, b, c, d);
        unsigned family = ((a >> 8) & 0xf) + ((a >> 20) & 0xff);
        if (family < 0x1A)
            flags |= LUTSR_CPU_FLAG_SLOW_GATHER;
    }
    return flags;
}
