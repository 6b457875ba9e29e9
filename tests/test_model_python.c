/*
 * The Python writer (training/lsr_format.py) and the C library agree:
 * files written by Python parse in C with the expected fields and LUT and
 * are byte-identical to what lutsr_model_serialize() writes for the same
 * model; files written by C read back in Python with the same fields
 * (compared through `lsr_format.py --dump`); likewise for a MuLUT file.
 * Skipped (77) without python3.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lutsr/lutsr.h"
#include "model.h"
#include "test_util.h"

static char tmp_dir[256];
static char script[1024];

/* training/lsr_format.py from the working directory (make runs tests from
 * the source root) or next to the build's models/ folder (the source root). */
static int find_script(void)
{
    snprintf(script, sizeof(script), "training/lsr_format.py");
    if (!access(script, R_OK))
        return 0;
    const char *models = LUTSR_MODEL_DIR;
    const char *slash = strrchr(models, '/');
    if (!slash)
        return -1;
    snprintf(script, sizeof(script), "%.*s/training/lsr_format.py", (int)(slash - models), models);
    return access(script, R_OK);
}

/* Runs `python3 script args`; its stdout (first line) goes to out. */
static int run_python(const char *args, char *out, size_t out_size)
{
    char cmd[3072];
    snprintf(cmd, sizeof(cmd), "python3 '%s' %s", script, args);
    FILE *p = popen(cmd, "r");
    REQUIRE(p);
    if (out_size) {
        out[0] = '\0';
        if (fgets(out, (int)out_size, p))
            out[strcspn(out, "\n")] = '\0';
    }
    char sink[256];
    while (fgets(sink, sizeof(sink), p))
        fputs(sink, stderr);
    return pclose(p);
}

static void pattern(int8_t *p, size_t n, unsigned mul, unsigned add)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (int8_t)(uint8_t)((i * mul + add) & 0xff);
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    REQUIRE(f);
    REQUIRE(!fseek(f, 0, SEEK_END));
    long n = ftell(f);
    REQUIRE(n > 0);
    rewind(f);
    uint8_t *p = malloc((size_t)n);
    REQUIRE(p);
    REQUIRE_CMP(fread(p, 1, (size_t)n, f), ==, n);
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* A Python-written file: parse in C, compare with the C serialisation of
 * the same model (pattern LUT, same metadata). */
