/*
 * The CLI's image I/O and colour conversion: PNG/Y4M/raw round trips, the
 * PNG variants libpng can hand us (written here with libpng directly, so
 * the reader is checked against an independent encoder), rejection of
 * malformed files without crashing, and upscale_image()'s plane routing.
 */
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colorspace.h"
#include "commands.h"
#include "image.h"
#include "model.h"
#include "test_util.h"

static char tmpdir[64];
static TestRng rng;

static const char *tmp_path(const char *name)
{
    static char buf[4][128];
    static int i;
    i = (i + 1) & 3;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
    return buf[i];
}

static void fill_image(Image *img)
{
    for (int p = 0; p < img->nb_planes; p++)
        for (int y = 0; y < img->plane[p].height; y++)
            for (int x = 0; x < img->plane[p].width; x++)
                img->plane[p].data[y * img->plane[p].stride + x] = (uint8_t)test_rng_u32(&rng);
}

static void require_images_equal(const Image *a, const Image *b, const char *ctx)
{
    REQUIRE_CMP(a->format, ==, b->format);
    REQUIRE_CMP(a->width, ==, b->width);
    REQUIRE_CMP(a->height, ==, b->height);
    for (int p = 0; p < a->nb_planes; p++)
        REQUIRE_PLANE_EQ(a->plane[p].data, a->plane[p].stride, b->plane[p].data,
                         b->plane[p].stride, a->plane[p].width, a->plane[p].height,
                         "%s plane %d", ctx, p);
}

