/*
 * Command-line parsing shared by the subcommands: one option table per
 * command drives both getopt_long() and the usage text (so the help can
 * never list an option the parser does not know, or miss a default), plus
 * value parsers that print uniform errors.
 *
 * Every error goes to stderr as one line "lutsr: <what>: <detail>".
 */
#ifndef LUTSR_TOOLS_CLI_PARSE_H
#define LUTSR_TOOLS_CLI_PARSE_H

#include <getopt.h>
#include <stdio.h>

#include "lutsr/lutsr.h"

#define CLI_MAX_OPTS 24

typedef struct CliOpt {
    const char *long_name; /* without "--" */
    int short_name;        /* 0 for none */
    const char *arg;       /* metavariable ("N"), NULL for a flag */
    const char *help;
    const char *dflt;      /* shown as "(default: ...)"; NULL for none */
} CliOpt;

typedef struct CliCommand {
    const char *name;      /* "upscale" */
    const char *synopsis;  /* after "lutsr NAME " */
    const char *summary;   /* one line */
    const CliOpt *opts;    /* terminated by an entry with long_name NULL */
    const char *notes;     /* printed after the options; may be NULL */
} CliCommand;

/* Return values of cli_next() other than an option index. */
enum { CLI_DONE = -1, CLI_ERROR = -2, CLI_HELP = -3 };

typedef struct CliParser {
    const CliCommand *cmd;
    int argc;
    char **argv;
    const char *arg;       /* argument of the option just returned */
    const char *opt_name;  /* "--threads" for messages */
    struct option lopts[CLI_MAX_OPTS + 2];
    char sopts[3 * CLI_MAX_OPTS + 4];
    char opt_buf[64];
} CliParser;

/* argv[0] is the command name; parsing starts at argv[1]. */
void cli_init(CliParser *p, const CliCommand *cmd, int argc, char **argv);
/* Index into cmd->opts of the next option, or CLI_DONE (then positional
 * arguments are argv[cli_optind()..]), CLI_HELP (-h/--help seen), or
 * CLI_ERROR (unknown option / missing argument; already reported). */
int cli_next(CliParser *p);
int cli_optind(void);

/* Usage text: synopsis, summary, every option with its default. */
void cli_usage(FILE *f, const CliCommand *cmd);

/* "lutsr: what: <formatted detail>\n" on stderr. */
void cli_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Value parsers: 0 on success; on failure print e.g.
 *   lutsr: upscale: Invalid argument "abc" for option --threads; should be an integer 1..256
 * and return -1. */
int cli_int(const CliParser *p, int lo, int hi, int *out);
/* "WxH", each side 1..LUTSR_MAX_DIM. */
int cli_size(const CliParser *p, int *w, int *h);
/* auto | none (alias c) | sse41 (alias sse4.1) | avx2 */
int cli_cpu(const CliParser *p, LutsrCpu *cpu);
/* --ensemble: 1 (off) or 8 (the x8 self-ensemble). */
int cli_ensemble(const CliParser *p, int *ensemble);
/* One of names[0..n-1]; *out is the index. */
int cli_choice(const CliParser *p, const char *const *names, int n, int *out);

/* Complains about a required option that is missing. */
int cli_require(const CliParser *p, const char *value, const char *long_name);

#endif /* LUTSR_TOOLS_CLI_PARSE_H */
