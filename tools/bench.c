/*
 * lutsr bench: frames per second of lutsr_upscale_luma() on a synthetic
 * plane and on a real photo, next to the engine's own bicubic on the same
 * plane, in one run (same machine state, same thread pool). Each plane is
 * given in two versions one pixel apart, in turn (make_twin()).
 */
#include <dirent.h>
#include <stdint.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "colorspace.h"
#include "commands.h"

static const CliOpt bench_opts[] = {
    { "model",   'm', "MODEL", "model file, shipped name or bicubic[-xN]", NULL },
    { "size",    's', "WxH",   "input plane size", "1920x1080" },
    { "threads", 0,   "N",     "worker threads, 1..256", "number of CPUs" },
    { "cpu",     0,   "LEVEL", "SIMD level cap: auto, none, sse41, avx2", "auto" },
    { "ensemble", 0,  "N",     "1, or 8: x8 self-ensemble of the model (all flips and transposes, "
                               "averaged; about 8x slower, offline quality mode)", "1" },
    { "frames",  0,   "N",     "frames per repetition, 1..100000", "enough for ~0.3 s" },
    { "reps",    0,   "N",     "repetitions (the median is reported), 1..100", "5" },
    { "image",   0,   "PNG",   "real image to tile to WxH",
                               "first PNG under $LUTSR_DATA_DIR or ../shared/data/val" },
    { NULL, 0, NULL, NULL, NULL },
};
enum { OPT_MODEL, OPT_SIZE, OPT_THREADS, OPT_CPU, OPT_ENSEMBLE, OPT_FRAMES, OPT_REPS, OPT_IMAGE };

const CliCommand cli_bench = {
    "bench", "-m MODEL [-s WxH] [--threads N] [--cpu LEVEL] [--frames N] [--image PNG]",
    "Measure upscaling speed (ms/frame, output megapixels/s, fps) against bicubic.",
    bench_opts,
    "Each row: warm-up, then REPS timed runs of FRAMES frames; the median run is\n"
    "reported. \"vs bicubic\" is the row's time per frame divided by the engine's\n"
    "bicubic on the same plane (1.00x = as fast as bicubic). The last line gives\n"
    "the process's peak memory (RSS).\n",
};

typedef struct Row {
    const char *label;
    int frames, reps;
    double ms;            /* median ms per frame */
} Row;

/* Smooth gradient plus mild noise: exercises every LUT region a photo
 * would without being compressible into a few entries. */
static void fill_synthetic(const LutsrPlane *p)
{
    uint32_t x = 0x12345678u;
    for (int i = 0; i < p->height; i++)
        for (int j = 0; j < p->width; j++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            int g = (int)((long)j * 255 / p->width + (long)i * 255 / p->height) / 2;
            int v = g + (int)(x % 17) - 8;
            p->data[i * p->stride + j] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

static int mirror(int x, int n)
{
    int m = x % (2 * n);
    return m < n ? m : 2 * n - 1 - m;
}

/* First *.png under dir (depth-first, names sorted), into out. */
static int find_png(const char *dir, char *out, size_t size, int depth)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return -1;
    int found = -1;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        size_t len = strlen(name);
        if (found < 0 && name[0] != '.') {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            if (len > 4 && !strcasecmp(name + len - 4, ".png")) {
                snprintf(out, size, "%s", path);
                found = 0;
            } else if (depth < 4) {
                found = find_png(path, out, size, depth + 1);
            }
        }
        free(list[i]);
    }
    free(list);
    return found;
}

static int default_image(char *out, size_t size)
{
    const char *env = getenv("LUTSR_DATA_DIR");
    if (env && *env && find_png(env, out, size, 0) == 0)
        return 0;
    if (find_png("../shared/data/val", out, size, 0) == 0)
        return 0;
    /* Also from outside the repository: the data sits beside it. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", LUTSR_MODEL_DIR); /* <repo>/models */
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/../shared/data/val");
    return find_png(dir, out, size, 0);
}