static void write_bytes(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(d, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    REQUIRE(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*n + 1);
    REQUIRE(d);
    REQUIRE(fread(d, 1, *n, f) == *n);
    fclose(f);
    return d;
}

/* ------------------------------------------------------------- colour */

static void test_colorspace(void)
{
    int max_err = 0;
    for (int r = 0; r < 256; r++)
        for (int g = 0; g < 256; g++)
            for (int b = 0; b < 256; b++) {
                uint8_t y, cb, cr, r2, g2, b2;
                rgb_to_ycbcr_pixel(r, g, b, &y, &cb, &cr);
                ycbcr_to_rgb_pixel(y, cb, cr, &r2, &g2, &b2);
                int e = abs(r2 - r);
                e = abs(g2 - g) > e ? abs(g2 - g) : e;
                e = abs(b2 - b) > e ? abs(b2 - b) : e;
                max_err = e > max_err ? e : max_err;
                if (r == g && g == b) {
                    REQUIRE_CMP(y, ==, r);
                    REQUIRE_CMP(cb, ==, 128);
                    REQUIRE_CMP(cr, ==, 128);
                    REQUIRE_CMP(e, ==, 0);
                }
            }
    REQUIRE_CMP(max_err, <=, COLORSPACE_MAX_ROUNDTRIP_ERROR);

    /* Against the float definition: exact up to rounding of ties. */
    int off_by_one = 0;
    for (int i = 0; i < 20000; i++) {
        int r = (int)test_rng_below(&rng, 256), g = (int)test_rng_below(&rng, 256),
            b = (int)test_rng_below(&rng, 256);
        uint8_t y, cb, cr;
        rgb_to_ycbcr_pixel(r, g, b, &y, &cb, &cr);
        double fy = 0.299 * r + 0.587 * g + 0.114 * b;
        double fcb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b;
        double fcr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b;
        fcb = fcb > 255 ? 255 : fcb;
        fcr = fcr > 255 ? 255 : fcr;
        int dy = abs(y - (int)(fy + 0.5)), dcb = abs(cb - (int)(fcb + 0.5)),
            dcr = abs(cr - (int)(fcr + 0.5));
        REQUIRE(dy <= 1 && dcb <= 1 && dcr <= 1);
        off_by_one += dy + dcb + dcr;
    }
    /* Only values within ~1e-4 of a .5 tie may round the other way. */
    REQUIRE_CMP(off_by_one, <, 20);
    /* Primaries, from the float formulas (rounded). */
    uint8_t y, cb, cr;
    rgb_to_ycbcr_pixel(255, 0, 0, &y, &cb, &cr);
    REQUIRE(y == 76 && cb == 85 && cr == 255);
    rgb_to_ycbcr_pixel(0, 0, 255, &y, &cb, &cr);
    REQUIRE(y == 29 && cb == 255 && cr == 107);
}

/* ---------------------------------------------------------------- PNG */

static void test_png_roundtrip(void)
{
    static const ImageFormat fmts[] = { IMAGE_GRAY, IMAGE_RGB, IMAGE_RGBA };
    static const int sizes[][2] = { { 1, 1 }, { 3, 2 }, { 17, 9 }, { 64, 1 }, { 1, 33 } };
    char err[256];
    for (size_t f = 0; f < 3; f++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            Image a, b;
            REQUIRE(image_alloc(&a, fmts[f], sizes[s][0], sizes[s][1]) == 0);
            fill_image(&a);
            const char *path = tmp_path("rt.png");
            REQUIRE(image_png_write(path, &a, err, sizeof(err)) == 0);
            unsigned notes;
            if (image_png_read(path, &b, &notes, err, sizeof(err)) < 0) {
                fprintf(stderr, "read: %s\n", err);
                exit(1);
            }
            REQUIRE_CMP(notes, ==, 0);
            require_images_equal(&a, &b, image_format_name(fmts[f]));
            image_free(&a);
            image_free(&b);
        }
    /* Y4M-only formats are refused, not mangled. */
    Image y;
    REQUIRE(image_alloc(&y, IMAGE_YUV420, 4, 4) == 0);
    REQUIRE(image_png_write(tmp_path("yuv.png"), &y, err, sizeof(err)) < 0);
    REQUIRE(strstr(err, "yuv420"));
    image_free(&y);
}

/* A PNG written by libpng itself, with the given layout. rows holds
 * h rows of png_get_rowbytes() bytes each, tightly. */
typedef struct PngSpec {
    int w, h, depth, ctype, interlace;
    const png_color *palette;
    int n_palette;
    const png_byte *trns_alpha;     /* palette alpha */
    int n_trns;
    const png_color_16 *trns_color; /* gray/rgb key */
} PngSpec;

static void write_png_spec(const char *path, const PngSpec *s, const uint8_t *data, size_t rowbytes)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    REQUIRE(png && info);
    if (setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "libpng write failed\n");
        exit(1);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)s->w, (png_uint_32)s->h, s->depth, s->ctype, s->interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette)
        png_set_PLTE(png, info, s->palette, s->n_palette);
    if (s->trns_alpha || s->trns_color)
        png_set_tRNS(png, info, s->trns_alpha, s->n_trns, s->trns_color);
    png_write_info(png, info);
    png_bytep *rows = malloc(sizeof(*rows) * (size_t)s->h);
    REQUIRE(rows);
    for (int y = 0; y < s->h; y++)
        rows[y] = (png_bytep)data + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    fclose(f);
}

