/*
 * lutsr command-line tool: version check and subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

typedef struct Command {
    const CliCommand *cli;
    int (*run)(int argc, char **argv);
} Command;

static const Command commands[] = {
    { &cli_upscale,    cmd_upscale },
    { &cli_info,       cmd_info },
    { &cli_eval,       cmd_eval },
    { &cli_bench,      cmd_bench },
    { &cli_make_model, cmd_make_model },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].cli->name, name))
            return &commands[i];
    return NULL;
}

static void print_version(void)
{
    unsigned v = lutsr_version();
    printf("lutsr %u.%u.%u\n", v >> 16, (v >> 8) & 0xff, v & 0xff);
}

static void main_usage(FILE *f)
{
    fprintf(f, "usage: lutsr COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].cli->name, commands[i].cli->summary);
    fprintf(f, "  %-12s %s\n", "help [CMD]", "Show this list, or the options of CMD.");
    fprintf(f, "\n'lutsr CMD --help' lists the options of CMD; 'lutsr --version' the version.\n");
}

int main(int argc, char **argv)
{
    /* A library with another major version has another ABI: refuse rather
     * than misbehave. */
    unsigned v = lutsr_version();
    if ((v >> 16) != LUTSR_API_VERSION_MAJOR) {
        fprintf(stderr, "lutsr: version mismatch: library is %u.%u.%u, the tool was built "
                "for %d.x\n", v >> 16, (v >> 8) & 0xff, v & 0xff, LUTSR_API_VERSION_MAJOR);
        return EXIT_RUNTIME;
    }
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V") || !strcmp(name, "version")) {
        print_version();
        return 0;
    }
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2 && !strcmp(name, "help")) {
            const Command *c = find_command(argv[2]);
            if (!c) {
                cli_error("help", "unknown command '%s' (see 'lutsr help')", argv[2]);
                return EXIT_USAGE;
            }
            cli_usage(stdout, c->cli);
            return 0;
        }
        main_usage(stdout);
        return 0;
    }
    const Command *c = find_command(name);
    if (!c) {
        cli_error(name, "unknown command (see 'lutsr help')");
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
