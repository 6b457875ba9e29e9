#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_parse.h"

/* getopt_long() 'val's: options are told apart by table index, never by
 * their short letter, so a long-only option needs no made-up letter. */
#define VAL_BASE 1000
#define VAL_HELP 999

static int n_opts(const CliCommand *cmd)
{
    int n = 0;
    while (cmd->opts && cmd->opts[n].long_name)
        n++;
    return n;
}

void cli_init(CliParser *p, const CliCommand *cmd, int argc, char **argv)
{
    memset(p, 0, sizeof(*p));
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    char *s = p->sopts;
    *s++ = ':'; /* report a missing argument as ':' instead of '?' */
    int n = n_opts(cmd);
    if (n > CLI_MAX_OPTS)
        n = CLI_MAX_OPTS;
    for (int i = 0; i < n; i++) {
        const CliOpt *o = &cmd->opts[i];
        p->lopts[i] = (struct option){ o->long_name, o->arg ? required_argument : no_argument,
                                       NULL, VAL_BASE + i };
        if (o->short_name) {
            *s++ = (char)o->short_name;
            if (o->arg)
                *s++ = ':';
        }
    }
    *s++ = 'h';
    *s = '\0';
    p->lopts[n] = (struct option){ "help", no_argument, NULL, VAL_HELP };
    optind = 0; /* glibc: 0 fully re-initialises getopt's state */
    opterr = 0;
}

int cli_optind(void)
{
    return optind;
}

static int short_to_index(const CliCommand *cmd, int c)
{
    for (int i = 0; cmd->opts && cmd->opts[i].long_name; i++)
        if (cmd->opts[i].short_name == c)
            return i;
    return -1;
}

static const char *opt_label(const CliCommand *cmd, int val, char *buf, size_t size)
{
    int idx = val >= VAL_BASE ? val - VAL_BASE : short_to_index(cmd, val);
    if (idx >= 0)
        snprintf(buf, size, "--%s", cmd->opts[idx].long_name);
    else
        snprintf(buf, size, "-%c", val);
    return buf;
}

int cli_next(CliParser *p)
{
    int c = getopt_long(p->argc, p->argv, p->sopts, p->lopts, NULL);
    const char *what = p->cmd->name;
    p->arg = optarg;
    if (c == -1)
        return CLI_DONE;
    if (c == 'h' || c == VAL_HELP)
        return CLI_HELP;
    if (c == ':') {
        cli_error(what, "option %s needs an argument (see 'lutsr help %s')",
                  opt_label(p->cmd, optopt, p->opt_buf, sizeof(p->opt_buf)), what);
        return CLI_ERROR;
    }
    if (c == '?') {
        const char *bad = optind > 0 && optind <= p->argc ? p->argv[optind - 1] : "?";
        if (optopt >= VAL_BASE)
            cli_error(what, "option %s takes no argument",
                      opt_label(p->cmd, optopt, p->opt_buf, sizeof(p->opt_buf)));
        else if (optopt)
            cli_error(what, "unknown option '-%c' (see 'lutsr help %s')", optopt, what);
        else
            cli_error(what, "unknown option '%s' (see 'lutsr help %s')", bad, what);
        return CLI_ERROR;
    }
    int idx = c >= VAL_BASE ? c - VAL_BASE : short_to_index(p->cmd, c);
    if (idx < 0) {
        cli_error(what, "unknown option '-%c'", c);
        return CLI_ERROR;
    }
    snprintf(p->opt_buf, sizeof(p->opt_buf), "--%s", p->cmd->opts[idx].long_name);
    p->opt_name = p->opt_buf;
    return idx;
}