static Image read_ok(const char *path, unsigned *notes)
{
    Image img;
    char err[256];
    unsigned n;
    if (image_png_read(path, &img, notes ? notes : &n, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        exit(1);
    }
    return img;
}

#define PIX(img, p, x, y) ((img).plane[p].data[(y) * (img).plane[p].stride + (x)])

static void test_png_variants(void)
{
    const char *path = tmp_path("v.png");
    const int w = 5, h = 3;

    /* Palette, 8-bit, with and without tRNS. */
    png_color pal[4] = { { 10, 20, 30 }, { 200, 100, 0 }, { 0, 0, 255 }, { 7, 8, 9 } };
    png_byte alpha[3] = { 255, 128, 0 };
    uint8_t idx[5 * 3];
    for (int i = 0; i < w * h; i++)
        idx[i] = (uint8_t)(i % 4);
    for (int t = 0; t < 2; t++) {
        PngSpec s = { w, h, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, pal, 4,
                      t ? alpha : NULL, t ? 3 : 0, NULL };
        write_png_spec(path, &s, idx, (size_t)w);
        Image img = read_ok(path, NULL);
        REQUIRE_CMP(img.format, ==, t ? IMAGE_RGBA : IMAGE_RGB);
        for (int i = 0; i < w * h; i++) {
            int x = i % w, y = i / w, k = idx[i];
            REQUIRE(PIX(img, 0, x, y) == pal[k].red && PIX(img, 1, x, y) == pal[k].green &&
                    PIX(img, 2, x, y) == pal[k].blue);
            if (t)
                REQUIRE_CMP(PIX(img, 3, x, y), ==, k < 3 ? alpha[k] : 255);
        }
        image_free(&img);
    }

    /* Low-bit gray expands to the full range (v * 255 / (2^depth - 1)). */
    for (int depth = 1; depth <= 4; depth *= 2) {
        int maxv = (1 << depth) - 1, per_byte = 8 / depth;
        const int gw = 11;
        uint8_t rows[3][8] = { { 0 } };
        int vals[3][11];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < gw; x++) {
                vals[y][x] = (x + y) % (maxv + 1);
                rows[y][x / per_byte] |= (uint8_t)(vals[y][x] << (8 - depth * (x % per_byte + 1)));
            }
        PngSpec s = { gw, h, depth, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, NULL };
        write_png_spec(path, &s, &rows[0][0], sizeof(rows[0]));
        Image img = read_ok(path, NULL);
        REQUIRE_CMP(img.format, ==, IMAGE_GRAY);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < gw; x++)
                REQUIRE_CMP(PIX(img, 0, x, y), ==, vals[y][x] * 255 / maxv);
        image_free(&img);
    }

    /* Gray + alpha, and gray with a tRNS key, become RGBA. */
    uint8_t ga[5 * 3 * 2];
    for (int i = 0; i < w * h; i++) {
        ga[2 * i] = (uint8_t)(i * 17);
        ga[2 * i + 1] = (uint8_t)(255 - i * 3);
    }
    PngSpec sga = { w, h, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, NULL };
    write_png_spec(path, &sga, ga, (size_t)w * 2);
    Image img = read_ok(path, NULL);
    REQUIRE_CMP(img.format, ==, IMAGE_RGBA);
    for (int i = 0; i < w * h; i++)
        for (int p = 0; p < 4; p++)
            REQUIRE_CMP(PIX(img, p, i % w, i / w), ==, ga[2 * i + (p == 3)]);
    image_free(&img);

    png_color_16 key = { 0, 0, 0, 0, 34 };
    PngSpec sg = { w, h, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, &key };
    uint8_t g8[5 * 3];
    for (int i = 0; i < w * h; i++)
        g8[i] = (uint8_t)(i * 17);
    write_png_spec(path, &sg, g8, (size_t)w);
    img = read_ok(path, NULL);
    REQUIRE_CMP(img.format, ==, IMAGE_RGBA);
    for (int i = 0; i < w * h; i++) {
        REQUIRE_CMP(PIX(img, 1, i % w, i / w), ==, g8[i]);
        REQUIRE_CMP(PIX(img, 3, i % w, i / w), ==, g8[i] == 34 ? 0 : 255);
    }
    image_free(&img);

    /* 16-bit RGB: rounded to 8 bits, with the warning flag. */
    uint8_t rgb16[5 * 3 * 6];
    for (int i = 0; i < w * h * 3; i++) {
        unsigned v = (unsigned)(i * 4111 + 77) & 0xffff;
        rgb16[2 * i] = (uint8_t)(v >> 8);
        rgb16[2 * i + 1] = (uint8_t)v;
    }
    PngSpec s16 = { w, h, 16, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, NULL, 0, NULL, 0, NULL };
    write_png_spec(path, &s16, rgb16, (size_t)w * 6);
    unsigned notes = 0;
    img = read_ok(path, &notes);
    REQUIRE(notes & PNG_NOTE_16BIT);
    REQUIRE_CMP(img.format, ==, IMAGE_RGB);
    for (int i = 0; i < w * h * 3; i++) {
        unsigned v = (unsigned)(i * 4111 + 77) & 0xffff;
        unsigned want = (v * 255 + 32767) / 65535;
        REQUIRE_CMP(PIX(img, i % 3, (i / 3) % w, i / 3 / w), ==, want);
    }
    image_free(&img);

    /* Adam7 interlacing gives the same pixels as a plain file. */
    const int iw = 13, ih = 11;
    uint8_t *rgb = malloc((size_t)iw * ih * 3);
    REQUIRE(rgb);
    for (int i = 0; i < iw * ih * 3; i++)
        rgb[i] = (uint8_t)test_rng_u32(&rng);
    PngSpec si = { iw, ih, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7, NULL, 0, NULL, 0, NULL };
    write_png_spec(path, &si, rgb, (size_t)iw * 3);
    img = read_ok(path, &notes);
    REQUIRE(notes & PNG_NOTE_INTERLACED);
    for (int i = 0; i < iw * ih * 3; i++)
        REQUIRE_CMP(PIX(img, i % 3, (i / 3) % iw, i / 3 / iw), ==, rgb[i]);
    image_free(&img);
    free(rgb);
}

