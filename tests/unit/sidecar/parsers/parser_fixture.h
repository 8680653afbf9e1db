/* parser_fixture.h - runs a parser over a fixture file and checks each record
 * against the matching line of an .expect file (tests run from the repo root).
 * An expect line is space-separated checks:
 *   kind=NAME     record kind            ts=NS        r->ts (and ts_from_line)
 *   error         parse_error is set     (absent: parse_error must be NULL)
 *   overflow      r->overflow            pending / skip   the parse result
 *   KEY=VALUE     known key KEY is the string VALUE, or the integer VALUE
 *   KEY=-         known key KEY is absent
 * Only for test programs: single file, one static record. */
#ifndef VIGIL_TEST_PARSER_FIXTURE_H
#define VIGIL_TEST_PARSER_FIXTURE_H

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sidecar/parsers/parser.h"
#include "sidecar/record.h"

#define FIX_READ_TS INT64_C(1764151200000000000) /* 2025-11-26T10:00:00Z */

static char fix_arena[1u << 20];
static struct record fix_rec;

static enum parse_result fix_parse(const struct parser *p, void *state, struct span line)
{
    record_init(&fix_rec, fix_arena, sizeof(fix_arena));
    fix_rec.raw = line;
    fix_rec.read_ts = fix_rec.ts = FIX_READ_TS;
    return p->plugin->parse(p, state, &fix_rec, line);
}

static char *fix_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    cr_assert(b);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static void fix_check(const char *where, enum parse_result res, char *expect)
{
    const struct record *r = &fix_rec;
    bool want_error = false, want_overflow = false;
    enum parse_result want_res = PARSE_OK;
    for (char *save = NULL, *tok = strtok_r(expect, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            if (strcmp(tok, "error") == 0)
                want_error = true;
            else if (strcmp(tok, "overflow") == 0)
                want_overflow = true;
            else if (strcmp(tok, "pending") == 0)
                want_res = PARSE_PENDING;
            else if (strcmp(tok, "skip") == 0)
                want_res = PARSE_SKIP;
            else
                cr_assert_fail("%s: bad expect token %s", where, tok);
            continue;
        }
        *eq = '\0';
        const char *val = eq + 1;
        if (strcmp(tok, "kind") == 0) {
            cr_expect_str_eq(record_kind_name(r->kind), val, "%s: kind", where);
        } else if (strcmp(tok, "ts") == 0) {
            cr_expect(r->ts_from_line, "%s: ts not from line", where);
            cr_expect_eq(r->ts, strtoll(val, NULL, 10), "%s: ts %" PRId64, where, r->ts);
        } else {
            enum rkey k = rkey_lookup(span_cstr(tok));
            cr_assert(k != RK__NONE, "%s: unknown key %s", where, tok);
            const struct field *f = record_get(r, k);
            if (strcmp(val, "-") == 0) {
                cr_expect(f == NULL, "%s: %s should be absent", where, tok);
                continue;
            }
            cr_assert(f, "%s: %s missing", where, tok);
            if (f->type == FT_INT)
                cr_expect_eq(f->v.i, strtoll(val, NULL, 10), "%s: %s=%" PRId64, where, tok,
                             f->v.i);
            else
                cr_expect(f->type == FT_STR && span_eq_cstr(f->v.s, val),
                          "%s: %s=%.*s, want %s", where, tok, (int)f->v.s.len,
                          f->v.s.p ? f->v.s.p : "", val);
        }
    }
    cr_expect_eq(res, want_res == PARSE_OK && want_error ? PARSE_MALFORMED : want_res,
                 "%s: result %d", where, (int)res);
    cr_expect_eq(r->parse_error != NULL, want_error, "%s: parse_error %s", where,
                 r->parse_error ? r->parse_error : "(none)");
    cr_expect_eq(r->overflow, want_overflow, "%s: overflow", where);
}

/* Runs every line of base.txt through p and checks it against base.expect. */
static void fix_run(const struct parser *p, void *state, const char *base)
{
    char path[512];
    size_t in_len, ex_len;
    snprintf(path, sizeof(path), "%s.txt", base);
    char *in = fix_slurp(path, &in_len);
    snprintf(path, sizeof(path), "%s.expect", base);
    char *ex = fix_slurp(path, &ex_len);
    char *ip = in, *ep = ex;
    int lineno = 0;
    while (ip < in + in_len) {
        char *nl = memchr(ip, '\n', (size_t)(in + in_len - ip));
        size_t n = nl ? (size_t)(nl - ip) : (size_t)(in + in_len - ip);
        char *enl = strchr(ep, '\n');
        cr_assert(enl, "%s: expect file too short at line %d", base, lineno + 1);
        *enl = '\0';
        lineno++;
        char where[600];
        snprintf(where, sizeof(where), "%s.txt:%d", base, lineno);
        enum parse_result res = fix_parse(p, state, span_make(ip, n));
        fix_check(where, res, ep);
        ep = enl + 1;
        ip += n + 1;
    }
    free(in);
    free(ex);
}

#endif
