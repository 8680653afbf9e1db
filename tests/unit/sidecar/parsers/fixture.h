/* fixture.h - shared by the parser suites: run a parser over a fixture file
 * (one line per record) and compare a flat dump of each record with the
 * matching line of the .expected file. VIGIL_FIXTURE_PRINT=1 prints the dumps
 * instead, to review a new fixture by eye. */
#ifndef VIGIL_TEST_FIXTURE_H
#define VIGIL_TEST_FIXTURE_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"
#include "sidecar/timestamp.h"

static inline void fx_put(char **o, char *end, const char *p, size_t n)
{
    for (size_t i = 0; i < n && *o < end - 5; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f || c == '|' || c == '\\')
            *o += snprintf(*o, (size_t)(end - *o), "\\x%02x", c);
        else
            *(*o)++ = (char)c;
    }
    **o = '\0';
}

/* "kind=auth|ts=...|host=..|key=val|..." ; arrays as key=[a,b] */
static inline void fx_dump(const struct record *r, char *out, size_t cap)
{
    char *o = out, *end = out + cap;
    char ts[32];
    ts_format_rfc3339(r->ts, 6, ts, sizeof(ts));
    o += snprintf(o, (size_t)(end - o), "kind=%s|ts=%s|host=", record_kind_name(r->kind), ts);
    fx_put(&o, end, r->host.p, r->host.len);
    if (r->parse_error)
        o += snprintf(o, (size_t)(end - o), "|parse_error=%s", r->parse_error);
    for (uint32_t i = 0; i < r->nfields && o < end - 64; i++) {
        const struct field *f = &r->fields[i];
        if (f->depth == 0) {
            *o++ = '|';
            fx_put(&o, end, f->key.p, f->key.len);
            *o++ = '=';
        } else {
            *o++ = ',';
        }
        switch (f->type) {
        case FT_STR: fx_put(&o, end, f->v.s.p, f->v.s.len); break;
        case FT_INT: o += snprintf(o, (size_t)(end - o), "%lld", (long long)f->v.i); break;
        case FT_BOOL: o += snprintf(o, (size_t)(end - o), "%s", f->v.b ? "true" : "false"); break;
        case FT_ARRAY: o += snprintf(o, (size_t)(end - o), "[%u]", f->size); break;
        default: o += snprintf(o, (size_t)(end - o), "?"); break;
        }
        *o = '\0';
    }
}

static inline char *fx_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Runs plugin over base.log, compares with base.expected. Records that a
 * line leaves pending are not dumped; flush() runs at the end. */
static inline void fx_run(const struct parser_plugin *plugin, void *ctx, const char *base,
                          struct span path, int64_t read_ts)
{
    char lpath[256], epath[256];
    snprintf(lpath, sizeof(lpath), "tests/data/parsers/%s.log", base);
    snprintf(epath, sizeof(epath), "tests/data/parsers/%s.expected", base);
    bool print = getenv("VIGIL_FIXTURE_PRINT") != NULL;
    size_t llen, elen = 0;
    char *log = fx_slurp(lpath, &llen);
    char *exp = print ? NULL : fx_slurp(epath, &elen);
    struct parser p = { .plugin = plugin, .ctx = ctx, .max_line_bytes = 1 << 20 };
    void *state = plugin->state_size ? calloc(1, plugin->state_size) : NULL;
    static char arena[1 << 16];
    struct record r;
    record_init(&r, arena, sizeof(arena));
    char dump[8192];
    char *ecur = exp;
    size_t lineno = 0;
    for (char *s = log; s < log + llen;) {
        char *nl = memchr(s, '\n', (size_t)(log + llen - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(log + llen - s);
        lineno++;
        record_reset(&r);
        r.raw = span_make(s, n);
        r.read_ts = r.ts = read_ts;
        r.path = path;
        r.host = SPAN_LIT("self");
        enum parse_result res = plugin->parse(&p, state, &r, span_make(s, n));
        s += n + 1;
        if (res == PARSE_PENDING || res == PARSE_SKIP)
            continue;
        fx_dump(&r, dump, sizeof(dump));
        if (print) {
            printf("%s\n", dump);
            continue;
        }
        char *enl = strchr(ecur, '\n');
        cr_assert_not_null(enl, "%s:%zu: no expected line for: %s", base, lineno, dump);
        *enl = '\0';
        cr_assert_str_eq(dump, ecur, "%s:%zu", base, lineno);
        ecur = enl + 1;
    }
    if (plugin->flush) {
        record_reset(&r);
        r.read_ts = r.ts = read_ts;
        r.path = path;
        r.host = SPAN_LIT("self");
        if (plugin->flush(&p, state, &r) == PARSE_OK) {
            fx_dump(&r, dump, sizeof(dump));
            if (print) {
                printf("%s\n", dump);
            } else {
                char *enl = strchr(ecur, '\n');
                cr_assert_not_null(enl, "%s: flush: no expected line for: %s", base, dump);
                *enl = '\0';
                cr_assert_str_eq(dump, ecur, "%s: flush", base);
                ecur = enl + 1;
            }
        }
    }
    if (!print)
        cr_assert_eq(*ecur, '\0', "%s: expected more records: %s", base, ecur);
    if (plugin->state_fini)
        plugin->state_fini(&p, state);
    free(state);
    free(log);
    free(exp);
}

#endif