static void require_png_rejected(const char *path, const char *why)
{
    Image img;
    unsigned notes;
    char err[256] = "";
    if (image_png_read(path, &img, &notes, err, sizeof(err)) == 0) {
        fprintf(stderr, "PNG accepted although %s\n", why);
        exit(1);
    }
    REQUIRE(err[0]);
    REQUIRE(img.buf == NULL);
}

/* Fix the CRC of the chunk starting at byte pos (after editing it). */
static void fix_crc(uint8_t *d, size_t pos)
{
    uint32_t len = (uint32_t)d[pos] << 24 | d[pos + 1] << 16 | d[pos + 2] << 8 | d[pos + 3];
    uint32_t crc = lutsr_crc32(0, d + pos + 4, len + 4);
    uint8_t *c = d + pos + 8 + len;
    c[0] = (uint8_t)(crc >> 24);
    c[1] = (uint8_t)(crc >> 16);
    c[2] = (uint8_t)(crc >> 8);
    c[3] = (uint8_t)crc;
}

static void test_png_malformed(void)
{
    char err[256];
    Image a;
    REQUIRE(image_alloc(&a, IMAGE_RGB, 9, 7) == 0);
    fill_image(&a);
    const char *good = tmp_path("good.png"), *bad = tmp_path("bad.png");
    REQUIRE(image_png_write(good, &a, err, sizeof(err)) == 0);
    image_free(&a);
    size_t n;
    uint8_t *d = read_bytes(good, &n);

    require_png_rejected(tmp_path("does-not-exist.png"), "it does not exist");
    write_bytes(bad, d, 0);
    require_png_rejected(bad, "it is empty");
    write_bytes(bad, "GIF89a\0\0\0\0\0\0", 12);
    require_png_rejected(bad, "it is a GIF");

    /* Every truncation, including inside IEND. */
    for (size_t len = 1; len < n; len++) {
        write_bytes(bad, d, len);
        char why[64];
        snprintf(why, sizeof(why), "it is cut to %zu of %zu bytes", len, n);
        require_png_rejected(bad, why);
    }

    /* A flipped bit in the compressed data: CRC mismatch. */
    uint8_t *e = malloc(n);
    REQUIRE(e);
    memcpy(e, d, n);
    e[8 + 25 + 10] ^= 0x10; /* inside the first IDAT payload */
    write_bytes(bad, e, n);
    require_png_rejected(bad, "its IDAT CRC is wrong");

    /* Same damage with a valid CRC: zlib or filter errors must surface. */
    size_t idat = 8 + 25;
    for (int k = 0; k < 8; k++) {
        memcpy(e, d, n);
        e[idat + 8 + 2 + (size_t)k] ^= 0xff;
        fix_crc(e, idat);
        write_bytes(bad, e, n);
        Image img;
        unsigned notes;
        /* Some damage may still decode (it is valid deflate); either way
         * there must be no crash, and failures must explain themselves. */
        if (image_png_read(bad, &img, &notes, err, sizeof(err)) < 0)
            REQUIRE(err[0]);
        else
            image_free(&img);
    }

    /* IHDR width 0, and a width beyond the engine limit, with valid CRCs. */
    static const uint32_t widths[] = { 0, LUTSR_MAX_DIM + 1, 0x7fffffffu };
    for (int k = 0; k < 3; k++) {
        memcpy(e, d, n);
        e[16] = (uint8_t)(widths[k] >> 24);
        e[17] = (uint8_t)(widths[k] >> 16);
        e[18] = (uint8_t)(widths[k] >> 8);
        e[19] = (uint8_t)widths[k];
        fix_crc(e, 8);
        write_bytes(bad, e, n);
        require_png_rejected(bad, "its width is out of range");
    }
    /* Bad bit depth for the colour type. */
    memcpy(e, d, n);
    e[24] = 4; /* RGB with 4 bits per sample does not exist */
    fix_crc(e, 8);
    write_bytes(bad, e, n);
    require_png_rejected(bad, "RGB at 4 bits is invalid");

    free(e);
    free(d);
}

