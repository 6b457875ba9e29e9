#ifndef LUTSR_X86_CPU_X86_H
#define LUTSR_X86_CPU_X86_H
/* cpuid + xgetbv probe: LUTSR_CPU_FLAG_* of this x86 CPU. */
unsigned lutsr_x86_cpu_flags(void);
#endif