static void check_python_file(const char *name, LutsrModelKind kind, int scale, int ib,
                              int out_shift, unsigned mul, unsigned add, const char *meta)
{
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
    LutsrModel *m;
    if (lutsr_model_open(&m, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    LutsrModel *ref;
    REQUIRE_OK(lutsr_model_alloc(&ref, kind, scale, ib, out_shift, meta));
    size_t lut_size = (size_t)ref->lut_entries * ref->lut_values;
    pattern(ref->lut, lut_size, mul, add);

    REQUIRE_CMP(lutsr_model_kind(m), ==, kind);
    REQUIRE_CMP(lutsr_model_scale(m), ==, scale);
    REQUIRE_CMP(m->interval_bits, ==, ref->interval_bits);
    REQUIRE_CMP(m->out_shift, ==, out_shift);
    REQUIRE(!strcmp(lutsr_model_metadata(m), meta));
    REQUIRE_CMP(m->lut_entries * m->lut_values, ==, lut_size);
    REQUIRE(!memcmp(m->lut, ref->lut, lut_size));

    uint8_t *bytes;
    size_t size, py_size;
    REQUIRE_OK(lutsr_model_serialize(ref, &bytes, &size));
    uint8_t *py = read_file(path, &py_size);
    REQUIRE_CMP(py_size, ==, size);
    REQUIRE(!memcmp(py, bytes, size));
    free(py);
    free(bytes);
    lutsr_model_close(&ref);
    lutsr_model_close(&m);
}

/* A C-written file read by Python: compare its --dump line. */
static void check_c_file(LutsrModelKind kind, int scale, int ib, int out_shift, const char *meta)
{
    LutsrModel *m;
    REQUIRE_OK(lutsr_model_alloc(&m, kind, scale, ib, out_shift, meta));
    size_t lut_size = (size_t)m->lut_entries * m->lut_values;
    TestRng r;
    test_rng_seed(&r, (uint64_t)(kind * 100 + scale));
    for (size_t i = 0; i < lut_size; i++)
        m->lut[i] = (int8_t)(uint8_t)test_rng_u32(&r);
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(m, &bytes, &size));
    char path[512];
    snprintf(path, sizeof(path), "%s/c-%d-x%d.lsr", tmp_dir, (int)kind, scale);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE_CMP(fwrite(bytes, 1, size, f), ==, size);
    REQUIRE(!fclose(f));

    char want[4096], hex[2048] = "", args[600], got[4096];
    for (size_t i = 0; meta[i] && i < 1000; i++)
        snprintf(hex + 2 * i, 3, "%02x", (uint8_t)meta[i]);
    snprintf(want, sizeof(want), "kind=%s scale=%d params=%d,%d,0,0 version=1.0 meta_hex=%s "
             "lut_len=%zu lut_crc=0x%08x file_size=%zu",
             kind == LUTSR_MODEL_SRLUT ? "srlut" : "eclut", scale,
             kind == LUTSR_MODEL_SRLUT ? ib : out_shift, kind == LUTSR_MODEL_SRLUT ? out_shift : 0,
             hex, lut_size, lutsr_crc32(0, m->lut, lut_size), size);
    snprintf(args, sizeof(args), "--dump '%s'", path);
    REQUIRE_CMP(run_python(args, got, sizeof(got)), ==, 0);
    if (strcmp(got, want)) {
        fprintf(stderr, "python read:\n  %s\nexpected:\n  %s\n", got, want);
        exit(1);
    }
    free(bytes);
    lutsr_model_close(&m);
}

/* MuLUT: the file selftest() writes (LUT i in canonical order is
 * pattern(7 + 2 i, i)) parses in C and equals the C serialisation of the
 * same model; a C-written one reads back in Python with every tensor. */
static const int py_mu_stages[2][4] = { { 1, 5, 6, 8 }, { 2, 7, 5, 9 } };

static LutsrModel *mulut_model(const char *meta)
{
    LutsrMulutStage d[2];
    for (int t = 0; t < 2; t++)
        d[t] = (LutsrMulutStage){ .scale = py_mu_stages[t][0], .pattern_mask = py_mu_stages[t][1],
                                  .interval_bits = py_mu_stages[t][2], .out_shift = py_mu_stages[t][3] };
    LutsrModel *m;
    REQUIRE_OK(lutsr_model_alloc_mulut(&m, 2, 2, d, meta));
    unsigned i = 0;
    for (int t = 0; t < 2; t++)
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++)
            if (m->stages[t].lut[p]) {
                pattern(m->stages[t].lut[p], (size_t)m->stages[t].lut_entries * m->stages[t].lut_values,
                        7 + 2 * i, i);
                i++;
            }
    REQUIRE_CMP(i, ==, 5);
    return m;
}

