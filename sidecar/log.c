/* log.c - diagnostics as logfmt lines on stderr, escaped so that no file name
 * or log text can forge a line or smuggle terminal escapes. */
#include "sidecar/log.h"
#include "sidecar/clock.h"
#include "sidecar/limits.h"
#include "sidecar/clock.h"
#include "sidecar/escape.h"
#include "sidecar/timestamp.h"

#include <event2/event.h>
#include <inttypes.h>
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

static void log_line(enum log_level l, const char *const *kv, const char *msg);

void log_kv(enum log_level l, const char *const *kv, const char *fmt, ...)
{
    if (l < log_threshold || l >= LOG_OFF)
        return;
    char msg[LOG_LINE_BYTES / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_line(l, kv, msg);
}

static void log_vlimited(struct log_limit *ll, int64_t now_ms, int key, enum log_level l,
                         const char *const *kv, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void log_vlimited(struct log_limit *ll, int64_t now_ms, int key, enum log_level l,
                         const char *const *kv, const char *fmt, va_list ap)
{
    if (l < log_threshold || l >= LOG_OFF)
        return;
    if (ll->used && key == ll->key && now_ms - ll->last_ms < LOG_LIMIT_INTERVAL_MS) {
        ll->suppressed++;
        return;
    }
    char msg[LOG_LINE_BYTES / 2];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    const char *kv2[24];
    size_t n = 0;
    for (; kv && kv[n] && kv[n + 1] && n + 4 < sizeof(kv2) / sizeof(kv2[0]); n += 2) {
        kv2[n] = kv[n];
        kv2[n + 1] = kv[n + 1];
    }
    char count[24];
    if (ll->suppressed) {
        snprintf(count, sizeof(count), "%" PRIu64, ll->suppressed);
        kv2[n++] = "suppressed";
        kv2[n++] = count;
    }
    kv2[n] = NULL;
    log_line(l, kv2, msg);
    ll->used = true;
    ll->key = key;
    ll->last_ms = now_ms;
    ll->suppressed = 0;
}

void log_limited(struct log_limit *ll, int key, enum log_level l, const char *const *kv,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vlimited(ll, vigil_mono_ms(), key, l, kv, fmt, ap);
    va_end(ap);
}

void log_limited_at(struct log_limit *ll, int64_t now_ms, int key, enum log_level l,
                    const char *const *kv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vlimited(ll, now_ms, key, l, kv, fmt, ap);
    va_end(ap);
}

/* libevent says what it will do anyway (retry, drop a connection): its
 * warnings are ours at warn, its errors at error, all rate-limited. */
static void libevent_cb(int severity, const char *msg)
{
    static struct log_limit limits[4];
    static const enum log_level levels[4] = { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
    int s = severity == EVENT_LOG_DEBUG ? 0 : severity == EVENT_LOG_MSG ? 1
          : severity == EVENT_LOG_WARN ? 2 : 3;
    static const char *const kv[] = { "source", "libevent", NULL };
    log_limited(&limits[s], 0, levels[s], kv, "%s", msg ? msg : "");
}

void log_route_libevent(void)
{
    event_set_log_callback(libevent_cb);
}

static void log_line(enum log_level l, const char *const *kv, const char *msg)
{
    char esc[LOG_LINE_BYTES];
    char line[LOG_LINE_BYTES * 2];

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
