#include "colorspace.h"

/* 16-bit fixed-point coefficients (see colorspace.h for the float ones). */
enum {
    Y_R = 19595, Y_G = 38470, Y_B = 7471,           /* sum 65536 */
    CB_R = -11058, CB_G = -21710, CB_B = 32768,     /* sum 0 */
    CR_R = 32768, CR_G = -27439, CR_B = -5329,      /* sum 0 */
    R_CR = 91881, G_CB = -22554, G_CR = -46802, B_CB = 116130,
    HALF = 1 << 15,
    OFS128 = (128 << 16) + HALF,
};

/* v is a 16.16 value already including the rounding offset. */
static inline uint8_t fix_to_u8(int v)
{
    if (v < 0)
        return 0;
    v >>= 16;
    return (uint8_t)(v > 255 ? 255 : v);
}

void rgb_to_ycbcr_pixel(int r, int g, int b, uint8_t *y, uint8_t *cb, uint8_t *cr)
{
    *y  = fix_to_u8(Y_R * r + Y_G * g + Y_B * b + HALF);
    *cb = fix_to_u8(CB_R * r + CB_G * g + CB_B * b + OFS128);
    *cr = fix_to_u8(CR_R * r + CR_G * g + CR_B * b + OFS128);
}

void ycbcr_to_rgb_pixel(int y, int cb, int cr, uint8_t *r, uint8_t *g, uint8_t *b)
{
    int yy = (y << 16) + HALF;
    cb -= 128;
    cr -= 128;
    *r = fix_to_u8(yy + R_CR * cr);
    *g = fix_to_u8(yy + G_CB * cb + G_CR * cr);
    *b = fix_to_u8(yy + B_CB * cb);
}

void rgb_to_ycbcr(const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b,
                  const LutsrPlane *y, const LutsrPlane *cb, const LutsrPlane *cr)
{
    for (int i = 0; i < r->height; i++) {
        const uint8_t *rs = r->data + i * r->stride, *gs = g->data + i * g->stride,
                      *bs = b->data + i * b->stride;
        uint8_t *yd = y->data + i * y->stride, *cbd = cb->data + i * cb->stride,
                *crd = cr->data + i * cr->stride;
        for (int j = 0; j < r->width; j++)
            rgb_to_ycbcr_pixel(rs[j], gs[j], bs[j], &yd[j], &cbd[j], &crd[j]);
    }
}

void ycbcr_to_rgb(const LutsrPlane *y, const LutsrPlane *cb, const LutsrPlane *cr,
                  const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b)
{
    for (int i = 0; i < y->height; i++) {
        const uint8_t *ys = y->data + i * y->stride, *cbs = cb->data + i * cb->stride,
                      *crs = cr->data + i * cr->stride;
        uint8_t *rd = r->data + i * r->stride, *gd = g->data + i * g->stride,
                *bd = b->data + i * b->stride;
        for (int j = 0; j < y->width; j++)
            ycbcr_to_rgb_pixel(ys[j], cbs[j], crs[j], &rd[j], &gd[j], &bd[j]);
    }
}