static void check_python_mulut(void)
{
    const char *meta = "writer: lsr_format.py\nname: selftest-mulut\n";
    char path[512], err[512];
    snprintf(path, sizeof(path), "%s/py-mulut-x2.lsr", tmp_dir);
    LutsrModel *m;
    if (lutsr_model_open(&m, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    LutsrModel *ref = mulut_model(meta);
    REQUIRE_CMP(lutsr_model_kind(m), ==, LUTSR_MODEL_MULUT);
    REQUIRE_CMP(m->n_stages, ==, 2);
    REQUIRE(!strcmp(lutsr_model_metadata(m), meta));
    for (int t = 0; t < 2; t++)
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
            const LutsrMulutStage *a = &m->stages[t], *b = &ref->stages[t];
            REQUIRE_CMP(a->out_shift, ==, b->out_shift);
            REQUIRE((a->lut[p] != NULL) == (b->lut[p] != NULL));
            if (a->lut[p])
                REQUIRE(!memcmp(a->lut[p], b->lut[p], (size_t)a->lut_entries * a->lut_values));
        }
    uint8_t *bytes;
    size_t size, py_size;
    REQUIRE_OK(lutsr_model_serialize(ref, &bytes, &size));
    uint8_t *py = read_file(path, &py_size);
    REQUIRE_CMP(py_size, ==, size);
    REQUIRE(!memcmp(py, bytes, size));
    free(py);
    free(bytes);
    lutsr_model_close(&ref);
    lutsr_model_close(&m);
}

static void check_c_mulut(void)
{
    const char *meta = "arch: mulut";
    LutsrModel *m = mulut_model(meta);
    uint8_t *bytes;
    size_t size;
    REQUIRE_OK(lutsr_model_serialize(m, &bytes, &size));
    char path[512];
    snprintf(path, sizeof(path), "%s/c-mulut-x2.lsr", tmp_dir);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE_CMP(fwrite(bytes, 1, size, f), ==, size);
    REQUIRE(!fclose(f));

    /* tensors sorted by name: lut0_S, lut0_Y, lut1_D, lut1_S, lut1_Y, stages */
    static const int order[5][2] = { { 0, 0 }, { 0, 2 }, { 1, 1 }, { 1, 0 }, { 1, 2 } };
    char want[2048], hex[64] = "", args[600], got[2048];
    for (size_t i = 0; meta[i]; i++)
        snprintf(hex + 2 * i, 3, "%02x", (uint8_t)meta[i]);
    int n = snprintf(want, sizeof(want), "kind=mulut scale=2 params=2,0,0,0 version=1.0 meta_hex=%s "
                     "lut_len=0 lut_crc=0x00000000 file_size=%zu tensors=", hex, size);
    for (int i = 0; i < 5; i++) {
        const LutsrMulutStage *st = &m->stages[order[i][0]];
        const size_t len = (size_t)st->lut_entries * st->lut_values;
        n += snprintf(want + n, sizeof(want) - (size_t)n, "lut%d_%c:%zu:0x%08x,", order[i][0],
                      "SDY"[order[i][1]], len, lutsr_crc32(0, st->lut[order[i][1]], len));
    }
    uint8_t rows[32];
    for (int i = 0; i < 32; i++)
        rows[i] = (uint8_t)(i % 4 ? 0 : py_mu_stages[i / 16][i / 4 % 4]);
    snprintf(want + n, sizeof(want) - (size_t)n, "stages:32:0x%08x", lutsr_crc32(0, rows, 32));
    snprintf(args, sizeof(args), "--dump '%s'", path);
    REQUIRE_CMP(run_python(args, got, sizeof(got)), ==, 0);
    if (strcmp(got, want)) {
        fprintf(stderr, "python read:\n  %s\nexpected:\n  %s\n", got, want);
        exit(1);
    }
    free(bytes);
    lutsr_model_close(&m);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st; (void)type; (void)ftw;
    return remove(path);
}

/* atexit: also after a failed REQUIRE, so failures leave no files behind. */
static void remove_tmp_dir(void)
{
    if (tmp_dir[0])
        nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    if (system("python3 -c 'import struct, zlib' >/dev/null 2>&1")) {
        printf("python3 not available: skipped\n");
        return TEST_SKIP;
    }
    if (find_script()) {
        fprintf(stderr, "cannot find training/lsr_format.py\n");
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/lutsr-pyfmt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    REQUIRE(mkdtemp(tmp_dir));
    atexit(remove_tmp_dir);

    char args[600], line[512];
    snprintf(args, sizeof(args), "--selftest '%s'", tmp_dir);
    REQUIRE_CMP(run_python(args, line, sizeof(line)), ==, 0);
    REQUIRE(strstr(line, "selftest: py-srlut-x2.lsr ok"));

    /* The contents lsr_format.py's selftest() writes. */
    check_python_file("py-srlut-x2.lsr", LUTSR_MODEL_SRLUT, 2, 4, 6, 7, 3,
                      "writer: lsr_format.py\nname: selftest-srlut\nnote: caf\xc3\xa9\n");
    check_python_file("py-eclut-x3.lsr", LUTSR_MODEL_ECLUT, 3, 0, 5, 13, 1, "name: selftest-eclut");

    check_c_file(LUTSR_MODEL_SRLUT, 4, 5, 7, "arch: srlut\nnote: \xe2\x9c\x93\n");
    check_c_file(LUTSR_MODEL_SRLUT, 3, 6, 0, "");
    check_c_file(LUTSR_MODEL_ECLUT, 2, 0, 11, "arch: eclut");
    check_python_mulut();
    check_c_mulut();

    printf("test_model_python: all passed\n");
    return 0;
}
