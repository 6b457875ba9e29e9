#include <pthread.h>
#include <unistd.h>

#include "cpu.h"
#if HAVE_X86_SIMD
#include "x86/cpu_x86.h"
#endif

/* The only process-wide state: detected once, read-only afterwards. */
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;
static unsigned cpu_detected;

static void cpu_detect(void)
{
#if HAVE_X86_SIMD
    cpu_detected = lutsr_x86_cpu_flags();
#else
    cpu_detected = 0;
#endif
}

unsigned lutsr_cpu_flags(void)
{
    pthread_once(&cpu_once, cpu_detect);
    return cpu_detected;
}

unsigned lutsr_cpu_flags_for(LutsrCpu cap)
{
    unsigned f = lutsr_cpu_flags();
    unsigned quirks = f & LUTSR_CPU_FLAG_SLOW_GATHER;
    switch (cap) {
    case LUTSR_CPU_NONE:  return 0;
    case LUTSR_CPU_SSE41: return (f & LUTSR_CPU_FLAG_SSE41) | quirks;
    case LUTSR_CPU_AVX2:  return (f & (LUTSR_CPU_FLAG_SSE41 | LUTSR_CPU_FLAG_AVX2)) | quirks;
    case LUTSR_CPU_AUTO:
    default:              return f;
    }
}

const char *lutsr_cpu_flags_name(unsigned flags)
{
    if (flags & LUTSR_CPU_FLAG_AVX512) return "avx512";
    if (flags & LUTSR_CPU_FLAG_AVX2)   return "avx2";
    if (flags & LUTSR_CPU_FLAG_SSE41)  return "sse4.1";
    return "c";
}

int lutsr_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}
