/*
 * Fuzz target for the model parser (libFuzzer entry point).
 *
 *   make fuzz && build/fuzz/fuzz_model -max_total_time=60 tests/fuzz/corpus
 *
 * Without libFuzzer: tests/test_model_fuzz.c includes this file and replays
 * the corpus plus deterministic mutations of it in the normal test run (and
 * under ASan); fuzz_main.c is a standalone replay driver for crash files.
 *
 * Each input is parsed twice: as is, and with both CRCs recomputed, because
 * a random mutation almost never keeps the CRCs valid and would otherwise
 * only ever reach the checksum check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lutsr/lutsr.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REQUIRE(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); abort(); } } while (0)

static uint32_t fuzz_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fuzz_wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

/* Recompute payload and header CRC32 in place (no-op below 64 bytes). */
static void fuzz_fix_crc(uint8_t *p, size_t size)
{
    if (size < LUTSR_MODEL_HEADER_SIZE)
        return;
    fuzz_wr32(p + 56, lutsr_crc32(0, p + LUTSR_MODEL_HEADER_SIZE, size - LUTSR_MODEL_HEADER_SIZE));
    fuzz_wr32(p + 60, lutsr_crc32(0, p, 60));
}

/* What a successful parse promises about the model and the file. */
static void fuzz_check_model(const LutsrModel *m, const uint8_t *p, size_t size)
{
    FUZZ_REQUIRE(m->kind == LUTSR_MODEL_SRLUT || m->kind == LUTSR_MODEL_ECLUT);
    FUZZ_REQUIRE(m->scale >= 2 && m->scale <= 4);
    FUZZ_REQUIRE(m->out_shift >= 0 && m->out_shift <= LUTSR_MAX_OUT_SHIFT);
    FUZZ_REQUIRE((uintptr_t)m->lut % LUTSR_MODEL_DATA_ALIGN == 0);
    FUZZ_REQUIRE(m->file_size == size);
    FUZZ_REQUIRE(fuzz_rd32(p + 24) == 1); /* one tensor */
    uint64_t off = fuzz_rd32(p + 64 + 48) | (uint64_t)fuzz_rd32(p + 64 + 52) << 32;
    size_t lut_size = (size_t)m->lut_entries * m->lut_values;
    FUZZ_REQUIRE(off + lut_size == size);
    FUZZ_REQUIRE(!memcmp(m->lut, p + off, lut_size));
    FUZZ_REQUIRE(strlen(lutsr_model_metadata(m)) == fuzz_rd32(p + 28));
    FUZZ_REQUIRE(*lutsr_model_describe(m));

    /* Serialising and parsing again gives the same model. */
    uint8_t *bytes;
    size_t n;
    FUZZ_REQUIRE(lutsr_model_serialize(m, &bytes, &n) == 0);
    LutsrModel *m2;
    FUZZ_REQUIRE(lutsr_model_parse(&m2, bytes, n, NULL, 0) == 0);
    FUZZ_REQUIRE(m2->kind == m->kind && m2->scale == m->scale && m2->out_shift == m->out_shift &&
                 m2->interval_bits == m->interval_bits);
    FUZZ_REQUIRE(!memcmp(m2->lut, m->lut, lut_size));
    FUZZ_REQUIRE(!strcmp(lutsr_model_metadata(m2), lutsr_model_metadata(m)));
    lutsr_model_close(&m2);
    free(bytes);
}

/* Parses an exact-size heap copy (ASan flags any read past its end) and
 * checks the outcome. Returns the parse result. */
static int fuzz_parse_one(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return LUTSR_ERR_NOMEM;
    if (size)
        memcpy(copy, data, size);
    LutsrModel *m = (LutsrModel *)&m; /* must come back NULL on failure */
    char err[256] = "";
    int r = lutsr_model_parse(&m, copy, size, err, sizeof(err));
    if (r < 0) {
        FUZZ_REQUIRE(m == NULL);
        FUZZ_REQUIRE(!strncmp(err, "model: ", 7) && err[7]);
        FUZZ_REQUIRE(strcmp(lutsr_strerror(r), "unknown error"));
    } else {
        FUZZ_REQUIRE(r == 0 && m);
        fuzz_check_model(m, copy, size);
        lutsr_model_close(&m);
    }
    free(copy);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_parse_one(data, size);
    if (size >= LUTSR_MODEL_HEADER_SIZE) {
        uint8_t *fixed = malloc(size);
        if (!fixed)
            return 0;
        memcpy(fixed, data, size);
        fuzz_fix_crc(fixed, size);
        fuzz_parse_one(fixed, size);
        free(fixed);
    }
    return 0;
}