/* ---------------------------------------------------------------- Y4M */

static FILE *mem_file(const char *data, size_t n)
{
    FILE *f = tmpfile();
    REQUIRE(f);
    REQUIRE(fwrite(data, 1, n, f) == n);
    rewind(f);
    return f;
}

static void require_y4m_rejected(const char *data, size_t n, const char *want)
{
    FILE *f = mem_file(data, n);
    Y4mReader r;
    Image img = { 0 };
    char err[512] = "";
    int ok = y4m_reader_init(&r, f, err, sizeof(err)) == 0;
    while (ok) {
        int k = y4m_read_frame(&r, &img, err, sizeof(err));
        if (k <= 0) {
            ok = k == 0;
            break;
        }
    }
    image_free(&img);
    fclose(f);
    if (ok) {
        fprintf(stderr, "Y4M accepted: \"%.60s\"\n", data);
        exit(1);
    }
    if (!strstr(err, want)) {
        fprintf(stderr, "Y4M error \"%s\" lacks \"%s\"\n", err, want);
        exit(1);
    }
}

static void test_y4m_headers(void)
{
    static const struct { const char *c; ImageFormat fmt; } cs[] = {
        { "", IMAGE_YUV420 }, { " C420jpeg", IMAGE_YUV420 }, { " C420paldv", IMAGE_YUV420 },
        { " C420mpeg2", IMAGE_YUV420 }, { " C420", IMAGE_YUV420 }, { " C422", IMAGE_YUV422 },
        { " C444", IMAGE_YUV444 }, { " Cmono", IMAGE_GRAY },
    };
    char err[512];
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        char hdr[128];
        int len = snprintf(hdr, sizeof(hdr), "YUV4MPEG2 W7 H5%s\n", cs[i].c);
        FILE *f = mem_file(hdr, (size_t)len);
        Y4mReader r;
        REQUIRE(y4m_reader_init(&r, f, err, sizeof(err)) == 0);
        REQUIRE_CMP(r.hdr.format, ==, cs[i].fmt);
        /* Odd sizes round chroma up. */
        size_t want = cs[i].fmt == IMAGE_YUV420 ? 35 + 2 * 4 * 3
                    : cs[i].fmt == IMAGE_YUV422 ? 35 + 2 * 4 * 5
                    : cs[i].fmt == IMAGE_YUV444 ? 35 * 3 : 35;
        REQUIRE_CMP(r.frame_bytes, ==, want);
        REQUIRE_CMP(r.frames_total, ==, 0);
        fclose(f);
    }

#define REJECT(s, want) require_y4m_rejected(s, sizeof(s) - 1, want)
    REJECT("", "empty");
    REJECT("YUV4MPEG W4 H4\n", "not a Y4M");
    REJECT("P5 4 4 255\n", "not a Y4M");
    REJECT("YUV4MPEG2 W4 H4", "truncated");
    REJECT("YUV4MPEG2 W4 H4 C420p10\n", "C420p10");
    REJECT("YUV4MPEG2 W4 H4 C444alpha\n", "C444alpha");
    REJECT("YUV4MPEG2 W4 H4 Cmono16\n", "Cmono16");
    REJECT("YUV4MPEG2 W4 H4 C411\n", "C411");
    REJECT("YUV4MPEG2 H4\n", "W tag");
    REJECT("YUV4MPEG2 W4\n", "H tag");
    REJECT("YUV4MPEG2 W0 H4\n", "width");
    REJECT("YUV4MPEG2 W-4 H4\n", "width");
    REJECT("YUV4MPEG2 W4x H4\n", "width");
    REJECT("YUV4MPEG2 W16385 H4\n", "width");
    REJECT("YUV4MPEG2 W4 H99999999999\n", "height");
    REJECT("YUV4MPEG2 W4 W4 H4\n", "two W");
    REJECT("YUV4MPEG2 W4  H4\n", "empty tag");
    REJECT("YUV4MPEG2 W4 H4 F30\n", "frame rate");
    REJECT("YUV4MPEG2 W4 H4 Ix\n", "interlace");
    REJECT("YUV4MPEG2 W4 H4 A1\n", "aspect");
    REJECT("YUV4MPEG2 W2 H2 Cmono\nFRAMEX\n\1\2\3\4", "FRAME");
    REJECT("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3", "truncated frame 1: got 3 of 4");
    REJECT("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4FRAME\n", "truncated frame 2: got 0 of 4");
    REJECT("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4FRA", "frame 2");
    REJECT("YUV4MPEG2 W2 H2 Cmono\nFRAME\n\1\2\3\4garbage", "frame 2");
