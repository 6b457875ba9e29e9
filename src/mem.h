/*
 * Aligned allocation and overflow-checked size arithmetic.
 */
#ifndef LUTSR_MEM_H
#define LUTSR_MEM_H

#include <stddef.h>
#include <stdint.h>

/* LUTSR_ALIGN-byte aligned; free with lutsr_free_aligned(). NULL on failure. */
void *lutsr_alloc_aligned(size_t size);
void lutsr_free_aligned(void *p);

/* *out = a * b; returns 0, or -1 if it overflows size_t. */
static inline int lutsr_mul_size(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b)
        return -1;
    *out = a * b;
    return 0;
}

#endif
