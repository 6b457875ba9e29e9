/*
 * lutsr make-model: writes a generated (not trained) LUT model, for tests
 * and demos before trained models exist. The kernels' exact semantics are
 * in docs/kernels.md; the comments below only say what each LUT encodes.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "model.h"

static const CliOpt mkmodel_opts[] = {
    { "kind",          0,   "KIND", "srlut, eclut or mulut", "srlut" },
    { "scale",         0,   "S",    "upscaling factor, 2..4", "2" },
    { "interval-bits", 0,   "K",    "srlut/mulut sampling interval 2^K, 2..6", "4" },
    { "function",      0,   "F",    "nearest, bilinear or random", "bilinear" },
    { "seed",          0,   "N",    "seed of the random function, 0..2^31-1", "1" },
    { "stages",        0,   "N",    "mulut: number of stages, 1..4", "2" },
    { "patterns",      0,   "P",    "mulut: sampling patterns of every stage, letters of SDY", "SDY" },
    { "output",        'o', "FILE", "model file to write (.lsr)", NULL },
    { NULL, 0, NULL, NULL, NULL },
};
enum { OPT_KIND, OPT_SCALE, OPT_BITS, OPT_FUNCTION, OPT_SEED, OPT_STAGES, OPT_PATTERNS, OPT_OUTPUT };

const CliCommand cli_make_model = {
    "make-model", "[--kind srlut|eclut|mulut] [--scale S] [--function F] -o FILE",
    "Write a generated (untrained) LUT model for tests and demos.",
    mkmodel_opts,
    "Functions: nearest = all-zero residuals (pixel replication); bilinear = the\n"
    "residual a linear interpolation predicts (srlut: bilinear from each rotation's\n"
    "2x2 window, extrapolated where the sample lies outside it; eclut: vertical\n"
    "linear interpolation from each pixel pair, so the four rotations average to\n"
    "central differences; mulut: the srlut one in the last stage's S LUT, every\n"
    "other LUT zero, so it needs pattern S), quantised to int8 with the finest\n"
    "out_shift that fits; random = uniform int8 values (tests).\n",
};

enum { FN_NEAREST, FN_BILINEAR, FN_RANDOM };
static const char *const kind_names[] = { "srlut", "eclut", "mulut" };
static const char *const fn_names[] = { "nearest", "bilinear", "random" };

/* Offset of output sub-pixel u (0..s-1) from its source pixel's centre, in
 * source pixels: pixel-centre alignment, as the bicubic kernel uses. */
static double subpel(int u, int s)
{
    return (u + 0.5) / s - 0.5;
}

/* SR-LUT: bilinear through the 2x2 window a b / c d at offset (ty, tx)
 * from a, minus a (the kernel adds the anchor a back). */
