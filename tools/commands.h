/*
 * The CLI's subcommands (each in its own file) and the few helpers they
 * share: opening an engine with uniform error messages, and upscaling a
 * whole image plane by plane (model for luma/gray, bicubic for the rest).
 */
#ifndef LUTSR_TOOLS_COMMANDS_H
#define LUTSR_TOOLS_COMMANDS_H

#include <stddef.h>

#include "cli_parse.h"
#include "image.h"
#include "lutsr/lutsr.h"

/* Subcommand entry points: argv[0] is the subcommand name. Return the
 * process exit status (0 ok, 1 runtime error, 2 usage error). */
int cmd_upscale(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_make_model(int argc, char **argv);

extern const CliCommand cli_upscale, cli_info, cli_eval, cli_bench, cli_make_model;

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Loads model_name and opens a context on it. Reports failures as
 * "lutsr: WHAT: ..." and returns -1 (nothing left open). */
int tool_open_engine(const char *what, const char *model_name, int threads, LutsrCpu cpu,
                     int ensemble, int quiet, LutsrModel **model, LutsrContext **ctx);
void tool_close_engine(LutsrModel **model, LutsrContext **ctx);

/* Seconds on a monotonic clock. */
double tool_now(void);

/*
 * Upscale a whole image by the context's scale:
 *   gray        -> model
 *   Y'CbCr      -> Y model, U/V bicubic at the chroma plane size (cropped
 *                  to the output's rounded-up chroma size for odd sizes)
 *   RGB(A)      -> BT.601 full-range Y'CbCr, Y model, Cb/Cr bicubic, back
 *                  to RGB; alpha bicubic
 * out is allocated (same format, size * scale) if out->buf is NULL,
 * otherwise it must already have that format and size.
 */
int upscale_image(LutsrContext *ctx, const Image *in, Image *out,
                  char *err, size_t err_size);

#endif /* LUTSR_TOOLS_COMMANDS_H */
