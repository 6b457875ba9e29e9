/*
 * The evaluation math of `lutsr eval`: the single-image super-resolution
 * protocol of the MATLAB-based literature (SRCNN, VDSR, EDSR, SR-LUT ...),
 * so PSNR/SSIM numbers compare with published tables. No file I/O.
 *
 * Protocol (eval_make_lr() then eval_score()):
 *   1. modcrop: cut the HR image to a multiple of `scale` (top-left kept);
 *   2. LR = imresize(HR, 1/scale, 'bicubic') per channel on uint8 data,
 *      exactly as MATLAB (antialiased, see eval_imresize());
 *   3. the method upscales LR (RGB, or its Y only);
 *   4. Y (BT.601, 16..235) of SR and of the modcropped HR, rounded to
 *      integers as MATLAB's rgb2ycbcr() does on uint8 images;
 *   5. PSNR and SSIM on Y with `scale` pixels cropped from every side.
 *
 * Checked on Set5/Set14 (tests/test_eval.c): the LR images are
 * byte-identical to MATLAB's, and eval_bicubic_baseline() reproduces the
 * published bicubic tables (Set5 33.66/30.39/28.42 dB at x2/x3/x4). The
 * CLI path (uint8 LR, upscale, Y) gives 0.005-0.03 dB less, because the
 * published protocol never stores the LR as 8 bits.
 *
 * Images are planar 8-bit LutsrPlanes: 1 plane (gray) or 3 (R, G, B; a
 * 4th, alpha, is accepted and ignored by scoring). Intermediate planes are
 * doubles, row-major, tightly packed (stride = width), values 0..255.
 * Functions return 0 or a negative LutsrError (bad arguments, no memory).
 */
#ifndef LUTSR_TOOLS_EVAL_H
#define LUTSR_TOOLS_EVAL_H

#include <stddef.h>

#include "lutsr/lutsr.h"

/* ---------------------------------------------------------- resampling */

enum {
    /* Emulate MATLAB on a uint8 image: round (half away from zero) and
     * clip to 0..255 after *each* of the two 1-D passes, as imresize's
     * MEX core returns the input's class. Without it, the passes stay in
     * double and nothing is rounded or clipped (MATLAB on double data). */
    EVAL_RESIZE_UINT8 = 1 << 0,
};

/*
 * MATLAB imresize(A, [out_h out_w], 'bicubic') with the given scale factor
 * (out/in; MATLAB derives it from the scale argument, not from the sizes).
 * Keys cubic a = -0.5; when scale < 1 the kernel is widened to 4/scale
 * taps and scaled by `scale` (antialiasing); every output pixel's weights
 * are normalised to sum 1; source indices outside the image are mirrored
 * with the edge pixel repeated (MATLAB's contributions(): index 0 -> 1,
 * -1 -> 2, n+1 -> n). Height (MATLAB dim 1) is resized first, then width,
 * as MATLAB orders equal scale factors.
 */
int eval_imresize(const double *src, int w, int h, double *dst, int out_w, int out_h,
                  double scale, unsigned flags);

/* imresize(A, 1/scale, 'bicubic'): dst is ceil(w/scale) x ceil(h/scale). */
int eval_imresize_down(const double *src, int w, int h, int scale, double *dst, unsigned flags);

/* imresize(A, scale, 'bicubic') (no antialiasing when enlarging): dst is
 * (w*scale) x (h*scale). */
int eval_imresize_up(const double *src, int w, int h, int scale, double *dst, unsigned flags);

/* ------------------------------------------------------------- helpers */

/* Size after modcrop: the largest multiple of scale in each dimension. */
void eval_modcrop_size(int w, int h, int scale, int *out_w, int *out_h);

/* Copies the top-left w x h pixels of an 8-bit plane into doubles. */
int eval_plane_to_double(const LutsrPlane *p, int w, int h, double *dst);

/* Rounds (half away from zero) and clips doubles into an 8-bit plane of
 * the same w x h. */
int eval_double_to_plane(const double *src, int w, int h, const LutsrPlane *dst);

/* Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 over the top-left
 * w x h pixels of three planes; rounded half away from zero when
 * round_y (MATLAB rgb2ycbcr() on uint8), else left in double. */
int eval_rgb_to_y(const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b, int w, int h,
                  int round_y, double *y);

/* PSNR (peak 255) over a w x h pair with `border` pixels cropped on each
 * side. INFINITY when the images are equal; NAN if nothing is left. */
double eval_psnr(const double *a, const double *b, int w, int h, int border);

/* Mean SSIM (Wang et al. 2004, ssim_index.m): 11x11 Gaussian window,
 * sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering, no
 * downsampling, over the area left after cropping `border` pixels. NAN
 * when that area is smaller than 11x11. */
double eval_ssim(const double *a, const double *b, int w, int h, int border);

/* ------------------------------------------------------------ protocol */

typedef struct EvalOptions {
    int scale;      /* 2..4 (any >= 1 is accepted) */
    int border;     /* pixels cropped from each side; -1 = scale (default) */
    int y_double;   /* 1: keep Y in double instead of MATLAB's uint8 rounding (default 0) */
    int no_ssim;    /* 1: skip SSIM (reported as NAN); it costs more than all the rest */
} EvalOptions;

void eval_default_options(EvalOptions *o, int scale);

typedef struct EvalScore {
    double psnr, ssim;
    int width, height;  /* the modcropped size compared (before the border crop) */
} EvalScore;

/* LR image of the protocol: hr is modcropped, then every plane is resized
 * by imresize(hr, 1/scale, 'bicubic') as MATLAB does on uint8 data.
 * lr[0..nb_planes-1] are caller-allocated planes of exactly
 * (w / scale) x (h / scale) (w, h: hr's modcropped size). */
int eval_make_lr(const LutsrPlane *hr, int nb_planes, int scale, const LutsrPlane *lr);

/* Scores an SR result against the HR image. hr: 1 or 3+ planes (full,
 * not modcropped). sr: the modcropped size; 3+ planes (RGB, Y computed
 * here) or 1 plane (already Y, e.g. the luma the engine upscaled, or a
 * gray image). A gray HR is its own Y (no 16..235 mapping: that is how
 * the published Set14 numbers treat its gray image) and needs a 1-plane
 * SR (LUTSR_ERR_INVALID_ARG otherwise). The border must leave at least
 * one pixel (LUTSR_ERR_UNSUPPORTED_SIZE); ssim is NAN when less than
 * 11x11 is left or no_ssim is set. */
int eval_score(const LutsrPlane *hr, int hr_planes, const LutsrPlane *sr, int sr_planes,
               const EvalOptions *o, EvalScore *out);

/* The published bicubic baseline (SRCNN's protocol, which the usual
 * tables copy): Y of the modcropped HR (rounded unless y_double), then
 * imresize down and up again on that Y in double with nothing rounded in
 * between, the result rounded and clipped like the HR Y; scored as
 * eval_score(). Reproduces e.g. Set5 x2 33.66 dB / 0.9299. */
int eval_bicubic_baseline(const LutsrPlane *hr, int hr_planes, const EvalOptions *o,
                          EvalScore *out);

/* Y of an image the protocol's way: 3+ planes -> eval_rgb_to_y(), 1
 * plane -> the plane itself. y is w x h doubles (top-left w x h pixels). */
int eval_image_y(const LutsrPlane *planes, int nb_planes, int w, int h, int y_double, double *y);

#endif /* LUTSR_TOOLS_EVAL_H */
