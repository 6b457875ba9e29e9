/*
 * BT.601 full-range ("JFIF") RGB <-> YCbCr on 8-bit planes.
 *
 *   Y  =       0.299    R + 0.587    G + 0.114    B
 *   Cb = 128 - 0.168736 R - 0.331264 G + 0.5      B
 *   Cr = 128 + 0.5      R - 0.418688 G - 0.081312 B
 *
 * Integer arithmetic with 16 fractional bits and round-to-nearest. The
 * forward coefficients are rounded so each row sums exactly (Y: 65536,
 * Cb/Cr: 0), which makes gray exact both ways: R = G = B = v gives
 * Y = v, Cb = Cr = 128, and that converts back to v, v, v. For other colours
 * the 8-bit round trip RGB -> YCbCr -> RGB is off by at most
 * COLORSPACE_MAX_ROUNDTRIP_ERROR = 1 per channel (24% of colours come
 * back exact; tests/test_image_io.c checks all 2^24 colours).
 */
#ifndef LUTSR_TOOLS_COLORSPACE_H
#define LUTSR_TOOLS_COLORSPACE_H

#include <stdint.h>

#include "lutsr/lutsr.h"

#define COLORSPACE_MAX_ROUNDTRIP_ERROR 1

void rgb_to_ycbcr_pixel(int r, int g, int b, uint8_t *y, uint8_t *cb, uint8_t *cr);
void ycbcr_to_rgb_pixel(int y, int cb, int cr, uint8_t *r, uint8_t *g, uint8_t *b);

/* Whole planes, all the same size (the destination may alias nothing). */
void rgb_to_ycbcr(const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b,
                  const LutsrPlane *y, const LutsrPlane *cb, const LutsrPlane *cr);
void ycbcr_to_rgb(const LutsrPlane *y, const LutsrPlane *cb, const LutsrPlane *cr,
                  const LutsrPlane *r, const LutsrPlane *g, const LutsrPlane *b);

#endif /* LUTSR_TOOLS_COLORSPACE_H */
