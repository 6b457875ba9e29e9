/*
 * Level-filtered logging through the context's callback; disabled levels
 * cost one comparison.
 */
#ifndef LUTSR_LOG_H
#define LUTSR_LOG_H

#include "internal.h"

struct LutsrContext;

void lutsr_log(const struct LutsrContext *c, int level, const char *fmt, ...) LUTSR_PRINTF(3, 4);

#endif