static double srlut_residual(double a, double b, double c, double d, double ty, double tx)
{
    return (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
}

/* Largest power-of-two exponent p with max_abs * 2^p <= 127. */
static int fit_exponent(double max_abs)
{
    return max_abs > 0 ? (int)floor(log2(127.0 / max_abs)) : 0;
}

static int8_t quantise(double v)
{
    long q = lround(v);
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

/* Residual magnitude is largest at the extreme pixel values; the residual
 * is linear in each of them, so checking {0, 255}^4 bounds all entries. */
static double srlut_max_residual(int s)
{
    double m = 0;
    for (int u = 0; u < s; u++)
        for (int v = 0; v < s; v++)
            for (int bits = 0; bits < 16; bits++) {
                double r = srlut_residual(bits & 1 ? 255 : 0, bits & 2 ? 255 : 0,
                                          bits & 4 ? 255 : 0, bits & 8 ? 255 : 0,
                                          subpel(u, s), subpel(v, s));
                m = fabs(r) > m ? fabs(r) : m;
            }
    return m;
}

/* The value lattice point i of an SR-LUT stands for: i * 2^k, with the
 * last point (256) standing for 255, as SR-LUT's own transfer does. */
static double lattice_value(int i, int k)
{
    int v = i << k;
    return v > 255 ? 255 : v;
}

static void fill_srlut_bilinear(int8_t *e, int n, int s, int k, int exponent)
{
    const double gain = ldexp(1.0, exponent);
    for (int A = 0; A < n; A++)
        for (int B = 0; B < n; B++)
            for (int C = 0; C < n; C++)
                for (int D = 0; D < n; D++)
                    for (int u = 0; u < s; u++)
                        for (int v = 0; v < s; v++)
                            *e++ = quantise(gain * srlut_residual(
                                lattice_value(A, k), lattice_value(B, k), lattice_value(C, k),
                                lattice_value(D, k), subpel(u, s), subpel(v, s)));
}

/* ECLUT: only group (1, 1) (the pixel's own output block) is used. Pair
 * (p0, p1) = (pixel, pixel below) adds (p1 - p0) * ty / 2: the opposite
 * rotation adds (p_up - p0) * -ty / 2, so the two together give the
 * central-difference slope (p_down - p_up) / 2 times ty, and the other two
 * rotations do the same horizontally. */
static void fill_eclut_bilinear(struct LutsrModel *m, int out_shift)
{
    const int s = m->scale, ss = s * s;
    const double gain = ldexp(1.0, out_shift);
    const int g11 = (1 * 3 + 1) * ss;
    for (int p0 = 0; p0 < 256; p0++)
        for (int p1 = 0; p1 < 256; p1++) {
            int8_t *e = m->lut + ((size_t)p0 * 256 + (size_t)p1) * m->lut_values;
            for (int u = 0; u < s; u++)
                for (int v = 0; v < s; v++)
                    e[g11 + u * s + v] = quantise(gain * (p1 - p0) * subpel(u, s) / 2);
        }
}

/* xorshift64*, continuing from *x (so several LUTs get different bytes). */
static void fill_random(int8_t *lut, size_t n, uint64_t *x)
{
    for (size_t i = 0; i < n; i++) {
        *x ^= *x >> 12;
        *x ^= *x << 25;
        *x ^= *x >> 27;
        lut[i] = (int8_t)(uint8_t)((*x * 0x2545F4914F6CDD1Dull) >> 56);
    }
}

/* "SDY", "YS", ...: a MuLUT pattern mask, or -1. */
static int parse_patterns(const char *s)
{
    int mask = 0;
    for (; *s; s++) {
        const char *c = strchr(LUTSR_MULUT_PATTERN_LETTERS, *s);
        if (!c || (mask & 1 << (c - LUTSR_MULUT_PATTERN_LETTERS)))
            return -1;
        mask |= 1 << (c - LUTSR_MULUT_PATTERN_LETTERS);
    }
    return mask ? mask : -1;
}

/* MuLUT: every stage has the same patterns and interval; only the last
 * upscales. out_shift: / q, / 4 rotations, / 2^exponent, and for random
 * LUTs also / the number of patterns (rounded up to a power of two), so
 * each stage's residual stays in pixel units. */
static int make_mulut(struct LutsrModel **out, int scale, int stages, int mask, int bits, int fn,
                      int seed, const char *meta)
{
    const int np = (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1);
    const int exponent = fn == FN_BILINEAR ? fit_exponent(srlut_max_residual(scale)) : 0;
    LutsrMulutStage d[LUTSR_MULUT_MAX_STAGES];
    memset(d, 0, sizeof(d));
    for (int t = 0; t < stages; t++) {
        d[t].scale = t == stages - 1 ? scale : 1;
        d[t].pattern_mask = mask;
        d[t].interval_bits = bits;
        d[t].out_shift = bits + 2 + (fn == FN_RANDOM ? (np > 2 ? 2 : np - 1) : exponent);
    }
    int r = lutsr_model_alloc_mulut(out, scale, stages, d, meta);
    if (r < 0)
        return r;
    struct LutsrModel *m = *out;
    uint64_t x = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
    for (int t = 0; t < stages; t++) {
        const LutsrMulutStage *st = &m->stages[t];
        for (int p = 0; p < LUTSR_MULUT_PATTERNS; p++) {
            if (!st->lut[p])
                continue;
            if (fn == FN_RANDOM)
                fill_random(st->lut[p], (size_t)st->lut_entries * st->lut_values, &x);
            else if (fn == FN_BILINEAR && t == stages - 1 && p == LUTSR_MULUT_S)
                fill_srlut_bilinear(st->lut[p], st->lut_side, scale, bits, exponent);
        }
    }
    return 0;
}

static int write_file(const char *path, const uint8_t *buf, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        cli_error(path, "cannot open for writing: %s", strerror(errno));
        return -1;
    }
    int bad = fwrite(buf, 1, size, f) != size;
    bad |= fclose(f) != 0;
    if (bad) {
        cli_error(path, "write failed: %s", strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int cmd_make_model(int argc, char **argv)
{
    int kind = 0, scale = 2, bits = 4, fn = FN_BILINEAR, seed = 1, bits_given = 0;
    int stages = 2, mask = 7, mulut_given = 0;
    const char *out = NULL;
    CliParser p;
    cli_init(&p, &cli_make_model, argc, argv);
    for (int o; (o = cli_next(&p)) != CLI_DONE;) {
        int r = 0;
        switch (o) {
        case CLI_HELP:     cli_usage(stdout, &cli_make_model); return 0;
        case CLI_ERROR:    return EXIT_USAGE;
        case OPT_KIND:     r = cli_choice(&p, kind_names, 3, &kind); break;
        case OPT_SCALE:    r = cli_int(&p, 2, 4, &scale); break;
        case OPT_BITS:     r = cli_int(&p, LUTSR_SRLUT_MIN_INTERVAL_BITS,
                                       LUTSR_SRLUT_MAX_INTERVAL_BITS, &bits);
                           bits_given = 1; break;
        case OPT_FUNCTION: r = cli_choice(&p, fn_names, 3, &fn); break;
        case OPT_SEED:     r = cli_int(&p, 0, 0x7fffffff, &seed); break;
        case OPT_STAGES:   r = cli_int(&p, 1, LUTSR_MULUT_MAX_STAGES, &stages);
                           mulut_given = 1; break;
        case OPT_PATTERNS:
            mulut_given = 1;
            if ((mask = parse_patterns(p.arg)) < 0) {
                cli_error("make-model", "--patterns takes letters of S, D and Y, each at most once "
                          "(e.g. SDY), got '%s'", p.arg);
                r = -1;
            }
            break;
        case OPT_OUTPUT:   out = p.arg; break;
        }
        if (r < 0)
            return EXIT_USAGE;
    }
    if (cli_optind() < argc) {
        cli_error("make-model", "unexpected argument '%s'", argv[cli_optind()]);
        return EXIT_USAGE;
    }
    if (cli_require(&p, out, "output") < 0)
        return EXIT_USAGE;
    static const LutsrModelKind kinds[] = { LUTSR_MODEL_SRLUT, LUTSR_MODEL_ECLUT, LUTSR_MODEL_MULUT };
    const LutsrModelKind mk = kinds[kind];
    if (mk == LUTSR_MODEL_ECLUT && bits_given) {
        cli_error("make-model", "--interval-bits applies to srlut and mulut only (eclut is a full LUT)");
        return EXIT_USAGE;
    }
    if (mk != LUTSR_MODEL_MULUT && mulut_given) {
        cli_error("make-model", "--stages and --patterns apply to mulut only");
        return EXIT_USAGE;
    }
    if (mk == LUTSR_MODEL_MULUT && fn == FN_BILINEAR && !(mask & 1 << LUTSR_MULUT_S)) {
        cli_error("make-model", "--function bilinear needs pattern S in --patterns (it fills "
                  "the last stage's S LUT)");
        return EXIT_USAGE;
    }
    if (mk != LUTSR_MODEL_ECLUT) {
        const uint64_t side = (1u << (8 - bits)) + 1, entries = side * side * side * side;
        uint64_t bytes = entries * (uint64_t)(scale * scale);
        if (mk == LUTSR_MODEL_MULUT) {
            const int np = (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1);
            bytes = (bytes + entries * (uint64_t)(stages - 1)) * (uint64_t)np;
        }
        if (bytes + 4096 > LUTSR_MODEL_MAX_FILE) {
            cli_error("make-model", "%s %s x%d with --interval-bits %d needs %llu MiB, over "
                      "the %llu MiB model limit; use a larger --interval-bits",
                      mk == LUTSR_MODEL_SRLUT ? "an" : "a", kind_names[kind],
                      scale, bits, (unsigned long long)(bytes >> 20),
                      (unsigned long long)(LUTSR_MODEL_MAX_FILE >> 20));
            return EXIT_USAGE;
        }
    }

    /* Pick out_shift: the residual in pixels is T / 2^out_shift, where T
     * sums q-weighted LUT values (srlut) over 4 rotations. */
    int out_shift, exponent = 0;
    if (mk == LUTSR_MODEL_SRLUT) {
        if (fn == FN_BILINEAR)
            exponent = fit_exponent(srlut_max_residual(scale));
        out_shift = bits + 2 + exponent; /* / q, / 4 rotations, / 2^exponent */
    } else if (mk == LUTSR_MODEL_ECLUT) {
        /* Group (1,1) values already carry the 1/2 of the rotation
         * pairing; 2^out_shift is their fixed-point gain. */
        out_shift = fn == FN_BILINEAR ? fit_exponent(255.0 * fabs(subpel(0, scale)) / 2) : 6;
    } else {
        out_shift = 0; /* per stage: make_mulut() */
    }
    if (out_shift < 0)
        out_shift = 0;

    char meta[512];
    int n = snprintf(meta, sizeof(meta), "generated by lutsr make-model, not trained\n"
                     "function: %s\nkind: %s\nscale: %d\n", fn_names[fn], kind_names[kind], scale);
    if (mk != LUTSR_MODEL_ECLUT)
        n += snprintf(meta + n, sizeof(meta) - (size_t)n, "interval_bits: %d\n", bits);
    if (mk == LUTSR_MODEL_MULUT) {
        char letters[4] = "";
        for (int i = 0, j = 0; i < LUTSR_MULUT_PATTERNS; i++)
            if (mask & 1 << i)
                letters[j++] = LUTSR_MULUT_PATTERN_LETTERS[i];
        n += snprintf(meta + n, sizeof(meta) - (size_t)n, "stages: %d\npatterns: %s\n", stages, letters);
    }
    if (fn == FN_RANDOM)
        snprintf(meta + n, sizeof(meta) - (size_t)n, "seed: %d\n", seed);

    struct LutsrModel *m = NULL;
    int r = mk == LUTSR_MODEL_MULUT
        ? make_mulut(&m, scale, stages, mask, bits, fn, seed, meta)
        : lutsr_model_alloc(&m, mk, scale, mk == LUTSR_MODEL_SRLUT ? bits : 0, out_shift, meta);
    if (r < 0) {
        cli_error("make-model", "cannot create the model: %s", lutsr_strerror(r));
        return EXIT_RUNTIME;
    }
    if (mk != LUTSR_MODEL_MULUT) { /* make_mulut() fills its own */
        uint64_t x = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
        if (fn == FN_BILINEAR && mk == LUTSR_MODEL_SRLUT)
            fill_srlut_bilinear(m->lut, m->lut_side, scale, bits, exponent);
        else if (fn == FN_BILINEAR)
            fill_eclut_bilinear(m, out_shift);
        else if (fn == FN_RANDOM)
            fill_random(m->lut, (size_t)m->lut_entries * m->lut_values, &x);
    }

    uint8_t *buf = NULL;
    size_t size = 0;
    r = lutsr_model_serialize(m, &buf, &size);
    lutsr_model_close(&m);
    if (r < 0) {
        cli_error("make-model", "cannot serialise the model: %s", lutsr_strerror(r));
        return EXIT_RUNTIME;
    }
    r = write_file(out, buf, size);
    free(buf);
    return r < 0 ? EXIT_RUNTIME : 0;
}
