/*
 * lutsr_model_open(): built-in names, paths, and short names looked up in
 * the model search path.
 *
 * A file is read with one read() into a 64-byte aligned buffer that the
 * model then owns (no copy). read() rather than mmap(): the bytes we
 * validate are the bytes we keep, even if the file changes or is truncated
 * on disk later (which would make a mapping fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "mem.h"
#include "model.h"

#ifndef LUTSR_MODEL_DIR
#define LUTSR_MODEL_DIR "models"
#endif
#ifndef LUTSR_PREFIX
#define LUTSR_PREFIX "/usr/local"
#endif

#define SHARE_MODEL_DIR LUTSR_PREFIX "/share/lutsr/models"
#define MODEL_EXT ".lsr"

/* Returned by load_file() for a missing file while searching; never leaves
 * this file. */
#define ABSENT 1

static const char *errno_text(int errnum, char *buf, size_t size)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(errnum, buf, size); /* GNU variant: returns the text */
#else
    return strerror_r(errnum, buf, size) ? "unknown error" : buf;
#endif
}

static int LUTSR_PRINTF(4, 5) set_err(char *err, size_t err_size, int code, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int io_error(char *err, size_t err_size, const char *path, const char *what, int errnum)
{
    char buf[128];
    return set_err(err, err_size, LUTSR_ERR_IO, "%s: %s: %s", path, what,
                   errno_text(errnum, buf, sizeof(buf)));
}

/* Reads and parses one file. With absent_ok, a missing file returns ABSENT
 * quietly (the search goes on). */
static int load_file(LutsrModel **out, const char *path, int absent_ok, char *err, size_t err_size)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (absent_ok && (errno == ENOENT || errno == ENOTDIR))
            return ABSENT;
        return io_error(err, err_size, path, "cannot open", errno);
    }

    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return io_error(err, err_size, path, "cannot stat", e);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return io_error(err, err_size, path, "not a regular file", S_ISDIR(st.st_mode) ? EISDIR : EINVAL);
    }
    /* The size limit is checked before allocating anything. */
    if ((uint64_t)st.st_size > LUTSR_MODEL_MAX_FILE) {
        close(fd);
        return set_err(err, err_size, LUTSR_ERR_MODEL_RANGE, "%s: file is %llu bytes, more than "
                       "the %llu-byte limit for models", path, (unsigned long long)st.st_size,
                       (unsigned long long)LUTSR_MODEL_MAX_FILE);
    }

    size_t size = (size_t)st.st_size, got = 0;
    uint8_t *buf = lutsr_alloc_aligned(size);
    if (!buf) {
        close(fd);
        return set_err(err, err_size, LUTSR_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, size);
    }
    /* One read() in practice; the loop covers short reads and signals. A
     * file that shrank meanwhile is caught by the parser's size checks. */
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            lutsr_free_aligned(buf);
            return io_error(err, err_size, path, "read failed", e);
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return lutsr_model_parse_owned(out, buf, got, path, err, err_size);
}

/* "bicubic" (scale 2) or "bicubic-xN". Returns 0 if name is not one. */
static int open_builtin(LutsrModel **out, const char *name, char *err, size_t err_size, int *r)
{
    static const char base[] = "bicubic";
    if (strncmp(name, base, sizeof(base) - 1))
        return 0;
    const char *tail = name + sizeof(base) - 1;
    int scale;
    if (!*tail)
        scale = 2;
    else if (tail[0] == '-' && tail[1] == 'x' && tail[2] >= '0' && tail[2] <= '9' && !tail[3])
        scale = tail[2] - '0';
    else
        return 0;
    if (scale < 2 || scale > 4)
        *r = set_err(err, err_size, LUTSR_ERR_UNSUPPORTED_SCALE, "%s: scale %d is not supported "
                     "(bicubic supports 2, 3 and 4)", name, scale);
    else if ((*r = lutsr_model_bicubic(out, scale)) < 0)
        set_err(err, err_size, *r, "%s: %s", name, lutsr_strerror(*r));
    return 1;
}

static int is_path(const char *name)
{
    size_t n = strlen(name), e = sizeof(MODEL_EXT) - 1;
    return strchr(name, '/') || (n >= e && !strcmp(name + n - e, MODEL_EXT));
}

