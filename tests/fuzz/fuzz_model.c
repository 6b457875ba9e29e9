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

/* Offset of the data of the tensor named name (it must exist). */
static uint64_t fuzz_tensor_offset(const uint8_t *p, const char *name)
{
    for (uint32_t i = 0; i < fuzz_rd32(p + 24); i++) {
        const uint8_t *d = p + 64 + 64 * (size_t)i;
        if (!strncmp((const char *)d, name, 24))
            return fuzz_rd32(d + 48) | (uint64_t)fuzz_rd32(d + 52) << 32;
    }
    FUZZ_REQUIRE(!"tensor present");
    return 0;
}

/* The MuLUT part of fuzz_check_model(). */
static void fuzz_check_mulut(const LutsrModel *m, const uint8_t *p, size_t size)
{
    FUZZ_REQUIRE(!m->lut && m->n_stages >= 1 && m->n_stages <= LUTSR_MULUT_MAX_STAGES);
    FUZZ_REQUIRE(fuzz_rd32(p + 40) == (uint32_t)m->n_stages);
    uint32_t tensors = 1;
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *st = &m->stages[t];
        FUZZ_REQUIRE(st->scale == (t == m->n_stages - 1 ? m->scale : 1));
        FUZZ_REQUIRE(st->pattern_mask >= 1 && st->pattern_mask <= 7);
        FUZZ_REQUIRE(st->interval_bits >= 2 && st->interval_bits <= 6);
        FUZZ_REQUIRE(st->out_shift >= 0 && st->out_shift <= LUTSR_MAX_OUT_SHIFT);
        for (int i = 0; i < LUTSR_MULUT_PATTERNS; i++) {
            FUZZ_REQUIRE(!st->lut[i] == !(st->pattern_mask & 1 << i));
            if (!st->lut[i])
                continue;
            char name[24];
            snprintf(name, sizeof(name), "lut%d_%c", t, LUTSR_MULUT_PATTERN_LETTERS[i]);
            const size_t n = (size_t)st->lut_entries * st->lut_values;
            const uint64_t off = fuzz_tensor_offset(p, name);
            FUZZ_REQUIRE((uintptr_t)st->lut[i] % LUTSR_MODEL_DATA_ALIGN == 0);
            FUZZ_REQUIRE(off + n <= size && !memcmp(st->lut[i], p + off, n));
            tensors++;
        }
    }
    FUZZ_REQUIRE(fuzz_rd32(p + 24) == tensors);

    uint8_t *bytes;
    size_t n;
    FUZZ_REQUIRE(lutsr_model_serialize(m, &bytes, &n) == 0);
    LutsrModel *m2;
    FUZZ_REQUIRE(lutsr_model_parse(&m2, bytes, n, NULL, 0) == 0);
    FUZZ_REQUIRE(m2->kind == m->kind && m2->scale == m->scale && m2->n_stages == m->n_stages);
    for (int t = 0; t < m->n_stages; t++) {
        const LutsrMulutStage *a = &m->stages[t], *b = &m2->stages[t];
        FUZZ_REQUIRE(a->pattern_mask == b->pattern_mask && a->interval_bits == b->interval_bits &&
                     a->out_shift == b->out_shift);
        for (int i = 0; i < LUTSR_MULUT_PATTERNS; i++)
            FUZZ_REQUIRE(!a->lut[i] || !memcmp(a->lut[i], b->lut[i], (size_t)a->lut_entries * a->lut_values));
    }
    FUZZ_REQUIRE(!strcmp(lutsr_model_metadata(m2), lutsr_model_metadata(m)));
    lutsr_model_close(&m2);
    free(bytes);
}

/* What a successful parse promises about the model and the file. */
static void fuzz_check_model(const LutsrModel *m, const uint8_t *p, size_t size)
{
    FUZZ_REQUIRE(m->file_size == size);
    FUZZ_REQUIRE(*lutsr_model_describe(m));
    if (m->kind == LUTSR_MODEL_MULUT) {
        FUZZ_REQUIRE(m->scale >= 2 && m->scale <= 4);
        fuzz_check_mulut(m, p, size);
        return;
    }
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
