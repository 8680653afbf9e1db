/* detectors_test.h - a vigil without inputs or outputs for detector tests:
 * pipeline_emit is replaced by a recorder of the alert records it is given,
 * and records are built by hand. Included by one test file per binary. */
#ifndef VIGIL_TESTS_DETECTORS_TEST_H
#define VIGIL_TESTS_DETECTORS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors/auth.h"
#include "detectors/detector.h"
#include "sidecar/pipeline.h"
#include "sidecar/vigil.h"

#define T0 (1795392000LL * NS_PER_SEC)    /* Monday 2026-11-23 00:00:00 UTC */
#define MIN (60 * NS_PER_SEC)
#define AT(day, h, m) (T0 + (int64_t)(day) * NS_PER_DAY + (int64_t)(h) * NS_PER_HOUR + (int64_t)(m) * MIN)

struct caught {
    char rule[64], severity[16], message[ALERT_MESSAGE_BYTES], user[64], src_ip[64], tag[64];
    int nevidence;
};

static struct caught caught[512];
static int ncaught;

static inline void copy_span(char *dst, size_t cap, struct span s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

void pipeline_emit(struct vigil *vg, struct record *r)
{
    (void)vg;
    if (ncaught >= (int)(sizeof(caught) / sizeof(caught[0])))
        return;
    struct caught *c = &caught[ncaught++];
    memset(c, 0, sizeof(*c));
    copy_span(c->rule, sizeof(c->rule), record_str(r, RK_RULE));
    copy_span(c->severity, sizeof(c->severity), record_str(r, RK_SEVERITY));
    copy_span(c->message, sizeof(c->message), r->raw);
    copy_span(c->tag, sizeof(c->tag), r->tag);
    for (uint32_t i = 0; i < r->nfields; i++) {
        const struct field *f = &r->fields[i];
        if (f->depth == 1 && span_eq_cstr(f->key, "user"))
            copy_span(c->user, sizeof(c->user), f->v.s);
        if (f->depth == 1 && span_eq_cstr(f->key, "src_ip"))
            copy_span(c->src_ip, sizeof(c->src_ip), f->v.s);
        if (f->depth == 0 && span_eq_cstr(f->key, "evidence"))
            c->nevidence = f->size;
    }
}

/* The last alert of rule, or NULL. */
static inline const struct caught *find_rule(const char *rule)
{
    for (int i = ncaught - 1; i >= 0; i--)
        if (strcmp(caught[i].rule, rule) == 0)
            return &caught[i];
    return NULL;
}

static inline int count_rule(const char *rule)
{
    int n = 0;
    for (int i = 0; i < ncaught; i++)
        n += strcmp(caught[i].rule, rule) == 0;
    return n;
}

extern const struct detector_plugin detector_auth;

static struct vigil_conf test_conf;
static struct vigil test_vg;
static struct auth_ctx test_auth_opts;
static struct detector_conf test_dconf[1];

/* The defaults of detectors/auth.c's option table. */
static inline void auth_defaults(struct auth_ctx *o)
{
    memset(o, 0, sizeof(*o));
    o->bruteforce = (struct auth_rule_conf){ true, 8, 10 * 60 * 1000 };
    o->scan = (struct auth_rule_conf){ true, 12, 10 * 60 * 1000 };
    o->spray = (struct auth_rule_conf){ true, 5, 3600 * 1000 };
    o->distributed = (struct auth_rule_conf){ true, 5, 3600 * 1000 };
    o->after_failures = (struct auth_rule_conf){ true, 5, 3600 * 1000 };
    o->login = (struct auth_login_conf){ true, 30LL * 86400 * 1000, 10 };
    o->root_ssh.enabled = o->privilege.enabled = o->accounts.enabled = true;
}

static inline struct vigil *test_vigil(int64_t learning_ms)
{
    memset(&test_conf, 0, sizeof(test_conf));
    telemetry_free(&test_vg.telemetry);   /* a test may start over */
    memset(&test_vg, 0, sizeof(test_vg));
    test_conf.alerts = (struct alerts_conf){ ALERT_FORMAT_NONE, SEV_INFO, 0, COLOR_NEVER, 5,
                                             (char *)"vigil.alert" };
    test_conf.detectors.enabled = true;
    test_conf.detectors.memory_max = 64ull << 20;
    test_conf.detectors.learning_period_ms = learning_ms;
    test_conf.service.state_dir = NULL;
    auth_defaults(&test_auth_opts);
    test_dconf[0] = (struct detector_conf){ &detector_auth, true, &test_auth_opts };
    test_conf.detectors.d = test_dconf;
    test_conf.detectors.n = 1;
    test_vg.conf = &test_conf;
    snprintf(test_vg.hostname, sizeof(test_vg.hostname), "web-1");
    ncaught = 0;
    return &test_vg;
}

static char test_arena[RECORD_ARENA_MIN];
static struct record test_rec;

/* Feeds one auth record: NULL or "" leaves a key out. */
static inline void feed_kv(struct vigil *vg, int64_t ts, const char *action, const char *user,
                           const char *src, const char *method, const char *const *extra,
                           uint32_t repeat)
{
    record_init(&test_rec, test_arena, sizeof(test_arena));
    test_rec.kind = KIND_AUTH;
    test_rec.ts = ts;
    test_rec.raw = SPAN_LIT("Nov 23 10:00:00 web-1 sshd[1]: test line");
    test_rec.host = SPAN_LIT("web-1");
    test_rec.path = SPAN_LIT("/var/log/auth.log");
    test_rec.repeat = repeat ? repeat : 1;
    record_set_str(&test_rec, RK_ACTION, span_cstr(action));
    if (user && *user)
        record_set_str(&test_rec, RK_USER, span_cstr(user));
    if (src && *src)
        record_set_str(&test_rec, RK_SRC_IP, span_cstr(src));
    if (method && *method)
        record_set_str(&test_rec, RK_METHOD, span_cstr(method));
    record_set_str(&test_rec, RK_SERVICE, SPAN_LIT("sshd"));
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
        record_add_str(&test_rec, span_cstr(extra[i]), span_cstr(extra[i + 1]));
    detectors_observe(vg, &test_rec);
}

static inline void feed(struct vigil *vg, int64_t ts, const char *action, const char *user,
                        const char *src, const char *method)
{
    feed_kv(vg, ts, action, user, src, method, NULL, 1);
}

#endif
