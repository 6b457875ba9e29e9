/*
 * lutsr upscale: PNG -> PNG, Y4M -> Y4M (all frames, streaming), raw gray
 * -> raw gray. The work per image is upscale_image() (engine.c); this file
 * is file handling, progress and the summary.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"

static const CliOpt upscale_opts[] = {
    { "model",   'm', "MODEL", "model file, shipped name (x2, srlut-x2, ...) or bicubic[-xN]", NULL },
    { "input",   'i', "IN",    "input .png, .y4m, .yuv/.gray/.raw, or - (Y4M on stdin)", NULL },
    { "output",  'o', "OUT",   "output of the same kind as IN, or - (Y4M on stdout)", NULL },
    { "threads", 0,   "N",     "worker threads, 1..256", "number of CPUs" },
    { "cpu",     0,   "LEVEL", "SIMD level cap: auto, none, sse41, avx2", "auto" },
    { "ensemble", 0,  "N",     "1, or 8: x8 self-ensemble of the model (all flips and transposes, "
                               "averaged; about 8x slower, offline quality mode)", "1" },
    { "size",    0,   "WxH",   "frame size of raw gray input (required for raw)", NULL },
    { "quiet",   'q', NULL,    "no progress, summary or warnings on stderr", NULL },
    { NULL, 0, NULL, NULL, NULL },
};
enum { OPT_MODEL, OPT_INPUT, OPT_OUTPUT, OPT_THREADS, OPT_CPU, OPT_ENSEMBLE, OPT_SIZE, OPT_QUIET };

const CliCommand cli_upscale = {
    "upscale", "-m MODEL -i IN -o OUT [options]",
    "Upscale an image or video with a LUT model (or bicubic).",
    upscale_opts,
    "The scale comes from the model. Formats come from the file extensions:\n"
    "  .png              gray, RGB, RGBA (palette and gray+alpha are expanded,\n"
    "                    16-bit is reduced to 8-bit)\n"
    "  .y4m or -         8-bit 420 (jpeg, paldv, mpeg2), 422, 444, mono; all frames\n"
    "  .yuv .gray .raw   8-bit gray frames back to back; needs --size\n"
    "Luma and gray go through the model; chroma and alpha through the engine's\n"
    "bicubic. RGB is converted to BT.601 full-range Y'CbCr and back.\n",
};

typedef struct Upscaler {
    const char *in_path, *out_path;
    FileKind kind;
    int raw_w, raw_h;
    int quiet;
    int ensemble;         /* 1 or 8 */
    FILE *in, *out;
    int out_created;      /* out_path is a file we created (removed on failure) */
    Y4mReader y4m;
    Y4mWriter y4m_out;
    RawReader raw;
    Image src, dst;
    long frames, frames_total;
    double t0, last_progress;
    int tty;
} Upscaler;

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!strcmp(a, "-") || !strcmp(b, "-") || stat(a, &sa) < 0 || stat(b, &sb) < 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int open_output(Upscaler *u)
{
    char err[256];
    u->out = image_fopen(u->out_path, 1, err, sizeof(err));
    if (!u->out) {
        cli_error(u->out_path, "%s", err);
        return -1;
    }
    u->out_created = strcmp(u->out_path, "-") != 0;
    return 0;
}

static void progress(Upscaler *u, int final)
{
    if (u->quiet)
        return;
    double now = tool_now(), dt = now - u->t0;
    double fps = dt > 0 ? (double)u->frames / dt : 0;
    if (!final) {
        /* A tty gets a live line; a log gets a line every 10 s at most. */
        if (u->frames_total == 1 || now - u->last_progress < (u->tty ? 0.1 : 10.0))
            return;
        u->last_progress = now;
        if (u->frames_total > 0)
            fprintf(stderr, "frame %ld/%ld (%.0f%%) - %.1f fps%s", u->frames, u->frames_total,
                    100.0 * (double)u->frames / (double)u->frames_total, fps, u->tty ? "\r" : "\n");
        else
            fprintf(stderr, "frame %ld - %.1f fps%s", u->frames, fps, u->tty ? "\r" : "\n");
        return;
    }
    if (u->tty && u->frames_total != 1)
        fprintf(stderr, "\r\033[K"); /* clear the live line */
}

