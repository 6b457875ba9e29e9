/*
 * SR evaluation math (see eval.h): MATLAB-compatible bicubic imresize,
 * BT.601 Y, PSNR and SSIM, and the protocol built from them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"

/* ------------------------------------------------------------ imresize */

static double keys_cubic(double x)
{
    double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
    if (ax <= 1)
        return 1.5 * ax3 - 2.5 * ax2 + 1;
    if (ax <= 2)
        return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
    return 0;
}

/* The weights and (0-based, mirrored) source indices of every output
 * pixel of one dimension: out_len rows of `taps` entries. */
typedef struct Contrib {
    int taps;
    int *idx;
    double *w;
} Contrib;

/* MATLAB's contributions(), 1-based arithmetic kept as written there so
 * the sample positions match to the last bit. */
static int contributions(int in_len, int out_len, double scale, Contrib *c)
{
    const int aa = scale < 1;
    const double kernel_width = aa ? 4.0 / scale : 4.0;
    c->taps = (int)ceil(kernel_width) + 2;
    c->idx = malloc(sizeof(*c->idx) * (size_t)out_len * (size_t)c->taps);
    c->w = malloc(sizeof(*c->w) * (size_t)out_len * (size_t)c->taps);
    if (!c->idx || !c->w) {
        free(c->idx);
        free(c->w);
        return LUTSR_ERR_NOMEM;
    }
    for (int x = 1; x <= out_len; x++) {
        /* output pixel x's centre in input coordinates */
        const double u = x / scale + 0.5 * (1 - 1 / scale);
        const double left = floor(u - kernel_width / 2);
        int *idx = c->idx + (size_t)(x - 1) * c->taps;
        double *w = c->w + (size_t)(x - 1) * c->taps, sum = 0;
        for (int k = 0; k < c->taps; k++) {
            const double i1 = left + k; /* 1-based index */
            w[k] = aa ? scale * keys_cubic(scale * (u - i1)) : keys_cubic(u - i1);
            sum += w[k];
            /* aux = [1:n, n:-1:1]; index = aux(mod(i1 - 1, 2n) + 1) */
            long long m = ((long long)i1 - 1) % (2LL * in_len);
            if (m < 0)
                m += 2LL * in_len;
            idx[k] = (int)(m < in_len ? m : 2LL * in_len - 1 - m);
        }
        for (int k = 0; k < c->taps; k++)
            w[k] /= sum;
    }
    return 0;
}

static void contrib_free(Contrib *c)
{
    free(c->idx);
    free(c->w);
}

/* MATLAB's double -> uint8: saturate, round half away from zero (for
 * 0 < v < 255 truncating v + 0.5 is that rounding). */
static inline double to_u8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (double)(int)(v + 0.5);
}

int eval_imresize(const double *src, int w, int h, double *dst, int out_w, int out_h,
                  double scale, unsigned flags)
{
    if (!src || !dst || w < 1 || h < 1 || out_w < 1 || out_h < 1 || !(scale > 0) ||
        flags & ~(unsigned)EVAL_RESIZE_UINT8)
        return LUTSR_ERR_INVALID_ARG;
    const int u8 = !!(flags & EVAL_RESIZE_UINT8);
    Contrib cv, ch;
    int r = contributions(h, out_h, scale, &cv);
    if (r < 0)
        return r;
    if ((r = contributions(w, out_w, scale, &ch)) < 0) {
        contrib_free(&cv);
        return r;
    }
    double *mid = malloc(sizeof(*mid) * (size_t)w * (size_t)out_h);
    if (!mid) {
        contrib_free(&cv);
        contrib_free(&ch);
        return LUTSR_ERR_NOMEM;
    }
    /* Height first (dim 1), then width, as imresize orders equal scales;
     * on uint8 data the order matters through the rounding in between. */
    for (int y = 0; y < out_h; y++) {
        const int *idx = cv.idx + (size_t)y * cv.taps;
        const double *wt = cv.w + (size_t)y * cv.taps;
        double *o = mid + (size_t)y * w;
        for (int x = 0; x < w; x++)
            o[x] = 0;
        for (int k = 0; k < cv.taps; k++) {
            if (wt[k] == 0)
                continue;
            const double *in = src + (size_t)idx[k] * w;
            for (int x = 0; x < w; x++)
                o[x] += wt[k] * in[x];
        }
        if (u8)
            for (int x = 0; x < w; x++)
                o[x] = to_u8(o[x]);
    }
    for (int y = 0; y < out_h; y++) {
        const double *in = mid + (size_t)y * w;
        double *o = dst + (size_t)y * out_w;
        for (int x = 0; x < out_w; x++) {
            const int *idx = ch.idx + (size_t)x * ch.taps;
            const double *wt = ch.w + (size_t)x * ch.taps;
            double a = 0;
            for (int k = 0; k < ch.taps; k++)
                a += wt[k] * in[idx[k]];
            o[x] = u8 ? to_u8(a) : a;
        }
    }
    free(mid);
    contrib_free(&cv);
    contrib_free(&ch);
    return 0;
}

