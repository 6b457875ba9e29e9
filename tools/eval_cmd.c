/*
 * lutsr eval: PSNR/SSIM of a model on a folder of HR images, with the
 * MATLAB-compatible protocol of tools/eval.h (modcrop, antialiased bicubic
 * downscale, Y PSNR/SSIM with a `scale`-pixel border crop). This file only
 * runs the engine and reports; all the protocol math is in eval.c.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "eval.h"

static const CliOpt eval_opts[] = {
    { "model",   'm', "MODEL", "model file, shipped name or bicubic[-xN]", NULL },
    { "hr",      0,   "DIR",   "folder of high-resolution *.png images", NULL },
    { "scale",   0,   "S",     "scale factor; must equal the model's, 2..4", "the model's" },
    { "threads", 0,   "N",     "worker threads, 1..256", "number of CPUs" },
    { "cpu",     0,   "LEVEL", "SIMD level cap: auto, none, sse41, avx2", "auto" },
    { "ensemble", 0,  "N",     "1, or 8: x8 self-ensemble of the model (all flips and transposes, "
                               "averaged; about 8x slower, offline quality mode)", "1" },
    { "rgb",     0,   NULL,    "full-colour path: upscale RGB as `upscale` does (Y model, "
                               "Cb/Cr bicubic) and score the Y of the result", "Y only" },
    { "csv",     0,   "FILE",  "also write per-image and mean scores as CSV", NULL },
    { "save-lr", 0,   "DIR",   "also write each LR image the protocol made into DIR (an existing "
                               "folder), as PNG under the HR file's name", NULL },
    { "quiet",   'q', NULL,    "print only the mean line", NULL },
    { NULL, 0, NULL, NULL, NULL },
};
enum { OPT_MODEL, OPT_HR, OPT_SCALE, OPT_THREADS, OPT_CPU, OPT_ENSEMBLE, OPT_RGB, OPT_CSV, OPT_SAVE_LR,
       OPT_QUIET };

const CliCommand cli_eval = {
    "eval", "-m MODEL --hr DIR [--scale S] [--threads N] [--csv FILE]",
    "Score a model (PSNR/SSIM on Y) on a folder of HR images, SR-paper protocol.",
    eval_opts,
    "Per image (sorted by name): modcrop to a multiple of S; Y = BT.601 16..235\n"
    "luma rounded like MATLAB rgb2ycbcr; LR = MATLAB imresize(Y, 1/S, 'bicubic')\n"
    "on uint8 data, upscaled by the model (with --rgb: LR = imresize of the RGB\n"
    "image, upscaled as `lutsr upscale` does, then its Y); PSNR and SSIM on Y\n"
    "with S pixels cropped from each border. \"bicubic\" runs the engine's own\n"
    "fixed-point bicubic like any model.\n",
};

static int is_png(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 4 && !strcasecmp(d->d_name + n - 4, ".png");
}

/* The HR image's protocol Y (BT.601 16..235, rounded like MATLAB's
 * rgb2ycbcr on uint8) over its top-left w x h pixels, as a gray image. */
static int hr_luma(const Image *hr, int w, int h, Image *y)
{
    double *yd = malloc(sizeof(double) * (size_t)w * (size_t)h);
    int r = -1;
    if (yd && image_alloc(y, IMAGE_GRAY, w, h) == 0) {
        r = eval_image_y(hr->plane, 3, w, h, 0, yd);
        if (r >= 0)
            r = eval_double_to_plane(yd, w, h, &y->plane[0]);
        if (r < 0)
            image_free(y);
    }
    free(yd);
    return r < 0 ? -1 : 0;
}

/* Scores one HR file; 0 or -1 (reported). The Y path downscales the HR's
 * Y (the classic protocol for luma-only methods, which is also what the
 * published bicubic numbers measure); --rgb downscales the RGB image and
 * upscales it like `lutsr upscale`. lr_path: where to save the LR image
 * (gray for the Y path, RGB with --rgb), or NULL. */
static int eval_one(LutsrContext *c, const char *path, int rgb, const EvalOptions *o,
                    const char *lr_path, EvalScore *score)
{
    char err[512];
    unsigned notes;
    Image hr, hy = { 0 }, lr = { 0 }, sr = { 0 };
    if (image_png_read(path, &hr, &notes, err, sizeof(err)) < 0) {
        cli_error(path, "%s", err);
        return -1;
    }
    const int s = o->scale;
    int mw, mh, ret = -1, r;
    eval_modcrop_size(hr.width, hr.height, s, &mw, &mh);
    /* Alpha plays no part in the protocol. */
    const int planes = hr.nb_planes >= 3 ? 3 : 1;
    const LutsrPlane *src = hr.plane;
    if (mw < s * 12 || mh < s * 12) {
        cli_error(path, "%dx%d is too small for scale %d (SSIM needs 11x11 after the border "
                  "crop)", hr.width, hr.height, s);
        goto out;
    }
    if (planes == 3 && !rgb) {
        if (hr_luma(&hr, mw, mh, &hy) < 0) {
            cli_error(path, "out of memory");
            goto out;
        }
        src = hy.plane;
    }
    const int lr_planes = src == hy.plane ? 1 : planes;
    if (image_alloc(&lr, lr_planes == 3 ? IMAGE_RGB : IMAGE_GRAY, mw / s, mh / s) < 0) {
        cli_error(path, "out of memory");
        goto out;
    }
    if ((r = eval_make_lr(src, lr_planes, s, lr.plane)) < 0)
        cli_error(path, "cannot make the LR image: %s", lutsr_strerror(r));
    else if (lr_path && image_png_write(lr_path, &lr, err, sizeof(err)) < 0)
        cli_error(lr_path, "%s", err);
    else if (upscale_image(c, &lr, &sr, err, sizeof(err)) < 0)
        cli_error(path, "%s", err);
    else if ((r = eval_score(hr.plane, planes, sr.plane, lr_planes, o, score)) < 0)
        cli_error(path, "cannot score: %s", lutsr_strerror(r));
    else
        ret = 0;
out:
    image_free(&hr);
    image_free(&hy);
    image_free(&lr);
    image_free(&sr);
    return ret;
}

