/*
 * Runs the model-parser fuzz target without libFuzzer: replays the seed
 * corpus (tests/fuzz/corpus, ok-* must parse, the rest must be rejected)
 * and a few thousand deterministic mutations of it, half of them with the
 * CRCs fixed up so they reach the checks behind the checksums. The target
 * parses exact-size copies and aborts on any broken invariant; under ASan
 * this also proves the parser never reads outside its buffer. At the end
 * every error class must have been produced at least once, so the
 * mutations demonstrably reach each check.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_model.c"
#include "test_util.h"

#define MAX_SEEDS 64

typedef struct Seed { char name[256]; uint8_t *p; size_t size; } Seed;

/* tests/fuzz/corpus from the working directory (make runs tests from the
 * source root) or next to the build's models/ folder (the source root). */
static DIR *open_corpus(char *path, size_t n)
{
    snprintf(path, n, "tests/fuzz/corpus");
    DIR *d = opendir(path);
    if (!d) {
        const char *models = LUTSR_MODEL_DIR;
        const char *slash = strrchr(models, '/');
        snprintf(path, n, "%.*s/tests/fuzz/corpus", slash ? (int)(slash - models) : 1,
                 slash ? models : ".");
        d = opendir(path);
    }
    return d;
}

static int load_seeds(Seed *seeds)
{
    char dir[1024];
    DIR *d = open_corpus(dir, sizeof(dir));
    if (!d) {
        fprintf(stderr, "cannot find the seed corpus tests/fuzz/corpus\n");
        exit(1);
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_SEEDS) {
        if (e->d_name[0] == '.')
            continue;
        Seed *s = &seeds[n];
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        snprintf(s->name, sizeof(s->name), "%s", e->d_name);
        FILE *f = fopen(path, "rb");
        REQUIRE(f);
        REQUIRE(!fseek(f, 0, SEEK_END));
        long len = ftell(f);
        REQUIRE(len >= 0);
        rewind(f);
        s->size = (size_t)len;
        s->p = malloc(s->size ? s->size : 1);
        REQUIRE(s->p);
        REQUIRE_CMP(fread(s->p, 1, s->size, f), ==, s->size);
        fclose(f);
        n++;
    }
    closedir(d);
    return n;
}

static const uint32_t interesting[] = {
    0, 1, 2, 3, 4, 5, 6, 7, 16, 24, 25, 63, 64, 65, 128, 625, 65536,
    0x7fffffff, 0x80000000, 0xffffffff, 1u << 20, (1u << 20) + 1,
};

/* One random edit of buf (size bytes, capacity cap); returns the new size. */
static size_t mutate(TestRng *r, uint8_t *buf, size_t size, size_t cap)
{
    switch (test_rng_below(r, 6)) {
    case 0: /* flip a bit */
        buf[test_rng_below(r, (uint32_t)size)] ^= (uint8_t)(1u << test_rng_below(r, 8));
        break;
    case 1: { /* a 32-bit field of the header or first descriptors */
        uint32_t off = 4 * test_rng_below(r, 32);
        uint32_t v = test_rng_below(r, 4) ? interesting[test_rng_below(r, sizeof(interesting) / 4)]
                                          : test_rng_u32(r);
        if (off + 4 <= size)
            fuzz_wr32(buf + off, v);
        break;
    }
    case 2: /* truncate */
        size = test_rng_below(r, (uint32_t)size);
        break;
    case 3: { /* append */
        size_t add = 1 + test_rng_below(r, 128);
        if (size + add > cap)
            add = cap - size;
        for (size_t i = 0; i < add; i++)
            buf[size + i] = test_rng_below(r, 2) ? 0 : (uint8_t)test_rng_u32(r);
        size += add;
        break;
    }
    case 4: /* a random byte in the header/descriptor/metadata region */
        buf[test_rng_below(r, (uint32_t)(size < 256 ? size : 256))] = (uint8_t)test_rng_u32(r);
        break;
    default: /* file_size field consistent with a new length */
        size = 64 + test_rng_below(r, (uint32_t)(cap - 64));
        fuzz_wr32(buf + 32, (uint32_t)size);
        fuzz_wr32(buf + 36, 0);
        break;
    }
    return size;
}

int main(void)
{
    Seed seeds[MAX_SEEDS];
    int n = load_seeds(seeds);
    REQUIRE_CMP(n, >=, 4);

    int ok_seeds = 0;
    for (int i = 0; i < n; i++) {
        int expect_ok = !strncmp(seeds[i].name, "ok-", 3);
        int r = fuzz_parse_one(seeds[i].p, seeds[i].size);
        if (expect_ok ? r != 0 : r >= 0) {
            fprintf(stderr, "seed %s: parse returned %d (%s)\n", seeds[i].name, r, lutsr_strerror(r));
            return 1;
        }
        ok_seeds += expect_ok;
        LLVMFuzzerTestOneInput(seeds[i].p, seeds[i].size);
    }
    REQUIRE_CMP(ok_seeds, >=, 1);

    /* Codes seen: index -r (0 = success). */
    unsigned seen[32] = { 0 };
    TestRng rng;
    test_rng_seed(&rng, test_seed(0x5eed));
    enum { MUTANTS = 4000 };
    for (int k = 0; k < MUTANTS; k++) {
        const Seed *s;
        do
            s = &seeds[test_rng_below(&rng, (uint32_t)n)];
        while (strncmp(s->name, "ok-", 3));
        size_t cap = s->size + 256;
        uint8_t *buf = calloc(1, cap);
        REQUIRE(buf);
        memcpy(buf, s->p, s->size);
        size_t size = s->size;
        for (int edits = 1 + (int)test_rng_below(&rng, 3); edits > 0 && size; edits--)
            size = mutate(&rng, buf, size, cap);
        if (k & 1)
            fuzz_fix_crc(buf, size);
        int r = fuzz_parse_one(buf, size);
        REQUIRE(r <= 0 && r > -32);
        seen[-r]++;
        free(buf);
    }

    static const int must_see[] = {
        LUTSR_OK, LUTSR_ERR_MODEL_MAGIC, LUTSR_ERR_MODEL_VERSION, LUTSR_ERR_MODEL_TRUNCATED,
        LUTSR_ERR_MODEL_CHECKSUM, LUTSR_ERR_MODEL_RANGE, LUTSR_ERR_MODEL_KIND,
        LUTSR_ERR_UNSUPPORTED_SCALE,
    };
    printf("%d mutants:", MUTANTS);
    for (int c = 0; c < 32; c++)
        if (seen[c])
            printf(" %s=%u", c ? lutsr_strerror(-c) : "ok", seen[c]);
    printf("\n");
    for (size_t i = 0; i < sizeof(must_see) / sizeof(must_see[0]); i++)
        if (!seen[-must_see[i]]) {
            fprintf(stderr, "no mutant produced %d (%s)\n", must_see[i], lutsr_strerror(must_see[i]));
            return 1;
        }
    for (int i = 0; i < n; i++)
        free(seeds[i].p);
    return 0;
}
