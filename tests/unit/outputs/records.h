/* records.h - building test records for the outputs suites. */
#ifndef VIGIL_TEST_RECORDS_H
#define VIGIL_TEST_RECORDS_H

#include <stdio.h>
#include <string.h>

#include "sidecar/record.h"

struct test_rec {
    struct record r;
    char arena[4096];
    char line[256];
};

/* A typical parsed line: tag app.api, a few fields, ts = 1441588984.000000123 + i s. */
static inline struct record *test_rec_make(struct test_rec *t, uint64_t seq)
{
    record_init(&t->r, t->arena, sizeof(t->arena));
    int n = snprintf(t->line, sizeof(t->line), "GET /api/v1/items/%llu 200 user=alice",
                     (unsigned long long)seq);
    t->r.raw = span_make(t->line, (size_t)n);
    t->r.tag = SPAN_LIT("app.api");
    t->r.input = SPAN_LIT("app");
    t->r.host = SPAN_LIT("web-1");
    t->r.path = SPAN_LIT("/var/log/app/api.log");
    t->r.kind = KIND_APP;
    t->r.ts = (1441588984LL + (int64_t)seq) * 1000000000LL + 123;
    t->r.seq = seq;
    record_set_str(&t->r, RK_METHOD, SPAN_LIT("GET"));
    record_set_int(&t->r, RK_STATUS, 200);
    record_set_str(&t->r, RK_USER, SPAN_LIT("alice"));
    return &t->r;
}

#endif