int eval_imresize_down(const double *src, int w, int h, int scale, double *dst, unsigned flags)
{
    if (scale < 1)
        return LUTSR_ERR_INVALID_ARG;
    /* MATLAB: scale argument 1/scale, size ceil(in * (1/scale)) */
    return eval_imresize(src, w, h, dst, (w + scale - 1) / scale, (h + scale - 1) / scale,
                         1.0 / scale, flags);
}

int eval_imresize_up(const double *src, int w, int h, int scale, double *dst, unsigned flags)
{
    if (scale < 1 || w > INT32_MAX / scale || h > INT32_MAX / scale)
        return LUTSR_ERR_INVALID_ARG;
    return eval_imresize(src, w, h, dst, w * scale, h * scale, scale, flags);
}

/* ------------------------------------------------------------- helpers */

void eval_modcrop_size(int w, int h, int scale, int *out_w, int *out_h)
{
    if (scale < 1)
        scale = 1;
    *out_w = w - w % scale;
    *out_h = h - h % scale;
}

static int plane_ok(const LutsrPlane *p, int w, int h)
{
    return p && p->data && w >= 1 && h >= 1 && p->width >= w && p->height >= h;
}

int eval_plane_to_double(const LutsrPlane *p, int w, int h, double *dst)
{
    if (!plane_ok(p, w, h) || !dst)
        return LUTSR_ERR_INVALID_ARG;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst[(size_t)y * w + x] = p->data[y * p->stride + x];
    return 0;
}

int eval_double_to_plane(const double *src, int w, int h, const LutsrPlane *dst)
{
    if (!plane_ok(dst, w, h) || !src)
        return LUTSR_ERR_INVALID_ARG;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            dst->data[y * dst->stride + x] = (uint8_t)to_u8(src[(size_t)y * w + x]);
    return 0;
}

int eval_rgb_to_y(const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b, int w, int h,
                  int round_y, double *y)
{
    if (!plane_ok(r, w, h) || !plane_ok(g, w, h) || !plane_ok(b, w, h) || !y)
        return LUTSR_ERR_INVALID_ARG;
    /* MATLAB: T = [65.481 128.553 24.966] / 255 on uint8 values, offset
     * 16, then the uint8 result rounds and saturates. */
    const double kr = 65.481 / 255, kg = 128.553 / 255, kb = 24.966 / 255;
    for (int i = 0; i < h; i++) {
        const uint8_t *pr = r->data + i * r->stride, *pg = g->data + i * g->stride;
        const uint8_t *pb = b->data + i * b->stride;
        double *o = y + (size_t)i * w;
        for (int j = 0; j < w; j++) {
            double v = kr * pr[j] + kg * pg[j] + kb * pb[j] + 16;
            o[j] = round_y ? to_u8(v) : v;
        }
    }
    return 0;
}

double eval_psnr(const double *a, const double *b, int w, int h, int border)
{
    if (!a || !b || border < 0 || w - 2 * border < 1 || h - 2 * border < 1)
        return NAN;
    double se = 0;
    for (int y = border; y < h - border; y++) {
        for (int x = border; x < w - border; x++) {
            double d = a[(size_t)y * w + x] - b[(size_t)y * w + x];
            se += d * d;
        }
    }
    double mse = se / ((double)(w - 2 * border) * (h - 2 * border));
    return mse == 0 ? INFINITY : 10 * log10(255.0 * 255.0 / mse);
}