static void summary(const Upscaler *u, const LutsrModel *m, const LutsrContext *c,
                    const char *model_name)
{
    double dt = tool_now() - u->t0;
    fprintf(stderr, "upscaled %ld frame%s %dx%d -> %dx%d %s, model %s (%s x%d%s), "
            "%d thread%s, cpu %s: %.3f s, %.1f fps\n",
            u->frames, u->frames == 1 ? "" : "s", u->src.width, u->src.height,
            u->dst.width, u->dst.height, image_format_name(u->src.format), model_name,
            lutsr_model_kind_name(m), lutsr_model_scale(m),
            u->ensemble == 8 ? ", x8 self-ensemble" : "", lutsr_threads(c),
            lutsr_threads(c) == 1 ? "" : "s", lutsr_cpu_name(c), dt,
            dt > 0 ? (double)u->frames / dt : 0.0);
}

/* Reads the next frame: 1, 0 at the end, -1 on error (reported). */
static int next_frame(Upscaler *u)
{
    char err[512];
    int r;
    if (u->kind == FILE_PNG) {
        if (u->frames)
            return 0;
        unsigned notes;
        if (image_png_read(u->in_path, &u->src, &notes, err, sizeof(err)) < 0) {
            cli_error(u->in_path, "%s", err);
            return -1;
        }
        if ((notes & PNG_NOTE_16BIT) && !u->quiet)
            fprintf(stderr, "lutsr: %s: warning: 16-bit PNG reduced to 8 bits per sample\n",
                    u->in_path);
        return 1;
    }
    r = u->kind == FILE_Y4M ? y4m_read_frame(&u->y4m, &u->src, err, sizeof(err))
                            : raw_read_frame(&u->raw, &u->src, err, sizeof(err));
    if (r < 0)
        cli_error(u->in_path, "%s", err);
    return r;
}

static int write_frame(Upscaler *u)
{
    char err[512];
    int r;
    if (u->kind == FILE_PNG) {
        r = image_png_write(u->out_path, &u->dst, err, sizeof(err));
    } else if (u->kind == FILE_Y4M) {
        if (u->frames == 0 && y4m_writer_init(&u->y4m_out, u->out, &u->y4m.hdr, u->dst.width,
                                              u->dst.height, err, sizeof(err)) < 0)
            r = -1;
        else
            r = y4m_write_frame(&u->y4m_out, &u->dst, u->y4m.frame_params, err, sizeof(err));
    } else {
        r = raw_write_frame(u->out, &u->dst, err, sizeof(err));
    }
    if (r < 0)
        cli_error(u->out_path, "%s", err);
    return r;
}

static int open_input(Upscaler *u)
{
    char err[512];
    if (u->kind == FILE_PNG) {
        u->frames_total = 1;
        return 0;
    }
    u->in = image_fopen(u->in_path, 0, err, sizeof(err));
    if (!u->in) {
        cli_error(u->in_path, "%s", err);
        return -1;
    }
    if (u->kind == FILE_Y4M) {
        if (y4m_reader_init(&u->y4m, u->in, err, sizeof(err)) < 0) {
            cli_error(u->in_path, "%s", err);
            return -1;
        }
        u->frames_total = u->y4m.frames_total;
        if (u->y4m.hdr.interlaced && !u->quiet)
            fprintf(stderr, "lutsr: %s: warning: interlaced input is upscaled as "
                    "progressive frames\n", u->in_path);
    } else {
        if (raw_reader_init(&u->raw, u->in, u->raw_w, u->raw_h, err, sizeof(err)) < 0) {
            cli_error(u->in_path, "%s", err);
            return -1;
        }
        u->frames_total = u->raw.frames_total;
    }
    return 0;
}

static int run(Upscaler *u, LutsrContext *ctx)
{
    char err[512];
    for (;;) {
        int r = next_frame(u);
        if (r <= 0)
            return r;
        /* The output is opened only once the input has proven readable, so
         * a bad input never clobbers an existing output file. */
        if (u->kind != FILE_PNG && !u->out && open_output(u) < 0)
            return -1;
        if (upscale_image(ctx, &u->src, &u->dst, err, sizeof(err)) < 0) {
            cli_error("upscale", "frame %ld: %s", u->frames + 1, err);
            return -1;
        }
        if (write_frame(u) < 0)
            return -1;
        u->frames++;
        progress(u, 0);
    }
}

