/* span.h - borrowed (pointer, length) slices of bytes.
 * Log lines may hold NUL bytes and are never NUL-terminated: every string that
 * comes from input travels as a span and is never strlen()ed. A span is borrowed
 * until the next read on its source (see the owner's contract). */
#ifndef VIGIL_SPAN_H
#define VIGIL_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct span {
    const char *p;
    size_t len;
};

#define SPAN_LIT(s) ((struct span){ (s), sizeof(s) - 1 })
#define SPAN_NULL   ((struct span){ NULL, 0 })

static inline struct span span_make(const char *p, size_t len)
{
    return (struct span){ p, len };
}

static inline struct span span_cstr(const char *s)
{
    return (struct span){ s, s ? strlen(s) : 0 };
}

static inline bool span_eq(struct span a, struct span b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline bool span_eq_cstr(struct span a, const char *s)
{
    return span_eq(a, span_cstr(s));
}

static inline bool span_starts(struct span a, struct span prefix)
{
    return a.len >= prefix.len && memcmp(a.p, prefix.p, prefix.len) == 0;
}

static inline bool span_empty(struct span a)
{
    return a.len == 0;
}

/* The part of a from offset off on (empty when off >= a.len). */
static inline struct span span_from(struct span a, size_t off)
{
    return off >= a.len ? span_make(a.p + a.len, 0) : span_make(a.p + off, a.len - off);
}

#endif
