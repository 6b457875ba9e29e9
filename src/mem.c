#include <stdlib.h>

#include "internal.h"
#include "mem.h"

void *lutsr_alloc_aligned(size_t size)
{
    /* aligned_alloc wants a multiple of the alignment. */
    size_t rounded = (size + LUTSR_ALIGN - 1) & ~(size_t)(LUTSR_ALIGN - 1);
    if (rounded < size)
        return NULL;
    return aligned_alloc(LUTSR_ALIGN, rounded ? rounded : LUTSR_ALIGN);
}

void lutsr_free_aligned(void *p)
{
    free(p);
}