#undef REJECT
}

static void test_y4m_stream(void)
{
    /* Tags survive in order; W and H take the writer's size; FRAME
     * parameters pass through. */
    static const char in_hdr[] =
        "YUV4MPEG2 W5 H3 F30000:1001 It A1:1 C420mpeg2 XYSCSS=420MPEG2 Zfoo\n";
    char err[512];
    Image frames[3];
    FILE *f = tmpfile();
    REQUIRE(f);
    fputs(in_hdr, f);
    for (int i = 0; i < 3; i++) {
        REQUIRE(image_alloc(&frames[i], IMAGE_YUV420, 5, 3) == 0);
        fill_image(&frames[i]);
        fputs(i == 1 ? "FRAME Ixyz\n" : "FRAME\n", f);
        REQUIRE(image_write_planes(f, &frames[i]) == 0);
    }
    rewind(f);
    Y4mReader r;
    REQUIRE(y4m_reader_init(&r, f, err, sizeof(err)) == 0);
    REQUIRE(r.hdr.width == 5 && r.hdr.height == 3 && r.hdr.format == IMAGE_YUV420);
    REQUIRE(r.hdr.interlaced && r.hdr.fps_num == 30000 && r.hdr.fps_den == 1001);
    REQUIRE_CMP(r.frames_total, ==, -1); /* a FRAME line has parameters */

    FILE *o = tmpfile();
    REQUIRE(o);
    Y4mWriter w;
    REQUIRE(y4m_writer_init(&w, o, &r.hdr, 10, 6, err, sizeof(err)) == 0);
    Image img = { 0 };
    for (int i = 0; i < 3; i++) {
        REQUIRE_CMP(y4m_read_frame(&r, &img, err, sizeof(err)), ==, 1);
        require_images_equal(&frames[i], &img, "y4m frame");
        REQUIRE(!strcmp(r.frame_params, i == 1 ? "Ixyz" : ""));
        Image big;
        REQUIRE(image_alloc(&big, IMAGE_YUV420, 10, 6) == 0);
        fill_image(&big);
        REQUIRE(y4m_write_frame(&w, &big, r.frame_params, err, sizeof(err)) == 0);
        image_free(&big);
    }
    REQUIRE_CMP(y4m_read_frame(&r, &img, err, sizeof(err)), ==, 0);
    image_free(&img);
    fclose(f);

    size_t out_bytes = (size_t)ftell(o);
    rewind(o);
    char line[256];
    REQUIRE(fgets(line, sizeof(line), o));
    REQUIRE(!strcmp(line, "YUV4MPEG2 W10 H6 F30000:1001 It A1:1 C420mpeg2 XYSCSS=420MPEG2 Zfoo\n"));
    size_t fb = image_frame_bytes(IMAGE_YUV420, 10, 6);
    REQUIRE_CMP(out_bytes, ==, strlen(line) + 3 * fb + 6 + 11 + 6);
    fseek(o, (long)(strlen(line) + 6 + fb), SEEK_SET);
    REQUIRE(fgets(line, sizeof(line), o));
    REQUIRE(!strcmp(line, "FRAME Ixyz\n"));
    fclose(o);

    /* Plain FRAME lines in a regular file: the count is known up front. */
    f = tmpfile();
    REQUIRE(f);
    fputs("YUV4MPEG2 W3 H3 C422\n", f);
    for (int i = 0; i < 4; i++) {
        fputs("FRAME\n", f);
        for (size_t k = 0; k < image_frame_bytes(IMAGE_YUV422, 3, 3); k++)
            fputc((int)k, f);
    }
    rewind(f);
    REQUIRE(y4m_reader_init(&r, f, err, sizeof(err)) == 0);
    REQUIRE_CMP(r.frames_total, ==, 4);
    fclose(f);
    for (int i = 0; i < 3; i++)
        image_free(&frames[i]);
}

