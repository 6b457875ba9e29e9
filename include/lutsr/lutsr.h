/*
 * lutsr: real-time learned super-resolution of 8-bit planes.
 *
 * The only public header. All handles are opaque; every function that can
 * fail returns a LutsrError (0 = success, negative = error) and, where a
 * context exists, leaves a human-readable detail in lutsr_last_error().
 *
 * Typical use:
 *
 *     LutsrModel *m; LutsrContext *c; LutsrOptions o;
 *     char err[256];
 *     if (lutsr_model_open(&m, "x2", err, sizeof(err)) < 0) { puts(err); ... }
 *     lutsr_default_options(&o);
 *     o.threads = 2;
 *     if (lutsr_open(&c, m, &o) < 0) ...
 *     lutsr_upscale_luma(c, &src, &dst);      // learned model
 *     lutsr_upscale_bicubic(c, &src_u, &dst_u); // chroma / baseline
 *     lutsr_close(&c);
 *     lutsr_model_close(&m);
 */
#ifndef LUTSR_LUTSR_H
#define LUTSR_LUTSR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define LUTSR_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define LUTSR_API __attribute__((visibility("default")))
#else
#  define LUTSR_API
#endif

#define LUTSR_API_VERSION_MAJOR 0
#define LUTSR_API_VERSION_MINOR 2
#define LUTSR_API_VERSION_PATCH 0
#define LUTSR_API_VERSION_INT \
    ((LUTSR_API_VERSION_MAJOR << 16) | (LUTSR_API_VERSION_MINOR << 8) | LUTSR_API_VERSION_PATCH)

/** @return LUTSR_API_VERSION_INT of the library actually linked. Callers
 *  compare its major number with the header's and refuse to run on a
 *  mismatch. */
LUTSR_API unsigned lutsr_version(void);

/** Error codes: 0 is success, every error is negative. */
typedef enum LutsrError {
    LUTSR_OK                     =   0,
    LUTSR_ERR_INVALID_ARG        =  -1, /**< NULL pointer, bad option value, bad plane */
    LUTSR_ERR_NOMEM              =  -2, /**< allocation failed */
    LUTSR_ERR_IO                 =  -3, /**< file could not be opened or read */
    LUTSR_ERR_MODEL_MAGIC        = -10, /**< not a lutsr model file */
    LUTSR_ERR_MODEL_VERSION      = -11, /**< model written by a newer/unknown format version */
    LUTSR_ERR_MODEL_TRUNCATED    = -12, /**< file shorter than its header says */
    LUTSR_ERR_MODEL_CHECKSUM     = -13, /**< CRC32 mismatch: corrupted file */
    LUTSR_ERR_MODEL_RANGE        = -14, /**< a header/tensor field is out of range or inconsistent */
    LUTSR_ERR_MODEL_KIND         = -15, /**< model kind unknown to this library */
    LUTSR_ERR_MODEL_NOT_FOUND    = -16, /**< short name matches no shipped model */
    LUTSR_ERR_UNSUPPORTED_SCALE  = -20, /**< scale not 2, 3 or 4 (or not the model's) */
    LUTSR_ERR_UNSUPPORTED_SIZE   = -21, /**< plane too small/large, or dst size != src size * scale */
    LUTSR_ERR_THREAD             = -30, /**< thread creation failed */
} LutsrError;

/** @return a static English description of code (never NULL). */
LUTSR_API const char *lutsr_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Models                                                                   */

typedef struct LutsrModel LutsrModel;

typedef enum LutsrModelKind {
    LUTSR_MODEL_BICUBIC = 0, /**< built-in bicubic (a = -0.5), no file */
    LUTSR_MODEL_SRLUT   = 1, /**< SR-LUT: 2x2 window, sampled 4-D LUT, simplex interpolation */
    LUTSR_MODEL_ECLUT   = 2, /**< ECLUT: 2-pixel full LUT, 3x3 expanded-conv output footprint */
    LUTSR_MODEL_MULUT   = 3, /**< MuLUT: 1..4 cascaded stages of SR-LUT-like LUTs over S/D/Y patterns */
    LUTSR_MODEL_CNN     = 16, /**< small CNN as a layer graph (docs/cnn.md) */
} LutsrModelKind;

