/*
 * lutsr info MODEL: what a model file holds.
 */
#include <string.h>

#include "commands.h"

static const CliOpt info_opts[] = {
    { NULL, 0, NULL, NULL, NULL },
};

const CliCommand cli_info = {
    "info", "MODEL",
    "Describe a model (kind, scale, tensors, sizes, CRC, metadata).",
    info_opts,
    "MODEL is a .lsr path, a shipped short name (x2, srlut-x2, ...) or bicubic[-xN].\n",
};

int cmd_info(int argc, char **argv)
{
    CliParser p;
    cli_init(&p, &cli_info, argc, argv);
    for (int o; (o = cli_next(&p)) != CLI_DONE;) {
        if (o == CLI_HELP) {
            cli_usage(stdout, &cli_info);
            return 0;
        }
        return EXIT_USAGE;
    }
    int first = cli_optind();
    if (argc - first != 1) {
        if (argc == first)
            cli_error("info", "missing MODEL (usage: lutsr info MODEL)");
        else
            cli_error("info", "expected one MODEL, got %d arguments", argc - first);
        return EXIT_USAGE;
    }
    const char *name = argv[first];
    char err[512] = "";
    LutsrModel *m = NULL;
    int r = lutsr_model_open(&m, name, err, sizeof(err));
    if (r < 0) {
        if (*err)
            cli_error("info", "cannot load model: %s", err);
        else
            cli_error("info", "cannot load model '%s': %s", name, lutsr_strerror(r));
        return EXIT_RUNTIME;
    }
    const char *d = lutsr_model_describe(m);
    fputs(d, stdout);
    if (*d && d[strlen(d) - 1] != '\n')
        fputc('\n', stdout);
    lutsr_model_close(&m);
    return 0;
}