/* ---------------------------------------------------------------- raw */

static void test_raw(void)
{
    char err[512];
    uint8_t data[3 * 20];
    for (int i = 0; i < 60; i++)
        data[i] = (uint8_t)(i * 7);
    FILE *f = mem_file((const char *)data, sizeof(data));
    RawReader r;
    REQUIRE(raw_reader_init(&r, f, 5, 4, err, sizeof(err)) == 0);
    REQUIRE_CMP(r.frames_total, ==, 3);
    Image img = { 0 };
    for (int i = 0; i < 3; i++) {
        REQUIRE_CMP(raw_read_frame(&r, &img, err, sizeof(err)), ==, 1);
        for (int k = 0; k < 20; k++)
            REQUIRE_CMP(PIX(img, 0, k % 5, k / 5), ==, data[i * 20 + k]);
    }
    REQUIRE_CMP(raw_read_frame(&r, &img, err, sizeof(err)), ==, 0);
    image_free(&img);
    fclose(f);

    /* Wrong --size: the file size gives it away. */
    f = mem_file((const char *)data, 59);
    REQUIRE(raw_reader_init(&r, f, 5, 4, err, sizeof(err)) < 0);
    REQUIRE(strstr(err, "not a multiple"));
    fclose(f);
    f = mem_file((const char *)data, 0);
    REQUIRE(raw_reader_init(&r, f, 5, 4, err, sizeof(err)) < 0);
    fclose(f);
    REQUIRE(raw_reader_init(&r, stdin, 0, 4, err, sizeof(err)) < 0);
}

/* ------------------------------------------------------ upscale_image */

static void upscale_ref(LutsrContext *c, int model, const LutsrPlane *src, TestPlane *out)
{
    int s = lutsr_scale(c);
    test_plane_alloc(out, src->width * s, src->height * s, 3);
    REQUIRE(out->p.data);
    REQUIRE_OK(model ? lutsr_upscale_luma(c, src, &out->p) : lutsr_upscale_bicubic(c, src, &out->p));
}

/* Y (or gray) through the model, chroma and alpha through bicubic, and
 * odd-sized chroma cropped from the full upscale, for every format. */