/**
 * Load a model.
 *
 * @param name  a path to a .lsr file, a shipped short name ("x2",
 *              "srlut-x2", ...; looked up in $LUTSR_MODEL_PATH, then the
 *              build's models/ folder, then the install prefix), or
 *              "bicubic" / "bicubic-xN" for the built-in baseline (scale 2
 *              unless -xN is given).
 * @param err   optional buffer for a detail message naming the problem.
 * @return 0 or a negative LutsrError. On success *out owns the model; free it
 *         with lutsr_model_close(). A model may be shared by any number of
 *         contexts and threads; it must outlive them.
 */
LUTSR_API int lutsr_model_open(LutsrModel **out, const char *name,
                               char *err, size_t err_size);

/** Parse a model from memory. The buffer is copied; the caller keeps it. */
LUTSR_API int lutsr_model_parse(LutsrModel **out, const void *buf, size_t size,
                                char *err, size_t err_size);

/** Built-in bicubic "model" for scale 2, 3 or 4. */
LUTSR_API int lutsr_model_bicubic(LutsrModel **out, int scale);

/** Free a model and set *m to NULL. NULL-safe. */
LUTSR_API void lutsr_model_close(LutsrModel **m);

LUTSR_API LutsrModelKind lutsr_model_kind(const LutsrModel *m);
LUTSR_API int lutsr_model_scale(const LutsrModel *m);
/** Short kind name: "bicubic", "srlut", "eclut", "mulut". */
LUTSR_API const char *lutsr_model_kind_name(const LutsrModel *m);
/** Free-text training metadata stored in the file ("" if none). */
LUTSR_API const char *lutsr_model_metadata(const LutsrModel *m);
/** Multi-line human-readable description (kind, scale, tensors, sizes, CRC). */
LUTSR_API const char *lutsr_model_describe(const LutsrModel *m);

/* ------------------------------------------------------------------------ */
/* Contexts                                                                 */

typedef struct LutsrContext LutsrContext;

/** CPU feature selection (per context; there is no global switch). */
typedef enum LutsrCpu {
    LUTSR_CPU_AUTO  = 0, /**< best available (default) */
    LUTSR_CPU_NONE  = 1, /**< portable C reference only */
    LUTSR_CPU_SSE41 = 2, /**< at most SSE4.1 */
    LUTSR_CPU_AVX2  = 3, /**< at most AVX2 */
} LutsrCpu;

typedef enum LutsrLogLevel {
    LUTSR_LOG_ERROR = 0, LUTSR_LOG_WARNING = 1, LUTSR_LOG_INFO = 2,
    LUTSR_LOG_VERBOSE = 3, LUTSR_LOG_DEBUG = 4,
} LutsrLogLevel;

typedef struct LutsrOptions {
    int threads;           /**< worker threads incl. the caller; 0 = number of CPUs (default 0) */
    LutsrCpu cpu;          /**< SIMD level cap (default LUTSR_CPU_AUTO) */
    int log_level;         /**< messages at or below this level reach log_cb (default LUTSR_LOG_WARNING) */
    /** Log callback (default NULL = silent). msg has no trailing newline. */
    void (*log_cb)(void *priv, int level, const char *msg);
    void *log_priv;        /**< passed to log_cb (default NULL) */
    /** Nonzero: the caller brings its own threads and only calls the *_rows()
     * functions from them (FFmpeg slice jobs). The context starts no worker
     * threads; `threads` only sets the number of job slots. Default 0. */
    int external_threads;
    /** Geometric self-ensemble for lutsr_upscale_luma(): 0 or 1 = off
     * (default); 8 = upscale the plane in all 8 flips/transpositions, map
     * each result back and output the rounded mean, (sum + 4) >> 3. About
     * 8x the time for a sharper, more stable result (an offline quality
     * mode). The *_rows() functions refuse it: it needs the whole plane.
     * Bicubic (chroma) is unaffected. Since API 0.2. */
    int ensemble;
    uint8_t reserved[24];  /**< must be zero: room to grow without an ABI break */
} LutsrOptions;