/* Loads a PNG as luma, mirror-tiled (or cropped) to the plane's size. */
static int load_real(const char *path, const LutsrPlane *dst)
{
    char err[512];
    unsigned notes;
    Image img, y;
    if (image_png_read(path, &img, &notes, err, sizeof(err)) < 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    const LutsrPlane *luma = &img.plane[0];
    memset(&y, 0, sizeof(y));
    if (img.format != IMAGE_GRAY) {
        if (image_alloc(&y, IMAGE_YUV444, img.width, img.height) < 0) {
            image_free(&img);
            cli_error("bench", "out of memory");
            return -1;
        }
        rgb_to_ycbcr(&img.plane[0], &img.plane[1], &img.plane[2],
                     &y.plane[0], &y.plane[1], &y.plane[2]);
        luma = &y.plane[0];
    }
    for (int i = 0; i < dst->height; i++) {
        const uint8_t *s = luma->data + mirror(i, luma->height) * luma->stride;
        for (int j = 0; j < dst->width; j++)
            dst->data[i * dst->stride + j] = s[mirror(j, luma->width)];
    }
    image_free(&img);
    image_free(&y);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* b = a with one pixel's low bit flipped. measure() alternates the two, so
 * every frame is a new frame to the engine, as in a video: models with
 * whole-plane statistics (IMDN's MEAN_STD) cache them per plane, and a
 * repeated frame would time only their last pass. */
static void make_twin(const LutsrPlane *a, const LutsrPlane *b)
{
    for (int y = 0; y < a->height; y++)
        memcpy(b->data + (ptrdiff_t)y * b->stride, a->data + (ptrdiff_t)y * a->stride, (size_t)a->width);
    b->data[0] ^= 1;
}

/* Times one operation on src[0] and src[1] in turn; returns -1 if the
 * library reports an error. */
static int measure(LutsrContext *c, int use_model, const LutsrPlane src[2],
                   const LutsrPlane *dst, int frames, int reps, Row *row)
{
    int (*fn)(LutsrContext *, const LutsrPlane *, const LutsrPlane *) =
        use_model ? lutsr_upscale_luma : lutsr_upscale_bicubic;
    unsigned turn = 0;
    /* Warm-up: the first call sizes scratch buffers and faults pages in;
     * then calls until 0.1 s have passed estimate the time per frame. */
    int r = fn(c, &src[turn++ & 1], dst), calls = 0;
    double t = tool_now(), one;
    do {
        r |= fn(c, &src[turn++ & 1], dst);
        calls++;
        one = (tool_now() - t) / calls;
    } while (one * calls < 0.1 && r >= 0);
    if (frames <= 0) {
        double n = 0.3 / (one > 1e-6 ? one : 1e-6);
        frames = n < 1 ? 1 : n > 100000 ? 100000 : (int)n;
    }
    double ms[100];
    for (int k = 0; k < reps && r >= 0; k++) {
        t = tool_now();
        for (int i = 0; i < frames; i++)
            r |= fn(c, &src[turn++ & 1], dst);
        ms[k] = (tool_now() - t) * 1e3 / frames;
    }
    /* Errors are negative, so OR-ing the results keeps any of them. */
    if (r < 0) {
        cli_error("bench", "%s: %s", row->label,
                  *lutsr_last_error(c) ? lutsr_last_error(c) : lutsr_strerror(r));
        return -1;
    }
    qsort(ms, (size_t)reps, sizeof(ms[0]), cmp_double);
    row->frames = frames;
    row->reps = reps;
    row->ms = reps & 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
    return 0;
}

static void print_row(const Row *r, double out_mp, double bicubic_ms)
{
    char fr[32];
    snprintf(fr, sizeof(fr), "%dx%d", r->reps, r->frames);
    printf("%-28s %9s %10.2f %11.1f %9.1f %9.2fx\n", r->label, fr, r->ms,
           out_mp / (r->ms * 1e-3), 1e3 / r->ms, r->ms / bicubic_ms);
}

int cmd_bench(int argc, char **argv)
{
    const char *model_name = NULL, *image = NULL;
    int w = 1920, h = 1080, threads = 0, ensemble = 1, frames = 0, reps = 5;
    LutsrCpu cpu = LUTSR_CPU_AUTO;
    CliParser p;
    cli_init(&p, &cli_bench, argc, argv);
    for (int o; (o = cli_next(&p)) != CLI_DONE;) {
        int r = 0;
        switch (o) {
        case CLI_HELP:    cli_usage(stdout, &cli_bench); return 0;
        case CLI_ERROR:   return EXIT_USAGE;
        case OPT_MODEL:   model_name = p.arg; break;
        case OPT_SIZE:    r = cli_size(&p, &w, &h); break;
        case OPT_THREADS: r = cli_int(&p, 1, 256, &threads); break;
        case OPT_CPU:     r = cli_cpu(&p, &cpu); break;
        case OPT_ENSEMBLE: r = cli_ensemble(&p, &ensemble); break;
        case OPT_FRAMES:  r = cli_int(&p, 1, 100000, &frames); break;
        case OPT_REPS:    r = cli_int(&p, 1, 100, &reps); break;
        case OPT_IMAGE:   image = p.arg; break;
        }
        if (r < 0)
            return EXIT_USAGE;
    }
    if (cli_optind() < argc) {
        cli_error("bench", "unexpected argument '%s'", argv[cli_optind()]);
        return EXIT_USAGE;
    }
    if (cli_require(&p, model_name, "model") < 0)
        return EXIT_USAGE;

    char found[4096];
    if (!image && default_image(found, sizeof(found)) == 0)
        image = found;

    LutsrModel *m;
    LutsrContext *c;
    if (tool_open_engine("bench", model_name, threads, cpu, ensemble, 0, &m, &c) < 0)
        return EXIT_RUNTIME;
    const int s = lutsr_scale(c);
    Image src, src2, dst;
    int ret = EXIT_RUNTIME;
    if (image_alloc(&src, IMAGE_GRAY, w, h) < 0) {
        cli_error("bench", "out of memory");
        goto out_engine;
    }
    if (image_alloc(&src2, IMAGE_GRAY, w, h) < 0) {
        cli_error("bench", "out of memory");
        goto out_src;
    }
    if (image_alloc(&dst, IMAGE_GRAY, w * s, h * s) < 0) {
        cli_error("bench", "out of memory");
        goto out_src2;
    }
    const LutsrPlane planes[2] = { src.plane[0], src2.plane[0] };

    printf("lutsr bench: model %s (%s x%d%s), %dx%d -> %dx%d, %d thread%s, cpu %s\n",
           model_name, lutsr_model_kind_name(m), s, ensemble == 8 ? ", x8 self-ensemble" : "", w, h, w * s, h * s, lutsr_threads(c),
           lutsr_threads(c) == 1 ? "" : "s", lutsr_cpu_name(c));
    const double out_mp = (double)w * s * h * s * 1e-6;
    Row syn = { "model, synthetic", 0, 0, 0 }, real = { NULL, 0, 0, 0 },
        bic = { "engine bicubic, synthetic", 0, 0, 0 };
    char real_label[64] = "";

    fill_synthetic(&planes[0]);
    make_twin(&planes[0], &planes[1]);
    if (measure(c, 1, planes, &dst.plane[0], frames, reps, &syn) < 0 ||
        measure(c, 0, planes, &dst.plane[0], frames, reps, &bic) < 0)
        goto out_dst;
    if (image) {
        const char *base = strrchr(image, '/');
        snprintf(real_label, sizeof(real_label), "model, %.40s", base ? base + 1 : image);
        real.label = real_label;
        if (load_real(image, &planes[0]) < 0)
            goto out_dst;
        make_twin(&planes[0], &planes[1]);
        if (measure(c, 1, planes, &dst.plane[0], frames, reps, &real) < 0)
            goto out_dst;
    }

    printf("%-28s %9s %10s %11s %9s %10s\n", "plane", "reps x fr", "ms/frame",
           "MP/s (out)", "fps", "vs bicubic");
    print_row(&syn, out_mp, bic.ms);
    if (real.label)
        print_row(&real, out_mp, bic.ms);
    else
        printf("%-28s (no PNG found; pass --image or set LUTSR_DATA_DIR)\n", "model, real image");
    print_row(&bic, out_mp, bic.ms);
    double worst = real.label && real.ms > syn.ms ? real.ms : syn.ms;
    printf("real time (60 fps) at %dx%d: %s (slowest model row %.1f fps)\n", w, h,
           1e3 / worst >= 60 ? "yes" : "no", 1e3 / worst);
    /* The whole process: the model, this tool's frames (two input planes,
     * one output, the real image) and the engine's per-thread scratch. */
    struct rusage ru;
    if (!getrusage(RUSAGE_SELF, &ru))
        printf("peak memory: %.1f MiB (process peak RSS: model, frames, engine scratch)\n",
               ru.ru_maxrss / 1024.0);
    ret = 0;
out_dst:
    image_free(&dst);
out_src2:
    image_free(&src2);
out_src:
    image_free(&src);
out_engine:
    tool_close_engine(&m, &c);
    return ret;
}