double eval_ssim(const double *a, const double *b, int w, int h, int border)
{
    if (!a || !b || border < 0)
        return NAN;
    const int cw = w - 2 * border, ch = h - 2 * border;
    if (cw < 11 || ch < 11)
        return NAN;
    const int ow = cw - 10, oh = ch - 10;
    const double C1 = (0.01 * 255) * (0.01 * 255), C2 = (0.03 * 255) * (0.03 * 255);
    double g[11], gs = 0;
    for (int k = 0; k < 11; k++) {
        /* fspecial('gaussian', 11, 1.5); no tap falls under its eps cut */
        g[k] = exp(-(double)((k - 5) * (k - 5)) / (2 * 1.5 * 1.5));
        gs += g[k];
    }
    for (int k = 0; k < 11; k++)
        g[k] /= gs;

    /* The normalised 11x11 window is the outer product of the normalised
     * 1-D kernel, so 'valid' filter2 is a vertical then a horizontal pass.
     * Per output row: the vertical pass fills five column sums (a, b, a^2,
     * b^2, ab), the horizontal pass finishes the five local moments. */
    double *col = malloc(sizeof(double) * 5 * (size_t)cw);
    if (!col)
        return NAN;
    double *ca = col, *cb = ca + cw, *caa = cb + cw, *cbb = caa + cw, *cab = cbb + cw;
    const double *a0 = a + (size_t)border * w + border, *b0 = b + (size_t)border * w + border;
    double sum = 0;
    for (int y = 0; y < oh; y++) {
        for (int x = 0; x < cw; x++) {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (int k = 0; k < 11; k++) {
                const double va = a0[(size_t)(y + k) * w + x], vb = b0[(size_t)(y + k) * w + x];
                sa += g[k] * va;
                sb += g[k] * vb;
                saa += g[k] * (va * va);
                sbb += g[k] * (vb * vb);
                sab += g[k] * (va * vb);
            }
            ca[x] = sa;
            cb[x] = sb;
            caa[x] = saa;
            cbb[x] = sbb;
            cab[x] = sab;
        }
        for (int x = 0; x < ow; x++) {
            double m1 = 0, m2 = 0, s11 = 0, s22 = 0, s12 = 0;
            for (int k = 0; k < 11; k++) {
                m1 += g[k] * ca[x + k];
                m2 += g[k] * cb[x + k];
                s11 += g[k] * caa[x + k];
                s22 += g[k] * cbb[x + k];
                s12 += g[k] * cab[x + k];
            }
            const double v1 = s11 - m1 * m1, v2 = s22 - m2 * m2, cov = s12 - m1 * m2;
            sum += ((2 * m1 * m2 + C1) * (2 * cov + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
        }
    }
    free(col);
    return sum / ((double)ow * oh);
}

/* ------------------------------------------------------------ protocol */

void eval_default_options(EvalOptions *o, int scale)
{
    memset(o, 0, sizeof(*o));
    o->scale = scale;
    o->border = -1;
    o->y_double = 0;
    o->no_ssim = 0;
}

int eval_make_lr(const LutsrPlane *hr, int nb_planes, int scale, const LutsrPlane *lr)
{
    if (!hr || !lr || nb_planes < 1 || nb_planes > 4 || scale < 1)
        return LUTSR_ERR_INVALID_ARG;
    int w, h;
    eval_modcrop_size(hr[0].width, hr[0].height, scale, &w, &h);
    if (w < scale || h < scale)
        return LUTSR_ERR_UNSUPPORTED_SIZE;
    const int lw = w / scale, lh = h / scale;
    for (int p = 0; p < nb_planes; p++) {
        if (!plane_ok(&hr[p], w, h) || !lr[p].data || lr[p].width != lw || lr[p].height != lh)
            return LUTSR_ERR_INVALID_ARG;
    }
    double *a = malloc(sizeof(double) * ((size_t)w * h + (size_t)lw * lh));
    if (!a)
        return LUTSR_ERR_NOMEM;
    double *b = a + (size_t)w * h;
    int r = 0;
    for (int p = 0; p < nb_planes && r >= 0; p++) {
        eval_plane_to_double(&hr[p], w, h, a);
        r = eval_imresize_down(a, w, h, scale, b, EVAL_RESIZE_UINT8);
        if (r >= 0)
            r = eval_double_to_plane(b, lw, lh, &lr[p]);
    }
    free(a);
    return r;
}

int eval_image_y(const LutsrPlane *planes, int nb_planes, int w, int h, int y_double, double *y)
{
    if (!planes || !y || (nb_planes != 1 && (nb_planes < 3 || nb_planes > 4)))
        return LUTSR_ERR_INVALID_ARG;
    if (nb_planes == 1)
        return eval_plane_to_double(&planes[0], w, h, y);
    return eval_rgb_to_y(&planes[0], &planes[1], &planes[2], w, h, !y_double, y);
}

int eval_score(const LutsrPlane *hr, int hr_planes, const LutsrPlane *sr, int sr_planes,
               const EvalOptions *o, EvalScore *out)
{
    if (!hr || !sr || !o || !out || o->scale < 1 || o->border < -1)
        return LUTSR_ERR_INVALID_ARG;
    int w, h;
    eval_modcrop_size(hr[0].width, hr[0].height, o->scale, &w, &h);
    if (w < 1 || h < 1)
        return LUTSR_ERR_UNSUPPORTED_SIZE;
    for (int p = 0; p < sr_planes; p++)
        if (sr[p].width != w || sr[p].height != h)
            return LUTSR_ERR_UNSUPPORTED_SIZE;
    /* A gray HR only compares with a gray (or Y) SR. */
    if (hr_planes == 1 && sr_planes != 1)
        return LUTSR_ERR_INVALID_ARG;
    const int border = o->border < 0 ? o->scale : o->border;
    double *ya = malloc(sizeof(double) * 2 * (size_t)w * h);
    if (!ya)
        return LUTSR_ERR_NOMEM;
    double *yb = ya + (size_t)w * h;
    int r = eval_image_y(hr, hr_planes, w, h, o->y_double, ya);
    if (r >= 0)
        r = eval_image_y(sr, sr_planes, w, h, o->y_double, yb);
    if (r >= 0) {
        out->psnr = eval_psnr(yb, ya, w, h, border);
        out->ssim = o->no_ssim ? NAN : eval_ssim(yb, ya, w, h, border);
        out->width = w;
        out->height = h;
        if (isnan(out->psnr))
            r = LUTSR_ERR_UNSUPPORTED_SIZE;
    }
    free(ya);
    return r;
}

int eval_bicubic_baseline(const LutsrPlane *hr, int hr_planes, const EvalOptions *o,
                          EvalScore *out)
{
    if (!hr || !o || !out || o->scale < 1 || o->border < -1)
        return LUTSR_ERR_INVALID_ARG;
    const int s = o->scale;
    int w, h;
    eval_modcrop_size(hr[0].width, hr[0].height, s, &w, &h);
    if (w < s || h < s)
        return LUTSR_ERR_UNSUPPORTED_SIZE;
    const int border = o->border < 0 ? s : o->border;
    const size_t n = (size_t)w * h;
    double *y = malloc(sizeof(double) * (2 * n + n / ((size_t)s * s)));
    if (!y)
        return LUTSR_ERR_NOMEM;
    double *up = y + n, *lr = up + n;
    int r = eval_image_y(hr, hr_planes, w, h, o->y_double, y);
    if (r >= 0)
        r = eval_imresize_down(y, w, h, s, lr, 0);
    if (r >= 0)
        r = eval_imresize_up(lr, w / s, h / s, s, up, 0);
    if (r >= 0) {
        if (!o->y_double)
            for (size_t i = 0; i < n; i++)
                up[i] = to_u8(up[i]);
        out->psnr = eval_psnr(up, y, w, h, border);
        out->ssim = o->no_ssim ? NAN : eval_ssim(up, y, w, h, border);
        out->width = w;
        out->height = h;
        if (isnan(out->psnr))
            r = LUTSR_ERR_UNSUPPORTED_SIZE;
    }
    free(y);
    return r;
}
