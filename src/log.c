#include <stdarg.h>
#include <stdio.h>

#include "context.h"
#include "log.h"

void lutsr_log(const struct LutsrContext *c, int level, const char *fmt, ...)
{
    if (!c || !c->opts.log_cb || level > c->opts.log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->opts.log_cb(c->opts.log_priv, level, msg);
}