/* Short names "x2", "x3", "x4" are the real-time default: the first kind
 * present in this order (within each directory, so a user directory still
 * wins over a later one). ECLUT first: it is the fastest and, at x2, the
 * sharpest single-stage LUT. MuLUT is sharper but ~6x slower (24 simplex
 * lookups a pixel against SR-LUT's 4), under 30 fps at 1080p -> 4K on 2
 * cores, so it is asked for by name (mulut-x2) and only stands in when
 * neither of the others is there. */
static const char *const alias_kinds[] = { "eclut", "srlut", "mulut" };
#define N_ALIAS_KINDS (sizeof(alias_kinds) / sizeof(alias_kinds[0]))

static int is_alias(const char *name)
{
    return name[0] == 'x' && name[1] >= '2' && name[1] <= '4' && !name[2];
}

/* Tries every candidate file name of `name` in directory dir (length
 * dir_len, not NUL-terminated). Returns ABSENT if none exists. An alias
 * skips files this library cannot run (kind or format too new) and goes on
 * to the next kind; *skipped records that, for the final message. */
static int try_dir(LutsrModel **out, const char *dir, size_t dir_len, const char *name,
                   int *skipped, char *err, size_t err_size)
{
    int alias = is_alias(name);
    size_t n_cand = alias ? N_ALIAS_KINDS : 1;
    for (size_t i = 0; i < n_cand; i++) {
        char file[64];
        if (alias)
            snprintf(file, sizeof(file), "%s-%s" MODEL_EXT, alias_kinds[i], name);
        const char *fname = alias ? file : name;
        const char *ext = alias ? "" : MODEL_EXT;
        size_t len = dir_len + 1 + strlen(fname) + strlen(ext) + 1;
        char *path = malloc(len);
        if (!path)
            return set_err(err, err_size, LUTSR_ERR_NOMEM, "%s: out of memory", name);
        snprintf(path, len, "%.*s/%s%s", (int)dir_len, dir, fname, ext);
        int r = load_file(out, path, 1, err, err_size);
        free(path);
        if (alias && (r == LUTSR_ERR_MODEL_KIND || r == LUTSR_ERR_MODEL_VERSION)) {
            *skipped = 1;
            continue;
        }
        if (r != ABSENT)
            return r;
    }
    return ABSENT;
}

/* Describes the search for the not-found message: which files, where. */
static void not_found(const char *name, const char *env, int skipped, char *err, size_t err_size)
{
    char files[128];
    if (is_alias(name))
        snprintf(files, sizeof(files), "%s-%s%s, %s-%s%s or %s-%s%s",
                 alias_kinds[0], name, MODEL_EXT, alias_kinds[1], name, MODEL_EXT,
                 alias_kinds[2], name, MODEL_EXT);
    else
        snprintf(files, sizeof(files), "%s%s", name, MODEL_EXT);
    set_err(err, err_size, LUTSR_ERR_MODEL_NOT_FOUND,
            "%s: no %smodel found: looked for %s in $LUTSR_MODEL_PATH (%s), %s, %s",
            name, skipped ? "usable " : "", files, env && *env ? env : "unset",
            LUTSR_MODEL_DIR, SHARE_MODEL_DIR);
}

int lutsr_model_open(LutsrModel **out, const char *name, char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (out)
        *out = NULL;
    if (!out || !name || !*name)
        return set_err(err, err_size, LUTSR_ERR_INVALID_ARG, "model: no model name given");

    int r;
    if (open_builtin(out, name, err, err_size, &r))
        return r;
    if (is_path(name))
        return load_file(out, name, 0, err, err_size);

    /* Short name: $LUTSR_MODEL_PATH (colon-separated, empty entries
     * ignored), then the build tree's models/, then the install prefix. */
    const char *env = getenv("LUTSR_MODEL_PATH");
    int skipped = 0;
    for (const char *s = env; s && *s;) {
        size_t len = strcspn(s, ":");
        if (len && (r = try_dir(out, s, len, name, &skipped, err, err_size)) != ABSENT)
            return r;
        s += len + (s[len] == ':');
    }
    static const char *const fixed_dirs[] = { LUTSR_MODEL_DIR, SHARE_MODEL_DIR };
    for (size_t i = 0; i < sizeof(fixed_dirs) / sizeof(fixed_dirs[0]); i++)
        if ((r = try_dir(out, fixed_dirs[i], strlen(fixed_dirs[i]), name, &skipped, err, err_size)) != ABSENT)
            return r;
    not_found(name, env, skipped, err, err_size);
    return LUTSR_ERR_MODEL_NOT_FOUND;
}
