/* Private LUT layouts of the AVX2 4-D simplex kernels (lut4d_table.h). */
#include <string.h>

#include "mem.h"
#include "x86/lut4d_table.h"

int lutsr_lut4d_stride(int scale, size_t n)
{
    const size_t entries = n * n * n * n;
    switch (scale) {
    case 1: return (n - 1) * (n - 1) * (n - 1) * (n - 1) * 16 <= LUT4D_MAX_TABLE ? 16 : 0;
    case 2: return entries * 8 <= LUT4D_MAX_TABLE ? 8 : 4;
    case 3: return entries * 16 <= LUT4D_MAX_TABLE ? 16 : 0;
    case 4: return 16; /* the model's own LUT: 16 values per entry */
    default: return 0;
    }
}

int8_t *lutsr_lut4d_build_table(const int8_t *lut, size_t n, size_t nv, int stride)
{
    const size_t entries = nv == 1 ? (n - 1) * (n - 1) * (n - 1) * (n - 1) : n * n * n * n;
    int8_t *t = lutsr_alloc_aligned(entries * (size_t)stride);
    if (!t)
        return NULL;
    if (nv == 1) { /* the x1 cube table */
        size_t corner[16];
        for (int j = 0; j < 16; j++)
            corner[j] = (size_t)(j >> 3 & 1) * n * n * n + (size_t)(j >> 2 & 1) * n * n +
                        (size_t)(j >> 1 & 1) * n + (size_t)(j & 1);
        int8_t *o = t;
        for (size_t a = 0; a + 1 < n; a++)
            for (size_t b = 0; b + 1 < n; b++)
                for (size_t c = 0; c + 1 < n; c++)
                    for (size_t d = 0; d + 1 < n; d++, o += 16) {
                        const size_t e = ((a * n + b) * n + c) * n + d;
                        for (int j = 0; j < 16; j++)
                            o[j] = lut[e + corner[j]];
                    }
        return t;
    }
    memset(t, 0, entries * (size_t)stride);
    const size_t span = n * n * n + n * n + n + 1;
    for (size_t e = 0; e < entries; e++) {
        memcpy(t + e * (size_t)stride, lut + e * nv, nv);
        if (stride == 8 && e + span < entries) /* x2 pair table */
            memcpy(t + e * (size_t)stride + 4, lut + (e + span) * nv, 4);
    }
    return t;
}