LUTSR_API void lutsr_default_options(LutsrOptions *o);

/**
 * Create a context that runs model with the given options.
 * The context holds the thread pool and per-thread scratch; it is not
 * thread-safe itself (one call at a time), but lutsr_upscale_luma_rows()
 * may be called concurrently on disjoint row ranges.
 */
LUTSR_API int lutsr_open(LutsrContext **out, const LutsrModel *model,
                         const LutsrOptions *o);

/** Stop the pool, free everything and set *c to NULL. NULL-safe. */
LUTSR_API void lutsr_close(LutsrContext **c);

/** Detail message of the last error on this context ("" if none). */
LUTSR_API const char *lutsr_last_error(const LutsrContext *c);

LUTSR_API int lutsr_scale(const LutsrContext *c);
/** Number of threads the pool actually runs (>= 1). */
LUTSR_API int lutsr_threads(const LutsrContext *c);
/** Name of the SIMD level in use ("c", "sse4.1", "avx2"). */
LUTSR_API const char *lutsr_cpu_name(const LutsrContext *c);

/**
 * One 8-bit plane. data points at the first pixel; stride is in bytes and
 * may be negative. The library reads only the width x height pixels of a
 * source and writes only the width x height pixels of a destination: no
 * alignment, padding or over-read is required of the caller.
 */
typedef struct LutsrPlane {
    uint8_t *data;
    ptrdiff_t stride;
    int width, height;
} LutsrPlane;

/** Largest accepted source dimension (either side). */
#define LUTSR_MAX_DIM 16384

/**
 * Upscale src into dst with the context's model, using the thread pool.
 * dst must be exactly (src.width * scale) x (src.height * scale).
 * Output is bit-identical for any thread count and CPU level.
 */
LUTSR_API int lutsr_upscale_luma(LutsrContext *c, const LutsrPlane *src,
                                 const LutsrPlane *dst);

/**
 * Same as lutsr_upscale_luma(), restricted to destination rows
 * [dst_y0, dst_y1), on the calling thread. For callers that own their
 * threads (FFmpeg slice jobs): concurrent calls on disjoint row ranges are
 * allowed, with job = 0..lutsr_threads()-1 distinct per concurrent caller
 * (it picks the scratch buffer). The bytes written do not depend on how the
 * rows are split. Fails with LUTSR_ERR_INVALID_ARG on a context opened with
 * ensemble 8.
 */
LUTSR_API int lutsr_upscale_luma_rows(LutsrContext *c, const LutsrPlane *src,
                                      const LutsrPlane *dst,
                                      int dst_y0, int dst_y1, int job);

/**
 * Bicubic (a = -0.5, pixel-centre aligned, edge-replicate) upscale by the
 * context's integer scale, for chroma planes and as the baseline.
 * dst must be exactly src size * scale. Uses the thread pool.
 */
LUTSR_API int lutsr_upscale_bicubic(LutsrContext *c, const LutsrPlane *src,
                                    const LutsrPlane *dst);

/** Row-range variant of lutsr_upscale_bicubic(); see lutsr_upscale_luma_rows(). */
LUTSR_API int lutsr_upscale_bicubic_rows(LutsrContext *c, const LutsrPlane *src,
                                         const LutsrPlane *dst,
                                         int dst_y0, int dst_y1, int job);

#ifdef __cplusplus
}
#endif

#endif /* LUTSR_LUTSR_H */