void cli_usage(FILE *f, const CliCommand *cmd)
{
    fprintf(f, "usage: lutsr %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    fprintf(f, "\noptions:\n");
    for (int i = 0; cmd->opts && cmd->opts[i].long_name; i++) {
        const CliOpt *o = &cmd->opts[i];
        char left[64];
        int n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s",
                         o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                         o->short_name ? ", " : "  ", o->long_name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "%s%*s %s", left, n < 28 ? 28 - n : 0, "", o->help);
        if (o->dflt)
            fprintf(f, " (default: %s)", o->dflt);
        fputc('\n', f);
    }
    fprintf(f, "  -h, --help%*s show this help\n", 16, "");
    if (cmd->notes)
        fprintf(f, "\n%s", cmd->notes);
}

void cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lutsr: %s: ", what);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void bad_value(const CliParser *p, const char *should)
{
    cli_error(p->cmd->name, "Invalid argument \"%s\" for option %s; should be %s",
              p->arg ? p->arg : "", p->opt_name ? p->opt_name : "?", should);
}

static int parse_long(const char *s, long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

int cli_int(const CliParser *p, int lo, int hi, int *out)
{
    long v;
    if (parse_long(p->arg, &v) < 0 || v < lo || v > hi) {
        char should[64];
        snprintf(should, sizeof(should), "an integer %d..%d", lo, hi);
        bad_value(p, should);
        return -1;
    }
    *out = (int)v;
    return 0;
}

int cli_size(const CliParser *p, int *w, int *h)
{
    const char *s = p->arg ? p->arg : "";
    const char *x = strpbrk(s, "xX");
    char tmp[32];
    long lw, lh;
    if (!x || (size_t)(x - s) >= sizeof(tmp))
        goto bad;
    memcpy(tmp, s, (size_t)(x - s));
    tmp[x - s] = '\0';
    if (parse_long(tmp, &lw) < 0 || parse_long(x + 1, &lh) < 0 ||
        lw < 1 || lh < 1 || lw > LUTSR_MAX_DIM || lh > LUTSR_MAX_DIM)
        goto bad;
    *w = (int)lw;
    *h = (int)lh;
    return 0;
bad:;
    char should[64];
    snprintf(should, sizeof(should), "WIDTHxHEIGHT, each 1..%d", LUTSR_MAX_DIM);
    bad_value(p, should);
    return -1;
}

int cli_cpu(const CliParser *p, LutsrCpu *cpu)
{
    static const struct { const char *name; LutsrCpu cpu; } map[] = {
        { "auto", LUTSR_CPU_AUTO }, { "none", LUTSR_CPU_NONE }, { "c", LUTSR_CPU_NONE },
        { "sse41", LUTSR_CPU_SSE41 }, { "sse4.1", LUTSR_CPU_SSE41 }, { "avx2", LUTSR_CPU_AVX2 },
    };
    for (size_t i = 0; p->arg && i < sizeof(map) / sizeof(map[0]); i++) {
        if (!strcasecmp(p->arg, map[i].name)) {
            *cpu = map[i].cpu;
            return 0;
        }
    }
    bad_value(p, "one of auto, none, sse41, avx2");
    return -1;
}

int cli_choice(const CliParser *p, const char *const *names, int n, int *out)
{
    char should[128];
    size_t used = (size_t)snprintf(should, sizeof(should), "one of");
    for (int i = 0; i < n; i++) {
        if (p->arg && !strcmp(p->arg, names[i])) {
            *out = i;
            return 0;
        }
        if (used < sizeof(should))
            used += (size_t)snprintf(should + used, sizeof(should) - used, "%s %s",
                                     i ? "," : "", names[i]);
    }
    bad_value(p, should);
    return -1;
}

int cli_ensemble(const CliParser *p, int *ensemble)
{
    static const char *const names[] = { "1", "8" };
    int i;
    if (cli_choice(p, names, 2, &i) < 0)
        return -1;
    *ensemble = i ? 8 : 1;
    return 0;
}

int cli_require(const CliParser *p, const char *value, const char *long_name)
{
    if (value)
        return 0;
    cli_error(p->cmd->name, "missing required option --%s (see 'lutsr help %s')",
              long_name, p->cmd->name);
    return -1;
}