static void test_upscale_image(int scale)
{
    struct LutsrModel *m;
    REQUIRE_OK(lutsr_model_alloc(&m, LUTSR_MODEL_SRLUT, scale, 4, 6, "test"));
    /* A random LUT: the model's output differs from bicubic everywhere, so
     * a plane sent down the wrong path cannot go unnoticed. */
    for (size_t i = 0; i < (size_t)m->lut_entries * m->lut_values; i++)
        m->lut[i] = (int8_t)test_rng_u32(&rng);
    LutsrContext *c;
    LutsrOptions o;
    lutsr_default_options(&o);
    o.threads = 2;
    REQUIRE_OK(lutsr_open(&c, m, &o));

    static const ImageFormat fmts[] = { IMAGE_GRAY, IMAGE_YUV420, IMAGE_YUV422, IMAGE_YUV444,
                                        IMAGE_RGB, IMAGE_RGBA };
    char err[256];
    for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        const int w = 13, h = 7;
        Image in, out = { 0 };
        REQUIRE(image_alloc(&in, fmts[f], w, h) == 0);
        fill_image(&in);
        REQUIRE(upscale_image(c, &in, &out, err, sizeof(err)) == 0);
        REQUIRE(out.format == in.format && out.width == w * scale && out.height == h * scale);
        if (fmts[f] == IMAGE_RGB || fmts[f] == IMAGE_RGBA) {
            Image yuv, ref;
            REQUIRE(image_alloc(&yuv, IMAGE_YUV444, w, h) == 0);
            REQUIRE(image_alloc(&ref, IMAGE_RGB, w * scale, h * scale) == 0);
            rgb_to_ycbcr(&in.plane[0], &in.plane[1], &in.plane[2],
                         &yuv.plane[0], &yuv.plane[1], &yuv.plane[2]);
            TestPlane up[3];
            for (int p = 0; p < 3; p++)
                upscale_ref(c, p == 0, &yuv.plane[p], &up[p]);
            ycbcr_to_rgb(&up[0].p, &up[1].p, &up[2].p, &ref.plane[0], &ref.plane[1], &ref.plane[2]);
            for (int p = 0; p < 3; p++) {
                REQUIRE_PLANE_EQ(ref.plane[p].data, ref.plane[p].stride, out.plane[p].data,
                                 out.plane[p].stride, w * scale, h * scale, "rgb plane %d x%d", p, scale);
                test_plane_free(&up[p]);
            }
            if (fmts[f] == IMAGE_RGBA) {
                TestPlane a;
                upscale_ref(c, 0, &in.plane[3], &a);
                REQUIRE_PLANE_EQ(a.p.data, a.p.stride, out.plane[3].data, out.plane[3].stride,
                                 w * scale, h * scale, "alpha x%d", scale);
                test_plane_free(&a);
            }
            image_free(&yuv);
            image_free(&ref);
        } else {
            for (int p = 0; p < in.nb_planes; p++) {
                TestPlane ref;
                upscale_ref(c, p == 0, &in.plane[p], &ref);
                int pw, ph;
                image_plane_size(fmts[f], w * scale, h * scale, p, &pw, &ph);
                REQUIRE(out.plane[p].width == pw && out.plane[p].height == ph);
                REQUIRE(pw <= ref.p.width && ph <= ref.p.height);
                REQUIRE_PLANE_EQ(ref.p.data, ref.p.stride, out.plane[p].data, out.plane[p].stride,
                                 pw, ph, "%s plane %d x%d", image_format_name(fmts[f]), p, scale);
                test_plane_free(&ref);
            }
        }
        /* A second call into the same output reuses it. */
        REQUIRE(upscale_image(c, &in, &out, err, sizeof(err)) == 0);
        image_free(&in);
        image_free(&out);
    }
    lutsr_close(&c);
    lutsr_model_close(&m);
}

/* "-m bicubic" on a gray image is the engine's bicubic, pixel for pixel. */
static void test_bicubic_model_gray(void)
{
    char err[256];
    for (int scale = 2; scale <= 4; scale++) {
        LutsrModel *m;
        LutsrContext *c;
        LutsrOptions o;
        lutsr_default_options(&o);
        REQUIRE_OK(lutsr_model_bicubic(&m, scale));
        REQUIRE_OK(lutsr_open(&c, m, &o));
        Image in, out = { 0 };
        REQUIRE(image_alloc(&in, IMAGE_GRAY, 19, 11) == 0);
        fill_image(&in);
        REQUIRE(upscale_image(c, &in, &out, err, sizeof(err)) == 0);
        TestPlane ref;
        upscale_ref(c, 0, &in.plane[0], &ref);
        REQUIRE_PLANE_EQ(ref.p.data, ref.p.stride, out.plane[0].data, out.plane[0].stride,
                         19 * scale, 11 * scale, "bicubic model x%d", scale);
        test_plane_free(&ref);
        image_free(&in);
        image_free(&out);
        lutsr_close(&c);
        lutsr_model_close(&m);
    }
}

int main(void)
{
    test_rng_seed(&rng, test_seed(20240611));
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/lutsr-imgio-XXXXXX");
    REQUIRE(mkdtemp(tmpdir));

    test_colorspace();
    test_png_roundtrip();
    test_png_variants();
    test_png_malformed();
    test_y4m_headers();
    test_y4m_stream();
    test_raw();
    for (int s = 2; s <= 4; s++)
        test_upscale_image(s);
    test_bicubic_model_gray();

    static const char *const names[] = { "rt.png", "yuv.png", "v.png", "good.png", "bad.png" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(tmp_path(names[i]));
    rmdir(tmpdir);
    printf("test_image_io: all passed\n");
    return 0;
}
