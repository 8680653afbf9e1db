/* log.c - diagnostics as logfmt lines on stderr, escaped so that no file name
 * or log text can forge a line or smuggle terminal escapes. */
#include "sidecar/log.h"
#include "sidecar/limits.h"
#include "sidecar/clock.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum log_level log_threshold = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

int log_level_parse(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    if (strcmp(s, "warning") == 0) {
        *out = LOG_WARN;
        return 0;
    }
    return -1;
}

void log_kv(enum log_level l, const char *const *kv, const char *fmt, ...)
{
    if (l < log_threshold || l >= LOG_OFF)
        return;
    char msg[LOG_LINE_BYTES / 2];
    char esc[LOG_LINE_BYTES];
    char line[LOG_LINE_BYTES * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    char when[TS_RFC3339_MAX];
    ts_format_rfc3339(vigil_wall_ns(), 0, when, sizeof(when));

    esc_text(esc, sizeof(esc), msg, strlen(msg), '"');
    int n = snprintf(line, sizeof(line), "ts=%s level=%s msg=\"%s\"", when, level_names[l], esc);
    for (size_t i = 0; kv && kv[i] && kv[i + 1] && n > 0 && (size_t)n < sizeof(line); i += 2) {
        esc_text(esc, sizeof(esc), kv[i + 1], strlen(kv[i + 1]), '"');
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=\"%s\"", kv[i], esc);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}
