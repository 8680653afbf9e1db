/* log.h - vigil's own diagnostics: one logfmt line each on stderr.
 * `level=warn msg="..." key=value`. Values are escaped (quotes, backslashes,
 * control bytes) so a hostile file name or log line cannot forge a line.
 * Never pass input text as the format: use "%s". Stdout is reserved for the
 * alert stream. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sidecar/escape.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

extern enum log_level log_threshold;

/* Parses "debug|info|warn|error|off"; returns -1 for anything else. */
int log_level_parse(const char *s, enum log_level *out);

/* msg is printf-formatted, then quoted. kv, if not NULL, is a NULL-terminated
 * list of key, value C strings appended as key=value (values escaped). */
void log_kv(enum log_level l, const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) do { if (log_threshold <= LOG_DEBUG) log_kv(LOG_DEBUG, NULL, __VA_ARGS__); } while (0)
#define log_info(...)  log_kv(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...)  log_kv(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_kv(LOG_ERROR, NULL, __VA_ARGS__)

/* A repeated error, rate-limited: at most one line per LOG_LIMIT_INTERVAL_MS
 * while the same key (an errno, or any small code the caller picks) repeats;
 * the next line printed carries suppressed="N", the lines held back since.
 * One struct per place that can repeat (zero-initialised). */
struct log_limit {
    int64_t last_ms;        /* monotonic time of the last line printed */
    uint64_t suppressed;    /* lines held back since */
    int key;
    bool used;
};
void log_limited(struct log_limit *ll, int key, enum log_level l, const char *const *kv,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same at a given time (ms), for tests. */
void log_limited_at(struct log_limit *ll, int64_t now_ms, int key, enum log_level l,
                    const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Routes libevent's own messages ([warn] lines on stderr otherwise) into this
 * logger, escaped and rate-limited per libevent severity. */
void log_route_libevent(void);

/* A logfmt value, or with quote 0 text: esc_text (sidecar/escape.h, the
 * policy every output shares). */
static inline size_t log_escape(char *out, size_t cap, const char *s, size_t len, char quote)
{
    return esc_text(out, cap, s, len, quote);
}

#endif