int cmd_eval(int argc, char **argv)
{
    const char *model_name = NULL, *dir = NULL, *csv_path = NULL, *lr_dir = NULL;
    int scale = 0, threads = 0, ensemble = 1, rgb = 0, quiet = 0;
    LutsrCpu cpu = LUTSR_CPU_AUTO;
    CliParser p;
    cli_init(&p, &cli_eval, argc, argv);
    for (int o; (o = cli_next(&p)) != CLI_DONE;) {
        int r = 0;
        switch (o) {
        case CLI_HELP:    cli_usage(stdout, &cli_eval); return 0;
        case CLI_ERROR:   return EXIT_USAGE;
        case OPT_MODEL:   model_name = p.arg; break;
        case OPT_HR:      dir = p.arg; break;
        case OPT_SCALE:   r = cli_int(&p, 2, 4, &scale); break;
        case OPT_THREADS: r = cli_int(&p, 1, 256, &threads); break;
        case OPT_CPU:     r = cli_cpu(&p, &cpu); break;
        case OPT_ENSEMBLE: r = cli_ensemble(&p, &ensemble); break;
        case OPT_RGB:     rgb = 1; break;
        case OPT_CSV:     csv_path = p.arg; break;
        case OPT_SAVE_LR: lr_dir = p.arg; break;
        case OPT_QUIET:   quiet = 1; break;
        }
        if (r < 0)
            return EXIT_USAGE;
    }
    if (cli_optind() < argc) {
        cli_error("eval", "unexpected argument '%s'", argv[cli_optind()]);
        return EXIT_USAGE;
    }
    if (cli_require(&p, model_name, "model") < 0 || cli_require(&p, dir, "hr") < 0)
        return EXIT_USAGE;

    struct dirent **list;
    int n = scandir(dir, &list, is_png, alphasort);
    if (n < 0) {
        cli_error(dir, "cannot read the folder: %s", strerror(errno));
        return EXIT_RUNTIME;
    }
    LutsrModel *m = NULL;
    LutsrContext *c = NULL;
    FILE *csv = NULL;
    int ret = EXIT_RUNTIME;
    if (n == 0) {
        cli_error(dir, "no *.png images in the folder");
        goto out;
    }
    if (tool_open_engine("eval", model_name, threads, cpu, ensemble, quiet, &m, &c) < 0)
        goto out;
    const int ms = lutsr_model_scale(m);
    if (scale && scale != ms) {
        cli_error("eval", "--scale %d does not match model %s, which is x%d", scale, model_name, ms);
        ret = EXIT_USAGE;
        goto out;
    }
    scale = ms;
    if (csv_path && !(csv = fopen(csv_path, "w"))) {
        cli_error(csv_path, "cannot open for writing: %s", strerror(errno));
        goto out;
    }
    if (csv)
        fprintf(csv, "image,width,height,psnr,ssim\n");
    if (!quiet)
        printf("lutsr eval: model %s (%s x%d%s), %s, %d image%s, %s path, %d thread%s, cpu %s\n",
               model_name, lutsr_model_kind_name(m), scale,
               ensemble == 8 ? ", x8 self-ensemble" : "", dir, n, n == 1 ? "" : "s",
               rgb ? "RGB" : "Y", lutsr_threads(c), lutsr_threads(c) == 1 ? "" : "s",
               lutsr_cpu_name(c));

    EvalOptions o;
    eval_default_options(&o, scale);
    double sum_psnr = 0, sum_ssim = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        char lr_path[4096];
        if (lr_dir)
            snprintf(lr_path, sizeof(lr_path), "%s/%s", lr_dir, list[i]->d_name);
        EvalScore sc;
        if (eval_one(c, path, rgb, &o, lr_dir ? lr_path : NULL, &sc) < 0)
            goto out;
        sum_psnr += sc.psnr;
        sum_ssim += sc.ssim;
        if (!quiet)
            printf("%-24s %5dx%-5d PSNR %6.2f dB  SSIM %.4f\n", list[i]->d_name, sc.width,
                   sc.height, sc.psnr, sc.ssim);
        if (csv)
            fprintf(csv, "%s,%d,%d,%.4f,%.6f\n", list[i]->d_name, sc.width, sc.height,
                    sc.psnr, sc.ssim);
    }
    printf("mean: PSNR %.2f dB  SSIM %.4f  (%d images, scale %d, model %s)\n",
           sum_psnr / n, sum_ssim / n, n, scale, model_name);
    if (csv)
        fprintf(csv, "mean,,,%.4f,%.6f\n", sum_psnr / n, sum_ssim / n);
    ret = 0;
out:
    if (csv && fclose(csv) != 0 && ret == 0) {
        cli_error(csv_path, "write failed: %s", strerror(errno));
        ret = EXIT_RUNTIME;
    }
    tool_close_engine(&m, &c);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return ret;
}