int cmd_upscale(int argc, char **argv)
{
    Upscaler u = { .frames_total = -1, .ensemble = 1 };
    const char *model_name = NULL;
    int threads = 0;
    LutsrCpu cpu = LUTSR_CPU_AUTO;
    CliParser p;
    cli_init(&p, &cli_upscale, argc, argv);
    for (int o; (o = cli_next(&p)) != CLI_DONE;) {
        switch (o) {
        case CLI_HELP:    cli_usage(stdout, &cli_upscale); return 0;
        case CLI_ERROR:   return EXIT_USAGE;
        case OPT_MODEL:   model_name = p.arg; break;
        case OPT_INPUT:   u.in_path = p.arg; break;
        case OPT_OUTPUT:  u.out_path = p.arg; break;
        case OPT_THREADS: if (cli_int(&p, 1, 256, &threads) < 0) return EXIT_USAGE; break;
        case OPT_CPU:     if (cli_cpu(&p, &cpu) < 0) return EXIT_USAGE; break;
        case OPT_ENSEMBLE: if (cli_ensemble(&p, &u.ensemble) < 0) return EXIT_USAGE; break;
        case OPT_SIZE:    if (cli_size(&p, &u.raw_w, &u.raw_h) < 0) return EXIT_USAGE; break;
        case OPT_QUIET:   u.quiet = 1; break;
        }
    }
    if (cli_optind() < argc) {
        cli_error("upscale", "unexpected argument '%s' (use -i IN -o OUT)", argv[cli_optind()]);
        return EXIT_USAGE;
    }
    if (cli_require(&p, model_name, "model") < 0 || cli_require(&p, u.in_path, "input") < 0 ||
        cli_require(&p, u.out_path, "output") < 0)
        return EXIT_USAGE;

    u.kind = file_kind_from_name(u.in_path);
    FileKind out_kind = file_kind_from_name(u.out_path);
    const char *unknown = !u.kind ? u.in_path : !out_kind ? u.out_path : NULL;
    if (unknown) {
        cli_error(unknown, "cannot tell the format from the extension "
                  "(use .png, .y4m, .yuv, .gray, .raw or - for Y4M on stdin/stdout)");
        return EXIT_USAGE;
    }
    if (u.kind != out_kind) {
        cli_error("upscale", "input is %s but output '%s' is %s; both must be the same kind",
                  file_kind_name(u.kind), u.out_path, file_kind_name(out_kind));
        return EXIT_USAGE;
    }
    if (u.kind == FILE_RAW && !u.raw_w) {
        cli_error("upscale", "raw input '%s' needs --size WxH", u.in_path);
        return EXIT_USAGE;
    }
    if (u.kind != FILE_RAW && u.raw_w) {
        cli_error("upscale", "--size applies to raw input only (Y4M and PNG carry their size)");
        return EXIT_USAGE;
    }
    if (same_file(u.in_path, u.out_path)) {
        cli_error("upscale", "output '%s' is the input file", u.out_path);
        return EXIT_USAGE;
    }

    LutsrModel *model;
    LutsrContext *ctx;
    if (tool_open_engine("upscale", model_name, threads, cpu, u.ensemble, u.quiet, &model, &ctx) < 0)
        return EXIT_RUNTIME;
    u.tty = isatty(2);
    u.t0 = u.last_progress = tool_now();
    int r = open_input(&u);
    if (r == 0)
        r = run(&u, ctx);
    if (r == 0 && u.frames == 0) {
        /* An empty stream still gets a valid (empty) output stream. */
        if (u.kind == FILE_Y4M && (r = open_output(&u)) == 0) {
            char err[256];
            int s = lutsr_scale(ctx);
            if (y4m_writer_init(&u.y4m_out, u.out, &u.y4m.hdr, u.y4m.hdr.width * s,
                                u.y4m.hdr.height * s, err, sizeof(err)) < 0) {
                cli_error(u.out_path, "%s", err);
                r = -1;
            }
        }
        if (!u.quiet && r == 0)
            fprintf(stderr, "lutsr: %s: warning: no frames in the input\n", u.in_path);
    }
    char err[256];
    if (u.in)
        image_fclose(u.in, NULL, 0);
    if (u.out && image_fclose(u.out, err, sizeof(err)) < 0 && r == 0) {
        cli_error(u.out_path, "%s", err);
        r = -1;
    }
    progress(&u, 1);
    if (r == 0 && !u.quiet && u.frames)
        summary(&u, model, ctx, model_name);
    if (r < 0 && u.out_created)
        unlink(u.out_path); /* no truncated output left behind */
    image_free(&u.src);
    image_free(&u.dst);
    tool_close_engine(&model, &ctx);
    return r < 0 ? EXIT_RUNTIME : 0;
}
